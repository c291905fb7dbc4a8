"""The audit trail as hub administrators read it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from formservice.errors import ValidationProblem
from formservice.schemas.common import BAD_CHARACTER_MESSAGE, bad_characters, is_id
from formservice.store.audit import ChainReport, event_json, list_events, verify_chain
from formservice.store.db import reading
from formservice.usecases.services import Services

__all__ = ["read_audit", "verify_audit"]


def read_audit(
    services: Services,
    *,
    actor: str | None = None,
    action: str | None = None,
    case_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Audit events, newest first, matching every filter given (a 422 names a bad filter)."""
    errors: dict[str, list[str]] = {}
    for name, value in (("actor", actor), ("action", action)):
        if value is not None and bad_characters(value):
            errors[name] = [BAD_CHARACTER_MESSAGE]
    if case_id is not None and not is_id(case_id):
        errors["case_id"] = ["Not an id (32 lower-case hex digits)."]
    if errors:
        raise ValidationProblem(f"invalid filter(s): {', '.join(sorted(errors))}", errors=errors)
    with reading(services.sessions) as session:
        events = list_events(
            session,
            actor=actor,
            action=action,
            case_id=case_id,
            since=since,
            until=until,
            limit=limit,
        )
        return [event_json(e) for e in events]


def verify_audit(services: Services, *, head: str | None = None) -> ChainReport:
    """Walk the audit trail's hash chain and report the first broken row (store.audit).

    `head`: a `row_hash` recorded earlier (64 lower-case hex digits, else a 422); the chain must
    still hold it, which catches the newest rows being removed, the one change a chain alone
    cannot show.
    """
    if head is not None and (len(head) != 64 or any(c not in "0123456789abcdef" for c in head)):
        raise ValidationProblem(
            "invalid head", errors={"head": ["Not a row hash (64 lower-case hex digits)."]}
        )
    with reading(services.sessions) as session:
        return verify_chain(session, head=head)
