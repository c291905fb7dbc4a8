"""The benefits investigation of a case: store the payer's answers, read them back."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from formservice.api.common import AUTH, principal, services
from formservice.model import Benefits as BenefitsInvestigation
from formservice.schemas.benefits import BenefitsOutSchema, BenefitsSchema
from formservice.usecases.benefits import read_benefits, record_benefits

blp = Blueprint(
    "benefits", __name__, url_prefix="/cases", description="Benefits investigation (BI)"
)


@blp.route("/<id:case_id>/benefits")
class Benefits(MethodView):
    @blp.doc(security=AUTH)
    @blp.response(200, BenefitsOutSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND", description="No such case, or no BI on file")
    def get(self, case_id: str) -> dict[str, Any]:
        """The case's benefits investigation, its estimated patient cost and PA facts."""
        return read_benefits(services(), principal(), case_id)

    @blp.doc(security=AUTH)
    @blp.arguments(BenefitsSchema())
    @blp.response(200, BenefitsOutSchema)
    @blp.alt_response(400, response="BAD_REQUEST")
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
    @blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
    def put(self, benefits: BenefitsInvestigation, case_id: str) -> dict[str, Any]:
        """Store (replace) the case's benefits investigation."""
        return record_benefits(services(), principal(), case_id, benefits)
