"""Electronic remittances (X12 835): the upload and what it returns (CONTRACT.md §2)."""

from __future__ import annotations

from marshmallow import Schema, fields

from formservice.schemas.common import CleanSchema
from formservice.schemas.denial import DenialSchema

__all__ = ["ClaimPaymentSchema", "RemittanceSchema", "RemittanceUploadSchema"]


class RemittanceUploadSchema(CleanSchema):
    """The multipart/form-data body of an upload: one X12 835 file."""

    file = fields.Raw(
        required=True,
        metadata={"type": "string", "format": "binary", "description": "the 835 (X12 5010)"},
    )


class ClaimPaymentSchema(Schema):
    """One claim payment (CLP) of the 835; ``segment`` is its position in the file (ISA = 1)."""

    segment = fields.Integer(required=True)
    patient_control_number = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "CLP02 (4 = denied)"})
    billed = fields.Float(required=True)
    paid = fields.Float(required=True)
    patient_responsibility = fields.Float(allow_none=True)
    claim_number = fields.String(allow_none=True, metadata={"description": "CLP07, the ICN"})
    payer_name = fields.String(allow_none=True)
    patient_name = fields.String(allow_none=True)
    member_id = fields.String(allow_none=True)
    date_of_service = fields.String(allow_none=True)
    denied = fields.Boolean(required=True)


class GuideProblemSchema(Schema):
    """A departure from the 835 implementation guide that pyx12 found (reported, not refused)."""

    segment = fields.Integer(allow_none=True)
    id = fields.String(allow_none=True)
    element = fields.String(allow_none=True)
    message = fields.String()


class RemittanceSchema(Schema):
    """An 835 as read: every claim, and the denials stored from it (matched or unmatched)."""

    id = fields.String(required=True, metadata={"description": "the file's SHA-256"})
    filename = fields.String()
    payer_name = fields.String(allow_none=True)
    payee_name = fields.String(allow_none=True)
    payee_npi = fields.String(allow_none=True)
    payment_date = fields.String(allow_none=True)
    trace_number = fields.String(allow_none=True)
    total_paid = fields.Float(allow_none=True)
    claims = fields.List(fields.Nested(ClaimPaymentSchema), required=True)
    denials = fields.List(
        fields.Nested(DenialSchema),
        required=True,
        metadata={"description": "denial JSON of §4 with id and case_id (null: unmatched)"},
    )
    guide_problems = fields.List(fields.Nested(GuideProblemSchema))
    guide_check = fields.String(
        metadata={"description": "done, or skipped (the file is over the check's size limit)"}
    )
