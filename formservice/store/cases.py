"""Storing cases: idempotent on external_id, conflicting payloads refused."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from formservice import model
from formservice.errors import ConflictError, NotFoundError, ValidationProblem
from formservice.schemas.case import dump_case, load_case
from formservice.security import Principal
from formservice.store.models import CaseRow, DocumentRow

if TYPE_CHECKING:
    from formservice.documents.generate import CaseFacts, DocumentRequest


PACKET_CONTENTS = frozenset({"appeal", "lmn", "appeal_checklist"})


def payload_hash(payload: dict[str, Any]) -> str:
    """SHA-256 of a canonical case payload (sorted keys, no whitespace)."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def save_case(session: Session, principal: Principal, case: model.Case) -> tuple[CaseRow, bool]:
    """Store a case; return (row, created). Same external_id + same payload → the existing row."""
    payload = dump_case(case)
    digest = payload_hash(payload)
    if principal.facility_npi is not None and case.facility.npi != principal.facility_npi:
        # A clinic key may only file cases for its own facility.
        raise NotFoundError("this key cannot create cases for that facility")
    existing = session.scalars(
        select(CaseRow).where(CaseRow.external_id == case.external_id)
    ).first()
    if existing is not None:
        return _same_or_conflict(principal, existing, digest), False
    row = CaseRow(
        external_id=case.external_id,
        facility_npi=case.facility.npi,
        payload=payload,
        payload_sha256=digest,
        pa_status=case.prior_authorization.status,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        # Another request stored the same external_id between our read and our write.
        existing = session.scalars(
            select(CaseRow).where(CaseRow.external_id == case.external_id)
        ).one()
        return _same_or_conflict(principal, existing, digest), False
    return row, True


def _same_or_conflict(principal: Principal, existing: CaseRow, digest: str) -> CaseRow:
    if principal.facility_npi is not None and existing.facility_npi != principal.facility_npi:
        raise ConflictError("external_id is already used")
    if existing.payload_sha256 != digest:
        raise ConflictError(
            f"external_id {existing.external_id!r} already exists with a different payload",
            errors={"external_id": ["Already used for a different case payload."]},
            case_id=existing.id,
        )
    return existing


def case_model(row: CaseRow) -> model.Case:
    """The model of a stored case (payloads were validated on the way in)."""
    return load_case(row.payload)


def documents_made(
    session: Session, case_ids: list[str]
) -> dict[str, list[tuple[str, str | None]]]:
    """(kind, form) of every document of each case, oldest first, in one query."""
    made: dict[str, list[tuple[str, str | None]]] = {case_id: [] for case_id in case_ids}
    for case_id, kind, form in session.execute(
        select(DocumentRow.case_id, DocumentRow.kind, DocumentRow.form)
        .where(DocumentRow.case_id.in_(case_ids))
        .order_by(DocumentRow.created_at)
    ):
        made[case_id].append((kind, form))
    return made


def case_facts(
    session: Session,
    principal: Principal,
    row: CaseRow,
    request: DocumentRequest,
    *,
    made: list[tuple[str, str | None]] | None = None,
) -> CaseFacts:
    """What the store knows about a case that documents draw on besides its payload.

    `made` is the case's (kind, form) list when the caller already read it (batch work).
    """
    from formservice.store.access import get_denial

    if made is None:
        made = documents_made(session, [row.id])[row.id]
    kinds = {kind for kind, _ in made}
    if "appeal_packet" in kinds:
        # A packet holds its own appeal letter, LMN and appeal checklist.
        kinds |= PACKET_CONTENTS
    denial, source = None, None
    if request.denial_id:
        denial_row = get_denial(session, principal, request.denial_id)
        if denial_row.status != "done":
            raise ValidationProblem(
                "the denial letter has not been read yet",
                errors={"denial_id": [f"The denial is {denial_row.status}."]},
            )
        denial, source = denial_row.result, denial_row.source_sha256
    forms = tuple(form for kind, form in made if kind == "pa_form" and form)
    from formservice.documents.generate import CaseFacts

    return CaseFacts(
        benefits=row.benefits,
        documents=frozenset(kinds),
        denial=denial,
        denial_source_sha256=source,
        forms=forms,
        pa_history=tuple(row.pa_history or ()),
        case_id=row.id,
    )
