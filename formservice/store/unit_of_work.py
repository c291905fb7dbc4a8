"""One database transaction per HTTP request: its changes and its audit row commit together.

Why: an audit row written in a transaction of its own can be lost after the change it records
has committed (the process dies between the two, the database refuses the insert), and a change
nobody can account for is what an audit trail exists to rule out (HIPAA Security Rule, audit
controls: 45 CFR 164.312(b)). Here the request's writes and its audit row are one COMMIT: both
or neither. It also spends one connection and one transaction per request, not one per step.

How: a face opens a unit of work when a request starts (`open_unit_of_work`) and commits it after
the audit row is added (`formservice.audit`); `close_unit_of_work` ends it in every case. While
one is open in this thread (a context variable, so threads and tasks never share it):

* `store.db.transaction(factory)` joins the request's session under a SAVEPOINT: a block that
  raises is undone alone, exactly as its own transaction was before; a block that ends is kept
  until the request commits;
* `store.db.reading(factory)` gives the request's session, which sees the request's own writes;
* every block ends with the session emptied (`expunge_all`), so rows leave a block detached, as
  they did when each block had a session of its own: a row changed outside a `transaction`
  block is never written;
* audit rows (the request's own, and any a step records) are added last, just before the
  COMMIT (`UnitOfWork.before_commit`): the audit chain's lock is then never held while the
  request waits for another row, so two requests cannot deadlock on it (PostgreSQL);
* `on_commit(factory, fn)` runs `fn` once the request has committed (queue sends, cache clears),
  so a worker is never handed work it cannot see yet. A callback that fails is logged; work it
  was to queue stays in the database as pending, and the reaper queues it
  (`usecases.recovery`).

Outside a request (the CLI, queue workers) each block is its own transaction, as before.

SQLite: the driver starts a transaction only at the first INSERT/UPDATE, so a SAVEPOINT taken
before that would itself be the outermost transaction and its RELEASE would commit. The first
write block of a request therefore begins the transaction IMMEDIATE; the database's write lock
is then held until the request ends, and other writers wait for it (`busy_timeout`, 30 s). So a
request writes after its slow work, never before it (the appeal packet renders, then records the
acknowledgement; the shipped templates are checked by a read before any write).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

__all__ = [
    "UnitOfWork",
    "close_unit_of_work",
    "current_unit",
    "on_commit",
    "open_unit_of_work",
    "unit_of",
]

log = logging.getLogger(__name__)


@dataclass
class UnitOfWork:
    """The request's session (opened on first use) and what to run once it has committed."""

    factory: sessionmaker[Session]
    _session: Session | None = None
    _after_commit: list[Callable[[], object]] = field(default_factory=list)
    _before_commit: list[Callable[[Session], object]] = field(default_factory=list)
    _depth: int = 0  # blocks open now (a block may call code that opens another)

    @property
    def used(self) -> bool:
        """Whether anything opened the session (a request with no database work has none)."""
        return self._session is not None

    def session(self) -> Session:
        """The request's session, opened on first use."""
        if self._session is None:
            self._session = self.factory()
        return self._session

    def writing(self) -> Session:
        """The request's session with its transaction begun for writing (SQLite: IMMEDIATE)."""
        session = self.session()
        connection = session.connection()
        if connection.dialect.name == "sqlite":
            dbapi = connection.connection.dbapi_connection
            if dbapi is not None and not getattr(dbapi, "in_transaction", True):
                connection.exec_driver_sql("BEGIN IMMEDIATE")
        return session

    @property
    def in_block(self) -> bool:
        return self._depth > 0

    @contextmanager
    def block(self, session: Session) -> Iterator[Session]:
        """One `transaction` or `reading` block; the outermost one empties the session as it
        ends, so its rows leave detached, as from a session of their own."""
        self._depth += 1
        try:
            yield session
        finally:
            self._depth -= 1
            if self._depth == 0:
                session.expunge_all()

    def on_commit(self, fn: Callable[[], object]) -> None:
        self._after_commit.append(fn)

    def before_commit(self, fn: Callable[[Session], object]) -> None:
        """Run `fn(session)` in the request's transaction just before it commits, in order.

        Why: the audit rows (`store.audit.record_event`) take the audit chain's lock, held to
        the end of the transaction; taken mid-request, a request holding it could wait for a row
        another request holds while that one waits for the chain: a deadlock. Taken last, after
        every row lock the request needs, it cannot be part of a cycle.
        """
        self._before_commit.append(fn)

    def commit(self) -> None:
        """COMMIT what the request wrote, then run the on-commit callbacks in order.

        Raises what the database raised at COMMIT (nothing is then kept, no callback runs).
        A callback's own failure is logged, not raised: the data is committed by then. The
        callbacks run outside the unit: what they read or write is a transaction of its own.
        """
        last, self._before_commit = self._before_commit, []
        if last:
            session = self.writing()
            for write in last:
                write(session)
        if self._session is not None:
            self._session.commit()
        callbacks, self._after_commit = self._after_commit, []
        outside = _CURRENT.set(None)
        try:
            for fn in callbacks:
                try:
                    fn()
                except Exception as exc:
                    # The type only: a message may quote patient data.
                    log.error(
                        "after the request committed, %s failed (%s); pending work is queued "
                        "again by the reaper",
                        getattr(fn, "__qualname__", "a callback"),
                        type(exc).__name__,
                    )
        finally:
            _CURRENT.reset(outside)

    def rollback(self) -> None:
        """Undo everything the request wrote; the on-commit callbacks are dropped."""
        self._after_commit.clear()
        self._before_commit.clear()
        if self._session is not None:
            self._session.rollback()

    def close(self) -> None:
        """Give the connection back (rolling back whatever was not committed)."""
        self._after_commit.clear()
        self._before_commit.clear()
        session, self._session = self._session, None
        if session is not None:
            session.close()


_CURRENT: ContextVar[UnitOfWork | None] = ContextVar("formservice_unit_of_work", default=None)


def open_unit_of_work(factory: sessionmaker[Session]) -> Token[UnitOfWork | None]:
    """Start the request's unit of work in this thread; give the token to `close_unit_of_work`."""
    return _CURRENT.set(UnitOfWork(factory))


def close_unit_of_work(token: Token[UnitOfWork | None]) -> None:
    """End the unit of work `token` opened (what was not committed is rolled back)."""
    unit = _CURRENT.get()
    try:
        if unit is not None:
            unit.close()
    finally:
        _CURRENT.reset(token)


def current_unit(factory: sessionmaker[Session]) -> UnitOfWork | None:
    """The open unit of work on `factory`'s database, or None (outside a request)."""
    unit = _CURRENT.get()
    return unit if unit is not None and unit.factory is factory else None


def unit_of(session: Session) -> UnitOfWork | None:
    """The open unit of work whose session `session` is, or None."""
    unit = _CURRENT.get()
    return unit if unit is not None and unit._session is session else None


def on_commit(factory: sessionmaker[Session], fn: Callable[[], object]) -> None:
    """Run `fn` once the current request has committed; at once outside a request (the caller's
    own transaction has committed by then)."""
    unit = current_unit(factory)
    if unit is None:
        fn()
    else:
        unit.on_commit(fn)
