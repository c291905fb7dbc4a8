"""Documents: make one for a stored case, render one for a posted case, download one.

`make_document` is the one path by which a document is made for a stored case, whoever asks: the
API, the staff pages (the appeal packet) and regeneration (with a pinned template and date).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from formservice.documents import RenderedDocument, render_document
from formservice.model import Case, CaseFacts, DocumentRequest, Principal, TemplateVersion
from formservice.store import access
from formservice.store.audit import record_event
from formservice.store.db import reading, transaction
from formservice.store.documents import save_document
from formservice.store.models import CaseRow, DocumentRow
from formservice.store.pa import tracked_case
from formservice.usecases.cases import case_facts
from formservice.usecases.plan import MAX_REASON, check_applicable
from formservice.usecases.services import Services

__all__ = [
    "document_file",
    "make_document",
    "render_applicable",
    "render_for_case",
    "render_stored_case",
]


def render_applicable(
    services: Services, case: Case, request: DocumentRequest, facts: CaseFacts | None = None
) -> RenderedDocument:
    """Render a document for a posted case if it applies (422 naming the rule otherwise).

    The stateless faces (POST /render, `formservice render`) use this; no override here: an
    override is a decision about a stored case, recorded with it.
    """
    facts = facts or CaseFacts()
    if request.override_reason:
        request = replace(request, override_reason=None)
    check_applicable(case, request, facts)
    return render_for_case(services, case, request, facts)


def render_for_case(
    services: Services,
    case: Case,
    request: DocumentRequest,
    facts: CaseFacts | None = None,
    *,
    template: TemplateVersion | None = None,
    letter_date: date | None = None,
) -> RenderedDocument:
    """Render a document for a case payload (stateless: nothing is stored)."""
    return render_document(
        case,
        request,
        facts or CaseFacts(),
        today=letter_date or services.today(),
        tools=services.render_tools(),
        template=template,
    )


def render_stored_case(
    services: Services,
    row: CaseRow,
    request: DocumentRequest,
    facts: CaseFacts,
    *,
    template: TemplateVersion | None = None,
    letter_date: date | None = None,
) -> RenderedDocument:
    """Render a document for a stored case (its PA as tracked) from facts already gathered."""
    return render_for_case(
        services, tracked_case(row), request, facts, template=template, letter_date=letter_date
    )


def make_document(
    services: Services, principal: Principal, case_id: str, request: DocumentRequest
) -> DocumentRow:
    """Make a document for a case the caller may see, store it, and return its row."""
    with reading(services.sessions) as session:
        row = access.get_case(session, principal, case_id)
        facts = case_facts(session, principal, row, request, blobs=services.blobs)
    overridden = check_applicable(tracked_case(row), request, facts, principal)
    rendered = render_stored_case(services, row, request, facts)
    if overridden is not None:
        reason = " ".join((request.override_reason or "").split())[:MAX_REASON]
        override = {"rule": overridden.rule, "reason": reason, "by": principal.label}
        rendered = replace(rendered, details={**rendered.details, "override": override})
    saved = save_document(services.sessions, services.blobs, row.id, rendered)
    if overridden is not None:
        with transaction(services.sessions) as session:
            record_event(
                session,
                actor=principal.label,
                action="override_applicability",
                principal=principal,
                path=f"rule:{overridden.rule} reason:{reason}"[:1000],
                case_id=row.id,
                document_id=saved.id,
            )
    return saved


def document_file(
    services: Services, principal: Principal, document_id: str
) -> tuple[DocumentRow, bytes]:
    """A stored document the caller may see, and its bytes."""
    with reading(services.sessions) as session:
        row = access.get_document(session, principal, document_id)
    return row, services.blobs.get(row.blob_sha256)
