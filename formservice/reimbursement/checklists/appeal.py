"""The letter-of-appeal checklist: what the appeal packet must hold, checked against the case
and the denial on file."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from formservice.model import Case, Denial, DenialReason
from formservice.reimbursement.appeals.arguments import appeal_arguments
from formservice.reimbursement.appeals.enclosures import appeal_enclosure_list, packet_contents
from formservice.reimbursement.checklists.items import (
    DONE,
    MISSING,
    NA,
    ChecklistItem,
    FactsLike,
    Rule,
    Status,
    run_checklist,
)
from formservice.reimbursement.checklists.shared_rules import (
    check_clinical_notes,
    check_generated,
    pa_requirement,
)
from formservice.reimbursement.evidence_data import load_evidence

__all__ = ["APPEAL_RULES", "appeal_checklist"]


def _norm(text: Any) -> str:
    return "".join(ch for ch in str(text or "") if ch.isalnum()).upper()


def _denial_rule(rule: Callable[[Case, Denial, date], tuple[Status, str]]) -> Rule:
    def wrapped(case: Case, facts: FactsLike, today: date) -> tuple[Status, str]:
        if facts.denial is None:
            return MISSING, "no denial on file: upload the denial letter first"
        return rule(case, facts.denial, today)

    return wrapped


def _denial_on_file(case: Case, denial: Denial, today: date) -> tuple[Status, str]:
    who = denial.payer_name or "the payer"
    when = f"dated {denial.letter_date}" if denial.letter_date else "with no date found"
    extra = " (flagged for review: check the parsed facts)" if denial.needs_review else ""
    return DONE, f"denial letter from {who}, {when}{extra}"


def _deadline(case: Case, denial: Denial, today: date) -> tuple[Status, str]:
    due = denial.appeal_deadline
    if due is None:
        return MISSING, "the denial states no appeal deadline: find it in the plan documents"
    basis = denial.appeal_deadline_basis or "basis not stated"
    left = (due - today).days
    if left < 0:
        return MISSING, f"deadline {due.isoformat()} passed {-left} day(s) ago ({basis})"
    return DONE, f"due {due.isoformat()}, {left} day(s) left ({basis})"


def _claim_number(case: Case, denial: Denial, today: date) -> tuple[Status, str]:
    claim, auth = denial.claim_number, denial.authorization_number
    if claim or auth:
        parts = [f"claim {claim}" if claim else "", f"authorization {auth}" if auth else ""]
        return DONE, ", ".join(p for p in parts if p)
    return MISSING, "the denial states no claim or authorization number: add it to the appeal"


def _member_match(case: Case, denial: Denial, today: date) -> tuple[Status, str]:
    on_letter, on_case = denial.member_id, case.coverage.member_id
    if not on_letter:
        return MISSING, "the denial states no member ID: check it against the case"
    if not on_case:
        return MISSING, f"the case has no member ID (denial says {on_letter})"
    if _norm(on_letter) == _norm(on_case):
        return DONE, f"member ID {on_case} matches"
    return MISSING, f"denial says {on_letter}, the case says {on_case}: wrong patient or plan?"


def _auth_match(case: Case, denial: Denial, today: date) -> tuple[Status, str]:
    on_letter, on_case = denial.authorization_number, case.prior_authorization.number
    if not on_letter:
        return NA, "the denial cites no authorization number"
    if not on_case:
        return MISSING, f"denial cites authorization {on_letter}; record it on the case's PA"
    if _norm(on_letter) == _norm(on_case):
        return DONE, f"authorization {on_case} matches"
    return MISSING, f"denial says {on_letter}, the case's PA number is {on_case}"


def _reason_text(reason: DenialReason) -> str:
    category = (reason.category or "other").replace("_", " ")
    carc = f" (CARC {reason.carc})" if reason.carc else ""
    return f"{category}{carc}"


def _reasons(case: Case, facts: FactsLike, today: date) -> tuple[Status, str]:
    denial = facts.denial
    if denial is None:
        return MISSING, "no denial on file"
    reasons = list(denial.reasons)
    if not reasons:
        reasons = [DenialReason(category=c) for c in denial.categories]
    if not reasons:
        return MISSING, "no denial reason identified: read the letter and record the reason"
    listed = "; ".join(_reason_text(r) for r in reasons)
    if "appeal" in facts.documents:
        return DONE, f"{len(reasons)} reason(s) answered in the appeal letter: {listed}"
    return MISSING, f"{len(reasons)} reason(s) to answer: {listed}"


def _pa_form_for_appeal(case: Case, facts: FactsLike, today: date) -> tuple[Status, str]:
    required, _ = pa_requirement(case, facts)
    if required is False and case.prior_authorization.number is None:
        return NA, "no PA required"
    return check_generated("pa_form", "PA request form")(case, facts, today)


def _denial_copy(case: Case, denial: Denial, today: date) -> tuple[Status, str]:
    pages = denial.pages
    return DONE, f"copy of the denial letter ({pages or '?'} page(s)) from the parsed letter"


def _evidence(case: Case, facts: FactsLike, today: date) -> tuple[Status, str]:
    denial = facts.denial
    if denial is None:
        return MISSING, "no denial on file"
    categories = list(dict.fromkeys(denial.categories))
    library = load_evidence()
    answerable = [c for c in categories if c in library.categories]
    if not answerable:
        return NA, "these reasons are answered with facts (codes, dates, records), not literature"
    uncited = [c for c in answerable if not any(a.cites for a in library.arguments[c])]

    def words(found: list[str]) -> str:  # the categories as a letter names them
        return ", ".join(
            library.appeals[c].label.lower() if c in library.appeals else c.replace("_", " ")
            for c in found
        )

    if uncited:
        return MISSING, f"no citation on file for: {words(uncited)}"
    keys = {k for c in answerable for a in library.arguments[c] for k in a.cites}
    return DONE, f"{len(keys)} reference(s) in the evidence library for {words(answerable)}"


def _enclosures_to_add(case: Case, facts: FactsLike, today: date) -> tuple[Status, str]:
    """What the appeal calls for that its packet cannot hold (the packet's own warnings)."""
    denial = facts.denial
    if denial is None:
        return MISSING, "no denial on file"
    history = getattr(facts, "pa_history", ())  # CaseFacts has it; a bare FactsLike may not
    remittance = denial.text_source == "x12" and not getattr(facts, "denial_pdf", None)
    contents = packet_contents(case, denial, history, remittance=remittance)
    found = appeal_enclosure_list(denial, case, appeal_arguments(denial, case), contents)
    if not found.to_add:
        return DONE, "the appeal packet holds every enclosure the appeal calls for"
    return MISSING, "add before sending: " + "; ".join(found.to_add)


APPEAL_RULES: dict[str, Rule] = {
    "denial_on_file": _denial_rule(_denial_on_file),
    "deadline": _denial_rule(_deadline),
    "claim_number": _denial_rule(_claim_number),
    "member_id_match": _denial_rule(_member_match),
    "authorization_match": _denial_rule(_auth_match),
    "reasons": _reasons,
    "appeal_letter": check_generated("appeal", "letter of appeal"),
    "lmn_generated": check_generated("lmn", "Letter of Medical Necessity"),
    "pa_form_generated": _pa_form_for_appeal,
    "denial_letter_copy": _denial_rule(_denial_copy),
    "clinical_records": check_clinical_notes,
    "evidence_citations": _evidence,
    "enclosures_to_add": _enclosures_to_add,
}


def appeal_checklist(case: Case, facts: FactsLike, today: date) -> list[ChecklistItem]:
    """The letter-of-appeal checklist: what the packet must hold, marked from case and denial."""
    return run_checklist("appeal", APPEAL_RULES, case, facts, today)
