"""The audit trail's rows: add one, read them back with filters (the table only ever grows).

The after-request hook that decides what a request did lives with the faces (`formservice.audit`);
this module only writes and reads rows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.orm import Session

from formservice.model import Principal
from formservice.store.models import AuditEvent, DenialRow, DocumentRow, utcnow

__all__ = ["case_of", "event_json", "list_events", "record_event"]


# Built once: the statement's values come as parameters, so each event costs no SQL construction.
_INSERT = insert(AuditEvent)


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
) -> None:
    """Add one audit row (the caller's transaction commits it).

    One INSERT statement, no ORM object: every audited request pays for this write.
    """
    session.execute(
        _INSERT,
        {
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
        },
    )


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


def _utc(moment: datetime) -> datetime:
    # Rows are written in UTC; SQLite keeps no offset, so compare in UTC on every database.
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
    }
