"""The checklist rules more than one checklist uses: coverage and payer, diagnosis, codes, and
whether a document has been generated."""

from __future__ import annotations

from datetime import date

from formservice.model import Case
from formservice.reimbursement import codes
from formservice.reimbursement.abn import effective_plan_type
from formservice.reimbursement.benefits import payer_facts
from formservice.reimbursement.checklists.items import DONE, MISSING, NA, FactsLike, Rule, Status

__all__ = [
    "check_clinical_notes",
    "check_codes_in_effect",
    "check_diagnosis_on_label",
    "check_generated",
    "check_member_id",
    "check_payer_known",
    "is_uninsured",
    "pa_requirement",
]


def is_uninsured(case: Case) -> bool:
    """Whether the patient has no insurance (no payer to ask or bill)."""
    return case.coverage.status != "insured"


def check_member_id(case: Case, facts: FactsLike, today: date) -> tuple[Status, str]:
    """The member ID is on the case (not applicable when uninsured)."""
    if is_uninsured(case):
        return NA, "patient is uninsured"
    if case.coverage.member_id:
        return DONE, f"member ID {case.coverage.member_id}"
    return MISSING, "add the member ID"


def check_payer_known(case: Case, facts: FactsLike, today: date) -> tuple[Status, str]:
    """The payer is named, and whether the hub directory knows it."""
    if is_uninsured(case):
        return NA, "patient is uninsured"
    payer = case.coverage.payer
    if payer is None:
        return MISSING, "add the payer"
    where = (
        "in the hub payer directory"
        if payer_facts(case, facts.benefits).in_directory
        else "not in the hub payer directory: confirm its PA process by phone"
    )
    return DONE, f"{payer.name} ({where})"


def pa_requirement(case: Case, facts: FactsLike) -> tuple[bool | None, str]:
    """Whether the payer requires a PA, and where that is known from."""
    plan_type, _ = effective_plan_type(case, facts.benefits)
    if plan_type == "medicare_ffs":
        # payers.yaml: Original Medicare has no prior authorization for 0662T/0663T.
        return False, "Original Medicare: no prior authorization for these codes"
    found = payer_facts(case, facts.benefits)
    return found.pa_required, found.pa_required_source


def check_diagnosis_on_label(case: Case, facts: FactsLike, today: date) -> tuple[Status, str]:
    """An on-label (or payer-narrow) diagnosis and no off-label one."""
    classes = [codes.classify_diagnosis(d.code) for d in case.diagnoses]
    off = [c for c in classes if c.label == "off_label"]
    if off:
        return MISSING, "; ".join(f"{c.code} is off-label: {c.reason}" for c in off)
    on = [c for c in classes if c.label == "on_label"]
    if on:
        return DONE, f"{on[0].code}: {on[0].reason}"
    narrow = [c for c in classes if c.label == "payer_narrow"]
    if narrow:
        return DONE, f"{narrow[0].code}: {narrow[0].reason} (may fail a narrow payer policy)"
    return MISSING, "no active solid-tumor diagnosis: " + "; ".join(
        f"{c.code}: {c.reason}" for c in classes
    )


def check_codes_in_effect(case: Case, facts: FactsLike, today: date) -> tuple[Status, str]:
    """The scalp-cooling codes of the start date (codes.yaml crosswalk) are in effect; a caveat
    when they are not verified (the 2026 codes)."""
    start = case.treatment.start_date
    if start is None:
        return MISSING, "needs the start date to check the codes"
    try:
        codes.codes_in_effect(start)
    except codes.CodeNotInEffect as exc:
        return MISSING, str(exc)
    found = [
        row.code
        for role in ("initial", "session", "continued")
        if (row := codes.code_for(role, start)) is not None and row.code
    ]
    caveat = codes.unverified_caveat(frozenset(found), [start])
    note = f"; note: {caveat}" if caveat else ""
    return DONE, f"{' and '.join(found)} in effect on {start.isoformat()}{note}"


def check_generated(kind: str, what: str) -> Rule:
    """A rule: the document `kind` has been generated for the case."""

    def rule(case: Case, facts: FactsLike, today: date) -> tuple[Status, str]:
        if kind in facts.documents:
            return DONE, f"{what} generated"
        return MISSING, f"generate the {what}"

    return rule


def check_clinical_notes(case: Case, facts: FactsLike, today: date) -> tuple[Status, str]:
    """The case carries clinical notes."""
    notes = (case.clinical_notes or "").strip()
    if notes:
        return DONE, f"{len(notes)} characters of clinical notes"
    return MISSING, "add clinical notes (or attach the visit note and treatment plan)"
