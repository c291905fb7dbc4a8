"""Leases on background work: who holds a regeneration item or a letter being read, and until when.

A queue takes a task out of the broker when a worker starts it, so a worker killed mid-task
(SIGKILL, out of memory, a lost host) takes the task with it. The rows themselves therefore say
who works on them: a worker *claims* a row (`lease_owner`, `leased_until`, `attempts` + 1) in one
conditional UPDATE, renews its leases while it lives, and clears them when it writes the outcome.
A row whose lease has expired was held by a worker that died: `reap_*` hands it back to the queue,
or marks it failed with the reason once it has been claimed `max_attempts` times (a letter that
kills its worker every time must not kill every worker forever).

Every UPDATE carries its own condition and RETURNING, so two workers claiming, or two reapers
reaping, the same row at once never both win (PostgreSQL re-checks the condition on the locked
row; SQLite runs one writer at a time).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, exists, func, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from formservice.store.db import reading, transaction
from formservice.store.models import DenialRow, RegenerationItem, RegenerationRun

__all__ = [
    "Reaped",
    "claim_denial",
    "claim_items",
    "leased_count",
    "reap_denials",
    "reap_items",
    "release",
    "renew_leases",
    "unfinished_runs",
]


@dataclass
class Reaped:
    """What one pass of the reaper found: ids to queue again, and what it marked failed."""

    item_ids: list[str] = field(default_factory=list)
    failed_items: int = 0
    run_ids: set[str] = field(default_factory=set)
    denial_ids: list[str] = field(default_factory=list)
    failed_denials: int = 0


def _now() -> datetime:
    return datetime.now(UTC)


def _free(column: InstrumentedAttribute[datetime | None], now: datetime) -> ColumnElement[bool]:
    """No lease, or one that has expired."""
    return or_(column.is_(None), column < now)


def claim_items(
    sessions: sessionmaker[Session], item_ids: list[str], *, owner: str, lease_seconds: float
) -> list[str]:
    """Lease the pending, unleased items among `item_ids` to `owner`; the ids it got.

    Items done, or held by a live worker (a task queued twice), are left alone.
    """
    if not item_ids:
        return []
    now = _now()
    with transaction(sessions) as session:
        got = session.scalars(
            update(RegenerationItem)
            .where(
                RegenerationItem.id.in_(item_ids),
                RegenerationItem.status == "pending",
                _free(RegenerationItem.leased_until, now),
            )
            .values(
                lease_owner=owner,
                leased_until=now + timedelta(seconds=lease_seconds),
                attempts=RegenerationItem.attempts + 1,
            )
            .returning(RegenerationItem.id)
            .execution_options(synchronize_session=False)
        ).all()
    return list(got)


def claim_denial(
    sessions: sessionmaker[Session], denial_id: str, *, owner: str, lease_seconds: float
) -> bool:
    """Lease a letter waiting to be read (`processing`, unleased) to `owner`; True if it got it."""
    now = _now()
    with transaction(sessions) as session:
        got = session.scalars(
            update(DenialRow)
            .where(
                DenialRow.id == denial_id,
                DenialRow.status == "processing",
                _free(DenialRow.leased_until, now),
            )
            .values(
                lease_owner=owner,
                leased_until=now + timedelta(seconds=lease_seconds),
                attempts=DenialRow.attempts + 1,
            )
            .returning(DenialRow.id)
            .execution_options(synchronize_session=False)
        ).all()
    return bool(got)


def renew_leases(sessions: sessionmaker[Session], *, owner: str, lease_seconds: float) -> int:
    """Extend every lease `owner` still holds (a worker's heartbeat); how many rows."""
    until = _now() + timedelta(seconds=lease_seconds)
    with transaction(sessions) as session:
        items = session.execute(
            update(RegenerationItem)
            .where(RegenerationItem.lease_owner == owner, RegenerationItem.status == "pending")
            .values(leased_until=until)
            .execution_options(synchronize_session=False)
        )
        denials = session.execute(
            update(DenialRow)
            .where(DenialRow.lease_owner == owner, DenialRow.status == "processing")
            .values(leased_until=until)
            .execution_options(synchronize_session=False)
        )
        return int(items.rowcount or 0) + int(denials.rowcount or 0)  # type: ignore[attr-defined]


def release(
    sessions: sessionmaker[Session],
    *,
    owner: str,
    item_ids: list[str] | None = None,
    denial_id: str | None = None,
) -> None:
    """Give up leases `owner` holds after an error: expired at once, so the reaper queues the
    work again (the attempt counts) instead of a live worker renewing a lease on work it dropped.
    """
    now = _now()
    with transaction(sessions) as session:
        if item_ids:
            session.execute(
                update(RegenerationItem)
                .where(
                    RegenerationItem.id.in_(item_ids),
                    RegenerationItem.lease_owner == owner,
                    RegenerationItem.status == "pending",
                )
                .values(lease_owner=None, leased_until=now)
                .execution_options(synchronize_session=False)
            )
        if denial_id:
            session.execute(
                update(DenialRow)
                .where(
                    DenialRow.id == denial_id,
                    DenialRow.lease_owner == owner,
                    DenialRow.status == "processing",
                )
                .values(lease_owner=None, leased_until=now)
                .execution_options(synchronize_session=False)
            )


def _attempts_reason(what: str, attempts: int) -> str:
    return (
        f"{what} was started {attempts} times and never finished (its worker was killed, ran "
        "out of memory, was lost or failed); not tried again"
    )


def reap_items(
    sessions: sessionmaker[Session], *, max_attempts: int, unclaimed_after_seconds: float | None
) -> Reaped:
    """Hand expired regeneration leases back, or fail items claimed `max_attempts` times.

    With `unclaimed_after_seconds` (the caller saw the queue empty), pending items nobody ever
    claimed, of runs older than that, are returned too: their task was lost before its claim.
    """
    now = _now()
    out = Reaped()
    with transaction(sessions) as session:
        failed = session.execute(
            update(RegenerationItem)
            .where(
                RegenerationItem.status == "pending",
                RegenerationItem.leased_until < now,
                RegenerationItem.attempts >= max_attempts,
            )
            .values(
                status="failed",
                error=_attempts_reason("rendering this document", max_attempts),
                lease_owner=None,
                leased_until=None,
            )
            .returning(RegenerationItem.run_id)
            .execution_options(synchronize_session=False)
        ).all()
        out.failed_items = len(failed)
        out.run_ids.update(r for (r,) in failed)
        requeued = session.execute(
            update(RegenerationItem)
            .where(RegenerationItem.status == "pending", RegenerationItem.leased_until < now)
            .values(lease_owner=None, leased_until=None)
            .returning(RegenerationItem.id, RegenerationItem.run_id)
            .execution_options(synchronize_session=False)
        ).all()
        out.item_ids = [i for i, _ in requeued]
        out.run_ids.update(r for _, r in requeued)
        if unclaimed_after_seconds is not None:
            before = now - timedelta(seconds=unclaimed_after_seconds)
            lost = session.execute(
                select(RegenerationItem.id, RegenerationItem.run_id)
                .join(RegenerationRun, RegenerationRun.id == RegenerationItem.run_id)
                .where(
                    RegenerationItem.status == "pending",
                    RegenerationItem.leased_until.is_(None),
                    RegenerationRun.status == "running",
                    RegenerationRun.created_at < before,
                )
            ).all()
            seen = set(out.item_ids)
            out.item_ids += [i for i, _ in lost if i not in seen]
            out.run_ids.update(r for _, r in lost)
    return out


def reap_denials(
    sessions: sessionmaker[Session], *, max_attempts: int, unclaimed_after_seconds: float | None
) -> Reaped:
    """Hand expired reads of letters back, or fail a letter claimed `max_attempts` times.

    With `unclaimed_after_seconds` (the caller saw the queue empty), letters `processing` for
    longer than that that nobody ever claimed are returned too: their task was lost.
    """
    now = _now()
    out = Reaped()
    with transaction(sessions) as session:
        out.failed_denials = len(
            session.execute(
                update(DenialRow)
                .where(
                    DenialRow.status == "processing",
                    DenialRow.leased_until < now,
                    DenialRow.attempts >= max_attempts,
                )
                .values(
                    status="failed",
                    error=_attempts_reason("reading this letter", max_attempts),
                    lease_owner=None,
                    leased_until=None,
                )
                .returning(DenialRow.id)
                .execution_options(synchronize_session=False)
            ).all()
        )
        out.denial_ids = list(
            session.scalars(
                update(DenialRow)
                .where(DenialRow.status == "processing", DenialRow.leased_until < now)
                .values(lease_owner=None, leased_until=None)
                .returning(DenialRow.id)
                .execution_options(synchronize_session=False)
            ).all()
        )
        if unclaimed_after_seconds is not None:
            before = now - timedelta(seconds=unclaimed_after_seconds)
            lost = session.scalars(
                select(DenialRow.id).where(
                    DenialRow.status == "processing",
                    DenialRow.leased_until.is_(None),
                    DenialRow.created_at < before,
                )
            ).all()
            out.denial_ids += [i for i in lost if i not in set(out.denial_ids)]
    return out


def unfinished_runs(sessions: sessionmaker[Session]) -> list[str]:
    """Runs still `running` with nothing pending (their last worker died before finishing them)."""
    pending = exists().where(
        RegenerationItem.run_id == RegenerationRun.id, RegenerationItem.status == "pending"
    )
    with reading(sessions) as session:
        return list(
            session.scalars(
                select(RegenerationRun.id).where(RegenerationRun.status == "running", ~pending)
            )
        )


def leased_count(sessions: sessionmaker[Session]) -> int:
    """Rows held by a worker right now (regeneration items and letters)."""
    now = _now()
    with reading(sessions) as session:
        items = session.scalar(
            select(func.count()).where(
                RegenerationItem.status == "pending", RegenerationItem.leased_until >= now
            )
        )
        denials = session.scalar(
            select(func.count()).where(
                DenialRow.status == "processing", DenialRow.leased_until >= now
            )
        )
    return int(items or 0) + int(denials or 0)
