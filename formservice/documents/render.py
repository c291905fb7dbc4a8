"""Render one document for a case: pure. Inputs in, bytes and provenance out; nothing is stored.

`render_document` takes the case, the request, what the store knows about the case (`CaseFacts`),
the letter date and `RenderTools` (where template bytes, the PDF converter and the payer forms come
from). Saving the result is the store's job (`formservice.store.documents`); deciding which
document to make is the application's (`formservice.usecases`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from formservice.documents import catalog
from formservice.documents.contexts import build_letter_context
from formservice.documents.contexts.treatment import letter_purpose
from formservice.documents.convert import Converter
from formservice.documents.docx import DEFAULT_LIMITS, TemplateLimits, render_docx
from formservice.documents.forms import load_form, render_claim_form, render_pa_form
from formservice.documents.packet import build_appeal_packet
from formservice.documents.provenance import form_identity, input_hash, provenance, stamp_pdf
from formservice.documents.x12.remittance_page import render_remittance_page
from formservice.errors import ValidationProblem
from formservice.model import (
    Case,
    CaseFacts,
    DocumentRequest,
    RenderedDocument,
    TemplateVersion,
)
from formservice.reimbursement import appeals
from formservice.reimbursement.claim_lines import codes_caveat
from formservice.reimbursement.reconciliation import agreed_denial

__all__ = ["RenderTools", "RenderedDocument", "render_document", "resolve_kind"]

PACKET_LETTERS = ("letter_of_appeal", "letter_of_medical_necessity")


@dataclass(frozen=True)
class RenderTools:
    """Where a render takes what is not in the case: template bytes, the converter, the forms.

    ``templates(name)`` gives a letter template's active version; ``converter()`` gives the warm
    DOCX→PDF converter, started on first use (so a DOCX never starts LibreOffice);
    ``template_limits`` bounds each letter's render (documents.docx.limits).
    """

    templates: Callable[[str], TemplateVersion]
    converter: Callable[[], Converter]
    forms_dir: Path
    # The facility charge master the CMS-1500 prices its lines from (FORMSERVICE_CHARGE_MASTER).
    charge_master: Path | None = None
    template_limits: TemplateLimits = DEFAULT_LIMITS
    product_price: tuple[float, str] | None = None  # the hub's price and its source (PAP)


@dataclass(frozen=True)
class _Made:
    data: bytes
    template_name: str
    template_sha256: str
    template_version: int
    details: dict[str, Any]


def _filename(case: Case, kind: str, fmt: str, form: str | None) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", case.external_id).strip("-") or "case"
    return f"{safe}-{form or kind}.{fmt}"


def resolve_kind(request: DocumentRequest) -> tuple[catalog.DocumentKind, str]:
    """The document kind and format asked for, or a 422 naming the bad field."""
    spec = catalog.get_kind(request.kind)
    if spec is None:
        raise ValidationProblem(
            f"unknown document kind {request.kind!r}",
            errors={"kind": [f"Must be one of: {', '.join(sorted(catalog.KINDS))}."]},
        )
    fmt = request.format or spec.default_format
    if fmt not in spec.formats:
        raise ValidationProblem(
            f"{request.kind} is not available as {fmt}",
            errors={"format": [f"{request.kind} comes as: {', '.join(spec.formats)}."]},
        )
    if spec.needs_form and not request.form:
        raise ValidationProblem(
            f"{request.kind} needs a form id",
            errors={"form": ["Name the payer form, e.g. tx_nofr001."]},
        )
    if not spec.needs_form and request.form is not None:
        # It would only end up in the file name and the document's row: refuse it.
        needing = ", ".join(sorted(k.name for k in catalog.KINDS.values() if k.needs_form))
        raise ValidationProblem(
            f"{request.kind} takes no form id",
            errors={"form": [f"Only {needing} takes a form; leave it out for {request.kind}."]},
        )
    return spec, fmt


def render_document(
    case: Case,
    request: DocumentRequest,
    facts: CaseFacts,
    *,
    today: date,
    tools: RenderTools,
    template: TemplateVersion | None = None,
) -> RenderedDocument:
    """Render one document for a case, dated `today` (the letter date).

    `template` overrides the active template version (previews and regeneration runs).
    """
    spec, fmt = resolve_kind(request)
    if spec.needs_denial and not facts.denial:
        raise ValidationProblem(
            f"{spec.name} answers a denial letter",
            errors={"denial_id": ["Upload the denial (POST /denials) and give its denial_id."]},
        )
    inputs = input_hash(case, request, facts, today)
    if request.late_reason:
        facts = replace(facts, late_reason=request.late_reason)
    if spec.template is None:
        made = _render_pdf_kind(case, request, facts, today, tools, inputs)
    else:
        made = _render_letter(spec, fmt, case, request, facts, today, tools, inputs, template)
    details = dict(made.details)
    _add_codes_warning(case, spec.name, details, facts)
    if spec.name in _ANSWERS_DENIAL:
        _add_retired_codes_warning(facts, details)
    if request.denial_id:
        details["denial_id"] = request.denial_id
    return RenderedDocument(
        kind=spec.name,
        format=fmt,
        data=made.data,
        media_type=catalog.MEDIA_TYPES[fmt],
        filename=_filename(case, spec.name, fmt, request.form),
        template_name=made.template_name,
        template_sha256=made.template_sha256,
        template_version=made.template_version,
        input_sha256=inputs,
        form=request.form,
        details=details,
    )


# Kinds that print scalp-cooling codes: an unverified code (the 2026 codes) gives them the
# `codes_not_verified` warning in `details.warnings` (and the API a Warning header).
_PRINTS_CODES = frozenset(
    {
        "lmn",
        "appeal",
        "appeal_packet",
        "sob",
        "pa_checklist",
        "claim_checklist",
        "appeal_checklist",
        "pa_form",
        "cms1500",
    }
)


# Kinds that ask a payer to pay the codes a denial names.
_ANSWERS_DENIAL = frozenset({"appeal", "appeal_packet"})


def _add_retired_codes_warning(facts: CaseFacts, details: dict[str, Any]) -> None:
    """A denial of codes out of effect on its date of service: say so beside the appeal."""
    message = appeals.retired_code_warning(facts.denial)
    if message is not None:
        _add_warning(details, "codes_out_of_effect", message)


def _warning(code: str, message: str) -> dict[str, Any]:
    """A document-wide warning in the claim's shape ``{code, severity, message, line}``."""
    return {"code": code, "severity": "warning", "message": message, "line": None}


