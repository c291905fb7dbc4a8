"""Payer PDF forms the service can fill, and their fields."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from formservice.api.common import AUTH, services
from formservice.documents.field_maps import load_field_map
from formservice.documents.form_inspect import inspect_form
from formservice.documents.pdf_forms import list_forms, load_form
from formservice.schemas.forms import FormSchema

blp = Blueprint("forms", __name__, url_prefix="/forms", description="Payer PDF forms")


def _describe(form_id: str) -> dict[str, Any]:
    forms_dir = services().settings.templates_dir / "pdf"
    info = next((f for f in list_forms(forms_dir) if f.form_id == form_id), None)
    template = load_form(form_id, forms_dir)  # NotFoundError for an unknown id
    fmap = load_field_map(form_id, forms_dir, template)
    sources = {
        e.field: e.source or e.computed or ("fixed value" if e.value is not None else None)
        for e in fmap.entries
    }
    fields = [
        {
            "name": f.name,
            "kind": f.kind,
            "page": f.page,
            "max_length": f.max_length,
            "options": list(f.options),
            "on_states": list(f.on_states),
            "tooltip": f.tooltip,
            "mapped_from": sources.get(f.name),
        }
        for f in inspect_form(template.data, source=f"{form_id}.pdf")
    ]
    assert info is not None  # noqa: S101  # load_form succeeded, so the form is listed
    return {
        "form_id": form_id,
        "title": info.title,
        "source": info.source,
        "pages": info.pages,
        "fields_count": info.fields,
        "mapped_fields": info.mapped_fields,
        "form_fields": fields,
    }


@blp.route("")
class Forms(MethodView):
    @blp.doc(security=AUTH)
    @blp.response(200, FormSchema(many=True))
    @blp.alt_response(401, response="UNAUTHORIZED")
    def get(self) -> list[dict[str, Any]]:
        """Every shipped payer form with its fields and what fills each."""
        forms_dir = services().settings.templates_dir / "pdf"
        return [_describe(f.form_id) for f in list_forms(forms_dir)]


@blp.route("/<form_id>")
class FormItem(MethodView):
    @blp.doc(security=AUTH)
    @blp.response(200, FormSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, form_id: str) -> dict[str, Any]:
        """One payer form and its fields."""
        return _describe(form_id)
