"""The denial review form: which facts it shows, how each is shown and read back.

One `FieldSpec` per fact (the API's field name, its label, how a typed value is parsed); the
page shows each fact with the sentence it came from (evidence) and marks the ones to check;
`corrections_from_form` turns a posted form into the API's correction body (only what changed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = ["CHECK_BELOW", "FIELDS", "FactView", "FieldSpec", "corrections_from_form", "fact_views"]

# A value the parser reported below this confidence is shown as an open field to check. It is
# stricter than the parser's own needs_review line so a person also looks at borderline values.
CHECK_BELOW = 0.8


@dataclass(frozen=True)
class FieldSpec:
    """A correctable fact: its key, label and input type ("text", "date", "list", "select").

    A part of a structured fact (the appeal destination's fax) names the fact in ``group`` and
    its member in ``part``; the form field is ``key``.
    """

    key: str
    label: str
    kind: str = "text"
    hint: str = ""
    group: str | None = None
    part: str | None = None

    @property
    def fact(self) -> str:
        """The contract field this input corrects (review_fields names these)."""
        return self.group or self.key


FIELDS = (
    FieldSpec("payer_name", "Payer"),
    FieldSpec("plan_type", "Plan type", "select"),
    FieldSpec("patient_name", "Patient name"),
    FieldSpec("member_id", "Member ID"),
    FieldSpec("claim_number", "Claim number"),
    FieldSpec("authorization_number", "Authorization number"),
    FieldSpec("letter_date", "Letter date", "date"),
    FieldSpec("date_of_service", "Date of service", "date"),
    FieldSpec("procedure_codes", "Procedure codes (CPT)", "list", "Separate codes with commas."),
    FieldSpec("diagnosis_codes", "Diagnosis codes (ICD-10)", "list", "Separate codes with commas."),
    FieldSpec("carc_codes", "CARC codes", "list", "Without the group prefix: 50, not CO-50."),
    FieldSpec("rarc_codes", "RARC codes", "list", "For example N115."),
    FieldSpec("categories", "Denial categories", "list", "For example medical_necessity."),
    FieldSpec("appeal_deadline", "Appeal deadline", "date"),
    # Where the appeal goes: the packet is routed to it.
    FieldSpec("appeal_to_name", "Send appeals to", group="appeal_to", part="name"),
    FieldSpec("appeal_to_address", "Appeal address", group="appeal_to", part="address"),
    FieldSpec("appeal_to_fax", "Appeal fax", group="appeal_to", part="fax"),
    FieldSpec("appeal_to_phone", "Appeal phone", group="appeal_to", part="phone"),
    FieldSpec("appeal_to_portal", "Appeal portal", group="appeal_to", part="portal"),
)
APPEAL_PARTS = ("name", "address", "fax", "phone", "portal")


@dataclass(frozen=True)
class FactView:
    """A fact as the review page shows it."""

    spec: FieldSpec
    value: Any
    shown: str  # the value as text for the input
    sources: list[dict[str, Any]]  # [{page, text, confidence}], the sentences it came from
    entered_by: str | None  # the staff member who corrected or confirmed it
    confidence: float | None
    check: bool  # unsure: shown as an open field, marked
    reviewed: bool
    errors: list[str]


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _sources(evidence: Any) -> list[dict[str, Any]]:
    items = evidence if isinstance(evidence, list) else [evidence]
    return [e for e in items if isinstance(e, dict) and e.get("text")]


def fact_views(
    denial: dict[str, Any], errors: dict[str, list[str]] | None = None
) -> list[FactView]:
    """Every correctable fact with its source sentences and whether a person should check it."""
    evidence = denial.get("evidence") or {}
    reviewed = set(denial.get("reviewed_fields") or [])
    flagged = set(denial.get("review_fields") or [])
    by_field: dict[str, list[str]] = {}
    for path, messages in (errors or {}).items():
        # "procedure_codes.0" → the procedure_codes field: one input holds the whole list.
        by_field.setdefault(path.split(".", 1)[0], []).extend(messages)
    views = []
    for spec in FIELDS:
        value = _value(denial, spec)
        raw = evidence.get(spec.fact)
        sources = _sources(raw)
        entered_by = raw.get("reviewed_by") if isinstance(raw, dict) else None
        scores = [float(s["confidence"]) for s in sources if s.get("confidence") is not None]
        confidence = min(scores) if scores else None
        empty = value in (None, "", [])
        unsure = confidence is not None and confidence < CHECK_BELOW
        named = spec.fact in flagged and (spec.part is None or not empty or spec.part == "fax")
        check = spec.fact not in reviewed and (
            named or unsure or (empty and spec.group is None and bool(denial.get("needs_review")))
        )
        views.append(
            FactView(
                spec=spec,
                value=value,
                shown=_shown(value),
                sources=sources,
                entered_by=entered_by,
                confidence=confidence,
                check=check or spec.key in by_field or spec.fact in by_field,
                reviewed=spec.fact in reviewed,
                errors=by_field.get(spec.key, [])
                + (by_field.get(spec.fact, []) if spec.group else []),
            )
        )
    return views


def _value(denial: dict[str, Any], spec: FieldSpec) -> Any:
    if spec.group is None:
        return denial.get(spec.key)
    group = denial.get(spec.group)
    return group.get(spec.part) if isinstance(group, dict) else None


def _parse_field(spec: FieldSpec, raw: str) -> Any:
    raw = raw.strip()
    if spec.kind == "list":
        return [p.strip() for p in re.split(r"[,;\s]+", raw) if p.strip()]
    return raw or None


def corrections_from_form(denial: dict[str, Any], form: Any) -> dict[str, Any]:
    """The fields whose submitted value differs from the stored one."""
    changed: dict[str, Any] = {}
    for spec in FIELDS:
        if spec.key not in form or spec.group is not None:
            continue
        value = _parse_field(spec, form.get(spec.key, ""))
        if value != _parse_field(spec, _shown(denial.get(spec.key))):
            changed[spec.key] = value
    appeal = _appeal_from_form(denial, form)
    if appeal is not False:
        changed["appeal_to"] = appeal
    if form.get("checked") == "yes":
        # The person vouches for every fact the page asked them to check: they count as reviewed.
        for view in fact_views(denial):
            spec = view.spec
            if view.check and spec.group is None and spec.key not in changed and spec.key in form:
                changed[spec.key] = _parse_field(spec, form.get(spec.key, ""))
            elif view.check and spec.group == "appeal_to" and "appeal_to" not in changed:
                changed["appeal_to"] = _appeal_parts(denial, form)
        changed["needs_review"] = False
    return changed


def _appeal_parts(denial: dict[str, Any], form: Any) -> dict[str, Any] | None:
    stored = denial.get("appeal_to") or {}
    parts = {
        part: (form.get(f"appeal_to_{part}", "").strip() or None)
        if f"appeal_to_{part}" in form
        else stored.get(part)
        for part in APPEAL_PARTS
    }
    return parts if any(parts.values()) else None


def _appeal_from_form(denial: dict[str, Any], form: Any) -> dict[str, Any] | None | bool:
    """The appeal destination as corrected, or False when the form leaves it as stored."""
    if not any(f"appeal_to_{part}" in form for part in APPEAL_PARTS):
        return False
    parts = _appeal_parts(denial, form)
    stored = denial.get("appeal_to") or None
    if parts == stored or (parts is None and not stored):
        return False
    return parts
