"""A case's prior authorization as tracked on its row, laid over the payload it arrived with.

The case payload stays as the portal sent it (it is the idempotency key of ``POST /cases``); the
PA's life is kept on the case row (``pa_status``, ``pa_history``, ``next_due``) and laid over the
payload's ``prior_authorization`` when documents and checklists read the case (`tracked_case`).
The next due date itself is computed by `formservice.reimbursement.due`; this module only gathers
what it needs from the rows and writes the answer back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from formservice import model
from formservice.model import Benefits
from formservice.reimbursement import due
from formservice.reimbursement.benefits import payer_facts
from formservice.store.cases import case_model
from formservice.store.models import CaseRow, DenialRow

_DECIDED = ("approved", "denied", "appeal_approved", "appeal_denied", "not_required")
_REQUIRED = ("required", "submitted", "pending", "approved", "denied", "appeal_submitted",
             "appeal_approved", "appeal_denied")  # fmt: skip


def last_step_value(history: list[dict[str, Any]], statuses: tuple[str, ...], key: str) -> Any:
    """The newest value of `key` among the steps whose status is one of `statuses`."""
    for step in reversed(history):
        if step.get("status") in statuses and step.get(key):
            return step[key]
    return None


def tracked_case(row: CaseRow, *, load: Callable[[CaseRow], model.Case] = case_model) -> model.Case:
    """The stored case with its PA as tracked (status, number, submitted and decided dates)."""
    case = load(row)
    history = list(row.pa_history or [])
    if not history and row.pa_status == case.prior_authorization.status:
        return case
    pa = case.prior_authorization
    number = last_step_value(history, tuple(model.PA_STATUSES), "number") or pa.number
    submitted = last_step_value(history, ("submitted",), "on")
    decided = last_step_value(history, _DECIDED, "on")
    required = pa.required
    if row.pa_status == "not_required":
        required = False
    elif row.pa_status in _REQUIRED:
        required = True
    tracked = dataclasses.replace(
        pa,
        status=row.pa_status,
        number=number,
        required=required,
        submitted_on=date.fromisoformat(submitted) if submitted else pa.submitted_on,
        decided_on=date.fromisoformat(decided) if decided else pa.decided_on,
    )
    return dataclasses.replace(case, prior_authorization=tracked)


def latest_letter_deadline(session: Session, case_id: str) -> date | None:
    """The appeal deadline of the latest denial letter attached to a case, if it states one."""
    return session.scalars(
        select(DenialRow.appeal_deadline)
        .where(DenialRow.case_id == case_id, DenialRow.appeal_deadline.is_not(None))
        .order_by(DenialRow.created_at.desc())
    ).first()


def refresh_next_due(session: Session, row: CaseRow) -> None:
    """Set the row's next due date, reason and kind (`reimbursement.due`) from what is stored."""
    history = list(row.pa_history or [])
    case = tracked_case(row)
    pa = case.prior_authorization
    # The date of the current status: its recorded step, else what the portal sent.
    on = date.fromisoformat(history[-1]["on"]) if history else pa.decided_on or pa.submitted_on
    payer = case.coverage.payer
    benefits = Benefits.from_json(row.benefits) if row.benefits else None
    found = due.next_due(
        row.pa_status,
        on,
        plan_type=payer.plan_type if payer else None,
        turnaround_days=payer_facts(case, benefits).turnaround_days,
        letter_deadline=latest_letter_deadline(session, row.id),
    )
    row.next_due, row.next_due_reason, row.next_due_kind = found.due, found.reason, found.kind
