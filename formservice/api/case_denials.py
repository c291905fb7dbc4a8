"""Attach a denial letter to a case."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from formservice.api.common import AUTH, principal, services
from formservice.schemas.denial import AttachDenialSchema, DenialSchema
from formservice.usecases.denials import attach_denial, denial_json

blp = Blueprint("case_denials", __name__, url_prefix="/cases", description="Denials of a case")


@blp.route("/<id:case_id>/denials")
class CaseDenials(MethodView):
    @blp.doc(security=AUTH)
    @blp.arguments(AttachDenialSchema())
    @blp.response(200, DenialSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, body: dict[str, Any], case_id: str) -> dict[str, Any]:
        """Attach an uploaded denial letter to this case, reconciled against it (409: another
        patient)."""
        row = attach_denial(
            services(),
            principal(),
            body["denial_id"],
            case_id,
            override_reason=body["override_reason"],
            acknowledge_warnings=body["acknowledge_warnings"],
        )
        out = denial_json(row)
        out["status_url"] = url_for("denials.DenialItem", denial_id=row.id)
        return out
