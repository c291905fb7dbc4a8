"""Prior-authorization tracking: record each step, allow only the machine's moves, date the next.

The case payload stays as the portal sent it (it is the idempotency key of ``POST /cases``); the
PA's life is kept on the case row (``pa_status``, ``pa_history``, ``next_due``) and laid over the
payload's ``prior_authorization`` when documents and checklists read the case (`tracked_case`).
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from formservice.api.common import AUTH, principal, services
from formservice.schemas.pa import PaStateSchema, PaUpdateSchema
from formservice.usecases.pa import PaStep, read_pa, record_pa_step

__all__ = ["blp"]

blp = Blueprint(
    "prior_authorization",
    __name__,
    url_prefix="/cases",
    description="Prior-authorization tracking",
)


@blp.route("/<id:case_id>/prior-authorization")
class PriorAuthorization(MethodView):
    @blp.doc(security=AUTH)
    @blp.response(200, PaStateSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, case_id: str) -> dict[str, Any]:
        """The case's PA status, the statuses it may move to, its steps and next due date."""
        return read_pa(services(), principal(), case_id)

    @blp.doc(security=AUTH)
    @blp.arguments(PaUpdateSchema())
    @blp.response(200, PaStateSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(
        409, response="CONFLICT", description="Not an allowed move; `allowed` lists them"
    )
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def post(self, step: dict[str, Any], case_id: str) -> dict[str, Any]:
        """Record a PA step (allowed moves only) and recompute the follow-up due date."""
        return record_pa_step(
            services(),
            principal(),
            case_id,
            PaStep(
                status=step["status"],
                on=step["on"],
                number=step["number"],
                note=step["note"],
                form=step["form"],
            ),
        )
