"""Cases: store one (idempotent on external_id), read one, make documents for it."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from formservice import model
from formservice.api.common import AUTH, principal, services
from formservice.documents.generate import (
    DocumentRequest,
    render_document,
    save_document,
)
from formservice.reimbursement import checklists
from formservice.schemas.case import CaseSchema
from formservice.schemas.documents import (
    CaseListQuerySchema,
    CaseOutSchema,
    CaseSummarySchema,
    DocumentRequestSchema,
    DocumentSchema,
)
from formservice.store import access
from formservice.store.cases import case_facts, save_case
from formservice.store.db import transaction
from formservice.store.models import CaseRow, DocumentRow
from formservice.store.pa import refresh_next_due, tracked_case

blp = Blueprint("cases", __name__, url_prefix="/cases", description="Patient cases")


def document_out(row: DocumentRow) -> dict[str, Any]:
    """A document row as the API shows it."""
    out = {c: getattr(row, c) for c in DocumentSchema().fields if hasattr(row, c)}
    out.update(
        blob_sha256=row.blob_sha256,
        template_name=row.template_name,
        content_url=url_for("documents.DocumentContent", document_id=row.id),
    )
    return out


def case_out(row: CaseRow, documents: list[DocumentRow]) -> dict[str, Any]:
    """A case row with its documents, PA tracking and checklists, as the API shows it."""
    case = tracked_case(row)
    with services().sessions() as session:
        facts = case_facts(
            session,
            principal(),
            row,
            DocumentRequest("lmn"),
            made=[(d.kind, d.form) for d in documents],
        )
    today = services().today()
    return {
        "id": row.id,
        "external_id": row.external_id,
        "facility_npi": row.facility_npi,
        "pa_status": row.pa_status,
        "created_at": row.created_at,
        "payload": row.payload,
        "documents": [document_out(d) for d in documents],
        "benefits": row.benefits,
        "pa_history": list(row.pa_history or []),
        "next_due": row.next_due,
        "next_due_reason": row.next_due_reason,
        "checklists": {
            "pa": [i.to_json() for i in checklists.pa_checklist(case, facts, today)],
            "claim": [i.to_json() for i in checklists.claim_checklist(case, facts, today)],
        },
    }


def case_summary(row: CaseRow) -> dict[str, Any]:
    """A case as the list shows it."""
    return {
        "id": row.id,
        "external_id": row.external_id,
        "facility_npi": row.facility_npi,
        "pa_status": row.pa_status,
        "next_due": row.next_due,
        "next_due_reason": row.next_due_reason,
        "created_at": row.created_at,
    }


def _due_order(row: CaseRow) -> tuple[int, date, str]:
    # Appeal deadlines (a denied PA) first: missing one loses the appeal; then by date.
    appeal = 0 if row.pa_status == "denied" else 1
    return (appeal, row.next_due or date.max, row.external_id)


@blp.route("")
class Cases(MethodView):
    @blp.doc(security=AUTH)
    @blp.arguments(CaseListQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, CaseSummarySchema(many=True))
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def get(self, due_before: date | None, limit: int) -> list[dict[str, Any]]:
        """Visible cases; with due_before, those whose follow-up or appeal deadline is due."""
        query = access.cases_for(principal())
        if due_before is not None:
            query = query.where(CaseRow.next_due.is_not(None), CaseRow.next_due <= due_before)
        with services().sessions() as session:
            rows = list(session.scalars(query))
        rows.sort(key=_due_order)
        return [case_summary(r) for r in rows[:limit]]

    @blp.doc(security=AUTH)
    @blp.arguments(CaseSchema)
    @blp.response(201, CaseOutSchema)
    @blp.alt_response(200, schema=CaseOutSchema, description="The case already existed")
    @blp.alt_response(400, response="BAD_REQUEST")
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(409, response="CONFLICT")
    @blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
    @blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
    def post(self, case: model.Case) -> tuple[dict[str, Any], int]:
        """Validate and store a case (idempotent on external_id)."""
        with transaction(services().sessions) as session:
            row, created = save_case(session, principal(), case)
            if created:
                refresh_next_due(session, row)  # a case may arrive with a PA already submitted
            docs = [] if created else _documents(session, row.id)
            return case_out(row, docs), 201 if created else 200


@blp.route("/<case_id>")
class CaseItem(MethodView):
    @blp.doc(security=AUTH)
    @blp.response(200, CaseOutSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, case_id: str) -> dict[str, Any]:
        """The stored case and its documents."""
        with services().sessions() as session:
            row = access.get_case(session, principal(), case_id)
            return case_out(row, _documents(session, row.id))


@blp.route("/<case_id>/documents")
class CaseDocuments(MethodView):
    @blp.doc(security=AUTH)
    @blp.arguments(DocumentRequestSchema)
    @blp.response(201, DocumentSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE")
    @blp.alt_response(504, response="GATEWAY_TIMEOUT")
    def post(self, request: dict[str, Any], case_id: str) -> dict[str, Any]:
        """Generate a document for the case, store it, and describe it."""
        svc = services()
        ask = DocumentRequest(
            kind=request["kind"],
            format=request["format"],
            form=request["form"],
            denial_id=request["denial_id"],
            flatten=request["flatten"],
            pdfa=request["pdfa"],
        )
        with svc.sessions() as session:
            row = access.get_case(session, principal(), case_id)
            facts = case_facts(session, principal(), row, ask)
        rendered = render_document(svc, tracked_case(row), ask, facts)
        return document_out(save_document(svc, row.id, rendered))


def _documents(session: Any, case_id: str) -> list[DocumentRow]:
    return list(
        session.scalars(
            select(DocumentRow)
            .where(DocumentRow.case_id == case_id)
            .order_by(DocumentRow.created_at)
        )
    )
