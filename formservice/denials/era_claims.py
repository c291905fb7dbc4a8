"""One 835 claim payment (CLP loop) → a `ClaimPayment`, and a `Denial` when it was denied.

Pure: `formservice.denials.era` collects each claim's segments into a `ClaimRecord`; this module
decides whether the claim is denied and writes its facts. A claim is a denial when the payer
denied it (CLP02 = 4), when any adjustment (claim or line) carries a CARC that is not routine
pricing or cost share (the same routine list as letters: 1, 2, 3, 45, 253 in
``denials/data/codes.yaml``), or when nothing was paid and the routine adjustments do not
explain why. A reversal (CLP02 = 22) is never a new denial.

Every fact's evidence names the segment it came from: ``{"segment": position, "id": "CAS",
"text": "CAS*CO*50*450", "confidence": 1.0, "source": "x12"}`` (position 1 is the ISA).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cache, lru_cache
from importlib import resources
from typing import Any

import yaml

from formservice.denials.taxonomy import carc_meaning, rarc_meaning, routine_carcs
from formservice.model.denial import Adjustment, Denial, DenialReason, ServiceLine
from formservice.model.remittance import ClaimPayment
from formservice.reimbursement.deadlines import AppealDeadline, DeadlineRule, plan_rule_deadline

__all__ = ["ClaimRecord", "Header", "LineRecord", "Seen", "claim_payment", "era_rules"]

# Facts an appeal needs that an 835 always should carry; missing, a person must look.
_NEEDED = (
    "payer_name",
    "member_id",
    "patient_name",
    "claim_number",
    "date_of_service",
    "procedure_codes",
    "letter_date",
    "appeal_deadline",
)
# Money in an 835 is to the cent; a smaller difference is rounding, not an unexplained amount.
_CENT = 0.005


@dataclass(frozen=True, slots=True)
class Seen:
    """Where a fact came from: the segment's 1-based position in the file and its text."""

    position: int
    text: str

    def evidence(self) -> dict[str, Any]:
        text = self.text
        return {
            "segment": self.position,
            "id": text.split("*", 1)[0],
            "text": text,
            "confidence": 1.0,
            "source": "x12",
        }


@dataclass
class LineRecord:
    """A service line (loop 2110, SVC) as read."""

    seen: Seen
    code: str | None
    modifiers: tuple[str, ...]
    billed: float
    paid: float
    units: float
    date_of_service: date | None = None
    allowed: float | None = None
    adjustments: list[tuple[Adjustment, Seen]] = field(default_factory=list)
    rarcs: list[tuple[str, Seen]] = field(default_factory=list)


@dataclass
class ClaimRecord:
    """A claim payment (loop 2100, CLP) as read, with its service lines."""

    seen: Seen
    patient_control_number: str
    status: str
    billed: float
    paid: float
    patient_responsibility: float | None
    claim_number: str | None
    filing_indicator: str | None
    patient_name: tuple[str, Seen] | None = None
    patient_id: tuple[str, Seen] | None = None
    member_id: tuple[str, Seen] | None = None
    authorization_number: tuple[str, Seen] | None = None
    statement_from: tuple[date, Seen] | None = None
    adjustments: list[tuple[Adjustment, Seen]] = field(default_factory=list)
    rarcs: list[tuple[str, Seen]] = field(default_factory=list)
    lines: list[LineRecord] = field(default_factory=list)


@dataclass(frozen=True)
class Header:
    """The facts of the transaction (table 1) every claim shares."""

    payer_name: tuple[str, Seen] | None
    letter_date: tuple[date, Seen] | None


# Every claim of a remittance shares its date and most share a plan type: one computation each.
_plan_deadline = lru_cache(maxsize=64)(plan_rule_deadline)