def _add_warning(details: dict[str, Any], code: str, message: str) -> None:
    """Add a document-wide warning to `details.warnings` once (claim warning shape)."""
    warnings = list(details.get("warnings") or [])
    if not any(w.get("code") == code for w in warnings):
        warnings.append(_warning(code, message))
    details["warnings"] = warnings


def _add_codes_warning(case: Case, kind: str, details: dict[str, Any], facts: CaseFacts) -> None:
    if kind == "appeal":
        # The letter of appeal prints the denial's codes, not the case plan's (its packet also
        # holds the LMN, which prints the plan's: `codes_caveat`).
        caveat = appeals.denied_codes_caveat(facts.denial)
    else:
        caveat = codes_caveat(case) if kind in _PRINTS_CODES else None
    if caveat is not None:
        _add_warning(details, "codes_not_verified", caveat)


def _render_letter(
    spec: catalog.DocumentKind,
    fmt: str,
    case: Case,
    request: DocumentRequest,
    facts: CaseFacts,
    today: date,
    tools: RenderTools,
    inputs: str,
    template: TemplateVersion | None,
) -> _Made:
    assert spec.template is not None  # noqa: S101  # letters have a template by definition
    template = template or tools.templates(spec.template)
    if facts.product_price is None and tools.product_price is not None:
        facts = replace(facts, product_price=tools.product_price)
    context = build_letter_context(spec.name, case, facts, today)
    properties = provenance(spec.name, template.name, template.version, template.sha256, inputs)
    data = render_docx(
        template.data,
        context,
        properties=properties,
        sha256=template.sha256,
        limits=tools.template_limits,
    )
    if fmt == "pdf":
        # LibreOffice does not carry DOCX custom properties into the PDF: add them again.
        data = stamp_pdf(tools.converter().convert(data, pdfa=request.pdfa), properties)
    details: dict[str, Any] = {"letter_date": today.isoformat()}
    # Only the letter that asks for authorization says "retroactive"; checklists don't ask.
    warnings = _letter_warnings(context) if spec.name == "lmn" else []
    if facts.packet is None:  # in a packet, a letter lists only what the packet holds
        warnings += _enclosure_warnings(spec.name, context)
    if warnings:
        details["warnings"] = warnings
    return _Made(data, template.name, template.sha256, template.version, details)


