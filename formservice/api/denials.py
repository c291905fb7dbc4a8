"""Denial letters: upload (multipart), status and facts, review corrections."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask.views import MethodView

from formservice.api.common import AUTH, Blueprint, principal, services
from formservice.errors import ValidationProblem
from formservice.schemas.denial import (
    DenialCorrectionSchema,
    DenialSchema,
    DenialUploadSchema,
)
from formservice.usecases.denials import (
    correct_denial,
    denial_json,
    read_denial_row,
    submit_denial,
)

blp = Blueprint("denials", __name__, url_prefix="/denials", description="Denial letters")


def _out(row: Any) -> dict[str, Any]:
    out = denial_json(row)
    out["status_url"] = url_for("denials.DenialItem", denial_id=row.id)
    return out


@blp.route("")
class Denials(MethodView):
    @blp.doc(security=AUTH)
    @blp.arguments(DenialUploadSchema(), location="files", content_type="multipart/form-data")
    @blp.response(201, DenialSchema)
    @blp.alt_response(202, schema=DenialSchema, description="Accepted: read in the background")
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    @blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
    @blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE")
    def post(self, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """Upload a denial letter (PDF, text or scanned) and get its facts."""
        upload = body["file"]
        data = upload.read()
        row = submit_denial(
            services(),
            principal(),
            filename=upload.filename or "denial.pdf",
            data=data,
            case_id=body["case_id"],
        )
        return _out(row), 202 if row.status == "processing" else 201


@blp.route("/<id:denial_id>")
class DenialItem(MethodView):
    @blp.doc(security=AUTH)
    @blp.response(200, DenialSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, denial_id: str) -> dict[str, Any]:
        """A denial's status and facts (poll this after a 202)."""
        return _out(read_denial_row(services(), principal(), denial_id))

    @blp.doc(security=AUTH)
    @blp.arguments(DenialCorrectionSchema())
    @blp.response(200, DenialSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    def patch(self, corrections: dict[str, Any], denial_id: str) -> dict[str, Any]:
        """Correct facts the parser got wrong or was unsure of."""
        raw = {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in corrections.items()}
        if not raw:
            raise ValidationProblem("nothing to correct", errors={"_schema": ["Send a field."]})
        return _out(correct_denial(services(), principal(), denial_id, raw))