@cache
def era_rules() -> dict[str, Any]:
    """The 835 reading rules (``denials/data/era.yaml``): claim statuses and filing indicators."""
    text = (resources.files("formservice.denials") / "data" / "era.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def _all_adjustments(claim: ClaimRecord) -> list[tuple[Adjustment, Seen]]:
    out = list(claim.adjustments)
    for line in claim.lines:
        out += line.adjustments
    return out


def _is_denied(claim: ClaimRecord, routine: frozenset[str]) -> bool:
    rules = era_rules()
    if claim.status in rules["reversal_status"]:
        return False
    if claim.status in rules["denied_status"]:
        return True
    adjustments = _all_adjustments(claim)
    if any(a.carc not in routine for a, _ in adjustments):
        return True
    if claim.paid <= _CENT and claim.billed > _CENT:
        # Nothing paid: a denial unless routine cost share and pricing account for every dollar
        # (a claim applied wholly to the deductible is paid at zero but is not denied).
        explained = sum(a.amount or 0.0 for a, _ in adjustments)
        return explained < claim.billed - _CENT
    return False


def _dedupe(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def _categories(
    carcs: list[tuple[str, Seen]], rarcs: list[tuple[str, Seen]]
) -> tuple[list[str], list[DenialReason]]:
    reasons: dict[tuple[str, str | None], DenialReason] = {}
    for carc, seen in carcs:
        meaning = carc_meaning(carc)
        category = meaning.category if meaning and meaning.category else "other"
        reasons.setdefault(
            (category, carc),
            DenialReason(
                category=category,
                carc=carc,
                evidence=f"segment {seen.position}: {seen.text}",
                confidence=1.0,
            ),
        )
    if not reasons:
        # No CARC explains it: a RARC with a category may (as letters that print only a remark).
        for rarc, seen in rarcs:
            meaning = rarc_meaning(rarc)
            if meaning and meaning.category:
                reasons.setdefault(
                    (meaning.category, None),
                    DenialReason(
                        category=meaning.category,
                        evidence=f"segment {seen.position}: {seen.text}",
                        confidence=1.0,
                    ),
                )
    if not reasons:
        reasons[("other", None)] = DenialReason(category="other", confidence=1.0)
    found = list(reasons.values())
    return list(dict.fromkeys(r.category for r in found)), found


def _service_lines(claim: ClaimRecord) -> tuple[ServiceLine, ...]:
    return tuple(
        ServiceLine(
            date_of_service=line.date_of_service,
            code=line.code,
            modifiers=line.modifiers,
            units=line.units,
            billed=line.billed,
            allowed=line.allowed,
            paid=line.paid,
            adjustments=tuple(a for a, _ in line.adjustments),
            rarc_codes=_dedupe([r for r, _ in line.rarcs]),
        )
        for line in claim.lines
    )


def _date_of_service(claim: ClaimRecord) -> tuple[date, Seen] | None:
    if claim.statement_from is not None:
        return claim.statement_from
    dated = [line for line in claim.lines if line.date_of_service is not None]
    if not dated:
        return None
    first = min(dated, key=lambda line: line.date_of_service or date.max)
    assert first.date_of_service is not None  # noqa: S101  # filtered above
    return first.date_of_service, first.seen


def _deadline_basis(
    deadline: AppealDeadline, rule: DeadlineRule, letter_date: date, filing_indicator: str | None
) -> str:
    """How the plan rule's deadline was counted, for the denial's ``appeal_deadline_basis``."""
    return (
        f"{rule.label}: {deadline.days} days from the remittance date "
        f"{letter_date.isoformat()}"
        + (
            f" + {deadline.presumed_receipt_days} days presumed receipt"
            if deadline.presumed_receipt_days
            else ""
        )
        + f" ({rule.source}); plan type from CLP06 = {filing_indicator}"
    )


def _denial(claim: ClaimRecord, header: Header, routine: frozenset[str]) -> Denial:
    evidence: dict[str, Any] = {}

    def keep(name: str, found: tuple[Any, Seen] | None) -> Any:
        if found is None:
            return None
        evidence[name] = found[1].evidence()
        return found[0]

    member = claim.member_id or claim.patient_id
    dos = _date_of_service(claim)
    carcs = [(a.carc, seen) for a, seen in _all_adjustments(claim) if a.carc not in routine]
    rarcs = list(claim.rarcs) + [r for line in claim.lines for r in line.rarcs]
    categories, reasons = _categories(carcs, rarcs)
    plan_type = era_rules()["filing_indicator"].get(claim.filing_indicator or "")
    letter_date = keep("letter_date", header.letter_date)
    deadline = _plan_deadline(plan_type, letter_date) if letter_date else None
    basis = None
    if deadline is not None and deadline.rule is not None and letter_date is not None:
        basis = _deadline_basis(deadline, deadline.rule, letter_date, claim.filing_indicator)
        evidence["appeal_deadline"] = {**claim.seen.evidence(), "rule": deadline.rule.source}
    if plan_type:
        evidence["plan_type"] = claim.seen.evidence()
    if carcs:
        evidence["carc_codes"] = [seen.evidence() for _, seen in carcs]
    if rarcs:
        evidence["rarc_codes"] = [seen.evidence() for _, seen in rarcs]
    if claim.lines:
        evidence["service_lines"] = [line.seen.evidence() for line in claim.lines]
        evidence["procedure_codes"] = evidence["service_lines"]
    facts: dict[str, Any] = {
        "text_source": "x12",
        "payer_name": keep("payer_name", header.payer_name),
        "member_id": keep("member_id", member),
        "claim_number": claim.claim_number,
        "authorization_number": keep("authorization_number", claim.authorization_number),
        "patient_name": keep("patient_name", claim.patient_name),
        "letter_date": letter_date,
        "date_of_service": keep("date_of_service", dos),
        "procedure_codes": _dedupe([line.code for line in claim.lines if line.code]),
        "carc_codes": _dedupe([c for c, _ in carcs]),
        "rarc_codes": _dedupe([r for r, _ in rarcs]),
        "categories": tuple(categories),
        "reasons": tuple(reasons),
        "appeal_deadline": deadline.deadline if deadline else None,
        "appeal_days": deadline.days if deadline else None,
        "appeal_deadline_basis": basis,
        "plan_type": plan_type,
        "service_lines": _service_lines(claim),
        "adjustments": tuple(a for a, _ in claim.adjustments if a.carc in routine),
    }
    if claim.claim_number:
        evidence["claim_number"] = claim.seen.evidence()
    review = tuple(name for name in _NEEDED if not facts[name])
    return Denial(**facts, needs_review=bool(review), review_fields=review, evidence=evidence)


def claim_payment(claim: ClaimRecord, header: Header) -> ClaimPayment:
    """The claim payment as the remittance JSON shows it, with its `Denial` when denied."""
    routine = routine_carcs()
    member = claim.member_id or claim.patient_id
    dos = _date_of_service(claim)
    return ClaimPayment(
        segment=claim.seen.position,
        patient_control_number=claim.patient_control_number,
        status=claim.status,
        billed=claim.billed,
        paid=claim.paid,
        patient_responsibility=claim.patient_responsibility,
        claim_number=claim.claim_number,
        payer_name=header.payer_name[0] if header.payer_name else None,
        patient_name=claim.patient_name[0] if claim.patient_name else None,
        member_id=member[0] if member else None,
        date_of_service=dos[0] if dos else None,
        denial=_denial(claim, header, routine) if _is_denied(claim, routine) else None,
    )