def _letter_warnings(context: dict[str, Any]) -> list[dict[str, Any]]:
    """What a person should know before sending the letter (a past start date, say), in the
    claim's warning shape ``{code, severity, message, line}`` so every document's
    ``details.warnings`` reads the same way."""
    request = context.get("request") or {}
    return [_retroactive_warning("letter")] if request.get("retroactive") else []


def _retroactive_warning(document: str) -> dict[str, Any]:
    """The letter's or the PA form's: dated after the planned start, it asks for retroactive
    authorization (the same rule for both: `contexts.treatment.letter_purpose`)."""
    return _warning(
        "retroactive_request",
        f"The {document} is dated after the planned start of treatment: it asks for "
        "retroactive authorization. Check the payer's rules for retroactive requests.",
    )


def _enclosure_warnings(kind: str, context: dict[str, Any]) -> list[dict[str, Any]]:
    """A letter made on its own lists what the clinic must enclose with it (the LMN its clinical
    records and the device's clearance letter, a letter of appeal what its arguments cite): say
    so, or the payer gets a letter naming enclosures nobody gathered."""
    if kind == "appeal":
        items = list(context.get("appeal", {}).get("to_assemble") or [])
        packet = " (or make the appeal packet, which holds what it can and lists only that)"
    elif kind == "lmn":
        items, packet = list(context.get("enclosures") or []), ""
    else:
        return []
    if not items:
        return []
    return [
        _warning(
            "enclosures_to_assemble",
            "This letter lists enclosures that are not attached to it: enclose them "
            f"before sending{packet}: " + "; ".join(items) + ".",
        )
    ]


def _render_pdf_kind(
    case: Case,
    request: DocumentRequest,
    facts: CaseFacts,
    today: date,
    tools: RenderTools,
    inputs: str,
) -> _Made:
    """Fill the payer form a PDF kind asks for, or assemble the appeal packet."""
    if request.kind == "appeal_packet":
        return _render_packet(case, request, facts, today, tools, inputs)
    form_id = "cms1500" if request.kind == "cms1500" else str(request.form)
    load_form(form_id, tools.forms_dir)  # NotFoundError (404) for an unknown form, before hashing
    identity = form_identity(tools.forms_dir, form_id)
    properties = provenance(request.kind, form_id, 1, identity, inputs)
    if request.kind == "cms1500":
        claim = render_claim_form(
            case,
            today=today,
            flatten=request.flatten,
            forms_dir=tools.forms_dir,
            properties=properties,
            charge_master=tools.charge_master,
            facts=facts,
        )
        details: dict[str, Any] = {
            "forms": claim.forms,
            "lines": len(claim.lines),
            "flattened": claim.flattened,
            "warnings": claim.warnings,
            "overflow": claim.overflow,
        }
        return _Made(claim.pdf, form_id, identity, 1, details)
    result = render_pa_form(
        case,
        form_id,
        today=today,
        flatten=request.flatten,
        forms_dir=tools.forms_dir,
        properties=properties,
    )
    details = {
        "overflow": [
            {"field": o.field, "reason": o.reason, "value": o.value, "detail": o.detail}
            for o in result.overflow
        ],
        "flattened": request.flatten,
    }
    warnings = []
    if letter_purpose(case, today)["retroactive"]:
        # The PA form asks for the same authorization as the LMN beside it: the same warning.
        warnings.append(_retroactive_warning("form"))
    if request.kind == "pa_form":
        # Section VI says the LMN and the clinical documentation are enclosed: staff gather them.
        warnings.append(
            _warning(
                "enclosures_to_assemble",
                "This form says it encloses the Letter of Medical Necessity and the supporting "
                "clinical documentation: enclose them before sending.",
            )
        )
    if warnings:
        details["warnings"] = warnings
    return _Made(result.pdf, form_id, identity, 1, details)


