"""The appeal packet for a denial letter: one PDF for the clinic to sign and fax."""

from __future__ import annotations

from formservice.errors import ValidationProblem
from formservice.model import DocumentRequest, Principal
from formservice.store import access
from formservice.store.models import DocumentRow
from formservice.usecases.documents import make_document
from formservice.usecases.services import Services

__all__ = ["PACKET_KIND", "build_packet"]

PACKET_KIND = "appeal_packet"


def build_packet(services: Services, principal: Principal, denial_id: str) -> DocumentRow:
    """Make and store the appeal packet for a denial linked to a case (422 when it is not)."""
    with services.sessions() as session:
        denial = access.get_denial(session, principal, denial_id)
    if denial.case_id is None:
        raise ValidationProblem(
            "Link the letter to a case first.",
            errors={"case_id": ["The denial is not linked to a case."]},
        )
    request = DocumentRequest(kind=PACKET_KIND, format="pdf", denial_id=denial_id)
    return make_document(services, principal, denial.case_id, request)
