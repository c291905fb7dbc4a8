"""Payer PDF forms: the shipped ones, each with its fields and what fills each field."""

from __future__ import annotations

from typing import Any

from formservice.documents.forms import inspect_form, list_forms, load_form
from formservice.documents.forms.field_maps import load_field_map
from formservice.usecases.services import Services

__all__ = ["describe_form", "describe_forms"]


def describe_form(services: Services, form_id: str) -> dict[str, Any]:
    """One shipped form: title, source, pages, and every field with its map source (404)."""
    forms_dir = services.settings.templates_dir / "pdf"
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


def describe_forms(services: Services) -> list[dict[str, Any]]:
    """Every shipped payer form, described."""
    forms_dir = services.settings.templates_dir / "pdf"
    return [describe_form(services, f.form_id) for f in list_forms(forms_dir)]
