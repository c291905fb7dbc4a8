"""The audit trail's rows: add one, read them back with filters, verify the hash chain.

The table only ever grows: the database refuses UPDATE, DELETE, TRUNCATE (PostgreSQL) and an
insert over a taken id (SQLite's INSERT OR REPLACE); migrations 0003 and 0007. Each row is also
chained to the one before it: `row_hash` = sha256 of the canonical JSON of its fields and
`prev_hash` (the previous row's `row_hash`, 64 zeros for the first), so whoever gets around the
triggers (a superuser, a copy of the SQLite file) leaves a broken link that `verify_chain` names.
Appending reads the last hash and inserts under one lock, so concurrent writers never fork it.

The after-request hook that decides what a request did lives with the faces (`formservice.audit`);
this module only writes, reads and verifies rows.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.orm import Session

from formservice.model import Principal
from formservice.store.db import hold_write_lock
from formservice.store.models import AuditEvent, DenialRow, DocumentRow, utcnow
from formservice.store.unit_of_work import unit_of

__all__ = [
    "GENESIS_HASH",
    "ChainReport",
    "case_of",
    "event_json",
    "list_events",
    "record_event",
    "row_hash",
    "verify_chain",
]


# Built once: the statement's values come as parameters, so each event costs no SQL construction.
_INSERT = insert(AuditEvent)
_LAST_HASH = select(AuditEvent.row_hash).order_by(AuditEvent.id.desc()).limit(1)
# The prev_hash of the first row.
GENESIS_HASH = "0" * 64
# The fields a row's hash covers (every column but the id and the hashes themselves). Migration
# 0007 holds a frozen copy of this list and of `row_hash`: change neither.
HASHED_FIELDS = (
    "at",
    "actor",
    "actor_id",
    "role",
    "action",
    "method",
    "path",
    "status",
    "case_id",
    "document_id",
    "denial_id",
    "external_id",
    "remote_addr",
)
# Any constant of PostgreSQL's advisory-lock key space, taken by every audit writer only.
_CHAIN_LOCK = 0x617564_6974  # "audit"


def row_hash(values: Mapping[str, Any], prev_hash: str) -> str:
    """sha256 (64 hex digits) of one row's `HASHED_FIELDS` and the previous row's hash.

    Canonical JSON: keys sorted, no spaces, UTF-8; `at` as ISO 8601 in UTC with microseconds
    (the precision both databases keep), so a row hashes the same when read back.
    """
    fields = {name: values.get(name) for name in HASHED_FIELDS}
    at: datetime | str = values["at"]
    fields["at"] = _utc(at).isoformat(timespec="microseconds")
    fields["prev_hash"] = prev_hash
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _lock_chain(conn: Connection) -> None:
    """Hold the chain's lock until the caller's transaction ends: each writer then reads the
    committed last row before it appends (`store.db.hold_write_lock`)."""
    hold_write_lock(conn, _CHAIN_LOCK)


def record_event(
    session: Session | Connection,
    *,
    actor: str,
    action: str,
    principal: Principal | None = None,
    method: str | None = None,
    path: str | None = None,
    status: int | None = None,
    case_id: str | None = None,
    document_id: str | None = None,
    denial_id: str | None = None,
    remote_addr: str | None = None,
    external_id: str | None = None,
) -> None:
    """Add one audit row, chained to the last one (the caller's transaction commits it).

    One INSERT statement, no ORM object: every audited request pays for this write, plus the
    chain's lock and one indexed read of the last hash. Given the session of a request's unit
    of work, the row is added just before the request commits (`UnitOfWork.before_commit`);
    its time is the call's.
    """
    values: dict[str, Any] = {
        "at": utcnow(),
        "actor": actor[:260],
        "actor_id": principal.id if principal else None,
        "role": principal.role if principal else None,
        "action": action,
        "method": method,
        "path": (path or "")[:500] or None,
        "status": status,
        "case_id": case_id,
        "document_id": document_id,
        "denial_id": denial_id,
        "remote_addr": remote_addr,
        "external_id": (external_id or "")[:80] or None,
    }
    unit = unit_of(session) if isinstance(session, Session) else None
    if unit is not None:
        # In a request: appended just before it commits (the chain's lock taken last).
        unit.before_commit(lambda request_session: _append(request_session.connection(), values))
        return
    _append(session.connection() if isinstance(session, Session) else session, values)


def _append(conn: Connection, values: dict[str, Any]) -> None:
    """Insert one row, chained to the last one, under the chain's lock."""
    _lock_chain(conn)
    previous = conn.execute(_LAST_HASH).scalar() or GENESIS_HASH
    values["prev_hash"] = previous
    values["row_hash"] = row_hash(values, previous)
    conn.execute(_INSERT, values)


def list_events(
    session: Session,
    *,
    actor: str | None = None,
    action: str | None = None,
    case_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
) -> list[AuditEvent]:
    """Audit rows matching every given filter, newest first."""
    query = select(AuditEvent)
    if actor:
        query = query.where(AuditEvent.actor == actor)
    if action:
        query = query.where(AuditEvent.action == action)
    if case_id:
        query = query.where(AuditEvent.case_id == case_id)
    if since:
        query = query.where(AuditEvent.at >= _utc(since))
    if until:
        query = query.where(AuditEvent.at < _utc(until))
    query = query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)
    return list(session.scalars(query))


