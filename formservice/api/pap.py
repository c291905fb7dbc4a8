"""PAP eligibility: a case payload in, the decision with every rule and number out."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from formservice import model
from formservice.api.common import AUTH, services
from formservice.schemas.case import CaseSchema
from formservice.schemas.pap import PapDecisionSchema, PapOptionsSchema
from formservice.usecases.pap import check_pap

blp = Blueprint("pap", __name__, url_prefix="/pap", description="Patient Assistance Program")


@blp.route("/eligibility")
class Eligibility(MethodView):
    @blp.doc(security=AUTH)
    @blp.arguments(PapOptionsSchema(), location="query", as_kwargs=True)
    @blp.arguments(CaseSchema())
    @blp.response(200, PapDecisionSchema)
    @blp.alt_response(400, response="BAD_REQUEST")
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
    @blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
    def post(self, case: model.Case, **options: Any) -> dict[str, Any]:
        """Decide PAP eligibility for a case payload; nothing is stored."""
        decision = check_pap(
            services(),
            case,
            application_date=options.get("application_date"),
            cost=options.get("cost"),
            underinsured=options.get("underinsured"),
            appeal_available=options.get("appeal_available"),
        )
        return decision.to_json()
