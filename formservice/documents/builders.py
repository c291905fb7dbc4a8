"""Which function makes which document kind: a template context for letters, a fill for forms.

Letter kinds map to a context builder (case + facts → template context); PDF form kinds map to a
filler. Adding a kind means one entry here and one in `catalog`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from formservice import model
from formservice.documents.context import build_context

if TYPE_CHECKING:
    from formservice.documents.generate import CaseFacts, DocumentRequest
    from formservice.services import Services

ContextBuilder = Callable[[model.Case, "CaseFacts", date], dict[str, Any]]


def _lmn(case: model.Case, facts: CaseFacts, today: date) -> dict[str, Any]:
    return build_context(case, today=today)


CONTEXT_BUILDERS: dict[str, ContextBuilder] = {
    "lmn": _lmn,
}


def build_docx_context(
    kind: str, case: model.Case, facts: CaseFacts, today: date
) -> dict[str, Any]:
    """The template context for a letter kind."""
    return CONTEXT_BUILDERS[kind](case, facts, today)


@dataclass(frozen=True)
class BuiltPdf:
    """A filled form and the identity of the form + map that made it."""

    data: bytes
    template_name: str
    template_sha256: str
    template_version: int
    details: dict[str, Any] = field(default_factory=dict)


def _form_identity(forms_dir: Any, form_id: str) -> str:
    digest = hashlib.sha256()
    for suffix in (".pdf", ".map.yaml"):
        digest.update((forms_dir / f"{form_id}{suffix}").read_bytes())
    return digest.hexdigest()


def build_pdf(
    services: Services,
    case: model.Case,
    facts: CaseFacts,
    request: DocumentRequest,
    today: date,
) -> BuiltPdf:
    """Fill the payer form a PDF kind asks for."""
    from formservice.documents.pdf_forms import render_pa_form

    forms_dir = services.settings.templates_dir / "pdf"
    form_id = "cms1500" if request.kind == "cms1500" else str(request.form)
    claim_lines: list[Any] = []
    if request.kind == "cms1500":
        from formservice.reimbursement.billing import build_claim_lines

        claim_lines = build_claim_lines(case)
    result = render_pa_form(
        case,
        form_id,
        today=today,
        flatten=request.flatten,
        claim_lines=claim_lines,
        forms_dir=forms_dir,
    )
    details: dict[str, Any] = {
        "overflow": [
            {"field": o.field, "reason": o.reason, "value": o.value, "detail": o.detail}
            for o in result.overflow
        ],
        "flattened": request.flatten,
    }
    return BuiltPdf(
        data=result.pdf,
        template_name=form_id,
        template_sha256=_form_identity(forms_dir, form_id),
        template_version=1,
        details=details,
    )
