"""Shared fixtures: settings, a migrated database, the app, a client with an API key, the CLI.

Every test gets its own data folder and a fresh, migrated SQLite database (copied from one
migrated once per session, so migrations run for real but only once). Every app shares one warm
LibreOffice for the whole run (`shared_converter`), started by the first PDF a test asks for.
Tools the tests need (LibreOffice, Tesseract, PostgreSQL) must be there in CI: `require_tool`
fails there and skips locally with the command that installs them.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from formservice import create_app
from formservice.documents.convert import LibreOfficeConverter
from formservice.settings import Settings
from formservice.store.db import upgrade_database
from formservice.usecases import Services, build_services

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples"
IN_CI = os.environ.get("CI") == "true"
# Test accounts get a cheap password hash (PBKDF2, 1,000 rounds: well under a millisecond)
# instead of production's scrypt (about 0.1 s of CPU each, and web tests make four users each).
# Tests whose point is the slow hash (its format, a race it widens) pass production's method.
TEST_PASSWORD_HASH = "pbkdf2:sha256:1000"  # noqa: S105  # a method name
POSTGRES_URL = os.environ.get(
    "FORMSERVICE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
# The queue tests' Redis: this database for the first pytest-xdist worker (and a plain run),
# two lower for each further worker (`real_redis`), so parallel workers never empty each other's.
REDIS_URL = os.environ.get("FORMSERVICE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def worker_index() -> int:
    """This pytest-xdist worker's number (gw0 → 0, gw1 → 1); 0 in a run without workers."""
    return int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)


def real_redis(spare: int = 0) -> str:
    """A Redis database of the machine's server for this worker (tests empty it); fail in CI,
    skip locally.

    `spare` 0 or 1 picks one of the worker's two databases (the two-host test keeps its queue
    apart from the others'): REDIS_URL's database minus (2 × worker index + spare).
    """
    base, _, db = REDIS_URL.rpartition("/")
    number = int(db or 0) - 2 * worker_index() - spare
    if number < 0:
        pytest.fail(f"too many pytest-xdist workers for the Redis databases below {REDIS_URL}")
    url = f"{base}/{number}"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError as exc:
        message = f"Redis is not reachable at {url}: {exc}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message + " (start it: redis-server --daemonize yes)")
    return url


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under `pytest -n N --dist loadgroup` (make test), send each test file to one worker.

    A file's module fixtures (a corpus read once, a server started once) are then built once,
    not once per worker. A test already in an `xdist_group` keeps its own. `tryfirst`: the
    group must be set before pytest-xdist reads it in its own hook.
    """
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::", 1)[0]))


def require_tool(name: str, install: str) -> str:
    """The path of a tool; if missing, fail in CI and skip locally naming the install."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed; install with: {install}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


def sample_case_paths() -> list[Path]:
    """Every synthetic sample case shipped in samples/cases."""
    return sorted((SAMPLES / "cases").glob("*.json"))


def denial_case(stem: str) -> dict[str, Any]:
    """The sample case a sample denial letter belongs to (samples/denial_cases/<stem>.json)."""
    data: dict[str, Any] = json.loads((SAMPLES / "denial_cases" / f"{stem}.json").read_text())
    return data


def load_sample(name: str = "01_breast_commercial_office") -> dict[str, Any]:
    """A sample case payload by file stem."""
    data: dict[str, Any] = json.loads((SAMPLES / "cases" / f"{name}.json").read_text())
    return data


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file migrated to head; each test copies it."""
    path = tmp_path_factory.mktemp("template-db") / "formservice.sqlite3"
    upgrade_database(f"sqlite:///{path}")
    return path


@pytest.fixture
def settings(tmp_path: Path, migrated_sqlite: Path) -> Settings:
    """Test settings with their own data folder and database."""
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    shutil.copy(migrated_sqlite, data_dir / "formservice.sqlite3")
    return Settings(
        env="test", secret_key="t" * 32, data_dir=data_dir, password_hash_method=TEST_PASSWORD_HASH
    )


@pytest.fixture(scope="session")
def shared_converter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LibreOfficeConverter]:
    """One warm LibreOffice for the whole run, lent to the apps the tests build.

    Nothing starts until a test asks for a PDF; it is stopped at the end of the session. Its
    settings are the defaults (timeout, one slot). A test that kills LibreOffice, breaks it or
    changes its settings builds its own converter (`build_services` without `converter`).
    """
    defaults = Settings()
    converter = LibreOfficeConverter(
        workdir=tmp_path_factory.mktemp("soffice"),
        timeout=defaults.render_timeout_seconds,
        pool_size=defaults.converter_pool_size,
    )
    yield converter
    converter.close()


@pytest.fixture
def services(settings: Settings, shared_converter: LibreOfficeConverter) -> Iterator[Services]:
    svc = build_services(settings, converter=shared_converter)
    yield svc
    svc.close()


@pytest.fixture
def app(settings: Settings, services: Services) -> Flask:
    return create_app(settings, services=services)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A CLI runner whose environment points at the test's data folder."""
    monkeypatch.setenv("FORMSERVICE_ENV", "test")
    monkeypatch.setenv("FORMSERVICE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("FORMSERVICE_PASSWORD_HASH_METHOD", settings.password_hash_method)
    return CliRunner()


def make_key(services: Services, role: str = "hub", facility: str | None = None) -> str:
    """Create an API key directly in the test database."""
    from formservice.store.db import transaction
    from formservice.usecases.keys import create_api_key

    with transaction(services.sessions) as session:
        _, key = create_api_key(session, name=f"test-{role}", role=role, facility_npi=facility)
    return key


@pytest.fixture
def api_key(services: Services) -> str:
    return make_key(services)


@pytest.fixture
def auth(api_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"}


@pytest.fixture
def case_payload() -> dict[str, Any]:
    return load_sample()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session (the machine runs the server)."""
    import sqlalchemy as sa

    admin = sa.create_engine(
        POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1),
        isolation_level="AUTOCOMMIT",
    )
    name = f"formservice_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        message = f"PostgreSQL is not reachable at {POSTGRES_URL}: {exc.orig}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message + " (start it: pg_ctlcluster $(ls /etc/postgresql) main start)")
    url = POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
    upgrade_database(url)
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def storage_settings(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Settings]:
    """The same settings on SQLite and on PostgreSQL (tables emptied after each test)."""
    if request.param == "sqlite":
        yield settings
        return
    url = request.getfixturevalue("postgres_url")
    yield settings.with_overrides(database_url=url)
    empty_postgres(url)


def empty_postgres(url: str) -> None:
    """Empty every table of the test PostgreSQL database at `url` (its schema stays)."""
    import sqlalchemy as sa

    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        tables = (
            conn.execute(
                sa.text(
                    "SELECT tablename FROM pg_tables"
                    " WHERE schemaname='public' AND tablename<>'alembic_version'"
                )
            )
            .scalars()
            .all()
        )
        if tables:
            # audit_events refuses TRUNCATE (a trigger, migration 0007); the test database's
            # superuser empties it with triggers off for this transaction.
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
            conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE"))
    engine.dispose()
