"""PDF forms: fill a payer form from its field map (`fill`), the claim form (`claim`), inspect an
unknown form (`inspect`); appearance streams, incremental updates and flattening underneath."""

from formservice.documents.forms.claim import ClaimForm, render_claim_form
from formservice.documents.forms.fill import (
    DEFAULT_FORMS_DIR,
    FillResult,
    FormInfo,
    Overflow,
    fill_form,
    list_forms,
    load_form,
    render_pa_form,
)
from formservice.documents.forms.inspect import format_fields, inspect_form, write_skeleton

__all__ = [
    "DEFAULT_FORMS_DIR",
    "ClaimForm",
    "FillResult",
    "FormInfo",
    "Overflow",
    "fill_form",
    "format_fields",
    "inspect_form",
    "list_forms",
    "load_form",
    "render_claim_form",
    "render_pa_form",
    "write_skeleton",
]
