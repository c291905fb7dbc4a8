"""Issue 15 item 8, audit integrity: TRUNCATE and INSERT OR REPLACE refused, every row chained by
hash with `formservice audit verify` naming the first broken link, /render rows naming the case's
external id, and the status recorded being the status the client really got.

On SQLite and PostgreSQL (`storage_settings`). Tampering "around the application" is done the
way an intruder with database rights would: triggers dropped (SQLite) or switched off for a
transaction (PostgreSQL superuser, `session_replication_role`).
"""

from __future__ import annotations

import hashlib
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import Connection, select
from werkzeug.test import EnvironBuilder

from formservice import create_app
from formservice.cli import main
from formservice.settings import Settings
from formservice.store.audit import GENESIS_HASH, record_event
from formservice.store.db import upgrade_database
from formservice.store.models import AuditEvent
from formservice.usecases import Services, build_services
from formservice.usecases.audit import verify_audit
from tests.conftest import load_sample, make_key


@pytest.fixture
def db_services(storage_settings: Settings) -> Iterator[Services]:
    svc = build_services(storage_settings)
    yield svc
    svc.close()


@pytest.fixture
def db_runner(storage_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("FORMSERVICE_ENV", "test")
    monkeypatch.setenv("FORMSERVICE_DATA_DIR", str(storage_settings.data_dir))
    monkeypatch.setenv("FORMSERVICE_DATABASE_URL", storage_settings.resolved_database_url)
    return CliRunner()


def _record(services: Services, n: int, actor: str = "key:t") -> None:
    for i in range(n):
        with services.engine.begin() as conn:
            record_event(conn, actor=actor, action="view_case", path=f"/x/{i}", status=200)


def _ids(services: Services) -> list[int]:
    with services.sessions() as session:
        return list(session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)))


