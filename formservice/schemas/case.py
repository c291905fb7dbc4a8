"""The case payload of CONTRACT.md §1, validated and loaded into `formservice.model.Case`."""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import ValidationError, fields, post_load, validate, validates_schema

from formservice import model
from formservice.errors import ValidationProblem, flatten_messages
from formservice.schemas.common import (
    OLDEST_PLAUSIBLE_AGE_YEARS,
    CptCode,
    Icd10Code,
    Npi,
    StrictSchema,
    money,
    past_date,
    phone_number,
    text,
    us_state,
    zip_code,
)

MAX_SESSIONS = 60
MAX_HOUSEHOLD = 30


class AddressSchema(StrictSchema):
    line1 = text(200, required=True)
    line2 = text(200)
    city = text(100, required=True)
    state = us_state(required=True)
    zip = zip_code(required=True)

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> model.Address:
        return model.Address(**data)


class FacilitySchema(StrictSchema):
    name = text(200, required=True)
    npi = Npi(required=True)
    tax_id = fields.String(
        validate=validate.Regexp(r"^[0-9]{2}-?[0-9]{7}$", error="Tax ID (EIN) must be 12-3456789."),
        allow_none=True,
        load_default=None,
    )
    address = fields.Nested(AddressSchema, allow_none=True, load_default=None)
    phone = phone_number()
    fax = phone_number()
    buy_and_bill = fields.Boolean(allow_none=True, load_default=None)

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> model.Facility:
        return model.Facility(**data)


class HouseholdSchema(StrictSchema):
    size = fields.Integer(
        strict=True,
        validate=validate.Range(min=1, max=MAX_HOUSEHOLD, error=f"Must be 1 to {MAX_HOUSEHOLD}."),
        allow_none=True,
        load_default=None,
    )
    annual_income = money()
    adjusted_gross_income = money()

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> model.Household:
        return model.Household(**data)


class PatientSchema(StrictSchema):
    first_name = text(100, required=True)
    last_name = text(100, required=True)
    date_of_birth = fields.Date(
        required=True, validate=past_date(max_age_years=OLDEST_PLAUSIBLE_AGE_YEARS)
    )
    sex = fields.String(
        validate=validate.OneOf(["F", "M", "X", "U"]), allow_none=True, load_default=None
    )
    address = fields.Nested(AddressSchema, allow_none=True, load_default=None)
    phone = phone_number()
    email = fields.Email(allow_none=True, load_default=None)
    household = fields.Nested(HouseholdSchema, allow_none=True, load_default=None)

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> model.Patient:
        return model.Patient(**data)


class PrescriberSchema(StrictSchema):
    first_name = text(100, required=True)
    last_name = text(100, required=True)
    credentials = text(40)
    npi = Npi(required=True)
    specialty = text(100)
    phone = phone_number()
    fax = phone_number()

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> model.Prescriber:
        return model.Prescriber(**data)


class PayerSchema(StrictSchema):
    name = text(200, required=True)
    payer_id = text(40)
    phone = phone_number()
    fax = phone_number()
    plan_type = fields.String(
        validate=validate.OneOf(model.PLAN_TYPES), allow_none=True, load_default=None
    )

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> model.Payer:
        return model.Payer(**data)


