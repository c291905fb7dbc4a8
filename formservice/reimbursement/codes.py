"""Procedure codes by date of service and ICD-10-CM diagnosis classes (data/codes.yaml,
data/icd10_labels.yaml).

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
    "DiagnosisClass",
    "DiagnosisLabel",
    "FeeEntry",
    "chemo_admin_codes",
    "classify_diagnosis",
    "codes_in_effect",
    "descriptor",
    "fee_for",
    "is_valid_icd10_format",
    "lookup",
    "place_of_service",
    "placeholders_in_effect",
    "rules",
    "scalp_cooling_codes",
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
            )
        )
    return tuple(rows)


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
    """Every numbered scalp-cooling code (0662T, 0663T, and their successors once numbered)."""
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
