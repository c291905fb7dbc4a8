"""Make a document for a case (render) and keep it (store): the one path every caller uses.

`render_document` takes the case, what the store knows about it (`CaseFacts`: the benefits
investigation, documents already made, the denial being answered) and a `DocumentRequest`,
and returns the file with its provenance. Which builder makes which kind is in `builders`.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from formservice import model
from formservice.documents import builders, catalog
from formservice.documents.docx import render_docx
from formservice.documents.templates import TemplateVersion
from formservice.errors import ValidationProblem
from formservice.schemas.case import dump_case
from formservice.services import Services
from formservice.store.db import transaction
from formservice.store.models import DocumentRow, new_id


@dataclass(frozen=True)
class DocumentRequest:
    """What to make: a kind, a format, and the options some kinds take."""

    kind: str
    format: str | None = None
    form: str | None = None
    denial_id: str | None = None
    flatten: bool = False
    pdfa: bool = False


@dataclass(frozen=True)
class CaseFacts:
    """What the service knows about a case beyond its payload."""

    benefits: dict[str, Any] | None = None
    documents: frozenset[str] = frozenset()  # kinds already generated for the case
    denial: dict[str, Any] | None = None  # the parsed denial an appeal answers
    denial_source_sha256: str | None = None  # the uploaded letter itself (for the packet)
    forms: tuple[str, ...] = ()  # PA form ids generated for the case, oldest first
    # The letter's bytes when they come from outside the blob store (the CLI reads a file).
    denial_pdf: bytes | None = field(default=None, repr=False, compare=False)
    pa_history: tuple[dict[str, Any], ...] = ()
    case_id: str | None = None


@dataclass(frozen=True)
class RenderedDocument:
    """A finished file and everything needed to trace and reproduce it."""

    kind: str
    format: str
    data: bytes
    media_type: str
    filename: str
    template_name: str
    template_sha256: str
    template_version: int
    input_sha256: str
    form: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


def input_hash(case: model.Case, request: DocumentRequest, facts: CaseFacts, today: date) -> str:
    """SHA-256 of everything that goes into a document besides the template."""
    canonical = json.dumps(
        {
            "case": dump_case(case),
            "kind": request.kind,
            "form": request.form,
            "flatten": request.flatten,
            "pdfa": request.pdfa,
            "date": today.isoformat(),
            "benefits": facts.benefits,
            "denial": facts.denial,
            "denial_source": facts.denial_source_sha256,
            "forms": list(facts.forms),
            "documents": sorted(facts.documents),
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _filename(case: model.Case, kind: str, fmt: str, form: str | None) -> str:
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
    return spec, fmt


def render_document(
    services: Services,
    case: model.Case,
    request: DocumentRequest,
    facts: CaseFacts | None = None,
    *,
    template: TemplateVersion | None = None,
    letter_date: date | None = None,
) -> RenderedDocument:
    """Render one document for a case; nothing is stored.

    `template` overrides the active template version (previews and regeneration runs);
    `letter_date` dates the letter (default: today) so a regenerated letter keeps its date.
    """
    facts = facts or CaseFacts()
    spec, fmt = resolve_kind(request)
    if spec.needs_denial and not facts.denial:
        raise ValidationProblem(
            f"{spec.name} answers a denial letter",
            errors={"denial_id": ["Upload the denial (POST /denials) and give its denial_id."]},
        )
    today = letter_date or services.today()
    inputs = input_hash(case, request, facts, today)
    if spec.template is None:
        made = builders.build_pdf(services, case, facts, request, today, input_sha256=inputs)
        data, details = made.data, made.details
        identity = (made.template_name, made.template_sha256, made.template_version)
    else:
        template = template or services.active_template(spec.template)
        context = builders.build_docx_context(spec.name, case, facts, today)
        data = render_docx(
            template.data,
            context,
            properties=builders.provenance(
                spec.name, template.name, template.version, template.sha256, inputs
            ),
        )
        details = {"letter_date": today.isoformat()}
        identity = (template.name, template.sha256, template.version)
        if fmt == "pdf":
            data = services.converter.convert(data, pdfa=request.pdfa)
    if request.denial_id:
        details["denial_id"] = request.denial_id
    return RenderedDocument(
        kind=spec.name,
        format=fmt,
        data=data,
        media_type=catalog.MEDIA_TYPES[fmt],
        filename=_filename(case, spec.name, fmt, request.form),
        template_name=identity[0],
        template_sha256=identity[1],
        template_version=identity[2],
        input_sha256=inputs,
        form=request.form,
        details=details,
    )


def document_row(
    rendered: RenderedDocument,
    case_id: str,
    *,
    blob_sha256: str,
    supersedes_id: str | None = None,
) -> DocumentRow:
    """The row that records a rendered document (its provenance and where its bytes are)."""
    return DocumentRow(
        id=new_id(),
        case_id=case_id,
        kind=rendered.kind,
        format=rendered.format,
        form=rendered.form,
        template_name=rendered.template_name,
        template_sha256=rendered.template_sha256,
        template_version=rendered.template_version,
        input_sha256=rendered.input_sha256,
        blob_sha256=blob_sha256,
        media_type=rendered.media_type,
        size=len(rendered.data),
        filename=rendered.filename,
        details=rendered.details or None,
        supersedes_id=supersedes_id,
    )


def save_document(
    services: Services,
    case_id: str,
    rendered: RenderedDocument,
    *,
    supersedes_id: str | None = None,
) -> DocumentRow:
    """Store the blob and its row together; if the row cannot be written, the blob goes too."""
    digest, created = services.blobs.put(rendered.data)
    try:
        with transaction(services.sessions) as session:
            row = document_row(rendered, case_id, blob_sha256=digest, supersedes_id=supersedes_id)
            session.add(row)
    except BaseException:
        if created:
            services.blobs.delete(digest)
        raise
    return row
