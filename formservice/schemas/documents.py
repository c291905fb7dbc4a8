"""Request and response shapes for cases and documents in the API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from formservice.schemas.common import FORM_ID_PATTERN, Id, StrictSchema

FORMATS = ("docx", "pdf")
FORM_ID_ERROR = "Not a form id (lower-case letters, digits, _ and -; at most 60)."


class DocumentRequestSchema(StrictSchema):
    """What document to make for a stored case."""

    kind = fields.String(required=True, metadata={"example": "lmn"})
    format = fields.String(validate=validate.OneOf(FORMATS), load_default=None, allow_none=True)
    form = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(FORM_ID_PATTERN, error=FORM_ID_ERROR),
        metadata={"description": "payer form id (pa_form only), e.g. tx_nofr001"},
    )
    denial_id = Id(load_default=None, allow_none=True)
    flatten = fields.Boolean(load_default=False)
    pdfa = fields.Boolean(load_default=False)
    late_reason = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=1000),
        metadata={"description": "appeal_packet: the good cause of a late appeal (in the letter)"},
    )
    acknowledge_warnings = fields.Boolean(
        load_default=False,
        metadata={
            "description": "appeal_packet: the differences between letter and case were seen"
        },
    )
    override_reason = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=10, max=500),
        metadata={
            "description": "hub keys only: make a document an overridable applicability rule "
            "refuses (e.g. an off-label LMN), or an appeal_packet past its first-level "
            "deadline, and say why; recorded in the audit trail"
        },
    )


class PlanEntrySchema(Schema):
    """One document of the plan: kind, form, why; `rule` and `source` when it does not apply."""

    kind = fields.String(required=True)
    form = fields.String(allow_none=True, required=True)
    why = fields.String(required=True)
    rule = fields.String()
    source = fields.String()
    overridable = fields.Boolean()
    fill_in = fields.List(fields.String())


class PlanSchema(Schema):
    """The documents that apply to a case and why, those that don't and why (CONTRACT.md §2)."""

    applies = fields.List(fields.Nested(PlanEntrySchema), required=True)
    not_applicable = fields.List(fields.Nested(PlanEntrySchema), required=True)
    fill_in = fields.List(fields.Dict(), required=True)
    abn = fields.Dict(required=True)
    warnings = fields.List(fields.String(), required=True)


class RenderQuerySchema(StrictSchema):
    """Query parameters of the stateless render endpoint."""

    format = fields.String(validate=validate.OneOf(FORMATS), load_default=None)
    form = fields.String(
        load_default=None,
        validate=validate.Regexp(FORM_ID_PATTERN, error=FORM_ID_ERROR),
        metadata={"description": "payer form id (pa_form only), e.g. tx_nofr001"},
    )
    flatten = fields.Boolean(load_default=False)
    pdfa = fields.Boolean(load_default=False)


class DocumentSchema(Schema):
    """A generated, stored document."""

    id = fields.String(required=True)
    case_id = fields.String(required=True)
    kind = fields.String(required=True)
    format = fields.String(required=True)
    form = fields.String(allow_none=True)
    sha256 = fields.String(required=True, attribute="blob_sha256")
    size = fields.Integer(required=True)
    media_type = fields.String(required=True)
    filename = fields.String(required=True)
    template = fields.String(required=True, attribute="template_name")
    template_version = fields.Integer(required=True)
    template_sha256 = fields.String(required=True)
    input_sha256 = fields.String(required=True)
    supersedes_id = fields.String(allow_none=True)
    details = fields.Dict(allow_none=True)
    created_at = fields.DateTime(required=True)
    content_url = fields.String(required=True)


class CaseOutSchema(Schema):
    """A stored case: its id, the payload as stored, and its documents."""

    id = fields.String(required=True)
    external_id = fields.String(required=True)
    facility_npi = fields.String(required=True)
    pa_status = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    case = fields.Dict(required=True, attribute="payload")
    documents = fields.List(fields.Nested(DocumentSchema), required=True)
    benefits = fields.Dict(allow_none=True, metadata={"description": "benefits investigation"})
    pa_history = fields.List(fields.Dict(), required=True)
    next_due = fields.Date(allow_none=True)
    next_due_reason = fields.String(allow_none=True)
    checklists = fields.Dict(
        required=True,
        metadata={
            "description": '{"pa": [...], "claim": [...]}: items {id, label, status, detail}'
        },
    )
    denials = fields.List(
        fields.Dict(),
        metadata={
            "description": "denial letters attached: {id, filename, status, appeal_deadline, "
            "reconciliation, reconciliation_state} (CONTRACT.md §4)"
        },
    )


class CaseListQuerySchema(StrictSchema):
    """Filters of the case list."""

    due_before = fields.Date(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "only cases whose next follow-up or appeal deadline is on or before"
        },
    )
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))
    cursor = fields.String(
        load_default=None,
        allow_none=True,
        metadata={"description": "where the page starts: from the `next` link of the page before"},
    )


class CaseSummarySchema(Schema):
    """A case in a list: who, PA status and what is due next."""

    id = fields.String(required=True)
    external_id = fields.String(required=True)
    facility_npi = fields.String(required=True)
    pa_status = fields.String(required=True)
    next_due = fields.Date(allow_none=True)
    next_due_reason = fields.String(allow_none=True)
    created_at = fields.DateTime(required=True)
