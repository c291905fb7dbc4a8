"""Regeneration runs: start one for a template (or a dry run), and follow its progress."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask.views import MethodView
from flask_smorest import Blueprint

from formservice.api.common import AUTH, principal, services
from formservice.schemas.templates import (
    DryRunSchema,
    RegenerationRequestSchema,
    RegenerationSchema,
)
from formservice.usecases import regeneration

blp = Blueprint(
    "regenerations", __name__, url_prefix="/regenerations", description="Batch regeneration"
)


@blp.route("")
class Regenerations(MethodView):
    @blp.doc(security=AUTH)
    @blp.arguments(RegenerationRequestSchema())
    @blp.response(202, RegenerationSchema)
    @blp.alt_response(200, schema=DryRunSchema, description="Dry run: what would be regenerated")
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE")
    def post(self, body: dict[str, Any]) -> Any:
        """Start a run over every document of the template not on its active version."""
        svc = services()
        if body["dry_run"]:
            # A different shape than the run itself: serialise it here, not by the 202 schema.
            plan = DryRunSchema().dump(regeneration.dry_run(svc, body["template"]))
            return jsonify(plan)
        summary = regeneration.start_run(svc, body["template"], created_by=principal().label)
        regeneration.enqueue_run(svc, summary.id)
        return regeneration.summarize(svc, summary.id).to_json(), 202


@blp.route("/<id:run_id>")
class RegenerationItem(MethodView):
    @blp.doc(security=AUTH)
    @blp.response(200, RegenerationSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, run_id: str) -> dict[str, Any]:
        """Totals, done, unchanged, failed with reasons, and elapsed time of a run."""
        return regeneration.summarize(services(), run_id).to_json()
