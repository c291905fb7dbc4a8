"""Documents: make one for a stored case, render one for a posted case, download one.

`make_document` is the one path by which a document is made for a stored case, whoever asks: the
API, the staff pages (the appeal packet) and regeneration (with a pinned template and date).
"""

from __future__ import annotations

from datetime import date

from formservice.documents import RenderedDocument, render_document
from formservice.model import Case, CaseFacts, DocumentRequest, Principal, TemplateVersion
from formservice.store import access
from formservice.store.documents import save_document
from formservice.store.models import CaseRow, DocumentRow
from formservice.store.pa import tracked_case
from formservice.usecases.cases import case_facts
from formservice.usecases.services import Services

__all__ = ["document_file", "make_document", "render_for_case", "render_stored_case"]


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
    with services.sessions() as session:
        row = access.get_case(session, principal, case_id)
        facts = case_facts(session, principal, row, request, blobs=services.blobs)
    rendered = render_stored_case(services, row, request, facts)
    return save_document(services.sessions, services.blobs, row.id, rendered)


def document_file(
    services: Services, principal: Principal, document_id: str
) -> tuple[DocumentRow, bytes]:
    """A stored document the caller may see, and its bytes."""
    with services.sessions() as session:
        row = access.get_document(session, principal, document_id)
    return row, services.blobs.get(row.blob_sha256)
