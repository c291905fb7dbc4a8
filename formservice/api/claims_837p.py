"""A case's professional claim as an X12 837P."""

from __future__ import annotations

from flask import Response
from flask.views import MethodView

from formservice.api.common import AUTH, Blueprint, download, principal, services
from formservice.documents.x12.claim837p import MEDIA_TYPE
from formservice.usecases.claims_837p import case_837p

blp = Blueprint("claims_837p", __name__, url_prefix="/cases", description="Electronic claims")


@blp.route("/<id:case_id>/claims/837p")
class Case837P(MethodView):
    @blp.doc(security=AUTH)
    @blp.response(200, description="The 837P (005010X222A1)", content_type=MEDIA_TYPE)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, case_id: str) -> Response:
        """The case's claim as an 837P; warnings (unpriced lines) in X-Formservice-Warnings."""
        claim, case = case_837p(services(), principal(), case_id)
        response = download(claim.data, MEDIA_TYPE, f"claim-{case_id}.837")
        if claim.warnings:
            response.headers["X-Formservice-Warnings"] = "; ".join(
                w["code"] for w in claim.warnings
            )
        return response
