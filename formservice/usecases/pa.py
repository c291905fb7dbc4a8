"""Prior-authorization tracking: record a step (allowed moves only) and re-date what is next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from formservice import model
from formservice.errors import ValidationProblem
from formservice.model import Principal
from formservice.reimbursement import pa_tracking
from formservice.store import access
from formservice.store.db import reading, transaction
from formservice.store.models import CaseRow
from formservice.store.pa import last_step_value, refresh_next_due
from formservice.usecases.services import Services

__all__ = ["PaStep", "pa_state", "read_pa", "record_pa_step"]


@dataclass(frozen=True)
class PaStep:
    """One PA step as a person or the portal reports it."""

    status: str
    on: date | None = None  # default: today
    number: str | None = None
    note: str | None = None
    form: str | None = None  # the payer form sent (a `submitted` step): the packet encloses it


def pa_state(row: CaseRow) -> dict[str, Any]:
    """The PA as the faces show it: status, allowed moves, number, steps, next due date."""
    history = list(row.pa_history or [])
    return {
        "case_id": row.id,
        "status": row.pa_status,
        "allowed": list(pa_tracking.allowed_transitions(row.pa_status)),
        "number": last_step_value(history, tuple(model.PA_STATUSES), "number")
        or (row.payload.get("prior_authorization") or {}).get("number"),
        "history": history,
        "next_due": row.next_due,
        "next_due_reason": row.next_due_reason,
    }


def read_pa(services: Services, principal: Principal, case_id: str) -> dict[str, Any]:
    """The PA state of a case the caller may see."""
    with reading(services.sessions) as session:
        return pa_state(access.get_case(session, principal, case_id))


def record_pa_step(
    services: Services, principal: Principal, case_id: str, step: PaStep
) -> dict[str, Any]:
    """Record a PA step; 409 (naming the allowed moves) for a move the machine refuses.

    Steps are dated, never in the future and never before the previous step; the next due date
    (follow-up or appeal deadline) is recomputed from the new status.
    """
    today = services.today()
    on = step.on or today
    if on > today:
        raise ValidationProblem(
            "A PA step cannot be dated in the future.",
            errors={"on": ["Must not be in the future."]},
        )
    with transaction(services.sessions) as session:
        row = access.get_case(session, principal, case_id)
        pa_tracking.transition(row.pa_status, step.status)
        history = list(row.pa_history or [])
        if history and on.isoformat() < history[-1]["on"]:
            raise ValidationProblem(
                "PA steps are recorded in date order.",
                errors={"on": [f"Must be on or after the previous step ({history[-1]['on']})."]},
            )
        entry = {"status": step.status, "on": on.isoformat(), "number": step.number}
        entry["note"] = step.note
        if step.form:
            entry["form"] = step.form
        history.append(entry)
        row.pa_history = history  # a new list, so the JSON column is written
        row.pa_status = step.status
        refresh_next_due(session, row)
        return pa_state(row)
