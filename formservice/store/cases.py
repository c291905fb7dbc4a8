"""Storing cases: idempotent on external_id, conflicting payloads refused."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from formservice import model
from formservice.errors import ConflictError, NotFoundError
from formservice.model import Principal
from formservice.schemas.case import dump_case, load_case
from formservice.store.models import CaseRow, DocumentRow


def payload_hash(payload: dict[str, Any]) -> str:
    """SHA-256 of a canonical case payload (sorted keys, no whitespace)."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def save_case(session: Session, principal: Principal, case: model.Case) -> tuple[CaseRow, bool]:
    """Store a case; return (row, created). Same external_id + same payload → the existing row.

    External ids are unique within a facility: the idempotency check looks only at the case's
    own facility, so no answer depends on what another facility has stored.
    """
    payload = dump_case(case)
    digest = payload_hash(payload)
    if principal.facility_npi is not None and case.facility.npi != principal.facility_npi:
        # A clinic key may only file cases for its own facility.
        raise NotFoundError("this key cannot create cases for that facility")
    same_id = select(CaseRow).where(
        CaseRow.facility_npi == case.facility.npi, CaseRow.external_id == case.external_id
    )
    existing = session.scalars(same_id).first()
    if existing is not None:
        return _same_or_conflict(existing, digest), False
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
        return _same_or_conflict(session.scalars(same_id).one(), digest), False
    return row, True


def _same_or_conflict(existing: CaseRow, digest: str) -> CaseRow:
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
