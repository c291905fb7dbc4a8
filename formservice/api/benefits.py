"""The benefits investigation of a case: store the payer's answers, read them back."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from formservice.api.common import AUTH, principal, services
from formservice.errors import NotFoundError
from formservice.reimbursement.benefits import estimate_patient_cost, payer_facts
from formservice.schemas.benefits import BenefitsOutSchema, BenefitsSchema
from formservice.store import access
from formservice.store.db import transaction
from formservice.store.models import CaseRow
from formservice.store.pa import refresh_next_due, tracked_case

blp = Blueprint(
    "benefits", __name__, url_prefix="/cases", description="Benefits investigation (BI)"
)


def benefits_out(row: CaseRow) -> dict[str, Any]:
    """A case's stored BI with the cost estimate and payer facts made from it."""
    case = tracked_case(row)
    benefits = row.benefits or {}
    return {
        "case_id": row.id,
        "benefits": benefits,
        "estimate": estimate_patient_cost(case, benefits).to_json(),
        "payer": payer_facts(case, benefits).to_json(),
    }


@blp.route("/<case_id>/benefits")
class Benefits(MethodView):
    @blp.doc(security=AUTH)
    @blp.response(200, BenefitsOutSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(404, response="NOT_FOUND", description="No such case, or no BI on file")
    def get(self, case_id: str) -> dict[str, Any]:
        """The case's benefits investigation, its estimated patient cost and PA facts."""
        with services().sessions() as session:
            row = access.get_case(session, principal(), case_id)
            if row.benefits is None:
                raise NotFoundError(f"no benefits investigation on file for case {case_id}")
            return benefits_out(row)

    @blp.doc(security=AUTH)
    @blp.arguments(BenefitsSchema)
    @blp.response(200, BenefitsOutSchema)
    @blp.alt_response(400, response="BAD_REQUEST")
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
    @blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
    def put(self, benefits: dict[str, Any], case_id: str) -> dict[str, Any]:
        """Store (replace) the case's benefits investigation."""
        with transaction(services().sessions) as session:
            row = access.get_case(session, principal(), case_id)
            row.benefits = BenefitsSchema().dump(benefits)
            # The BI may state the payer's turnaround: follow-up dates depend on it.
            refresh_next_due(session, row)
            return benefits_out(row)
