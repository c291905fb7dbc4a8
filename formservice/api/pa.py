"""Prior-authorization tracking: record each step, allow only the machine's moves, date the next.

The case payload stays as the portal sent it (it is the idempotency key of ``POST /cases``); the
PA's life is kept on the case row (``pa_status``, ``pa_history``, ``next_due``) and laid over the
payload's ``prior_authorization`` when documents and checklists read the case (`tracked_case`).
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select
from sqlalchemy.orm import Session

from formservice import model
from formservice.api.common import AUTH, principal, services
from formservice.errors import ConflictError, ValidationProblem
from formservice.reimbursement import pa_tracking
from formservice.reimbursement.benefits import payer_facts
from formservice.schemas.pa import PaStateSchema, PaUpdateSchema
from formservice.store import access
from formservice.store.cases import case_model
from formservice.store.db import transaction
from formservice.store.models import CaseRow, DenialRow

blp = Blueprint(
    "prior_authorization",
    __name__,
    url_prefix="/cases",
    description="Prior-authorization tracking",
)

_DECIDED = ("approved", "denied", "appeal_approved", "appeal_denied", "not_required")
_REQUIRED = ("required", "submitted", "pending", "approved", "denied", "appeal_submitted",
             "appeal_approved", "appeal_denied")  # fmt: skip
# Appeal-window rules are keyed by these names in reimbursement/data/appeal_deadlines.yaml.
_PLAN_RULE_NAMES = {"medicaid": "medicaid_managed_care"}


def _last(history: list[dict[str, Any]], statuses: tuple[str, ...], key: str) -> Any:
    for step in reversed(history):
        if step.get("status") in statuses and step.get(key):
            return step[key]
    return None


def tracked_case(row: CaseRow) -> model.Case:
    """The stored case with its PA as tracked (status, number, submitted and decided dates)."""
    case = case_model(row)
    history = list(row.pa_history or [])
    if not history and row.pa_status == case.prior_authorization.status:
        return case
    pa = case.prior_authorization
    number = _last(history, tuple(model.PA_STATUSES), "number") or pa.number
    submitted = _last(history, ("submitted",), "on")
    decided = _last(history, _DECIDED, "on")
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


def pa_state(row: CaseRow) -> dict[str, Any]:
    """The PA as the API shows it."""
    history = list(row.pa_history or [])
    return {
        "case_id": row.id,
        "status": row.pa_status,
        "allowed": list(pa_tracking.allowed_transitions(row.pa_status)),
        "number": _last(history, tuple(model.PA_STATUSES), "number")
        or (row.payload.get("prior_authorization") or {}).get("number"),
        "history": history,
        "next_due": row.next_due,
        "next_due_reason": row.next_due_reason,
    }


@blp.route("/<case_id>/prior-authorization")
class PriorAuthorization(MethodView):
    @blp.doc(security=AUTH)
    @blp.response(200, PaStateSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, case_id: str) -> dict[str, Any]:
        """The case's PA status, the statuses it may move to, its steps and next due date."""
        with services().sessions() as session:
            return pa_state(access.get_case(session, principal(), case_id))

    @blp.doc(security=AUTH)
    @blp.arguments(PaUpdateSchema)
    @blp.response(200, PaStateSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(
        409, response="CONFLICT", description="Not an allowed move; `allowed` lists them"
    )
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def post(self, step: dict[str, Any], case_id: str) -> dict[str, Any]:
        """Record a PA step (allowed moves only) and recompute the follow-up due date."""
        svc = services()
        today = svc.today()
        on: date = step["on"] or today
        if on > today:
            raise ValidationProblem(
                "A PA step cannot be dated in the future.",
                errors={"on": ["Must not be in the future."]},
            )
        with transaction(svc.sessions) as session:
            row = access.get_case(session, principal(), case_id)
            try:
                pa_tracking.transition(row.pa_status, step["status"])
            except pa_tracking.InvalidTransition as exc:
                raise ConflictError(str(exc), allowed=list(exc.allowed)) from exc
            history = list(row.pa_history or [])
            if history and on.isoformat() < history[-1]["on"]:
                raise ValidationProblem(
                    "PA steps are recorded in date order.",
                    errors={
                        "on": [f"Must be on or after the previous step ({history[-1]['on']})."]
                    },
                )
            history.append(
                {
                    "status": step["status"],
                    "on": on.isoformat(),
                    "number": step["number"],
                    "note": step["note"],
                }  # fmt: skip
            )
            row.pa_history = history  # a new list, so the JSON column is written
            row.pa_status = step["status"]
            refresh_next_due(session, row)
            return pa_state(row)
