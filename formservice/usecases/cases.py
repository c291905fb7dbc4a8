"""Cases: store one, read one (with its checklists), list the due ones, gather its facts.

`case_facts` is the one place the facts a document draws on (benefits, documents already made,
the denial it answers and the letter's bytes) are read from the store for a case.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from formservice.errors import ValidationProblem
from formservice.model import Benefits, Case, CaseFacts, Denial, DocumentRequest, Principal
from formservice.model.reconciliation import Reconciliation
from formservice.reimbursement import checklists
from formservice.reimbursement.checklists import ChecklistItem
from formservice.store import access
from formservice.store.audit import record_event
from formservice.store.blobs import BlobStore
from formservice.store.case_list import RANKS, CaseSummary, DuePosition, list_case_summaries
from formservice.store.cases import documents_made, save_case
from formservice.store.db import reading, transaction
from formservice.store.documents import case_documents
from formservice.store.models import CaseRow, DenialRow, DocumentRow
from formservice.store.pa import refresh_next_due, tracked_case
from formservice.usecases.services import Services

__all__ = [
    "CasePage",
    "CaseSummary",
    "CaseView",
    "case_checklists",
    "case_facts",
    "create_case",
    "list_cases",
    "read_case",
]

_CASE_ID = re.compile(r"[0-9a-f]{32}")  # uuid4 hex, as store.models.new_id makes them
MAX_EXTERNAL_ID = 80  # the column's width: a longer one is no position of ours
# A packet holds its own appeal letter, LMN and appeal checklist.
PACKET_CONTENTS = frozenset({"appeal", "lmn", "appeal_checklist"})


@dataclass(frozen=True)
class CaseView:
    """A stored case with what the faces show beside it."""

    row: CaseRow
    case: Case  # with the PA as tracked
    documents: list[DocumentRow]
    checklists: dict[str, list[ChecklistItem]]
    denials: list[dict[str, Any]] = field(default_factory=list)


def create_case(
    services: Services, principal: Principal, case: Case, *, actor: str | None = None
) -> tuple[CaseView, bool]:
    """Store a case (idempotent on external_id); return its view and whether it was created.

    With `actor` (a face without the request audit hook: the CLI), a stored case is recorded
    in the audit trail in the same transaction, as `POST /cases` is by the hook.
    """
    with transaction(services.sessions) as session:
        row, created = save_case(session, principal, case)
        if created:
            refresh_next_due(session, row)  # a case may arrive with a PA already submitted
            if actor is not None:
                record_event(
                    session, actor=actor, principal=principal, action="create_case", case_id=row.id
                )
        documents = [] if created else case_documents(session, row.id)
        view = _view(session, services.today(), principal, row, documents)
    return view, created


def read_case(services: Services, principal: Principal, case_id: str) -> CaseView:
    """A case the caller may see, with its documents and checklists (404 otherwise)."""
    with reading(services.sessions) as session:
        row = access.get_case(session, principal, case_id)
        return _view(session, services.today(), principal, row, case_documents(session, row.id))


def _view(
    session: Session, today: date, principal: Principal, row: CaseRow, documents: list[DocumentRow]
) -> CaseView:
    case = tracked_case(row)
    facts = case_facts(
        session, principal, row, DocumentRequest("lmn"), made=[(d.kind, d.form) for d in documents]
    )
    lists = {
        "pa": checklists.pa_checklist(case, facts, today),
        "claim": checklists.claim_checklist(case, facts, today),
    }
    return CaseView(row, case, documents, lists, _denials(session, row.id))


def _denials(session: Session, case_id: str) -> list[dict[str, Any]]:
    """The case's denial letters, each with its reconciliation (CONTRACT.md §4)."""
    rows = session.scalars(
        select(DenialRow).where(DenialRow.case_id == case_id).order_by(DenialRow.created_at)
    )
    out = []
    for denial in rows:
        found = Reconciliation.from_stored(denial.reconciliation) if denial.reconciliation else None
        out.append(
            {
                "id": denial.id,
                "filename": denial.filename,
                "status": denial.status,
                "appeal_deadline": denial.appeal_deadline,
                "reconciliation": found.to_json() if found else None,
                "reconciliation_state": found.state_json() if found else None,
            }
        )
    return out


@dataclass(frozen=True)
class CasePage:
    """One page of the case list and the cursor of the next page (None: this is the last)."""

    items: list[CaseSummary]
    next_cursor: str | None


