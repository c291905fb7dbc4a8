"""Prior-authorization tracking: a status change in, the PA state out."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from formservice import model
from formservice.schemas.common import FORM_ID_PATTERN, StrictSchema, text


class PaUpdateSchema(StrictSchema):
    """One step of a case's PA: the new status, the day it happened, the PA number, a note."""

    status = fields.String(required=True, validate=validate.OneOf(model.PA_STATUSES))
    on = fields.Date(
        load_default=None,
        allow_none=True,
        metadata={"description": "the date of this step; today when absent"},
    )
    number = text(50, metadata={"description": "the payer's PA (or appeal) reference number"})
    note = text(500)
    form = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(FORM_ID_PATTERN, error="Not a form id (e.g. tx_nofr001)."),
        metadata={
            "description": "the payer form sent with a `submitted` step (e.g. tx_nofr001): the "
            "appeal packet encloses it, and only it"
        },
    )


class PaStepSchema(Schema):
    """A recorded PA step."""

    status = fields.String(required=True)
    on = fields.String(required=True, metadata={"description": "ISO date"})
    number = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    form = fields.String(allow_none=True)


class PaStateSchema(Schema):
    """A case's PA: status, the moves allowed from it, its steps and the next due date."""

    case_id = fields.String(required=True)
    status = fields.String(required=True)
    allowed = fields.List(fields.String(), required=True)
    number = fields.String(allow_none=True)
    history = fields.List(fields.Nested(PaStepSchema), required=True)
    next_due = fields.Date(allow_none=True)
    next_due_reason = fields.String(allow_none=True)
