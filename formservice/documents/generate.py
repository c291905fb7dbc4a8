"""Make a document for a case (render) and keep it (store): the one path every caller uses."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from formservice import model
from formservice.documents import catalog
from formservice.documents.context import build_context
from formservice.documents.docx import render_docx
from formservice.documents.templates import load_shipped_template
from formservice.errors import ValidationProblem
from formservice.schemas.case import dump_case
from formservice.services import Services
from formservice.store.db import transaction
from formservice.store.models import DocumentRow


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


def input_hash(case: model.Case, *, kind: str, letter_date: date, extra: Any = None) -> str:
    """SHA-256 of everything that goes into a document besides the template."""
    canonical = json.dumps(
        {"case": dump_case(case), "kind": kind, "date": letter_date.isoformat(), "extra": extra},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _filename(case: model.Case, kind: str, fmt: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", case.external_id).strip("-") or "case"
    return f"{safe}-{kind}.{fmt}"


def resolve_kind(kind: str, fmt: str | None) -> tuple[catalog.DocumentKind, str]:
    """The document kind and format asked for, or a 422 naming the bad field."""
    spec = catalog.get_kind(kind)
    if spec is None:
        raise ValidationProblem(
            f"unknown document kind {kind!r}",
            errors={"kind": [f"Must be one of: {', '.join(sorted(catalog.KINDS))}."]},
        )
    fmt = fmt or spec.default_format
    if fmt not in spec.formats:
        raise ValidationProblem(
            f"{kind} is not available as {fmt}",
            errors={"format": [f"{kind} comes as: {', '.join(spec.formats)}."]},
        )
    return spec, fmt


def render_document(
    services: Services, case: model.Case, kind: str, *, fmt: str | None = None
) -> RenderedDocument:
    """Render one document for a case; nothing is stored."""
    spec, fmt = resolve_kind(kind, fmt)
    today = services.today()
    assert spec.template is not None  # noqa: S101  # every DOCX kind names its template
    template = load_shipped_template(services.settings.templates_dir, spec.template)
    inputs = input_hash(case, kind=kind, letter_date=today)
    context = build_context(case, today=today)
    data = render_docx(
        template.data,
        context,
        properties={
            "formservice.template": template.name,
            "formservice.template_version": str(template.version),
            "formservice.template_sha256": template.sha256,
            "formservice.input_sha256": inputs,
            "formservice.kind": kind,
        },
    )
    if fmt == "pdf":
        data = services.converter.convert(data)
    return RenderedDocument(
        kind=kind,
        format=fmt,
        data=data,
        media_type=catalog.MEDIA_TYPES[fmt],
        filename=_filename(case, kind, fmt),
        template_name=template.name,
        template_sha256=template.sha256,
        template_version=template.version,
        input_sha256=inputs,
    )


def save_document(services: Services, case_id: str, rendered: RenderedDocument) -> DocumentRow:
    """Store the blob and its row together; if the row cannot be written, the blob goes too."""
    digest, created = services.blobs.put(rendered.data)
    try:
        with transaction(services.sessions) as session:
            row = DocumentRow(
                case_id=case_id,
                kind=rendered.kind,
                format=rendered.format,
                form=rendered.form,
                template_name=rendered.template_name,
                template_sha256=rendered.template_sha256,
                template_version=rendered.template_version,
                input_sha256=rendered.input_sha256,
                blob_sha256=digest,
                media_type=rendered.media_type,
                size=len(rendered.data),
                filename=rendered.filename,
                details=rendered.details or None,
            )
            session.add(row)
    except BaseException:
        if created:
            services.blobs.delete(digest)
        raise
    return row
