"""The denial JSON of CONTRACT.md §4, its review corrections, and the upload form."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from formservice.model.denial import CATEGORIES, REVIEWABLE
from formservice.model.denial_parts import GROUP_CODES
from formservice.schemas.common import CleanSchema, CptCode, Icd10Code, Id, StrictSchema

PLAN_TYPES = (
    "commercial",
    "erisa",
    "medicare_ffs",
    "medicare_advantage",
    "medicaid",
    "aca_individual",
    "other",
)


class ReasonSchema(Schema):
    category = fields.String(required=True)
    carc = fields.String(allow_none=True)
    page = fields.Integer(allow_none=True)
    evidence = fields.String(allow_none=True)
    confidence = fields.Float(allow_none=True)


class AdjustmentSchema(Schema):
    """One claim adjustment: group code (null when not printed), CARC, amount."""

    group = fields.String(allow_none=True, validate=validate.OneOf(GROUP_CODES))
    carc = fields.String(required=True)
    amount = fields.Float(allow_none=True)


class ServiceLineSchema(Schema):
    """One billed line of a remittance, with the adjustments and remarks printed on it."""

    date_of_service = fields.String(allow_none=True)
    code = fields.String(allow_none=True)
    modifiers = fields.List(fields.String())
    units = fields.Float(allow_none=True)
    billed = fields.Float(allow_none=True)
    allowed = fields.Float(allow_none=True)
    paid = fields.Float(allow_none=True)
    adjustments = fields.List(fields.Nested(AdjustmentSchema))
    rarc_codes = fields.List(fields.String())


class AppealToSchema(Schema):
    """Where the letter says to send an appeal; a part it does not state is null."""

    name = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    fax = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    portal = fields.String(allow_none=True)


class AppealToCorrectionSchema(StrictSchema):
    """A reviewer's appeal destination (the packet is routed to it)."""

    name = fields.String(allow_none=True, validate=validate.Length(max=200))
    address = fields.String(allow_none=True, validate=validate.Length(max=300))
    fax = fields.String(
        allow_none=True,
        validate=validate.Regexp(
            r"^[0-9()+.\- ]{7,25}$", error="A fax number such as 206-555-0199."
        ),
    )
    phone = fields.String(
        allow_none=True,
        validate=validate.Regexp(r"^[0-9()+.\- ]{7,25}$", error="A phone number."),
    )
    portal = fields.String(allow_none=True, validate=validate.Length(max=300))


class DenialSchema(Schema):
    """A denial letter's facts, each traceable to the page and text it came from."""

    id = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "processing | done | failed"})
    status_url = fields.String()
    case_id = fields.String(allow_none=True)
    filename = fields.String()
    error = fields.String(allow_none=True)
    text_source = fields.String(allow_none=True)
    pages = fields.Integer(allow_none=True)
    payer_name = fields.String(allow_none=True)
    member_id = fields.String(allow_none=True)
    claim_number = fields.String(allow_none=True)
    authorization_number = fields.String(allow_none=True)
    patient_name = fields.String(allow_none=True)
    letter_date = fields.String(allow_none=True)
    date_of_service = fields.String(allow_none=True)
    procedure_codes = fields.List(fields.String())
    diagnosis_codes = fields.List(fields.String())
    carc_codes = fields.List(fields.String())
    rarc_codes = fields.List(fields.String())
    categories = fields.List(fields.String())
    reasons = fields.List(fields.Nested(ReasonSchema))
    appeal_deadline = fields.String(allow_none=True)
    appeal_days = fields.Integer(allow_none=True)
    appeal_deadline_basis = fields.String(allow_none=True)
    plan_type = fields.String(allow_none=True)
    needs_review = fields.Boolean()
    review_fields = fields.List(
        fields.String(validate=validate.OneOf(REVIEWABLE)),
        metadata={"description": "facts a person must check: missing or unsure"},
    )
    service_lines = fields.List(fields.Nested(ServiceLineSchema))
    adjustments = fields.List(
        fields.Nested(AdjustmentSchema),
        metadata={"description": "routine pricing and cost share (45, 1, 2, 3, 253): not reasons"},
    )
    appeal_to = fields.Nested(AppealToSchema, allow_none=True)
    evidence = fields.Dict(metadata={"description": "field → {page, text, confidence}"})
    reviewed_fields = fields.List(fields.String())
    reconciliation = fields.Dict(
        allow_none=True,
        metadata={
            "description": "once attached: fact → {status: match|differs|absent, case, denial, "
            "identity} for patient_name, date_of_birth, member_id, payer, dates_of_service, "
            "diagnosis_codes, procedure_codes"
        },
    )
    reconciliation_state = fields.Dict(
        allow_none=True,
        metadata={
            "description": "{identity_differs, warnings, acknowledged, acknowledged_by, "
            "acknowledged_at, override: {by, at, reason} | null}"
        },
    )


class DenialCorrectionSchema(StrictSchema):
    """Fields a person corrected on the review page (anything absent is left as parsed)."""

    payer_name = fields.String(allow_none=True, validate=validate.Length(max=200))
    member_id = fields.String(allow_none=True, validate=validate.Length(max=40))
    claim_number = fields.String(allow_none=True, validate=validate.Length(max=40))
    authorization_number = fields.String(allow_none=True, validate=validate.Length(max=40))
    patient_name = fields.String(allow_none=True, validate=validate.Length(max=200))
    letter_date = fields.Date(allow_none=True)
    date_of_service = fields.Date(allow_none=True)
    procedure_codes = fields.List(CptCode())
    diagnosis_codes = fields.List(Icd10Code())
    carc_codes = fields.List(
        fields.String(validate=validate.Regexp(r"^[A-Z]?[0-9]{1,3}$", error="A CARC such as 50."))
    )
    rarc_codes = fields.List(
        fields.String(
            validate=validate.Regexp(r"^[A-Z]{1,2}[0-9]{1,4}$", error="A RARC such as N115.")
        )
    )
    categories = fields.List(fields.String(validate=validate.OneOf(CATEGORIES)))
    appeal_deadline = fields.Date(allow_none=True)
    plan_type = fields.String(allow_none=True, validate=validate.OneOf(PLAN_TYPES))
    appeal_to = fields.Nested(AppealToCorrectionSchema, allow_none=True)
    needs_review = fields.Boolean()


class DenialUploadSchema(CleanSchema):
    """The multipart/form-data body of an upload: the letter and, optionally, its case."""

    file = fields.Raw(
        required=True,
        metadata={"type": "string", "format": "binary", "description": "the letter (PDF)"},
    )
    case_id = Id(load_default=None, metadata={"description": "the case the letter belongs to"})


class AttachDenialSchema(StrictSchema):
    """Attach a denial: `override_reason` (hub users only) attaches a letter naming another
    patient; `acknowledge_warnings` records that the other differences were seen."""

    denial_id = Id(required=True)
    override_reason = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=500)
    )
    acknowledge_warnings = fields.Boolean(load_default=False)