def _utc(moment: datetime | str) -> datetime:
    # Rows are written in UTC; SQLite keeps no offset, so compare in UTC on every database.
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def case_of(
    session: Session | Connection, document_id: str | None, denial_id: str | None
) -> str | None:
    """The case a document or denial belongs to (so one filter reads a case's trail)."""
    # A row names its case too, so the trail of one case can be read with one filter.
    if document_id:
        return session.scalar(select(DocumentRow.case_id).where(DocumentRow.id == document_id))
    if denial_id:
        return session.scalar(select(DenialRow.case_id).where(DenialRow.id == denial_id))
    return None


def event_json(event: AuditEvent) -> dict[str, Any]:
    """An audit row as the API and the audit page show it."""
    return {
        "id": event.id,
        "at": _utc(event.at),
        "actor": event.actor,
        "role": event.role,
        "action": event.action,
        "method": event.method,
        "path": event.path,
        "status": event.status,
        "case_id": event.case_id,
        "document_id": event.document_id,
        "denial_id": event.denial_id,
        "remote_addr": event.remote_addr,
        "external_id": event.external_id,
        "row_hash": event.row_hash,
    }


@dataclass(frozen=True)
class ChainReport:
    """The result of walking the chain: rows read, and the first broken row if any."""

    rows: int
    last_id: int | None
    head: str  # the last row's hash (GENESIS_HASH when the trail is empty)
    broken_id: int | None = None
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_id is None


_BATCH = 1000


def verify_chain(session: Session, *, head: str | None = None) -> ChainReport:
    """Recompute every row's hash in id order; stop at the first row that does not link.

    A row breaks the chain when its `prev_hash` is not the previous row's `row_hash` (a row
    before it was removed, or it was slipped in), or its `row_hash` is not the hash of its own
    fields (it was changed). Removing the newest rows leaves no trace in the chain itself: keep
    the reported `head` somewhere else and pass it back as `head`, which the chain must hold.
    Reads a batch of rows at a time.
    """
    previous, count, last_id = GENESIS_HASH, 0, None
    seen_head = head is None or head == GENESIS_HASH
    columns = [AuditEvent.id, AuditEvent.prev_hash, AuditEvent.row_hash] + [
        getattr(AuditEvent, name) for name in HASHED_FIELDS
    ]
    while True:
        query = select(*columns).order_by(AuditEvent.id).limit(_BATCH)
        if last_id is not None:
            query = query.where(AuditEvent.id > last_id)
        batch = session.execute(query).mappings().all()
        if not batch:
            if not seen_head:
                reason = "the recorded head is not in the chain (the newest rows were removed)"
                return ChainReport(count, last_id, previous, broken_id=last_id, reason=reason)
            return ChainReport(rows=count, last_id=last_id, head=previous)
        for row in batch:
            if row["prev_hash"] != previous:
                reason = (
                    "it does not follow the row before it (a row was removed or slipped in)"
                    if row["prev_hash"]
                    else "it has no hash (written around the application)"
                )
                return ChainReport(count, last_id, previous, broken_id=row["id"], reason=reason)
            expected = row_hash(dict(row), previous)
            if row["row_hash"] != expected:
                reason = "its fields do not match its hash (it was changed)"
                return ChainReport(count, last_id, previous, broken_id=row["id"], reason=reason)
            previous, count, last_id = expected, count + 1, row["id"]
            seen_head = seen_head or expected == head
