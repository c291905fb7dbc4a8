"""Field types every payload shares: codes, NPI, US addresses, dates, money.

Each field validates *format* strictly and says what it expected; clinical rules (is this
diagnosis on-label?) live in `reimbursement/`, not here.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

US_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ "
    "NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR VI GU AS MP".split()
)

# ICD-10-CM: letter, digit, alphanumeric, then optionally a dot and 1-4 alphanumerics.
ICD10_PATTERN = r"^[A-TV-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$"
# CPT Category I (5 digits), Category II/III (4 digits + F/T), HCPCS Level II (letter + 4 digits).
CPT_HCPCS_PATTERN = r"^([0-9]{5}|[0-9]{4}[FT]|[A-V][0-9]{4})$"
NPI_PATTERN = r"^[0-9]{10}$"
ZIP_PATTERN = r"^[0-9]{5}(-[0-9]{4})?$"
PHONE_PATTERN = (
    r"^\+?1?[ .-]?\(?[0-9]{3}\)?[ .-]?[0-9]{3}[ .-]?[0-9]{4}( ?(x|ext\.?) ?[0-9]{1,6})?$"
)
TAX_ID_PATTERN = r"^[0-9]{2}-?[0-9]{7}$"
OLDEST_PLAUSIBLE_AGE_YEARS = 120


def npi_is_valid(npi: str) -> bool:
    """True when a 10-digit NPI has the right Luhn check digit (over 80840 + 9 digits)."""
    if not re.fullmatch(NPI_PATTERN, npi or ""):
        return False
    digits = [int(c) for c in "80840" + npi[:9]]
    total = 0
    # Luhn: double every second digit starting from the rightmost of the payload.
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10 == int(npi[9])


class Npi(fields.String):
    """A 10-digit National Provider Identifier with its Luhn check digit."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            validate=[
                validate.Regexp(NPI_PATTERN, error="NPI must be exactly 10 digits."),
                _npi_luhn,
            ],
            metadata={
                "description": "10-digit NPI; last digit is a Luhn check over 80840 + 9 digits"
            },
            **kwargs,
        )


def _npi_luhn(value: str) -> None:
    if re.fullmatch(NPI_PATTERN, value) and not npi_is_valid(value):
        raise ValidationError("NPI check digit is wrong (Luhn over 80840 + first 9 digits).")


class Icd10Code(fields.String):
    """An ICD-10-CM code, upper-case, with or without its dot (stored with the dot)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            validate=validate.Regexp(
                ICD10_PATTERN,
                error="Not an ICD-10-CM code (letter, digit, alphanumeric, then . and 1-4 more).",
            ),
            metadata={"description": "ICD-10-CM code, e.g. C50.911", "example": "C50.911"},
            **kwargs,
        )

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip().upper()
        if "." not in text and len(text) > 3:
            text = f"{text[:3]}.{text[3:]}"
        return text


class CptCode(fields.String):
    """A CPT (Category I/II/III) or HCPCS Level II code."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            validate=validate.Regexp(
                CPT_HCPCS_PATTERN, error="Not a CPT or HCPCS code (e.g. 96413, 0663T, J9267)."
            ),
            metadata={"description": "CPT or HCPCS code", "example": "0663T"},
            **kwargs,
        )

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip().upper()


def us_state(**kwargs: Any) -> fields.String:
    """A two-letter USPS state, DC or territory code."""
    return fields.String(
        validate=validate.OneOf(
            sorted(US_STATES), error="Not a US state code (two letters, e.g. TX)."
        ),
        **kwargs,
    )


def zip_code(**kwargs: Any) -> fields.String:
    """A ZIP or ZIP+4."""
    return fields.String(
        validate=validate.Regexp(ZIP_PATTERN, error="ZIP must be 5 digits or ZIP+4 (12345-6789)."),
        **kwargs,
    )


def phone_number(**kwargs: Any) -> fields.String:
    """A US phone or fax number in a common written form."""
    return fields.String(
        validate=validate.Regexp(PHONE_PATTERN, error="Not a US phone number (e.g. 512-555-0100)."),
        allow_none=True,
        load_default=None,
        **kwargs,
    )


def text(max_length: int, *, required: bool = False, **kwargs: Any) -> fields.String:
    """A free-text field with a length limit; required ones may not be blank."""
    checks = [validate.Length(min=1 if required else 0, max=max_length)]
    if required:
        return fields.String(required=True, validate=checks, **kwargs)
    return fields.String(validate=checks, allow_none=True, load_default=None, **kwargs)


def past_date(*, max_age_years: int | None = None) -> Any:
    """A validator: the date is not in the future (and not older than max_age_years)."""

    def check(value: date) -> None:
        today = date.today()
        if value > today:
            raise ValidationError("Must not be in the future.")
        if max_age_years is not None and (today.year - value.year) > max_age_years:
            raise ValidationError(f"Implausible: more than {max_age_years} years ago.")

    return check


class StrictSchema(Schema):
    """Base schema: unknown keys are an error (marshmallow's default RAISE, kept explicit)."""

    class Meta:
        unknown = "raise"
        ordered = True


def money(**kwargs: Any) -> fields.Float:
    """A non-negative amount in US dollars with a sanity ceiling."""
    return fields.Float(
        validate=validate.Range(min=0, max=100_000_000, error="Must be between 0 and 100,000,000."),
        allow_nan=False,
        allow_none=True,
        load_default=None,
        **kwargs,
    )
