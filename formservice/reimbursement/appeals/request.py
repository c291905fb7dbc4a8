"""What the appeal asks for around its arguments, by plan type and timing: the review requested,
the remedy, the deadline sentence, the ERISA requests and the enclosures (words in appeals.yaml)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from formservice.model import Case, Denial, PacketContents
from formservice.reimbursement import load_data
from formservice.reimbursement.appeals.arguments import Argument, appeal_arguments, denial_sections
from formservice.reimbursement.appeals.dates import format_date, parse_date
from formservice.reimbursement.appeals.enclosures import appeal_enclosure_list
from formservice.reimbursement.appeals.placeholders import DEFAULT_CODES, codes_text
from formservice.reimbursement.evidence_data import load_evidence

__all__ = [
    "appeal_enclosures",
    "appeal_remedy",
    "appeal_request",
    "deadline_text",
    "erisa_requests",
    "is_erisa",
    "is_pre_service",
]


def _data() -> dict[str, Any]:
    data: dict[str, Any] = load_data("appeals.yaml")
    return data


def _plan_type(denial: Denial, case: Case | None) -> str:
    if denial.plan_type:
        return str(denial.plan_type)
    payer = case.coverage.payer if case is not None else None
    return (payer.plan_type or "") if payer else ""


def is_erisa(denial: Denial, case: Case | None = None) -> bool:
    """Whether the denied plan is an ERISA employer plan (denial's plan type, else the case's)."""
    return _plan_type(denial, case) == "erisa"


def is_pre_service(denial: Denial) -> bool:
    """Whether the denial answers an authorization request rather than a claim.

    A pre-service letter names a service date after its own date, or an authorization request
    and no claim.
    """
    letter, service = (
        parse_date(denial.letter_date),
        parse_date(denial.date_of_service),
    )
    if letter and service and service > letter:
        return True
    return not denial.claim_number and bool(denial.authorization_number)


def appeal_request(denial: Denial, case: Case | None = None) -> dict[str, str]:
    """The letter's title, the review it asks for and the first level's name, by plan type:
    redetermination (Medicare fee-for-service), reconsideration (Medicare Advantage), plan
    appeal (Medicaid), appeal under 29 CFR 2560.503-1 (ERISA)."""
    requests = _data()["requests"]
    found = requests.get(_plan_type(denial, case)) or requests["default"]
    return {
        "title": str(found["title"]),
        "noun": str(found["noun"]),
        "level": str(found["level"]),
    }


def _remedy_key(denial: Denial, arguments: Sequence[Argument]) -> str:
    if is_pre_service(denial):
        return "pre_service"
    remedies = _data()["remedies"]
    keys = [a.remedy for a in arguments] or ["pay_claim"]
    return max(keys, key=lambda k: int(remedies[k]["rank"]))


def appeal_remedy(
    denial: Denial,
    case: Case | None = None,
    arguments: Sequence[Argument] | None = None,
) -> str:
    """The one thing the appeal asks the payer to do, as a clause ("overturn the denial ...")."""
    if arguments is None:
        if case is None:
            # Without the case, take each category's own remedy (no case-dependent variant).
            lib = load_evidence()
            arguments = [
                Argument(
                    category=s.category,
                    label="",
                    heading="",
                    quotes=(),
                    paragraphs=(),
                    bullets=(),
                    cites=(),
                    remedy=lib.appeals[s.category].remedy or "pay_claim",
                )
                for s in denial_sections(denial, lib)
            ]
        else:
            arguments = appeal_arguments(denial, case)
    template = _data()["remedies"][_remedy_key(denial, arguments)]["post_service"]
    claim = str(denial.claim_number or "")
    reference = str(denial.authorization_number or claim)
    if case is not None and not reference:
        reference = case.prior_authorization.number or ""
    values = {
        "claim": claim or "for these services",
        "reference": reference or "for these services",
        "codes": codes_text(list(denial.procedure_codes or DEFAULT_CODES)),
        "dos": format_date(denial.date_of_service)
        or (format_date(case.treatment.start_date) if case else "")
        or "at issue",
    }
    text = str(template).format(**values)
    return text.replace("claim for these services", "the claim for these services")


def _basis_text(basis: str) -> str:
    for prefix, words in _data()["basis_prefixes"].items():
        if basis.startswith(prefix):
            rest = basis[len(prefix) :].strip()
            if prefix == "letter states the date:":
                return str(words)
            return f"{words} {rest}".strip()
    return basis


def deadline_text(
    denial: Denial, today: date, case: Case | None = None, late_reason: str | None = None
) -> str:
    """The sentence that says when the appeal is due and that it meets the deadline; a late
    appeal's good cause follows it.

    The good cause is printed only when the appeal is late (a timely appeal needs none), and a
    late appeal without one (let through by a hub override) does not ask for good cause it
    does not give.
    """
    deadline = parse_date(denial.appeal_deadline)
    late = deadline is not None and today > deadline
    reason = (late_reason or "").strip()
    text = _deadline_sentence(denial, today, case, late_without_cause=late and not reason)
    if late and reason:
        good = str(_data()["deadline"]["good_cause"]).format(late_reason=reason)
        text = f"{text} {good.rstrip('.')}."
    return text


def _deadline_sentence(
    denial: Denial, today: date, case: Case | None, *, late_without_cause: bool = False
) -> str:
    phrases = _data()["deadline"]
    deadline = parse_date(denial.appeal_deadline)
    values = {"today": format_date(today)}
    if deadline is not None:
        basis = _basis_text(str(denial.appeal_deadline_basis or "stated in the denial"))
        values |= {"deadline": format_date(deadline), "basis": basis}
        key = "timely" if today <= deadline else "late"
        if late_without_cause:
            key = "late_no_cause"
        return str(phrases[key]).format(**values)
    letter = parse_date(denial.letter_date)
    if letter is None:
        return f"This appeal is submitted on {values['today']}."
    days = (today - letter).days
    if days < 0:
        return f"This appeal is submitted on {values['today']}."
    key = "unknown_erisa" if is_erisa(denial, case) and 0 <= days <= 180 else "unknown"
    return str(phrases[key]).format(**values, days=days)


def erisa_requests(denial: Denial, case: Case | None = None) -> list[str]:
    """The ERISA paragraphs (claim file, criteria relied on, independent reviewer), or []."""
    return [str(p) for p in _data()["erisa_requests"]] if is_erisa(denial, case) else []


def appeal_enclosures(
    denial: Denial,
    case: Case,
    arguments: Sequence[Argument],
    packet: PacketContents | None = None,
) -> list[str]:
    """What the letter lists as enclosed: for a standalone letter, the common items, then each
    reason's own (the clinic assembles them); for a packet's letter (`packet`), exactly the
    parts the packet holds after it, in order (`enclosures.appeal_enclosure_list`)."""
    return list(appeal_enclosure_list(denial, case, arguments, packet).listed)
