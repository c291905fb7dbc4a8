"""The one place where reads are limited to the caller's facility.

Every lookup of a case, document or denial for a caller goes through these functions, so a
clinic can never reach another facility's rows, and gets the same 404 as for an id that does not
exist (never revealing that it does). An id that is not an id (32 lower-case hex digits) is that
same 404 before any query: whatever a caller sends, no malformed value reaches the database.
"""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from formservice.errors import NotFoundError
from formservice.model import Principal
from formservice.schemas.common import is_id
from formservice.store.models import CaseRow, DenialRow, DocumentRow


def cases_for(principal: Principal) -> Select[CaseRow]:
    """Cases the principal may see."""
    query = select(CaseRow)
    if principal.facility_npi is not None:
        query = query.where(CaseRow.facility_npi == principal.facility_npi)
    return query


def documents_for(principal: Principal) -> Select[DocumentRow]:
    """Documents the principal may see (through their case's facility)."""
    query = select(DocumentRow).join(CaseRow, DocumentRow.case_id == CaseRow.id)
    if principal.facility_npi is not None:
        query = query.where(CaseRow.facility_npi == principal.facility_npi)
    return query


def denials_for(principal: Principal) -> Select[DenialRow]:
    """Denials the principal may see (uploaded by or attached to their facility)."""
    query = select(DenialRow)
    if principal.facility_npi is not None:
        query = query.where(DenialRow.facility_npi == principal.facility_npi)
    return query


def get_case(session: Session, principal: Principal, case_id: str) -> CaseRow:
    """A visible case by id, or NotFoundError."""
    if not is_id(case_id):
        raise NotFoundError("no such case")
    row = session.scalars(cases_for(principal).where(CaseRow.id == case_id)).first()
    if row is None:
        raise NotFoundError(f"no case {case_id}")
    return row


def get_document(session: Session, principal: Principal, document_id: str) -> DocumentRow:
    """A visible document by id, or NotFoundError."""
    if not is_id(document_id):
        raise NotFoundError("no such document")
    row = session.scalars(documents_for(principal).where(DocumentRow.id == document_id)).first()
    if row is None:
        raise NotFoundError(f"no document {document_id}")
    return row


def get_denial(session: Session, principal: Principal, denial_id: str) -> DenialRow:
    """A visible denial by id, or NotFoundError."""
    if not is_id(denial_id):
        raise NotFoundError("no such denial")
    row = session.scalars(denials_for(principal).where(DenialRow.id == denial_id)).first()
    if row is None:
        raise NotFoundError(f"no denial {denial_id}")
    return row
