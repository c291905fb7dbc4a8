"""The multi-host layout on one machine: two app servers and a queue worker, each with a data
folder of its own, sharing only PostgreSQL, Redis and the S3 store.

Letters are made on one app and read from the other; a new template version is published; a
regeneration started on one app is run by the worker and followed on the other; each letter is
regenerated exactly once.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import redis
import sqlalchemy as sa
from click.testing import CliRunner

from formservice.cli import main
from formservice.documents.docx.render import document_text
from formservice.store.blobs import sha256_hex
from tests.conftest import load_sample, real_redis
from tests.regeneration.conftest import LMN, MARKER, changed_lmn
from tests.scaleout.conftest import S3Server
from tests.servers import (
    AppServer,
    FormserviceProcess,
    call,
    clean_env,
    throwaway_postgres,
)

LETTERS = 10


def _redis() -> tuple[str, redis.Redis]:
    # The worker's second database: this test's queue apart from the other queue tests'.
    url = real_redis(spare=1)
    return url, redis.Redis.from_url(url, socket_connect_timeout=2)


def _cli(env: dict[str, str], monkeypatch: pytest.MonkeyPatch, *argv: str) -> str:
    """Run a formservice command as an operator on one of the hosts would."""
    with monkeypatch.context() as m:
        for key, value in env.items():
            if key.startswith("FORMSERVICE_"):
                m.setenv(key, value)
        result = CliRunner().invoke(main, list(argv))
    assert result.exit_code == 0, result.output
    return result.stdout


def _json(response: tuple[int, dict[str, str], bytes], status: int) -> Any:
    code, _, body = response
    assert code == status, body[:500]
    return json.loads(body)


@pytest.mark.slow
@pytest.mark.postgres
def test_two_apps_and_a_worker_share_postgres_redis_and_s3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, s3_server: S3Server, bucket: str
) -> None:
    redis_url, queue = _redis()
    queue.flushdb()
    with throwaway_postgres() as database_url:
        shared = {
            "FORMSERVICE_ENV": "production",
            "FORMSERVICE_SECRET_KEY": "h" * 32,
            "FORMSERVICE_DATABASE_URL": database_url,
            "FORMSERVICE_REDIS_URL": redis_url,
            **s3_server.env(bucket),
        }

        def host(name: str) -> dict[str, str]:
            return clean_env(**shared, FORMSERVICE_DATA_DIR=str(tmp_path / name / "var"))

        # The operator migrates the shared database once, from any host.
        _cli(host("ops"), monkeypatch, "db", "upgrade")
        hub = _cli(host("ops"), monkeypatch, "keys", "create", "--role", "hub", "--name", "hub")
        ops = _cli(host("ops"), monkeypatch, "keys", "create", "--role", "ops", "--name", "ops")
        hub_key, ops_key = hub.strip().splitlines()[-1], ops.strip().splitlines()[-1]

        app_a = AppServer(host("app-a"), tmp_path / "app-a.log")
        app_b = AppServer(host("app-b"), tmp_path / "app-b.log")
        worker = FormserviceProcess(
            ["worker", "--workers", "2"], host("worker"), tmp_path / "worker.log"
        )
        with app_a, app_b, worker:
            apps = (app_a, app_b)
            documents = []
            for i in range(LETTERS):
                maker, reader = apps[i % 2], apps[(i + 1) % 2]
                payload = load_sample()
                payload["external_id"] = f"HUB-TWO-HOSTS-{i:03d}"
                case = _json(
                    call(f"{maker.url}/api/v1/cases", method="POST", body=payload, key=hub_key),
                    201,
                )
                doc = _json(
                    call(
                        f"{reader.url}/api/v1/cases/{case['id']}/documents",
                        method="POST",
                        body={"kind": "lmn"},
                        key=hub_key,
                    ),
                    201,
                )
                status, _, data = call(f"{maker.url}{doc['content_url']}", key=hub_key)
                assert status == 200  # made on one host, read on the other: one store
                assert sha256_hex(data) == doc["sha256"]
                documents.append(doc["id"])

            new = tmp_path / "lmn-v2.docx"
            new.write_bytes(changed_lmn())
            _cli(host("ops"), monkeypatch, "templates", "publish", LMN, str(new))

            started = _json(
                call(
                    f"{app_a.url}/api/v1/regenerations",
                    method="POST",
                    body={"template": LMN},
                    key=ops_key,
                ),
                202,
            )
            deadline = time.monotonic() + 240
            while True:
                run = _json(
                    call(f"{app_b.url}/api/v1/regenerations/{started['id']}", key=ops_key), 200
                )
                if run["status"] in ("succeeded", "failed") or time.monotonic() > deadline:
                    break
                time.sleep(1)
            assert (run["status"], run["total"], run["done"], run["failed"]) == (
                "succeeded",
                LETTERS,
                LETTERS,
                0,
            ), (run, worker.output()[-3000:])

            superseded, newest = _regenerated(database_url)
            assert superseded == dict.fromkeys(documents, 1)  # each letter exactly once
            status, _, letter = call(f"{app_b.url}/api/v1/documents/{newest}/content", key=hub_key)
            assert status == 200
            assert MARKER in document_text(letter)  # the new version, read from the shared store

            for app in apps:
                assert app.stop() == 0, app.output()[-3000:]
            assert worker.stop() == 0, worker.output()[-3000:]
        for name in ("app-a", "app-b", "worker"):  # nothing kept on a host's own disk
            assert not (tmp_path / name / "var" / "blobs").exists()
    queue.flushdb()


def _regenerated(database_url: str) -> tuple[dict[str, int], str]:
    """{superseded document id: how many documents supersede it}, and one new document id."""
    engine = sa.create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            counts = dict(
                conn.execute(
                    sa.text(
                        "SELECT supersedes_id, count(*) FROM documents"
                        " WHERE supersedes_id IS NOT NULL GROUP BY supersedes_id"
                    )
                ).all()
            )
            newest = conn.execute(
                sa.text("SELECT id FROM documents WHERE supersedes_id IS NOT NULL LIMIT 1")
            ).scalar_one()
    finally:
        engine.dispose()
    return {str(k): int(v) for k, v in counts.items()}, str(newest)