def list_cases(
    services: Services,
    principal: Principal,
    *,
    due_before: date | None = None,
    limit: int = 100,
    cursor: str | None = None,
    names: bool = False,
) -> CasePage:
    """Visible cases in due order (appeal deadlines first), a page of `limit` after `cursor`.

    With `due_before`, only cases due on or before that day. `names` adds the patient's name and
    the payer (the staff page). The cursor is opaque to clients; a bad one is a 422.
    """
    after = decode_cursor(cursor) if cursor else None
    with reading(services.sessions) as session:
        rows = list_case_summaries(
            session, principal, due_before=due_before, after=after, limit=limit + 1, names=names
        )
    more = len(rows) > limit
    rows = rows[:limit]
    return CasePage(rows, encode_cursor(rows[-1].position) if more and rows else None)


def encode_cursor(position: DuePosition) -> str:
    """An opaque cursor for the page after `position`."""
    raw = json.dumps([position.rank, position.due.isoformat(), position.external_id, position.id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> DuePosition:
    """The position a cursor names; ValidationProblem when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        rank, due, external_id, case_id = json.loads(raw)
        if (
            type(rank) is not int
            or rank not in RANKS
            or not isinstance(external_id, str)
            or len(external_id) > MAX_EXTERNAL_ID
            or "\x00" in external_id
            or not isinstance(case_id, str)
            or not _CASE_ID.fullmatch(case_id)
        ):
            raise ValueError(cursor)
        return DuePosition(rank, date.fromisoformat(due), external_id, case_id)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ValidationProblem(
            "the cursor is not valid", errors={"cursor": ["Use the next link of a case list."]}
        ) from None


def case_facts(
    session: Session,
    principal: Principal,
    row: CaseRow,
    request: DocumentRequest,
    *,
    made: list[tuple[str, str | None]] | None = None,
    blobs: BlobStore | None = None,
) -> CaseFacts:
    """What the store knows about a case that a document draws on besides its payload.

    `made` is the case's (kind, form) list when the caller already read it (batch work); with
    `blobs`, the denial letter's own bytes are read too (the appeal packet encloses it).
    """
    if made is None:
        made = documents_made(session, [row.id])[row.id]
    kinds = {kind for kind, _ in made}
    if "appeal_packet" in kinds:
        kinds |= PACKET_CONTENTS
    denial, source, letter = None, None, None
    if request.denial_id:
        denial_row = access.get_denial(session, principal, request.denial_id)
        denial, source = _read_denial(denial_row), denial_row.source_sha256
        # An 835's denial has no letter to enclose: the packet prints the claim's remittance.
        if blobs is not None and request.kind == "appeal_packet" and denial.text_source != "x12":
            letter = blobs.get(source)
    return CaseFacts(
        benefits=Benefits.from_json(row.benefits) if row.benefits else None,
        documents=frozenset(kinds),
        denial=denial,
        denial_source_sha256=source,
        forms=tuple(form for kind, form in made if kind == "pa_form" and form),
        denial_pdf=letter,
        pa_history=tuple(row.pa_history or ()),
        case_id=row.id,
    )


def _read_denial(row: DenialRow) -> Denial:
    if row.status != "done" or row.result is None:
        raise ValidationProblem(
            "the denial letter has not been read yet",
            errors={"denial_id": [f"The denial is {row.status}."]},
        )
    return Denial.from_json(row.result)


def case_checklists(
    services: Services,
    principal: Principal,
    row: CaseRow,
    documents: list[DocumentRow],
    denial: DenialRow | None,
) -> list[tuple[str, list[ChecklistItem]]]:
    """The PA, claim and (with a read denial) appeal checklists of a case, titled."""
    case = tracked_case(row)
    request = DocumentRequest(
        "appeal_checklist", denial_id=denial.id if denial and denial.result else None
    )
    with reading(services.sessions) as session:
        facts = case_facts(
            session, principal, row, request, made=[(d.kind, d.form) for d in documents]
        )
    today = services.today()
    lists = [
        ("Prior authorization", checklists.pa_checklist(case, facts, today)),
        ("Claim", checklists.claim_checklist(case, facts, today)),
    ]
    if denial is not None and denial.result is not None:
        lists.append(("Letter of appeal", checklists.appeal_checklist(case, facts, today)))
    return lists
