"""Electronic remittances: upload an X12 835 and get its claims and stored denials."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from formservice.api.common import AUTH, Blueprint, principal, services
from formservice.schemas.remittance import RemittanceSchema, RemittanceUploadSchema
from formservice.usecases.remittances import submit_remittance

blp = Blueprint(
    "remittances", __name__, url_prefix="/remittances", description="Electronic remittances (835)"
)


@blp.route("")
class Remittances(MethodView):
    @blp.doc(security=AUTH)
    @blp.arguments(RemittanceUploadSchema(), location="files", content_type="multipart/form-data")
    @blp.response(201, RemittanceSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Read an 835 remittance; store each denied claim, matched to its case or unmatched."""
        upload = body["file"]
        return submit_remittance(
            services(),
            principal(),
            filename=upload.filename or "remittance.835",
            data=upload.read(),
        )
