"""PAP eligibility: request options and the decision (CONTRACT.md §2 POST /pap/eligibility)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from formservice.schemas.common import StrictSchema

MAX_COST = 100_000_000


class PapOptionsSchema(StrictSchema):
    """Query options of a PAP decision; the body is the case payload."""

    application_date = fields.Date(
        load_default=None,
        allow_none=True,
        metadata={"description": "chooses the poverty-guideline year; today when absent"},
    )
    cost = fields.Float(
        validate=validate.Range(min=0, max=MAX_COST, error=f"Must be 0 to {MAX_COST:,}."),
        allow_nan=False,
        load_default=None,
        allow_none=True,
        metadata={"description": "product cost for the hardship test (default: configured)"},
    )
    underinsured = fields.Boolean(
        load_default=None,
        allow_none=True,
        metadata={"description": "benefits investigation verdict; default: the stored BI"},
    )
    appeal_available = fields.Boolean(
        load_default=None,
        allow_none=True,
        metadata={"description": "true: a PA denial is not final while the appeal is open"},
    )


class PapRuleSchema(Schema):
    """One rule checked: passed (true/false/null = cannot tell), why, and the numbers used."""

    rule = fields.String(required=True, metadata={"example": "automatic.income_600_fpl"})
    passed = fields.Boolean(allow_none=True, required=True)
    detail = fields.String(required=True)
    numbers = fields.Dict(required=True)
    missing = fields.List(fields.String(), required=True)


class FplSchema(Schema):
    """The poverty-guideline numbers the income rule used (null when not computed)."""

    year = fields.Integer(allow_none=True)
    region = fields.String(allow_none=True)
    household_size = fields.Integer(allow_none=True)
    guideline = fields.Float(allow_none=True)
    multiple = fields.Integer(allow_none=True)
    limit = fields.Float(allow_none=True)
    income = fields.Float(allow_none=True)
    income_field = fields.String(allow_none=True)
    percent_of_fpl = fields.Float(allow_none=True)
    effective = fields.String(allow_none=True)
    source = fields.String(allow_none=True)
    verified = fields.Boolean(allow_none=True)


class PapDecisionSchema(Schema):
    """A PAP decision: eligible (null = cannot decide), the basis, every rule and the FPL."""

    eligible = fields.Boolean(allow_none=True, required=True)
    basis = fields.String(required=True)
    reasons = fields.List(fields.Nested(PapRuleSchema), required=True)
    fpl = fields.Nested(FplSchema, required=True)
    missing = fields.List(fields.String(), required=True)
    decided_by = fields.List(fields.String(), required=True)
    notes = fields.List(fields.String(), required=True)
    application_date = fields.String(required=True)
    application_date_assumed = fields.Boolean(required=True)
