"""PDF forms: fill a form (`fill`), a shipped payer form from its field map (`shipped`), the claim
form (`claim`), inspect an unknown form (`inspect`); the prepared template (`template`, indexed
by `index` into `spec`), appearance streams, incremental updates and flattening underneath."""

from formservice.documents.forms.claim import ClaimForm, render_claim_form
from formservice.documents.forms.fill import FillResult, Overflow, fill_form
from formservice.documents.forms.inspect import format_fields, inspect_form, write_skeleton
from formservice.documents.forms.shipped import (
    DEFAULT_FORMS_DIR,
    FormInfo,
    list_forms,
    load_form,
    render_pa_form,
)

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
