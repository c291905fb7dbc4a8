"""The claim-filing checklist: what the CMS-1500 claim needs before it is filed."""

from __future__ import annotations

from datetime import date

from formservice.errors import ClaimBuildError
from formservice.model import Case, CaseFacts
from formservice.reimbursement import codes, pa_tracking
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
    check_codes_in_effect,
    check_diagnosis_on_label,
    check_generated,
    check_member_id,
    check_payer_known,
    is_uninsured,
    pa_requirement,
)
from formservice.reimbursement.claim_checks import Problem, validate_claim_lines
from formservice.reimbursement.claim_lines import build_claim_lines
from formservice.reimbursement.pap_rules import is_valid_npi

__all__ = ["CLAIM_RULES", "DEFAULT_CHEMO_CODE", "chemo_code", "claim_checklist"]

_APPROVED = ("approved", "appeal_approved")
DEFAULT_CHEMO_CODE = "96413"  # model.Treatment: billing assumes 96413 when the case names none


def _pa_number(case: Case, facts: FactsLike, today: date) -> tuple[Status, str]:
    if is_uninsured(case):
        return NA, "patient is uninsured"
    required, source = pa_requirement(case, facts)
    number = case.prior_authorization.number
    if required is False:
        return NA, f"no PA required (source: {source})"
    if number:
        return DONE, f"PA number {number} (CMS-1500 item 23)"
    if required is None:
        return MISSING, "PA requirement unknown and no PA number recorded"
    return MISSING, "PA required: record the authorization number before filing the claim"


def _pa_approved(case: Case, facts: FactsLike, today: date) -> tuple[Status, str]:
    if is_uninsured(case):
        return NA, "patient is uninsured"
    required, _ = pa_requirement(case, facts)
    status = case.prior_authorization.status
    if required is False:
        return NA, "no PA required"
    if status in _APPROVED:
        decided = case.prior_authorization.decided_on
        return DONE, f"PA {pa_tracking.status_label(status)}" + (
            f" on {decided.isoformat()}" if decided else ""
        )
    return (
        MISSING,
        f"PA {pa_tracking.status_label(status)}: wait for the payer's approval before billing",
    )


def chemo_code(case: Case) -> str:
    """The chemo-administration code billed beside 0663T (96413 when the case names none)."""
    return case.treatment.chemo_administration_code or DEFAULT_CHEMO_CODE


def _claim_problems(case: Case, facts: FactsLike) -> tuple[list[Problem] | None, str]:
    try:
        lines = build_claim_lines(case, chemo_code=chemo_code(case))
    except ClaimBuildError as exc:
        return None, f"cannot build claim lines: {exc}"
    known = CaseFacts(benefits=facts.benefits, documents=frozenset(facts.documents))
    return validate_claim_lines(lines, case, known), f"{len(lines)} claim lines"


def _claim_lines_valid(case: Case, facts: FactsLike, today: date) -> tuple[Status, str]:
    problems, summary = _claim_problems(case, facts)
    if problems is None:
        return MISSING, summary
    errors = [p.message for p in problems if p.severity == "error"]
    notes = [p.message for p in problems if p.severity != "error"]
    if errors:
        return MISSING, "; ".join(errors)
    tail = f" (note: {'; '.join(notes)})" if notes else ""
    return DONE, f"{summary}, no errors{tail}"


def _chemo_pairing(case: Case, facts: FactsLike, today: date) -> tuple[Status, str]:
    problems, summary = _claim_problems(case, facts)
    if problems is None:
        return MISSING, summary
    unpaired = [p.message for p in problems if p.code == "0663T_without_chemo_admin"]
    if unpaired:
        return MISSING, "; ".join(unpaired)
    start = case.treatment.start_date
    row = codes.code_for("session", start) if start else None
    session = row.code if row and row.code else "scalp-cooling session code"
    return DONE, f"each {session} billed with {chemo_code(case)} on the same date of service"


def _place_of_service(case: Case, facts: FactsLike, today: date) -> tuple[Status, str]:
    pos = codes.place_of_service(case.treatment.site_of_care)
    if pos is None:
        return MISSING, "add the site of care (physician office or hospital outpatient department)"
    return DONE, f"place of service {pos[0]} ({pos[1]})"


def _facility_npi(case: Case, facts: FactsLike, today: date) -> tuple[Status, str]:
    npi = case.facility.npi
    if is_valid_npi(npi):
        return DONE, f"NPI {npi}"
    return MISSING, f"facility NPI {npi!r} fails the NPI check"


def _facility_tax_id(case: Case, facts: FactsLike, today: date) -> tuple[Status, str]:
    if case.facility.tax_id:
        return DONE, f"EIN {case.facility.tax_id}"
    return MISSING, "add the facility's tax ID (CMS-1500 item 25)"


def _insured_only(rule: Rule) -> Rule:
    def wrapped(case: Case, facts: FactsLike, today: date) -> tuple[Status, str]:
        if is_uninsured(case):
            return NA, "patient is uninsured: no claim to an insurer (see the PAP)"
        return rule(case, facts, today)

    return wrapped


CLAIM_RULES: dict[str, Rule] = {
    "member_id": check_member_id,
    "payer_known": check_payer_known,
    "pa_number_recorded": _pa_number,
    "pa_approved": _pa_approved,
    "diagnosis_on_label": check_diagnosis_on_label,
    "codes_in_effect": check_codes_in_effect,
    "claim_lines_valid": _insured_only(_claim_lines_valid),
    "chemo_admin_pairing": _insured_only(_chemo_pairing),
    "place_of_service": _place_of_service,
    "facility_npi": _facility_npi,
    "facility_tax_id": _insured_only(_facility_tax_id),
    "lmn_generated": check_generated("lmn", "Letter of Medical Necessity"),
}


def claim_checklist(case: Case, facts: FactsLike, today: date) -> list[ChecklistItem]:
    """The claim-filing checklist, each item marked from the case and what is on file."""
    return run_checklist("claim", CLAIM_RULES, case, facts, today)
