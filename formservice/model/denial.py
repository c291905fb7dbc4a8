"""A denial letter's facts (CONTRACT.md §4) as the rest of the program reads them.

The parser (`formservice.denials`) fills a `Denial`; the store keeps `Denial.to_json()`; a stored
or uploaded JSON becomes a `Denial` again with `Denial.from_json`, which checks every value once so
that rules and renderers read dates as `date` and codes as tuples, never raw strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from formservice.errors import ValidationProblem
from formservice.model.denial_parts import (
    Adjustment,
    AppealTo,
    ServiceLine,
    adjustments_from_json,
    appeal_to_from_json,
    service_lines_from_json,
)

__all__ = [
    "APPEAL_FACTS",
    "CATEGORIES",
    "DENIAL_FACT_KEYS",
    "REVIEWABLE",
    "Adjustment",
    "AppealTo",
    "Denial",
    "DenialReason",
    "ServiceLine",
]

# The denial categories of CONTRACT.md §4.
CATEGORIES: tuple[str, ...] = (
    "medical_necessity",
    "experimental_investigational",
    "not_covered_benefit",
    "no_prior_authorization",
    "authorization_mismatch",
    "out_of_network",
    "missing_documentation",
    "coding_error",
    "bundled",
    "timely_filing",
    "duplicate",
    "eligibility",
    "frequency_limit",
    "wrong_payer",
    "other",
)
# The facts of CONTRACT.md §4 that documents draw on (evidence and review bookkeeping aside).
DENIAL_FACT_KEYS: tuple[str, ...] = (
    "text_source",
    "pages",
    "payer_name",
    "member_id",
    "claim_number",
    "authorization_number",
    "patient_name",
    "letter_date",
    "date_of_service",
    "procedure_codes",
    "diagnosis_codes",
    "carc_codes",
    "rarc_codes",
    "categories",
    "reasons",
    "appeal_deadline",
    "appeal_days",
    "appeal_deadline_basis",
    "plan_type",
    "needs_review",
    "review_fields",
    "service_lines",
    "adjustments",
    "appeal_to",
)
# The facts a person must be able to trust before an appeal goes out: missing or unsure ones are
# named in ``review_fields`` (CONTRACT.md §4).
APPEAL_FACTS: tuple[str, ...] = (
    "payer_name",
    "member_id",
    "patient_name",
    "claim_number",
    "authorization_number",
    "date_of_service",
    "procedure_codes",
    "appeal_deadline",
)
# Every field a person can be asked to check (review_fields names only these).
REVIEWABLE: tuple[str, ...] = (
    "payer_name",
    "member_id",
    "claim_number",
    "authorization_number",
    "patient_name",
    "letter_date",
    "date_of_service",
    "procedure_codes",
    "diagnosis_codes",
    "carc_codes",
    "rarc_codes",
    "categories",
    "appeal_deadline",
    "plan_type",
    "service_lines",
    "adjustments",
    "appeal_to",
)
_DATES = ("letter_date", "date_of_service", "appeal_deadline")
_TEXTS = (
    "text_source",
    "payer_name",
    "member_id",
    "claim_number",
    "authorization_number",
    "patient_name",
    "appeal_deadline_basis",
    "plan_type",
)
_LISTS = ("procedure_codes", "diagnosis_codes", "carc_codes", "rarc_codes", "categories")


@dataclass(frozen=True)
class DenialReason:
    """One reason the letter gives: its category, its CARC if any, and the sentence saying it."""

    category: str
    evidence: str = ""
    carc: str | None = None
    page: int | None = None
    confidence: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "carc": self.carc,
            "page": self.page,
            "evidence": self.evidence,
            "confidence": self.confidence,
        }


@dataclass(frozen=True)
class Denial:
    """The facts of one denial letter. A value the letter does not state is None or empty.

    ``evidence`` maps a fact's name to where it came from (page, text, confidence: JSON as the
    parser and reviewers wrote it); ``reviewed_fields`` lists the facts a person confirmed;
    ``review_fields`` the facts the parser could not find or is unsure of (``needs_review`` is
    true whenever it is not empty).
    """

    text_source: str | None = None
    pages: int | None = None
    payer_name: str | None = None
    member_id: str | None = None
    claim_number: str | None = None
    authorization_number: str | None = None
    patient_name: str | None = None
    letter_date: date | None = None
    date_of_service: date | None = None
    procedure_codes: tuple[str, ...] = ()
    diagnosis_codes: tuple[str, ...] = ()
    carc_codes: tuple[str, ...] = ()
    rarc_codes: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    reasons: tuple[DenialReason, ...] = ()
    appeal_deadline: date | None = None
    appeal_days: int | None = None
    appeal_deadline_basis: str | None = None
    plan_type: str | None = None
    needs_review: bool = False
    review_fields: tuple[str, ...] = ()
    service_lines: tuple[ServiceLine, ...] = ()
    adjustments: tuple[Adjustment, ...] = ()
    appeal_to: AppealTo | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    reviewed_fields: tuple[str, ...] = ()

    def facts_json(self) -> dict[str, Any]:
        """The CONTRACT.md §4 facts as JSON types (dates ISO), without evidence."""
        out: dict[str, Any] = {}
        for key in DENIAL_FACT_KEYS:
            value = getattr(self, key)
            if isinstance(value, date):
                value = value.isoformat()
            elif key in ("reasons", "service_lines", "adjustments"):
                value = [item.to_json() for item in value]
            elif key == "appeal_to":
                value = value.to_json() if value is not None else None
            elif isinstance(value, tuple):
                value = list(value)
            out[key] = value
        return out

    def to_json(self) -> dict[str, Any]:
        """Everything, as stored: the facts, their evidence, and the fields a person reviewed
        (that key only once someone has reviewed one)."""
        out = {**self.facts_json(), "evidence": dict(self.evidence)}
        if self.reviewed_fields:
            out["reviewed_fields"] = list(self.reviewed_fields)
        return out

    def with_changes(self, **changes: Any) -> Denial:
        """A copy with some facts replaced (a reviewer's corrections)."""
        return replace(self, **changes)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Denial:
        """Check and convert a denial JSON (stored, or given to the CLI); a 422 names bad fields.

        Keys outside CONTRACT.md §4 (``id``, ``status`` ...) are ignored.
        """
        if not isinstance(data, Mapping):
            raise ValidationProblem(
                "a denial must be a JSON object", errors={"_schema": ["Expected a JSON object."]}
            )
        errors: dict[str, list[str]] = {}
        values: dict[str, Any] = {}
        for key in _DATES:
            values[key] = _date(data.get(key), key, errors)
        for key in _TEXTS:
            raw = data.get(key)
            if raw is not None and not isinstance(raw, str):
                errors[key] = ["Must be text or null."]
            values[key] = raw
        for key in _LISTS:
            values[key] = _strings(data.get(key), key, errors)
        for key in ("pages", "appeal_days"):
            raw = data.get(key)
            if raw is not None and (isinstance(raw, bool) or not isinstance(raw, int)):
                errors[key] = ["Must be a whole number or null."]
            values[key] = raw
        values["needs_review"] = bool(data.get("needs_review", False))
        values["reasons"] = _reasons(data.get("reasons"), errors)
        values["review_fields"] = _strings(data.get("review_fields"), "review_fields", errors)
        unknown = set(values["review_fields"]) - set(REVIEWABLE)
        if unknown:
            errors["review_fields"] = [f"Unknown fields: {', '.join(sorted(unknown))}."]
        values["service_lines"] = service_lines_from_json(data.get("service_lines"), errors)
        values["adjustments"] = adjustments_from_json(
            data.get("adjustments"), "adjustments", errors
        )
        values["appeal_to"] = appeal_to_from_json(data.get("appeal_to"), errors)
        evidence = data.get("evidence") or {}
        if not isinstance(evidence, Mapping):
            errors["evidence"] = ["Must be an object."]
            evidence = {}
        values["evidence"] = dict(evidence)
        values["reviewed_fields"] = _strings(data.get("reviewed_fields"), "reviewed_fields", errors)
        if errors:
            raise ValidationProblem(
                f"the denial has {len(errors)} invalid field(s): {', '.join(sorted(errors))}",
                errors=errors,
            )
        return cls(**values)


def _date(value: Any, key: str, errors: dict[str, list[str]]) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        errors[key] = ["Not a date (YYYY-MM-DD)."]
        return None


def _strings(value: Any, key: str, errors: dict[str, list[str]]) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        errors[key] = ["Must be a list of text values."]
        return ()
    return tuple(value)


def _reasons(value: Any, errors: dict[str, list[str]]) -> tuple[DenialReason, ...]:
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        errors["reasons"] = ["Must be a list."]
        return ()
    reasons = []
    for i, item in enumerate(value):
        if not isinstance(item, Mapping) or not isinstance(item.get("category"), str):
            errors[f"reasons.{i}"] = ["Must be an object with a category."]
            continue
        page = item.get("page")
        confidence = item.get("confidence")
        reasons.append(
            DenialReason(
                category=item["category"],
                evidence=str(item.get("evidence") or ""),
                carc=None if item.get("carc") is None else str(item["carc"]),
                page=page if isinstance(page, int) and not isinstance(page, bool) else None,
                confidence=confidence if isinstance(confidence, int | float) else None,
            )
        )
    return tuple(reasons)
