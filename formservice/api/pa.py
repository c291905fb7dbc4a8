"""Prior-authorization tracking: record each step, allow only the machine's moves, date the next.

The case payload stays as the portal sent it (it is the idempotency key of ``POST /cases``); the
PA's life is kept on the case row (``pa_status``, ``pa_history``, ``next_due``) and laid over the
payload's ``prior_authorization`` when documents and checklists read the case (`tracked_case`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from formservice import model
from formservice.api.common import AUTH, principal, services
from formservice.errors import ConflictError, ValidationProblem
from formservice.reimbursement import pa_tracking
from formservice.schemas.pa import PaStateSchema, PaUpdateSchema
from formservice.store import access
from formservice.store.db import transaction
from formservice.store.models import CaseRow
from formservice.store.pa import last_step_value, refresh_next_due, tracked_case

__all__ = ["blp", "pa_state", "refresh_next_due", "tracked_case"]

blp = Blueprint(
    "prior_authorization",
    __name__,
    url_prefix="/cases",
    description="Prior-authorization tracking",
)


def pa_state(row: CaseRow) -> dict[str, Any]:
    """The PA as the API shows it."""
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
