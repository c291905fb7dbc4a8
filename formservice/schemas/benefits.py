"""The benefits-investigation (BI) result payload: what the hub learned from the payer.

Stored on the case (``PUT /cases/{id}/benefits``) and rendered as the Summary of Benefits.
Strict like every payload: unknown keys are refused, money is non-negative, a met amount may not
exceed its limit, and cost sharing is a coinsurance percentage or a copay, not both.
"""

from __future__ import annotations

import re
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from formservice import model
from formservice.errors import ValidationProblem, flatten_messages
from formservice.schemas.common import (
    CPT_HCPCS_PATTERN,
    StrictSchema,
    money,
    past_date,
    phone_number,
    text,
)

NETWORK_STATUSES = ("in_network", "out_of_network", "unknown")
CHANNELS = ("portal", "fax", "phone", "mail")
MAX_TURNAROUND_DAYS = 365


class SubmissionSchema(StrictSchema):
    """Where and how the provider submits the PA request."""

    channel = fields.String(validate=validate.OneOf(CHANNELS), allow_none=True, load_default=None)
    fax = phone_number()
    portal_url = fields.Url(
        schemes={"https"}, allow_none=True, load_default=None, validate=validate.Length(max=300)
    )
    phone = phone_number()


def _allowed_amount_key(value: str) -> None:
    if not re.fullmatch(CPT_HCPCS_PATTERN, value):
        raise ValidationError(f"{value!r} is not a CPT or HCPCS code (e.g. 0662T).")


class BenefitsSchema(StrictSchema):
    """A benefits investigation result (the hub's call to the payer)."""

    coverage_active = fields.Boolean(required=True)
    plan_type = fields.String(
        validate=validate.OneOf(model.PLAN_TYPES), allow_none=True, load_default=None
    )
    network_status = fields.String(
        validate=validate.OneOf(NETWORK_STATUSES), load_default="unknown"
    )
    scalp_cooling_covered = fields.Boolean(allow_none=True, load_default=None)
    underinsured = fields.Boolean(
        allow_none=True,
        load_default=None,
        metadata={"description": "the hub's verdict: coverage is not enough (feeds the PAP)"},
    )
    deductible = money()
    deductible_met = money()
    coinsurance_percent = fields.Float(
        validate=validate.Range(min=0, max=100, error="Must be 0 to 100 (percent)."),
        allow_nan=False,
        allow_none=True,
        load_default=None,
    )
    copay = money(metadata={"description": "per session date"})
    oop_max = money(metadata={"description": "out-of-pocket maximum"})
    oop_met = money()
    allowed_amounts = fields.Dict(
        keys=fields.String(validate=_allowed_amount_key),
        values=fields.Float(
            validate=validate.Range(min=0, max=1_000_000, error="Must be 0 to 1,000,000."),
            allow_nan=False,
            required=True,
        ),
        allow_none=True,
        load_default=None,
        metadata={"description": "allowed amount per unit by code, when the payer states it"},
    )
    pa_required = fields.Boolean(allow_none=True, load_default=None)
    submission = fields.Nested(SubmissionSchema, allow_none=True, load_default=None)
    turnaround_days = fields.Integer(
        strict=True,
        validate=validate.Range(min=0, max=MAX_TURNAROUND_DAYS),
        allow_none=True,
        load_default=None,
    )
    reference_number = text(60)
    call_date = fields.Date(required=True, validate=past_date())
    representative = text(120)
    notes = text(2000)

    @validates_schema
    def _consistent(self, data: dict[str, Any], **_: Any) -> None:
        errors: dict[str, list[str]] = {}
        for met, limit in (("deductible_met", "deductible"), ("oop_met", "oop_max")):
            if data.get(met) is not None and data.get(limit) is not None:
                if data[met] > data[limit]:
                    errors[met] = [f"Cannot be more than {limit} ({data[limit]:,.2f})."]
        if data.get("coinsurance_percent") is not None and data.get("copay") is not None:
            errors["copay"] = ["Give coinsurance_percent or copay, not both."]
        if errors:
            raise ValidationError(errors)

    @post_load
    def _typed(self, data: dict[str, Any], **_: Any) -> model.Benefits:
        # Parsed into the typed model once, here at the boundary.
        return model.Benefits.from_json(data)


_BENEFITS_SCHEMA = BenefitsSchema()  # built once: loading keeps no state on it


def load_benefits(payload: Any) -> dict[str, Any]:
    """Validate a BI payload; return it as stored (JSON types, ISO dates), or a 422 problem."""
    if not isinstance(payload, dict):
        raise ValidationProblem(
            "The benefits investigation must be a JSON object.",
            errors={"_schema": ["Expected a JSON object."]},
        )
    schema = _BENEFITS_SCHEMA
    try:
        loaded = schema.load(payload)
    except ValidationError as exc:
        errors = flatten_messages(exc.messages)
        raise ValidationProblem(
            f"The benefits investigation has {len(errors)} invalid field(s): "
            f"{', '.join(sorted(errors))}.",
            errors=errors,
        ) from exc
    dumped: dict[str, Any] = schema.dump(loaded)
    return dumped


class BenefitsOutSchema(Schema):
    """A stored benefits investigation, the estimate made from it and the payer's PA facts."""

    case_id = fields.String(required=True)
    benefits = fields.Dict(required=True)
    estimate = fields.Dict(required=True, metadata={"description": "estimated patient cost"})
    payer = fields.Dict(required=True, metadata={"description": "PA required, channel, turnaround"})
