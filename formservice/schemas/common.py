"""Field types every payload shares: codes, NPI, US addresses, dates, money.

Each field validates *format* strictly and says what it expected; clinical rules (is this
diagnosis on-label?) live in `reimbursement/`, not here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import date
from typing import Any

from marshmallow import Schema, ValidationError, fields, pre_load, validate

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
# Row ids are uuid4 hex (store.models.new_id): 32 lower-case hex digits, nothing else.
ID_REGEX = r"[0-9a-f]{32}"
ID_PATTERN = f"^{ID_REGEX}$"
# Payer form ids: the file names of templates/pdf/<form_id>.pdf (documents row: 60 characters).
FORM_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,59}$"
OLDEST_PLAUSIBLE_AGE_YEARS = 120
# Characters no text of ours may hold: C0 controls but tab, newline and carriage return; DEL and
# the C1 controls; lone surrogates (JSON's "\ud800" decodes to one, and no database can store it);
# the Unicode noncharacters (U+FDD0..U+FDEF and the last two code points of every plane).
_BAD_CHARACTERS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef"
    + "".join(f"{chr(p * 0x10000 + 0xFFFE)}{chr(p * 0x10000 + 0xFFFF)}" for p in range(17))
    + "]"
)
# The bad characters an ASCII text can hold (the C0 controls but tab, newline and carriage
# return, and DEL), as bytes for bytes.translate: on ASCII text (nearly every payload) deleting
# them and comparing lengths takes 3 us per 1.5 KB where the full class's regex takes 100 us.
_ASCII_BAD_BYTES = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
BAD_CHARACTER_MESSAGE = "Contains a control character, a lone surrogate or a noncharacter."
# How deep a payload may nest: the deepest schema needs 4 levels; a list or dict of them a few more.
MAX_NESTING = 16


def _is_clean(text: str) -> bool:
    """True when `text` holds no character `_BAD_CHARACTERS` refuses."""
    if text.isascii():
        return len(text.encode("ascii").translate(None, _ASCII_BAD_BYTES)) == len(text)
    return _BAD_CHARACTERS.search(text) is None


def bad_characters(text: str) -> str | None:
    """The first character `text` may not hold, as U+XXXX, or None when it is clean."""
    if _is_clean(text):
        return None
    found = _BAD_CHARACTERS.search(text)
    return f"U+{ord(found.group()):04X}" if found else None


def scrub(text: str) -> str:
    """`text` with each character no text may hold replaced by U+FFFD (for records and logs)."""
    return _BAD_CHARACTERS.sub("\ufffd", text)


def _strings(value: Any) -> list[str]:
    """Every string in `value`, dict keys included, walking dicts and lists without recursion."""
    found: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict | Mapping):
            # By key, as the walk that names the places reads them (a mapping's values() may
            # say otherwise than its [], e.g. a dict subclass).
            for key in item:
                if isinstance(key, str):
                    found.append(key)
                stack.append(item[key])
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return found


def _bad_strings(value: Any) -> dict[Any, Any]:
    """Marshmallow-shaped messages for every string in `value` holding a bad character.

    Walks dicts (keys too) and lists without recursion, so no input depth can overflow it.
    """
    # Nearly every payload is clean: one search over all its strings answers that (joined by a
    # newline, which is not a bad character, so no match can span two strings). Only a payload
    # with a bad character pays for the walk that names where it is (a path per value).
    if _is_clean("\n".join(_strings(value))):
        return {}
    errors: dict[Any, Any] = {}
    stack: list[tuple[tuple[Any, ...], Any]] = [((), value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if bad_characters(item):
                _put(errors, path, BAD_CHARACTER_MESSAGE)
        elif isinstance(item, Mapping):
            for key in list(item):
                if isinstance(key, str) and bad_characters(key):
                    _put(errors, path, f"A key: {BAD_CHARACTER_MESSAGE}")
                    continue
                stack.append(((*path, key), item[key]))
        elif isinstance(item, list | tuple):
            stack.extend(((*path, i), v) for i, v in enumerate(item))
    return errors


def _put(errors: dict[Any, Any], path: tuple[Any, ...], message: str) -> None:
    node = errors
    for key in path:
        node = node.setdefault(key, {})
    node.setdefault("_schema", []).append(message)


# How many CleanSchema loads are running in this thread, one inside the other.
_CLEAN_LOAD_DEPTH: ContextVar[int] = ContextVar("clean_load_depth", default=0)


class CleanSchema(Schema):
    """Base of every input schema: no string anywhere in the input holds a bad character.

    One check for every field, list item and dict key, before any field is loaded; the 422
    names each field (`patient.first_name`). Use it (or `StrictSchema`) for anything a request
    sends.
    """

    def load(
        self,
        data: Any,
        *,
        many: bool | None = None,
        partial: Any = None,
        unknown: Any = None,
    ) -> Any:
        """`Schema.load`, counting how deep CleanSchema loads nest (a Nested field's schema is
        loaded inside its parent's load)."""
        token = _CLEAN_LOAD_DEPTH.set(_CLEAN_LOAD_DEPTH.get() + 1)
        try:
            return super().load(data, many=many, partial=partial, unknown=unknown)
        finally:
            _CLEAN_LOAD_DEPTH.reset(token)

    @pre_load
    def _refuse_bad_characters(self, data: Any, **_: Any) -> Any:
        # Once per payload, by the outermost CleanSchema: it walks every string below it, so a
        # nested schema's walk could find nothing more (and cost a walk per nesting level).
        if _CLEAN_LOAD_DEPTH.get() > 1:
            return data
        if errors := _bad_strings(data):
            raise ValidationError(_collapse(errors))
        return data


def is_id(value: object) -> bool:
    """True for a well-formed row id (checked before any query uses it)."""
    return isinstance(value, str) and re.fullmatch(ID_REGEX, value) is not None


def nesting_depth(value: Any) -> int:
    """How deep lists and dicts nest in `value` (a scalar is 0), without recursion."""
    # Level by level (no tuple per value): the depth is the number of levels holding a list or
    # a dict.
    depth = 0
    level = [value]
    while True:
        below: list[Any] = []
        containers = False
        for item in level:
            if isinstance(item, str):
                continue
            if isinstance(item, dict | Mapping):
                below.extend(item.values())
                containers = True
            elif isinstance(item, list | tuple):
                below.extend(item)
                containers = True
        if not containers:
            return depth
        depth += 1
        level = below


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


class Id(fields.String):
    """A row id: 32 lower-case hex digits (uuid4 hex)."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"description": "an id (32 lower-case hex digits)", **kwargs.pop("metadata", {})}
        super().__init__(
            validate=validate.Regexp(ID_PATTERN, error="Not an id (32 lower-case hex digits)."),
            metadata=metadata,
            **kwargs,
        )


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


def _collapse(errors: dict[Any, Any]) -> dict[Any, Any]:
    """{"a": {"_schema": [m]}} → {"a": [m]}: a field's own messages as marshmallow puts them."""
    out: dict[Any, Any] = {}
    for key, value in errors.items():
        if key == "_schema":
            out[key] = value
        elif set(value) == {"_schema"}:
            out[key] = value["_schema"]
        else:
            out[key] = _collapse(value)
    return out


class StrictSchema(CleanSchema):
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
