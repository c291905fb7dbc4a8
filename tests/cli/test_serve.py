"""The production entry: `formservice serve` (gunicorn, a LibreOffice per worker) starts, serves a
PDF and stops cleanly on SIGTERM, leaving no LibreOffice behind."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from pypdf import PdfReader

from formservice.cli.server import gunicorn_options
from formservice.settings import Settings
from formservice.usecases import build_services
from tests.conftest import load_sample, make_key, require_tool
from tests.servers import AppServer, call, clean_env, processes_mentioning


@pytest.mark.slow
@pytest.mark.libreoffice
def test_production_server_serves_a_pdf_and_stops_cleanly(tmp_path: Path) -> None:
    require_tool("soffice", "make test (apt-get install libreoffice-writer-nogui)")
    data_dir = tmp_path / "var"
    services = build_services(Settings(env="test", data_dir=data_dir))  # a fresh folder
    key = make_key(services)
    services.close()
    env = clean_env(
        FORMSERVICE_ENV="production",
        FORMSERVICE_SECRET_KEY="p" * 32,
        FORMSERVICE_DATA_DIR=str(data_dir),
        FORMSERVICE_RENDER_TIMEOUT_SECONDS="20",  # the graceful timeout follows: 2 x 20 + 30 s
    )
    server = AppServer(env, tmp_path / "server.log", workers=2)
    with server:
        status, headers, pdf = call(
            f"{server.url}/api/v1/render/lmn?format=pdf", method="POST", body=load_sample(), key=key
        )
        assert status == 200, pdf[:300]
        assert headers["Content-Type"] == "application/pdf"
        info = PdfReader(io.BytesIO(pdf)).metadata or {}
        assert info["/formservice.kind"] == "lmn"
        assert processes_mentioning(str(data_dir / "soffice"))  # a warm LibreOffice, per worker

        assert server.stop(timeout=90) == 0

    output = server.output()
    assert "Booting worker" in output
    assert output.count("Worker exiting") == 2
    assert "Traceback" not in output
    deadline = time.monotonic() + 10
    while processes_mentioning(str(data_dir)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_mentioning(str(data_dir)) == []  # no LibreOffice left behind


def test_gunicorn_options_follow_the_settings() -> None:
    settings = Settings(render_timeout_seconds=60, web_workers=3, web_threads=2)
    options = gunicorn_options(settings)
    assert (options["workers"], options["threads"]) == (3, 2)
    assert options["worker_class"] == "gthread"
    assert options["graceful_timeout"] > settings.render_timeout_seconds * 2
    assert options["preload_app"] is True
    assert gunicorn_options(settings, workers=5, threads=7)["workers"] == 5
    assert gunicorn_options(Settings(web_workers=0))["workers"] >= 1  # one per core


def test_gunicorn_config_file_gives_the_same_options(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    monkeypatch.setenv("FORMSERVICE_WEB_WORKERS", "3")
    monkeypatch.setenv("FORMSERVICE_RENDER_TIMEOUT_SECONDS", "10")
    import formservice.cli.gunicorn_conf as conf

    conf = importlib.reload(conf)
    assert conf.workers == 3
    assert conf.graceful_timeout == 50
    assert conf.worker_class == "gthread"
    assert conf.post_fork is not None
    assert conf.worker_exit is not None
