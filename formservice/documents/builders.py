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
from formservice.documents import hub_contexts
from formservice.documents.appeal_context import build_appeal_context
from formservice.documents.context import build_context

if TYPE_CHECKING:
    from formservice.documents.generate import CaseFacts, DocumentRequest
    from formservice.services import Services

ContextBuilder = Callable[[model.Case, "CaseFacts", date], dict[str, Any]]


def _lmn(case: model.Case, facts: CaseFacts, today: date) -> dict[str, Any]:
    return build_context(case, today=today)


CONTEXT_BUILDERS: dict[str, ContextBuilder] = {
    "lmn": _lmn,
    "pap_letter": hub_contexts.pap_letter_context,
    "sob": hub_contexts.sob_context,
    "pa_checklist": hub_contexts.pa_checklist_context,
    "claim_checklist": hub_contexts.claim_checklist_context,
    "appeal_checklist": hub_contexts.appeal_checklist_context,
    "appeal": build_appeal_context,
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


def provenance(kind: str, name: str, version: int, sha256: str, inputs: str) -> dict[str, str]:
    """The properties every generated document carries: what made it, from what."""
    return {
        "formservice.template": name,
        "formservice.template_version": str(version),
        "formservice.template_sha256": sha256,
        "formservice.input_sha256": inputs,
        "formservice.kind": kind,
    }


def build_pdf(
    services: Services,
    case: model.Case,
    facts: CaseFacts,
    request: DocumentRequest,
    today: date,
    *,
    input_sha256: str,
) -> BuiltPdf:
    """Fill the payer form a PDF kind asks for (or assemble the appeal packet)."""
    from formservice.documents.pdf_forms import load_form, render_pa_form

    if request.kind == "appeal_packet":
        return _appeal_packet(services, case, facts, request, today, input_sha256)
    forms_dir = services.settings.templates_dir / "pdf"
    form_id = "cms1500" if request.kind == "cms1500" else str(request.form)
    load_form(form_id, forms_dir)  # NotFoundError (404) for an unknown form, before hashing it
    identity = _form_identity(forms_dir, form_id)
    properties = provenance(request.kind, form_id, 1, identity, input_sha256)
    if request.kind == "cms1500":
        from formservice.documents.claim_form import render_claim_form

        claim = render_claim_form(
            case, today=today, flatten=request.flatten, forms_dir=forms_dir, properties=properties
        )
        return BuiltPdf(
            data=claim.pdf,
            template_name=form_id,
            template_sha256=identity,
            template_version=1,
            details={
                "forms": claim.forms,
                "lines": len(claim.lines),
                "flattened": claim.flattened,
                "warnings": claim.warnings,
                "overflow": claim.overflow,
            },
        )
    result = render_pa_form(
        case,
        form_id,
        today=today,
        flatten=request.flatten,
        forms_dir=forms_dir,
        properties=properties,
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
        template_sha256=identity,
        template_version=1,
        details=details,
    )


def _appeal_packet(
    services: Services,
    case: model.Case,
    facts: CaseFacts,
    request: DocumentRequest,
    today: date,
    input_sha256: str,
) -> BuiltPdf:
    """Cover sheet, appeal, LMN, the denial itself, the PA form (flattened), the checklist."""
    from dataclasses import replace

    from formservice.documents.generate import render_document
    from formservice.documents.packet import build_appeal_packet
    from formservice.documents.pdf_forms import render_pa_form

    def letter(kind: str) -> bytes:
        ask = replace(request, kind=kind, format="pdf", form=None, flatten=False)
        return render_document(services, case, ask, facts, letter_date=today).data

    if not facts.denial or not facts.denial_source_sha256:
        from formservice.errors import ValidationProblem

        raise ValidationProblem(
            "an appeal packet needs the denial letter it answers",
            errors={"denial_id": ["Upload the denial and give its denial_id."]},
        )
    pa_form = None
    if facts.forms:
        forms_dir = services.settings.templates_dir / "pdf"
        pa_form = render_pa_form(
            case, facts.forms[-1], today=today, flatten=True, forms_dir=forms_dir
        ).pdf
    digest = hashlib.sha256()
    for name in ("letter_of_appeal", "letter_of_medical_necessity", "appeal_checklist"):
        digest.update(services.active_template(name).sha256.encode())
    pdf, details = build_appeal_packet(
        case,
        facts,
        today=today,
        render_letter=letter,
        denial_pdf=facts.denial_pdf or services.blobs.get(facts.denial_source_sha256),
        pa_form_pdf=pa_form,
        properties=provenance(
            "appeal_packet", "appeal_packet", 1, digest.hexdigest(), input_sha256
        ),
    )
    return BuiltPdf(
        data=pdf,
        template_name="appeal_packet",
        template_sha256=digest.hexdigest(),
        template_version=1,
        details=details,
    )