def _around_the_triggers(conn: Connection) -> None:
    """What an intruder with database rights does first: the append-only triggers off."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
    else:
        for name in ("no_update", "no_delete", "no_replace"):
            conn.execute(sa.text(f"DROP TRIGGER IF EXISTS audit_events_{name}"))


def test_truncate_replace_update_and_delete_are_refused(db_services: Services) -> None:
    _record(db_services, 3)
    first = _ids(db_services)[0]
    dialect = db_services.engine.dialect.name
    statements = [
        "UPDATE audit_events SET actor = 'x'",
        "DELETE FROM audit_events",
        "INSERT INTO audit_events (id, at, actor, action) "
        "VALUES (:first, '2026-01-01 00:00:00', 'key:evil', 'view_case') "
        "ON CONFLICT (id) DO UPDATE SET actor = 'key:evil'",
    ]
    if dialect == "postgresql":
        statements.append("TRUNCATE audit_events")
    else:
        statements += [
            "INSERT OR REPLACE INTO audit_events (id, at, actor, action) "
            "VALUES (:first, '2026-01-01 00:00:00', 'key:evil', 'view_case')",
            "REPLACE INTO audit_events (id, at, actor, action) "
            "VALUES (:first, '2026-01-01 00:00:00', 'key:evil', 'view_case')",
        ]
    for statement in statements:
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            with db_services.engine.begin() as conn:
                conn.execute(sa.text(statement), {"first": first})
    with db_services.sessions() as session:
        rows = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(r.id, r.actor) for r in rows][:1] == [(first, "key:t")]
    assert len(rows) == 3


def test_each_row_is_chained_to_the_one_before(db_services: Services) -> None:
    _record(db_services, 3)
    with db_services.sessions() as session:
        rows = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert rows[0].prev_hash == GENESIS_HASH
    assert [r.prev_hash for r in rows[1:]] == [r.row_hash for r in rows[:-1]]
    assert len({r.row_hash for r in rows}) == 3


def test_verify_is_0_when_intact_and_names_a_changed_row(
    db_services: Services, db_runner: CliRunner
) -> None:
    _record(db_services, 4)
    ids = _ids(db_services)
    intact = db_runner.invoke(main, ["audit", "verify"])
    assert intact.exit_code == 0, intact.output
    assert "intact: 4 rows" in intact.output
    head = intact.output.split("head ")[1].strip()
    assert db_runner.invoke(main, ["audit", "verify", "--head", head]).exit_code == 0
    with db_services.engine.begin() as conn:
        _around_the_triggers(conn)
        conn.execute(
            sa.text("UPDATE audit_events SET actor = 'key:someone-else' WHERE id = :id"),
            {"id": ids[1]},
        )
    broken = db_runner.invoke(main, ["audit", "verify"])
    assert broken.exit_code == 1
    lines = broken.stderr.strip().splitlines()
    assert lines == [f"audit trail broken at row {ids[1]}: {lines[0].split(': ', 1)[1]}"]
    assert "changed" in lines[0]


def test_verify_names_the_row_after_a_removed_one_and_a_row_slipped_in(
    db_services: Services, db_runner: CliRunner
) -> None:
    _record(db_services, 4)
    ids = _ids(db_services)
    with db_services.engine.begin() as conn:
        _around_the_triggers(conn)
        conn.execute(sa.text("DELETE FROM audit_events WHERE id = :id"), {"id": ids[1]})
    broken = db_runner.invoke(main, ["audit", "verify"])
    assert broken.exit_code == 1
    assert broken.stderr.startswith(f"audit trail broken at row {ids[2]}: ")
    assert "removed" in broken.stderr


def test_a_row_written_around_the_application_breaks_the_chain(
    db_services: Services, db_runner: CliRunner
) -> None:
    _record(db_services, 2)
    with db_services.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO audit_events (at, actor, action) "
                "VALUES ('2026-01-01 00:00:00', 'key:forged', 'login')"
            )
        )
    forged = _ids(db_services)[-1]
    _record(db_services, 1)
    broken = db_runner.invoke(main, ["audit", "verify"])
    assert broken.exit_code == 1
    assert broken.stderr.startswith(f"audit trail broken at row {forged}: ")


def test_verify_catches_the_newest_rows_removed_given_the_recorded_head(
    db_services: Services, db_runner: CliRunner
) -> None:
    _record(db_services, 3)
    head = db_runner.invoke(main, ["audit", "verify"]).output.split("head ")[1].strip()
    with db_services.engine.begin() as conn:
        _around_the_triggers(conn)
        conn.execute(
            sa.text("DELETE FROM audit_events WHERE id = :id"), {"id": _ids(db_services)[-1]}
        )
    assert db_runner.invoke(main, ["audit", "verify"]).exit_code == 0  # the chain alone: intact
    broken = db_runner.invoke(main, ["audit", "verify", "--head", head])
    assert broken.exit_code == 1
    assert "newest rows were removed" in broken.stderr


def test_verify_refuses_a_malformed_head_with_exit_2(db_runner: CliRunner) -> None:
    bad = db_runner.invoke(main, ["audit", "verify", "--head", "not-a-hash"])
    assert bad.exit_code == 2
    assert len(bad.stderr.strip().splitlines()) == 1
    assert "head" in bad.stderr


def test_concurrent_writers_never_fork_the_chain(
    db_services: Services, db_runner: CliRunner
) -> None:
    threads, each = 8, 15
    start = threading.Barrier(threads)
    failures: list[BaseException] = []

    def write(n: int) -> None:
        start.wait()
        try:
            _record(db_services, each, actor=f"key:t{n}")
        except BaseException as exc:  # noqa: BLE001  # reported below
            failures.append(exc)

    workers = [threading.Thread(target=write, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert not failures
    assert len(_ids(db_services)) == threads * each
    result = db_runner.invoke(main, ["audit", "verify"])
    assert result.exit_code == 0, result.output + result.stderr
    assert f"intact: {threads * each} rows" in result.output


def test_render_rows_carry_the_cases_external_id(db_services: Services) -> None:
    app = create_app(db_services.settings, services=db_services)
    client = app.test_client()
    auth = {"Authorization": f"Bearer {make_key(db_services)}"}
    payload = load_sample()
    rendered = client.post("/api/v1/render/lmn", json=payload, headers=auth)
    assert rendered.status_code == 200
    assert rendered.data
    with db_services.sessions() as session:
        row = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert row is not None
    assert (row.action, row.status, row.external_id) == (
        "render_document",
        200,
        payload["external_id"],
    )
    listed = client.get(
        "/api/v1/audit",
        query_string={"action": "render_document"},
        headers={"Authorization": f"Bearer {make_key(db_services, 'ops')}"},
    )
    assert listed.json[0]["external_id"] == payload["external_id"]


def _serve_failing_after_first_chunk(app: Flask, path: str, key: str) -> None:
    """Drive the app as a WSGI server does when it cannot send what the app returned (a header
    it cannot encode, a broken socket): take the first chunk, fail, close the body."""
    environ = EnvironBuilder(path=path, headers={"Authorization": f"Bearer {key}"}).get_environ()
    body = app(environ, lambda status, headers, exc_info=None: None)
    try:
        next(iter(body))  # the server failed writing this out
    finally:
        body.close()  # type: ignore[attr-defined]  # PEP 3333: the server always closes


def test_a_download_that_fails_at_the_server_is_not_recorded_as_200(
    db_services: Services,
) -> None:
    app = create_app(db_services.settings, services=db_services)
    client = app.test_client()
    key = make_key(db_services)
    auth = {"Authorization": f"Bearer {key}"}
    case_id = client.post("/api/v1/cases", json=load_sample(), headers=auth).json["id"]
    made = client.post(f"/api/v1/cases/{case_id}/documents", json={"kind": "lmn"}, headers=auth)
    url = made.json["content_url"]
    _serve_failing_after_first_chunk(app, url, key)
    whole = client.get(url, headers=auth)
    assert whole.status_code == 200
    assert hashlib.sha256(whole.data).hexdigest() == made.json["sha256"]
    with db_services.sessions() as session:
        rows = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "download_document")
            .order_by(AuditEvent.id)
        ).all()
    assert [(r.status, r.document_id, r.case_id) for r in rows] == [
        (500, made.json["id"], case_id),
        (200, made.json["id"], case_id),
    ]


def test_verify_api_for_operations(db_services: Services) -> None:
    _record(db_services, 2)
    client = create_app(db_services.settings, services=db_services).test_client()
    ops = {"Authorization": f"Bearer {make_key(db_services, 'ops')}"}
    body: dict[str, Any] = client.get("/api/v1/audit/verify", headers=ops).json
    assert body["intact"] is True
    assert body["rows"] == 2
    assert body["broken_id"] is None
    bad = client.get("/api/v1/audit/verify", query_string={"head": "x"}, headers=ops)
    assert bad.status_code == 422
    hub = {"Authorization": f"Bearer {make_key(db_services, 'hub')}"}
    assert client.get("/api/v1/audit/verify", headers=hub).status_code == 403


def test_migration_0007_chains_the_rows_already_there(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "old.sqlite3"
    url = f"sqlite:///{path}"
    upgrade_database(url, "0006")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for actor in ("key:a", "key:b", "key:c"):
            conn.execute(
                sa.text(
                    "INSERT INTO audit_events (at, actor, action, status) "
                    "VALUES ('2026-11-01 10:00:00.000000', :actor, 'view_case', 200)"
                ),
                {"actor": actor},
            )
    engine.dispose()
    upgrade_database(url)
    data_dir = settings.data_dir
    shutil.copy(path, data_dir / "formservice.sqlite3")
    services = build_services(settings)
    try:
        _record(services, 1)
        report = verify_audit(services)
        assert (report.intact, report.rows) == (True, 4)
    finally:
        services.close()