class CoverageSchema(StrictSchema):
    status = fields.String(required=True, validate=validate.OneOf(["insured", "uninsured"]))
    payer = fields.Nested(PayerSchema, allow_none=True, load_default=None)
    member_id = fields.String(
        validate=validate.Regexp(
            r"^[A-Za-z0-9][A-Za-z0-9 -]{1,39}$",
            error="Member ID: 2-40 letters, digits, - or space.",
        ),
        allow_none=True,
        load_default=None,
    )
    group_number = text(40)
    scalp_cooling_covered = fields.Boolean(allow_none=True, load_default=None)

    @validates_schema
    def _insured_has_payer(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("status") == "insured" and data.get("payer") is None:
            raise ValidationError("An insured patient needs a payer.", "payer")

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> model.Coverage:
        return model.Coverage(**data)


class DiagnosisSchema(StrictSchema):
    code = Icd10Code(required=True)
    description = text(300)
    primary = fields.Boolean(load_default=False)

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> model.Diagnosis:
        return model.Diagnosis(**data)


class TreatmentSchema(StrictSchema):
    regimen = text(200)
    agents = fields.List(
        text(100, required=True), load_default=list, validate=validate.Length(max=20)
    )
    start_date = fields.Date(allow_none=True, load_default=None)
    sessions = fields.Integer(
        strict=True,
        validate=validate.Range(min=1, max=MAX_SESSIONS, error=f"Must be 1 to {MAX_SESSIONS}."),
        allow_none=True,
        load_default=None,
    )
    cycle_length_days = fields.Integer(
        strict=True, validate=validate.Range(min=1, max=90), allow_none=True, load_default=None
    )
    site_of_care = fields.String(
        validate=validate.OneOf(model.SITES_OF_CARE), allow_none=True, load_default=None
    )
    alopecia_risk = fields.String(
        validate=validate.OneOf(["high", "moderate", "low"]), allow_none=True, load_default=None
    )
    chemo_administration_code = CptCode(allow_none=True, load_default=None)
    post_infusion_cooling_minutes = fields.Integer(
        strict=True,
        validate=validate.Range(min=0, max=240, error="Must be 0 to 240 minutes."),
        allow_none=True,
        load_default=None,
        metadata={"description": "minutes of cooling after each infusion (97009 units)"},
    )

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> model.Treatment:
        data = dict(data)
        data["agents"] = tuple(data.get("agents") or ())
        return model.Treatment(**data)


class PrescriptionSchema(StrictSchema):
    date = fields.Date(allow_none=True, load_default=None, validate=past_date())
    prescriber_npi = Npi(allow_none=True, load_default=None)

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> model.Prescription:
        return model.Prescription(**data)


class PriorAuthorizationSchema(StrictSchema):
    required = fields.Boolean(allow_none=True, load_default=None)
    status = fields.String(validate=validate.OneOf(model.PA_STATUSES), load_default="not_submitted")
    number = text(50)
    submitted_on = fields.Date(allow_none=True, load_default=None)
    decided_on = fields.Date(allow_none=True, load_default=None)

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> model.PriorAuthorization:
        return model.PriorAuthorization(**data)


class AbnSchema(StrictSchema):
    """The ABN (CMS-R-131) given for this care, if any (Original Medicare only)."""

    issued_on = fields.Date(allow_none=True, load_default=None)
    option = fields.Integer(
        strict=True,
        validate=validate.OneOf([1, 2, 3], error="Must be 1, 2 or 3 (the ABN option chosen)."),
        allow_none=True,
        load_default=None,
    )

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> model.Abn:
        return model.Abn(**data)


class CaseSchema(StrictSchema):
    """A patient's case as the hub portal sends it (CONTRACT.md §1)."""

    external_id = fields.String(
        required=True,
        validate=validate.Regexp(
            r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,79}$",
            error="1-80 letters, digits, '.', '_', ':' or '-'.",
        ),
    )
    facility = fields.Nested(FacilitySchema, required=True)
    patient = fields.Nested(PatientSchema, required=True)
    prescriber = fields.Nested(PrescriberSchema, required=True)
    coverage = fields.Nested(CoverageSchema, required=True)
    diagnoses = fields.List(
        fields.Nested(DiagnosisSchema),
        required=True,
        validate=validate.Length(min=1, max=12, error="Between 1 and 12 diagnoses."),
    )
    treatment = fields.Nested(TreatmentSchema, required=True)
    prescription = fields.Nested(PrescriptionSchema, allow_none=True, load_default=None)
    clinical_notes = text(5000)
    prior_authorization = fields.Nested(
        PriorAuthorizationSchema, allow_none=True, load_default=None
    )
    abn = fields.Nested(AbnSchema, allow_none=True, load_default=None)

    @validates_schema
    def _dates_in_order(self, data: dict[str, Any], **_: Any) -> None:
        patient, treatment = data.get("patient"), data.get("treatment")
        if (
            isinstance(patient, model.Patient)
            and isinstance(treatment, model.Treatment)
            and treatment.start_date is not None
            and treatment.start_date < patient.date_of_birth
        ):
            raise ValidationError(
                {"start_date": ["Treatment cannot start before the date of birth."]}, "treatment"
            )
        primaries = [d for d in data.get("diagnoses") or [] if getattr(d, "primary", False)]
        if len(primaries) > 1:
            raise ValidationError("At most one diagnosis may be primary.", "diagnoses")

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> model.Case:
        data = dict(data)
        data["diagnoses"] = tuple(data["diagnoses"])
        if data.get("prior_authorization") is None:
            data["prior_authorization"] = model.PriorAuthorization()
        return model.Case(**data)


