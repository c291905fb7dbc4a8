"""Procedure codes by date of service and ICD-10-CM diagnosis classes (data/codes.yaml,
data/icd10_labels.yaml).

The scalp-cooling codes change on 2026-01-01 (0662T/0663T → 97008/97009, from secondary sources
only): `code_for(role, date)` reads the dated crosswalk, and every row carries `verified`, so a
document printing an unverified code can say so (`unverified_caveat`). 0662T's frequency differs by
source (once per patient vs once per chemotherapy course): `frequency_0662T(plan_type)` gives the
rule for a payer type, its source, and whether the sources disagree.

Errors: `errors.CodeNotInEffect` (422), a code (or any scalp-cooling code) not valid on a date
of service.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any, Literal

from formservice.errors import CodeNotInEffect
from formservice.reimbursement import load_data

__all__ = [
    "CHEMO_ADMIN",
    "CodeNotInEffect",
    "CodeRow",
    "CrosswalkRow",
    "FrequencyRule",
    "DiagnosisClass",
    "DiagnosisLabel",
    "FeeEntry",
    "chemo_admin_codes",
    "classify_diagnosis",
    "code_for",
    "codes_in_effect",
    "codes_rows",
    "descriptor",
    "fee_for",
    "frequency_0662T",
    "is_valid_icd10_format",
    "lookup",
    "place_of_service",
    "placeholders_in_effect",
    "rules",
    "scalp_cooling_codes",
    "time_units",
    "unverified_caveat",
    "unverified_rows",
]

CHEMO_ADMIN = "chemo_admin"
DiagnosisLabel = Literal["on_label", "off_label", "payer_narrow", "history", "unknown"]

# ICD-10-CM shape (DOMAIN.md §3): letter, digit, letter-or-digit, then an optional dot and up to
# four more letters or digits.
_ICD10 = re.compile(r"^[A-Z][0-9][0-9A-Z](?:\.?[0-9A-Z]{1,4})?$")


@dataclass(frozen=True, slots=True)
class CodeRow:
    """One procedure code (or placeholder) with the dates it applies to."""

    code: str | None
    kind: str
    category: str
    descriptor: str
    effective_from: date
    effective_to: date | None
    source: str
    placeholder: bool = False
    frequency: str | None = None
    requires_same_day: str | None = None
    verified: bool = True
    unit_minutes: int | None = None  # time-based code: minutes per unit
    short: str | None = None  # the descriptor in a form's narrow description box

    def in_effect(self, on: date) -> bool:
        """Whether the row applies to a date of service."""
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)


@dataclass(frozen=True, slots=True)
class FeeEntry:
    """A reference charge for a code on a date of service."""

    code: str
    amount: float
    source: str


@dataclass(frozen=True, slots=True)
class DiagnosisClass:
    """How an ICD-10-CM code stands for scalp cooling, and why."""

    label: DiagnosisLabel
    reason: str
    source: str
    code: str = ""
    matched: str | None = None  # the table entry (prefix or range) that decided


@lru_cache(maxsize=1)
def _rows() -> tuple[CodeRow, ...]:
    rows = []
    for raw in load_data("codes.yaml")["cpt"]:
        rows.append(
            CodeRow(
                code=str(raw["code"]) if raw.get("code") is not None else None,
                kind=str(raw["kind"]),
                category=str(raw["category"]),
                descriptor=str(raw["descriptor"]),
                effective_from=raw["effective_from"],
                effective_to=raw.get("effective_to"),
                source=str(raw["source"]),
                placeholder=bool(raw.get("placeholder", False)),
                frequency=raw.get("frequency"),
                requires_same_day=raw.get("requires_same_day"),
                verified=bool(raw.get("verified", True)),
                unit_minutes=raw.get("unit_minutes"),
                short=raw.get("short"),
            )
        )
    return tuple(rows)


def codes_rows() -> tuple[CodeRow, ...]:
    """Every row of the code table (codes.yaml ``cpt``), in file order."""
    return _rows()


def rules() -> dict[str, Any]:
    """The billing rule parameters of codes.yaml (medical-review threshold and its source)."""
    data: dict[str, Any] = load_data("codes.yaml")["rules"]
    return data


def _scalp_cooling(row: CodeRow) -> bool:
    return row.kind.startswith("scalp_cooling")


def codes_in_effect(date_of_service: date) -> list[CodeRow]:
    """Every code row valid on a date of service, placeholders included (marked as such).

    Raises CodeNotInEffect when no scalp-cooling code existed yet on that date.
    """
    rows = [r for r in _rows() if r.in_effect(date_of_service)]
    if not any(_scalp_cooling(r) and not r.placeholder for r in rows):
        first = min(r.effective_from for r in _rows() if _scalp_cooling(r))
        raise CodeNotInEffect(
            f"no scalp-cooling code was in effect on {date_of_service.isoformat()}: "
            f"the first codes (0662T, 0663T) start on {first.isoformat()}",
            code=None,
            date_of_service=date_of_service,
        )
    return rows


def lookup(code: str, date_of_service: date) -> CodeRow:
    """The row of a code valid on a date of service; CodeNotInEffect names the date otherwise."""
    wanted = code.strip().upper()
    rows = [r for r in _rows() if r.code == wanted]
    if not rows:
        raise CodeNotInEffect(
            f"{wanted} is not a code this service knows",
            code=wanted,
            date_of_service=date_of_service,
        )
    for row in rows:
        if row.in_effect(date_of_service):
            return row
    spans = "; ".join(
        f"from {r.effective_from.isoformat()}"
        + (f" to {r.effective_to.isoformat()}" if r.effective_to else "")
        for r in rows
    )
    raise CodeNotInEffect(
        f"{wanted} is not in effect on the date of service {date_of_service.isoformat()} "
        f"(valid {spans})",
        code=wanted,
        date_of_service=date_of_service,
    )


def descriptor(code: str) -> str | None:
    """The descriptor of a code whatever its dates, or None for a code not in the table."""
    wanted = code.strip().upper()
    return next((r.descriptor for r in _rows() if r.code == wanted), None)


def chemo_admin_codes() -> frozenset[str]:
    """The chemotherapy-administration codes 0663T must accompany (96409-96417)."""
    return frozenset(r.code for r in _rows() if r.kind == CHEMO_ADMIN and r.code)


def scalp_cooling_codes() -> frozenset[str]:
    """Every numbered scalp-cooling code (0662T, 0663T and their 2026 successors 97008, 97009)."""
    return frozenset(r.code for r in _rows() if _scalp_cooling(r) and r.code)


def placeholders_in_effect(date_of_service: date) -> list[CodeRow]:
    """Placeholder rows (codes announced but not yet numbered) valid on a date of service."""
    return [r for r in _rows() if r.placeholder and r.in_effect(date_of_service)]


def place_of_service(site_of_care: str | None) -> tuple[str, str] | None:
    """(CMS place-of-service code, note) for a site of care, or None if unknown."""
    if site_of_care is None:
        return None
    entry = load_data("codes.yaml")["places_of_service"].get(site_of_care)
    if entry is None:
        return None
    return str(entry["code"]), str(entry["note"])


def fee_for(code: str, date_of_service: date) -> FeeEntry | None:
    """The reference charge of a code on a date of service, or None when none is on file."""
    for raw in load_data("codes.yaml").get("fee_schedule", []):
        if raw["code"] != code:
            continue
        end = raw.get("effective_to")
        if raw["effective_from"] <= date_of_service and (end is None or date_of_service <= end):
            return FeeEntry(code=code, amount=float(raw["amount"]), source=str(raw["source"]))
    return None


@dataclass(frozen=True, slots=True)
class CrosswalkRow:
    """Which code bills a scalp-cooling role (initial, session, continued) over a span of dates.

    ``code`` None: no code bills that role in the span (``note`` says why).
    """

    role: str
    code: str | None
    effective_from: date
    effective_to: date | None
    verified: bool
    source: str
    note: str | None = None

    def in_effect(self, on: date) -> bool:
        """Whether the row applies to a date of service."""
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)


@lru_cache(maxsize=1)
def _crosswalk() -> tuple[CrosswalkRow, ...]:
    return tuple(
        CrosswalkRow(
            role=str(raw["role"]),
            code=str(raw["code"]) if raw.get("code") else None,
            effective_from=raw["effective_from"],
            effective_to=raw.get("effective_to"),
            verified=bool(raw["verified"]),
            source=str(raw["source"]),
            note=raw.get("note"),
        )
        for raw in load_data("codes.yaml")["crosswalk"]
    )


def code_for(role: str, date_of_service: date) -> CrosswalkRow | None:
    """The crosswalk row of a role (initial | session | continued) on a date, or None before
    any scalp-cooling code existed."""
    return next((r for r in _crosswalk() if r.role == role and r.in_effect(date_of_service)), None)


def out_of_effect(named: list[tuple[str, date]]) -> list[tuple[CodeRow, date]]:
    """The scalp-cooling codes of `named` ((code, date of service) pairs) that the table has
    out of effect on their date (0662T/0663T after 2025-12-31, say), each code once, at its
    first such date, in the order named. Codes the table does not know are left out."""
    found: dict[str, tuple[CodeRow, date]] = {}
    scalp = scalp_cooling_codes()
    for code, on in named:
        wanted = code.strip().upper()
        if wanted not in scalp or wanted in found:
            continue
        rows = [r for r in _rows() if r.code == wanted]
        if rows and not any(r.in_effect(on) for r in rows):
            found[wanted] = (rows[0], on)
    return list(found.values())


def codes_on(on: date) -> list[str]:
    """The scalp-cooling codes the crosswalk bills on a date of service, by role."""
    return [
        row.code
        for role in ("initial", "session", "continued")
        if (row := code_for(role, on)) is not None and row.code
    ]


def unverified_rows(codes_: set[str] | frozenset[str], dates: list[date]) -> list[CodeRow]:
    """Rows of the given codes, in effect on one of the dates, whose numbers are not verified."""
    out: list[CodeRow] = []
    for row in _rows():
        if row.code in codes_ and not row.verified and any(row.in_effect(d) for d in dates):
            if row not in out:
                out.append(row)
    return out


def unverified_caveat(codes_: set[str] | frozenset[str], dates: list[date]) -> str | None:
    """The caveat a document printing these codes shows, or None when every code is verified.

    A reader-facing sentence: which codes, and that only secondary sources report them.
    """
    rows = unverified_rows(codes_, dates)
    if not rows:
        return None
    names = " and ".join(r.code for r in rows if r.code)
    several = len(rows) > 1
    return (
        f"Codes not yet confirmed: {names} (in use from "
        f"{min(r.effective_from for r in rows).strftime('%m/%d/%Y')}) "
        f"{'are' if several else 'is'} reported by secondary sources only; check "
        f"{'them' if several else 'it'} against the payer's current code list before submitting."
    )


def time_units(minutes: int, unit_minutes: int) -> int:
    """Units of a time-based code: a unit counts once its midpoint is passed (CPT "Time")."""
    if minutes <= 0:
        return 0
    if load_data("codes.yaml")["time_units"]["midpoint_rule"]:
        return (minutes + unit_minutes // 2 - 1) // unit_minutes
    return minutes // unit_minutes


@dataclass(frozen=True, slots=True)
class FrequencyRule:
    """How often 0662T may be billed for a payer type, with its source and the other reading."""

    rule: str  # once_per_patient | once_per_course
    source: str
    other_rule: str
    other_source: str
    plan_type: str | None

    @property
    def sources_disagree(self) -> bool:
        """Always true while the two readings differ: the claim warns."""
        return self.rule != self.other_rule


def frequency_0662T(plan_type: str | None) -> FrequencyRule:  # noqa: N802 (the code's name)
    """The 0662T frequency rule for a payer type (codes.yaml ``frequency_0662T``)."""
    data = load_data("codes.yaml")["frequency_0662T"]
    rule = str(data["by_plan_type"].get(plan_type or "", data["default"]))
    other = next(k for k in data["sources"] if k != rule)
    return FrequencyRule(
        rule=rule,
        source=str(data["sources"][rule]),
        other_rule=str(other),
        other_source=str(data["sources"][other]),
        plan_type=plan_type,
    )


def is_valid_icd10_format(code: str) -> bool:
    """Whether a string has the shape of an ICD-10-CM code (not whether the code exists)."""
    return bool(_ICD10.match((code or "").strip().upper()))


@dataclass(frozen=True, slots=True)
class _LabelEntry:
    label: DiagnosisLabel
    reason: str
    source: str
    prefixes: tuple[str, ...]
    ranges: tuple[tuple[str, str], ...]


@lru_cache(maxsize=1)
def _label_entries() -> tuple[_LabelEntry, ...]:
    entries = []
    for raw in load_data("icd10_labels.yaml")["entries"]:
        entries.append(
            _LabelEntry(
                label=raw["label"],
                reason=str(raw["reason"]),
                source=str(raw["source"]),
                prefixes=tuple(str(p).upper() for p in raw.get("prefixes", ())),
                ranges=tuple((str(a).upper(), str(b).upper()) for a, b in raw.get("ranges", ())),
            )
        )
    return tuple(entries)


def _match(entry: _LabelEntry, key: str) -> tuple[int, str] | None:
    """(specificity, description) of the best way an entry matches a dotless code."""
    best: tuple[int, str] | None = None
    for prefix in entry.prefixes:
        if key.startswith(prefix) and (best is None or len(prefix) > best[0]):
            best = (len(prefix), prefix)
    for low, high in entry.ranges:
        if low <= key[:3] <= high and (best is None or best[0] < 3):
            best = (3, f"{low}-{high}")
    return best


def classify_diagnosis(code: str) -> DiagnosisClass:
    """Classify an ICD-10-CM code as on-label, payer-narrow, off-label, history or unknown."""
    normal = (code or "").strip().upper()
    if not is_valid_icd10_format(normal):
        return DiagnosisClass(
            label="unknown",
            reason=f"{code!r} is not a valid ICD-10-CM code format",
            source="ICD-10-CM code format (DOMAIN.md §3)",
            code=normal,
        )
    key = normal.replace(".", "")
    best: tuple[int, int, _LabelEntry, str] | None = None
    for order, entry in enumerate(_label_entries()):
        found = _match(entry, key)
        # Higher specificity wins; at a tie the entry listed first (lower order) wins.
        if found and (best is None or found[0] > best[0]):
            best = (found[0], order, entry, found[1])
    if best is None:
        return DiagnosisClass(
            label="unknown",
            reason=f"{normal} is not in the scalp-cooling diagnosis table",
            source=str(load_data("icd10_labels.yaml")["source"]),
            code=normal,
        )
    _, _, entry, matched = best
    return DiagnosisClass(
        label=entry.label, reason=entry.reason, source=entry.source, code=normal, matched=matched
    )
