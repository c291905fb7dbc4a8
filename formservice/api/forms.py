"""Payer PDF forms the service can fill, and their fields."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from formservice.api.common import AUTH, services
from formservice.schemas.forms import FormSchema
from formservice.usecases.forms import describe_form, describe_forms

blp = Blueprint("forms", __name__, url_prefix="/forms", description="Payer PDF forms")


@blp.route("")
class Forms(MethodView):
    @blp.doc(security=AUTH)
    @blp.response(200, FormSchema(many=True))
    @blp.alt_response(401, response="UNAUTHORIZED")
    def get(self) -> list[dict[str, Any]]:
        """Every shipped payer form with its fields and what fills each."""
        return describe_forms(services())


@blp.route("/<slug:form_id>")
class FormItem(MethodView):
    @blp.doc(security=AUTH)
    @blp.response(200, FormSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, form_id: str) -> dict[str, Any]:
        """One payer form and its fields."""
        return describe_form(services(), form_id)