# One instance for every load: a Schema with its 13 nested schemas costs ~0.5 ms to build, and
# loading keeps no state on it.
_CASE_SCHEMA = CaseSchema()


def load_case(payload: Any) -> model.Case:
    """Validate a case payload into the model; ValidationProblem names every bad field."""
    if not isinstance(payload, dict):
        raise ValidationProblem(
            "The case must be a JSON object.", errors={"_schema": ["Expected a JSON object."]}
        )
    try:
        result: model.Case = _CASE_SCHEMA.load(payload)
    except ValidationError as exc:
        errors = flatten_messages(exc.messages)
        raise ValidationProblem(
            f"The case has {len(errors)} invalid field(s): {', '.join(sorted(errors))}.",
            errors=errors,
        ) from exc
    return result


def dump_case(case: model.Case) -> dict[str, Any]:
    """The canonical JSON form of a case (what is stored and hashed)."""
    plain = model.to_plain(case)
    assert isinstance(plain, dict)  # noqa: S101  # to_plain of a dataclass is always a dict
    return plain


def _d(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


def _address(raw: Any) -> model.Address | None:
    return model.Address(**raw) if raw else None


def case_from_stored(payload: dict[str, Any]) -> model.Case:
    """The model of a payload this service validated and stored itself, without re-validating.

    Batch work reads thousands of stored cases; they passed `load_case` on the way in, so this
    builds the dataclasses directly (a test checks it agrees with `load_case` on every sample).
    """
    f, p, pr, c, t = (
        payload["facility"],
        payload["patient"],
        payload["prescriber"],
        payload["coverage"],
        payload["treatment"],
    )
    rx, pa = payload.get("prescription"), payload.get("prior_authorization") or {}
    return model.Case(
        external_id=payload["external_id"],
        facility=model.Facility(**{**f, "address": _address(f.get("address"))}),
        patient=model.Patient(
            **{
                **p,
                "date_of_birth": date.fromisoformat(p["date_of_birth"]),
                "address": _address(p.get("address")),
                "household": model.Household(**p["household"]) if p.get("household") else None,
            }
        ),
        prescriber=model.Prescriber(**pr),
        coverage=model.Coverage(
            **{**c, "payer": model.Payer(**c["payer"]) if c.get("payer") else None}
        ),
        diagnoses=tuple(model.Diagnosis(**d) for d in payload["diagnoses"]),
        treatment=model.Treatment(
            **{**t, "agents": tuple(t.get("agents") or ()), "start_date": _d(t.get("start_date"))}
        ),
        prescription=model.Prescription(
            date=_d(rx.get("date")), prescriber_npi=rx.get("prescriber_npi")
        )
        if rx
        else None,
        clinical_notes=payload.get("clinical_notes"),
        prior_authorization=model.PriorAuthorization(
            **{
                **pa,
                "submitted_on": _d(pa.get("submitted_on")),
                "decided_on": _d(pa.get("decided_on")),
            }
        ),
        abn=model.Abn(issued_on=_d(abn.get("issued_on")), option=abn.get("option"))
        if (abn := payload.get("abn"))
        else None,
    )