def submitted_pa_form(case: Case, facts: CaseFacts) -> str | None:
    """The payer form of the PA request sent to this denial's payer, as the PA record states it
    (`reimbursement.appeals.submitted_pa_form`), or None."""
    return appeals.submitted_pa_form(case, facts.denial, facts.pa_history)


def _render_packet(
    case: Case,
    request: DocumentRequest,
    facts: CaseFacts,
    today: date,
    tools: RenderTools,
    inputs: str,
) -> _Made:
    """Cover sheet, appeal, LMN, the sanitised denial (or, for a denial read from an 835, the
    claim's remittance page), clinical notes, and the PA form only when the PA record says one
    was sent to this payer (flattened). Never the staff checklist."""
    denial_pdf, denial_title = facts.denial_pdf, "Copy of the denial letter"
    remittance = False
    if facts.denial is not None and facts.denial.text_source == "x12" and not denial_pdf:
        # A denial read from an 835 has no letter: the packet encloses the claim's remittance.
        denial_pdf, denial_title = render_remittance_page(facts.denial), "Remittance advice (835)"
        remittance = True
    if not facts.denial or not denial_pdf:
        raise ValidationProblem(
            "an appeal packet needs the denial letter it answers",
            errors={"denial_id": ["Upload the denial and give its denial_id."]},
        )
    # What the packet holds after the letter of appeal: the letters list exactly that.
    contents = appeals.packet_contents(case, facts.denial, facts.pa_history, remittance=remittance)
    packed = replace(facts, packet=contents)

    def letter(kind: str) -> bytes:
        ask = replace(request, kind=kind, format="pdf", form=None, flatten=False)
        # The packet's LMN is an enclosure documenting the claim under appeal, not a PA request.
        made_for = replace(packed, lmn_purpose="appeal_enclosure") if kind == "lmn" else packed
        return render_document(case, ask, made_for, today=today, tools=tools).data

    form_id = submitted_pa_form(case, facts)
    pa_form = None
    if form_id is not None:
        pa_form = render_pa_form(
            case, form_id, today=today, flatten=True, forms_dir=tools.forms_dir
        ).pdf
    digest = hashlib.sha256()
    for name in PACKET_LETTERS:
        digest.update(tools.templates(name).sha256.encode())
    identity = digest.hexdigest()
    agreed = agreed_denial(case, facts.denial)
    enclosures = appeals.appeal_enclosure_list(
        agreed, case, appeals.appeal_arguments(agreed, case), contents
    )
    pdf, details = build_appeal_packet(
        case,
        agreed,
        today=today,
        render_letter=letter,
        denial_pdf=denial_pdf,
        pa_form_pdf=pa_form,
        denial_title=denial_title,
        properties=provenance("appeal_packet", "appeal_packet", 1, identity, inputs),
    )
    if len(details["parts"]) != 2 + len(contents.parts):  # cover, letter, then what it lists
        raise RuntimeError("the packet's parts are not the ones its letters list")
    details["enclosures"] = {"listed": list(enclosures.listed), "to_add": list(enclosures.to_add)}
    details["enclosure_warnings"] = appeals.enclosure_warnings(enclosures)
    return _Made(pdf, "appeal_packet", identity, 1, details)
