"""Cases: store one (idempotent on external_id), read one, make documents for it."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from formservice import model
from formservice.api.common import AUTH, principal, services
from formservice.documents.generate import DocumentRequest, render_document, save_document
from formservice.schemas.case import CaseSchema
from formservice.schemas.documents import CaseOutSchema, DocumentRequestSchema, DocumentSchema
from formservice.store import access
from formservice.store.cases import case_facts, case_model, save_case
from formservice.store.db import transaction
from formservice.store.models import CaseRow, DocumentRow

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
    """A case row with its documents, as the API shows it."""
    return {
        "id": row.id,
        "external_id": row.external_id,
        "facility_npi": row.facility_npi,
        "pa_status": row.pa_status,
        "created_at": row.created_at,
        "payload": row.payload,
        "documents": [document_out(d) for d in documents],
    }


@blp.route("")
class Cases(MethodView):
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
        rendered = render_document(svc, case_model(row), ask, facts)
        return document_out(save_document(svc, row.id, rendered))


def _documents(session: Any, case_id: str) -> list[DocumentRow]:
    return list(
        session.scalars(
            select(DocumentRow)
            .where(DocumentRow.case_id == case_id)
            .order_by(DocumentRow.created_at)
        )
    )
