"""Stateless rendering: a case payload in, a file out, nothing stored."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from formservice import model
from formservice.api.common import AUTH, download, services
from formservice.model import DocumentRequest
from formservice.schemas.case import CaseSchema
from formservice.schemas.documents import RenderQuerySchema
from formservice.usecases.documents import render_applicable

blp = Blueprint("render", __name__, url_prefix="/render", description="Stateless rendering")


@blp.route("/<slug:kind>")
class Render(MethodView):
    @blp.doc(security=AUTH)
    @blp.arguments(RenderQuerySchema(), location="query", as_kwargs=True)
    @blp.arguments(CaseSchema())
    @blp.response(200, description="The rendered file", content_type="application/octet-stream")
    @blp.alt_response(400, response="BAD_REQUEST")
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE")
    def post(self, case: model.Case, kind: str, **query: Any) -> Response:
        """Render one document for a case payload and return the file; store nothing."""
        ask = DocumentRequest(
            kind=kind,
            format=query.get("format"),
            form=query.get("form"),
            flatten=query.get("flatten", False),
            pdfa=query.get("pdfa", False),
        )
        rendered = render_applicable(services(), case, ask)
        response = download(rendered.data, rendered.media_type, rendered.filename)
        response.headers["X-Formservice-Template"] = (
            f"{rendered.template_name}@{rendered.template_version}"
        )
        response.headers["X-Formservice-Input-Sha256"] = rendered.input_sha256
        # A stateless render has no JSON body to carry `details.warnings`: each warning goes in
        # a Warning header, code 299 "miscellaneous persistent warning" (RFC 7234 §5.5; RFC 9111
        # retired the header for caches, but it remains the one standard place for this).
        for warning in (rendered.details or {}).get("warnings") or []:
            if isinstance(warning, dict):
                text = f"{warning.get('code')}: {warning.get('message', '')}"
            else:
                text = str(warning)
            text = text.replace('"', "'").encode("ascii", "replace").decode("ascii")
            response.headers.add("Warning", f'299 formservice "{text}"')
        return response
