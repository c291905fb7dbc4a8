"""A case's prior authorization as tracked on its row, laid over the payload it arrived with.

The case payload stays as the portal sent it (it is the idempotency key of ``POST /cases``); the
PA's life is kept on the case row (``pa_status``, ``pa_history``, ``next_due``) and laid over the
payload's ``prior_authorization`` when documents and checklists read the case (`tracked_case`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from formservice import model
from formservice.reimbursement import pa_tracking
from formservice.reimbursement.benefits import payer_facts
from formservice.store.cases import case_model
from formservice.store.models import CaseRow, DenialRow

_DECIDED = ("approved", "denied", "appeal_approved", "appeal_denied", "not_required")
_REQUIRED = ("required", "submitted", "pending", "approved", "denied", "appeal_submitted",
             "appeal_approved", "appeal_denied")  # fmt: skip
# Appeal-window rules are keyed by these names in reimbursement/data/appeal_deadlines.yaml.
_PLAN_RULE_NAMES = {"medicaid": "medicaid_managed_care"}


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


def _appeal_deadline(
    session: Session, row: CaseRow, case: model.Case, on: date
) -> tuple[date | None, str]:
    """The appeal deadline of a denied PA: the denial letter's, else the plan type's rule."""
    stated = session.scalars(
        select(DenialRow.appeal_deadline)
        .where(DenialRow.case_id == row.id, DenialRow.appeal_deadline.is_not(None))
        .order_by(DenialRow.created_at.desc())
    ).first()
    if stated is not None:
        return stated, "denial letter on file"
    plan = case.coverage.payer.plan_type if case.coverage.payer else None
    if plan:
        from formservice.denials.taxonomy import deadline_rule

        rule = deadline_rule(_PLAN_RULE_NAMES.get(plan, plan), on)
        if rule is not None:
            due = on + timedelta(days=rule.receipt_presumption_days + rule.days)
            return due, f"{rule.label}: {rule.days} days ({rule.source})"
    return None, ""


def refresh_next_due(session: Session, row: CaseRow) -> None:
    """Set the row's next_due and next_due_reason from its PA status and latest step."""
    history = list(row.pa_history or [])
    case = tracked_case(row)
    pa = case.prior_authorization
    # The date of the current status: its recorded step, else what the portal sent.
    on = date.fromisoformat(history[-1]["on"]) if history else pa.decided_on or pa.submitted_on
    if on is None:
        row.next_due, row.next_due_reason = None, None
        return
    deadline, basis = None, ""
    if row.pa_status == "denied":
        deadline, basis = _appeal_deadline(session, row, case, on)
        if deadline is None:
            row.next_due = on
            row.next_due_reason = (
                f"PA denied on {on.isoformat()}: attach the denial letter to learn the appeal "
                "deadline"
            )
            return
    turnaround = payer_facts(case, row.benefits).turnaround_days
    item = pa_tracking.next_due_date(
        row.pa_status, on, turnaround_days=turnaround, appeal_deadline=deadline
    )
    row.next_due = item.due if item else None
    reason = item.reason if item else None
    if reason and basis:
        reason = f"{reason} ({basis})"
    row.next_due_reason = reason[:200] if reason else None
