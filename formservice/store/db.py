"""Engine and sessions from the database URL; SQLite gets WAL and foreign keys.

`prepare_schema` runs before anything reads the database: an embedded SQLite file is migrated on
first use (under a file lock beside it, so concurrent commands and server workers migrate once);
a PostgreSQL server is only checked, because migrating a shared database is an operator's
decision (`formservice db upgrade`).
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from formservice.errors import DatabaseNotReadyError
from formservice.store.unit_of_work import current_unit

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent.parent / "migrations"


def make_engine(url: str) -> Engine:
    """An engine for a sqlite: or postgresql URL, tuned for this service.

    `hide_parameters`: a statement's parameters (patient names, ids) never appear in an error's
    message or SQLAlchemy's log lines, whatever logs them.
    """
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False},
            hide_parameters=True,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5, hide_parameters=True)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets the web process read while a worker writes; FKs are off by default in SQLite.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """A session factory whose objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error.

    Inside a request's unit of work (`store.unit_of_work`) the block is a SAVEPOINT of the
    request's transaction instead: undone alone if it raises, committed with the request (and
    its audit row) if it ends.
    """
    unit = current_unit(factory)
    if unit is None:
        with factory() as session, session.begin():
            yield session
        return
    with unit.block(unit.writing()) as session, session.begin_nested():
        yield session


def hold_write_lock(conn: Connection, key: int) -> None:
    """Hold a lock until the caller's transaction ends, so that writers of the same `key` queue
    and each reads, after the lock, what the one before it committed (check, then insert).

    PostgreSQL: a transaction-scoped advisory lock on `key` (a signed 64-bit integer); READ
    COMMITTED reads afresh at each statement, so a query after the lock sees the earlier
    writer's row. SQLite: the database's write lock itself (one writer at a time, whatever the
    key); a transaction that has not written yet is begun IMMEDIATE now, since the driver would
    begin it only at the first INSERT, after the check.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
        return
    dbapi = conn.connection.dbapi_connection
    if dbapi is not None and not getattr(dbapi, "in_transaction", True):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def lock_key(name: str) -> int:
    """A signed 64-bit advisory-lock key for a name (the first 8 bytes of its sha256)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextmanager
def reading(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session to read with (nothing it changes is written).

    Inside a request's unit of work: the request's session, which sees what the request wrote.
    """
    unit = current_unit(factory)
    if unit is None:
        with factory() as session:
            yield session
        return
    outermost = not unit.in_block
    with unit.block(unit.session()) as session:
        if not outermost:  # inside a write block: its pending rows must be seen (autoflush)
            yield session
            return
        with session.no_autoflush:  # a row changed while reading is never flushed
            yield session


def upgrade_database(url: str, revision: str = "head") -> None:
    """Run the Alembic migrations up to `revision` on the database at `url`."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["database_url"] = url
    command.upgrade(cfg, revision)


@cache
def _known_revisions() -> tuple[frozenset[str], frozenset[str]]:
    """(every revision of migrations/, its heads), read once per process."""
    scripts = ScriptDirectory(str(MIGRATIONS_DIR))
    return frozenset(s.revision for s in scripts.walk_revisions()), frozenset(scripts.get_heads())


def _where(engine: Engine) -> str:
    """The database URL as the operator wrote it (no driver suffix), password hidden."""
    url = engine.url.set(drivername=engine.url.get_backend_name())
    return url.render_as_string(hide_password=True)


def _current_revisions(engine: Engine) -> frozenset[str]:
    try:
        with engine.connect() as connection:
            return frozenset(MigrationContext.configure(connection).get_current_heads())
    except DBAPIError as exc:
        where = _where(engine)
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        raise DatabaseNotReadyError(
            f"cannot open the database {where}: {reason}", operator_action=False
        ) from exc


def _schema_state(engine: Engine) -> str:
    """'current', 'behind' (empty or older) or 'ahead' (a revision this release does not know)."""
    current = _current_revisions(engine)
    known, heads = _known_revisions()
    if current == heads:
        return "current"
    if current - known:
        return "ahead"
    return "behind"


def _ahead_error(engine: Engine) -> DatabaseNotReadyError:
    where = _where(engine)
    return DatabaseNotReadyError(
        f"the database {where} was migrated by a newer formservice than this one: "
        "upgrade formservice"
    )


def prepare_schema(engine: Engine) -> None:
    """Make sure the schema is the newest before anything reads it.

    Embedded SQLite: migrate on first use, under an exclusive lock on ``<database>.lock`` so
    that commands and server workers starting together migrate once. PostgreSQL: raise
    `DatabaseNotReadyError` ("run `formservice db upgrade`") unless it is already migrated.
    Connections opened for the check go back to the pool; a forking server disposes of them.
    """
    state = _schema_state(engine)
    if state == "current":
        return
    if state == "ahead":
        raise _ahead_error(engine)
    if engine.dialect.name != "sqlite":
        where = _where(engine)
        raise DatabaseNotReadyError(
            f"the database {where} has no formservice schema or an older one: "
            "run `formservice db upgrade`"
        )
    path = engine.url.database
    url = engine.url.render_as_string(hide_password=False)
    if not path or path == ":memory:":
        upgrade_database(url)
        return
    with _file_lock(Path(path).with_name(Path(path).name + ".lock")):
        state = _schema_state(engine)  # another process may have migrated while we waited
        if state == "ahead":
            raise _ahead_error(engine)
        if state == "behind":
            log.info("migrating the embedded database %s", path)
            upgrade_database(url)


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive advisory lock on `path`, held for the block (released if the process dies)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
