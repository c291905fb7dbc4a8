"""Cases: store one (idempotent on external_id), read one, make documents for it."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from formservice import model
from formservice.api.common import AUTH, principal, services
from formservice.model import DocumentRequest
from formservice.schemas.case import CaseSchema
from formservice.schemas.documents import (
    CaseListQuerySchema,
    CaseOutSchema,
    CaseSummarySchema,
    DocumentRequestSchema,
    DocumentSchema,
    PlanSchema,
)
from formservice.store.models import DocumentRow
from formservice.usecases.cases import (
    CaseSummary,
    CaseView,
    create_case,
    list_cases,
    read_case,
)
from formservice.usecases.documents import make_document
from formservice.usecases.packets import PACKET_KIND, build_packet
from formservice.usecases.plan import case_plan

blp = Blueprint("cases", __name__, url_prefix="/cases", description="Patient cases")
DOCUMENT_FIELDS = tuple(DocumentSchema().fields)  # built once, not per document shown
NEXT_LINK_HEADER = {
    "Link": {
        "description": 'The next page, when there is one: `<URL>; rel="next"` (RFC 8288)',
        "schema": {"type": "string"},
    }
}


def document_out(row: DocumentRow) -> dict[str, Any]:
    """A document row as the API shows it."""
    out = {c: getattr(row, c) for c in DOCUMENT_FIELDS if hasattr(row, c)}
    out.update(
        blob_sha256=row.blob_sha256,
        template_name=row.template_name,
        content_url=url_for("documents.DocumentContent", document_id=row.id),
    )
    return out


def case_out(view: CaseView) -> dict[str, Any]:
    """A case with its documents, PA tracking and checklists, as the API shows it."""
    row = view.row
    return {
        "id": row.id,
        "external_id": row.external_id,
        "facility_npi": row.facility_npi,
        "pa_status": row.pa_status,
        "created_at": row.created_at,
        "payload": row.payload,
        "documents": [document_out(d) for d in view.documents],
        "benefits": row.benefits,
        "pa_history": list(row.pa_history or []),
        "next_due": row.next_due,
        "next_due_reason": row.next_due_reason,
        "checklists": {
            name: [i.to_json() for i in items] for name, items in view.checklists.items()
        },
        "denials": view.denials,
    }


def case_summary(row: CaseSummary) -> dict[str, Any]:
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


@blp.route("")
class Cases(MethodView):
    @blp.doc(security=AUTH)
    @blp.arguments(CaseListQuerySchema(), location="query", as_kwargs=True)
    @blp.response(200, CaseSummarySchema(many=True), headers=NEXT_LINK_HEADER)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def get(
        self, due_before: date | None, limit: int, cursor: str | None
    ) -> tuple[list[dict[str, Any]], int, dict[str, str]]:
        """Visible cases, appeal deadlines first; with due_before, those due by that day.

        A page holds `limit` cases; when more follow, the `Link` header names the next page
        (`rel="next"`, with the same filters and a cursor).
        """
        page = list_cases(
            services(), principal(), due_before=due_before, limit=limit, cursor=cursor
        )
        headers = {}
        if page.next_cursor is not None:
            args: dict[str, Any] = {"limit": limit, "cursor": page.next_cursor}
            if due_before is not None:
                args["due_before"] = due_before.isoformat()
            headers["Link"] = f'<{url_for("cases.Cases", _external=True, **args)}>; rel="next"'
        return [case_summary(r) for r in page.items], 200, headers

    @blp.doc(security=AUTH)
    @blp.arguments(CaseSchema())
    @blp.response(201, CaseOutSchema)
    @blp.alt_response(200, schema=CaseOutSchema, description="The case already existed")
    @blp.alt_response(400, response="BAD_REQUEST")
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(409, response="CONFLICT")
    @blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
    @blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
    def post(self, case: model.Case) -> tuple[dict[str, Any], int]:
        """Validate and store a case (idempotent on external_id)."""
        view, created = create_case(services(), principal(), case)
        return case_out(view), 201 if created else 200


@blp.route("/<id:case_id>")
class CaseItem(MethodView):
    @blp.doc(security=AUTH)
    @blp.response(200, CaseOutSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, case_id: str) -> dict[str, Any]:
        """The stored case and its documents."""
        return case_out(read_case(services(), principal(), case_id))


@blp.route("/<id:case_id>/documents")
class CaseDocuments(MethodView):
    @blp.doc(security=AUTH)
    @blp.arguments(DocumentRequestSchema())
    @blp.response(201, DocumentSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE")
    @blp.alt_response(504, response="GATEWAY_TIMEOUT")
    def post(self, request: dict[str, Any], case_id: str) -> dict[str, Any]:
        """Generate a document for the case, store it, and describe it."""
        if request["kind"] == PACKET_KIND:
            return document_out(
                build_packet(
                    services(),
                    principal(),
                    request["denial_id"],
                    case_id=case_id,
                    late_reason=request["late_reason"],
                    override_reason=request["override_reason"],
                    acknowledge_warnings=request["acknowledge_warnings"],
                )
            )
        ask = DocumentRequest(
            kind=request["kind"],
            format=request["format"],
            form=request["form"],
            denial_id=request["denial_id"],
            flatten=request["flatten"],
            pdfa=request["pdfa"],
            override_reason=request["override_reason"],
        )
        return document_out(make_document(services(), principal(), case_id, ask))


@blp.route("/<id:case_id>/plan")
class CasePlan(MethodView):
    @blp.doc(security=AUTH)
    @blp.response(200, PlanSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, case_id: str) -> dict[str, Any]:
        """The documents that apply to the case and why, and those that don't and why.

        A document that does not apply names its `rule` (reimbursement/data/applicability.yaml)
        and `source`; asking for it is a 422 naming that rule. `fill_in` lists the facts the
        plan needs and lacks (never guessed); `abn` says whether Original Medicare needs an
        Advance Beneficiary Notice and the claim modifier (GA/GZ) that follows.
        """
        return case_plan(services(), principal(), case_id).to_json()
