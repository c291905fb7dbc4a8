"""The prior-authorization checklist: what the PA request needs, checked against the case."""

from __future__ import annotations

from datetime import date

from formservice.model import Case
from formservice.reimbursement.benefits import payer_facts
from formservice.reimbursement.checklists.items import (
    DONE,
    MISSING,
    NA,
    ChecklistItem,
    FactsLike,
    Rule,
    Status,
    join_fields,
    run_checklist,
)
from formservice.reimbursement.checklists.shared_rules import (
    check_clinical_notes,
    check_codes_in_effect,
    check_diagnosis_on_label,
    check_generated,
    check_member_id,
    check_payer_known,
    is_uninsured,
    pa_requirement,
)
from formservice.reimbursement.pap_rules import check_prescription

__all__ = ["PA_RULES", "pa_checklist"]


def _pa_requirement_known(case: Case, facts: FactsLike, today: date) -> tuple[Status, str]:
    if is_uninsured(case):
        return NA, "patient is uninsured"
    required, source = pa_requirement(case, facts)
    if required is None:
        return MISSING, "not known whether the payer requires a PA: run the benefits investigation"
    return DONE, f"PA {'required' if required else 'not required'} (source: {source})"


def _submission_known(case: Case, facts: FactsLike, today: date) -> tuple[Status, str]:
    if is_uninsured(case):
        return NA, "patient is uninsured"
    found = payer_facts(case, facts.benefits)
    if found.pa_required is False:
        return NA, "no PA required"
    if not found.channel:
        return (
            MISSING,
            "submission channel unknown: ask the payer during the benefits investigation",
        )
    how = {"fax": found.fax, "portal": found.portal_url, "phone": found.phone}.get(found.channel)
    turnaround = (
        f"; typical turnaround {found.turnaround_days} days ({found.turnaround_source})"
        if found.turnaround_days is not None
        else ""
    )
    return DONE, f"by {found.channel}{f' ({how})' if how else ''}{turnaround}"


def _prescription(case: Case, facts: FactsLike, today: date) -> tuple[Status, str]:
    result = check_prescription(case, today)
    if result.passed:
        return DONE, result.detail
    return MISSING, result.detail


def _treatment_plan(case: Case, facts: FactsLike, today: date) -> tuple[Status, str]:
    t = case.treatment
    needed = [("treatment.start_date", t.start_date), ("treatment.sessions", t.sessions)]
    if t.sessions is None or t.sessions > 1:
        needed.append(("treatment.cycle_length_days", t.cycle_length_days))
    absent = [path for path, value in needed if value is None]
    if absent:
        return MISSING, f"add {join_fields(absent)}"
    cycle = f", every {t.cycle_length_days} days" if t.cycle_length_days else ""
    late = ""
    if (
        t.start_date < today  # type: ignore[operator]  # checked above
        and not is_uninsured(case)
        and case.prior_authorization.status in ("not_submitted", "required")
    ):
        # The LMN and the PA form carry a retroactive_request warning; the checklist staff work
        # from says it too, or "Ready" reads as if the request were on time.
        late = (
            "; treatment started before today with no authorization requested: the request is "
            "retroactive (check the payer's rules for retroactive requests)"
        )
    return DONE, f"{t.sessions} session(s) from {t.start_date.isoformat()}{cycle}{late}"  # type: ignore[union-attr]  # checked above


def _pa_form(case: Case, facts: FactsLike, today: date) -> tuple[Status, str]:
    if is_uninsured(case):
        return NA, "patient is uninsured"
    required, _ = pa_requirement(case, facts)
    if required is False:
        return NA, "no PA required"
    return check_generated("pa_form", "PA request form")(case, facts, today)


PA_RULES: dict[str, Rule] = {
    "member_id": check_member_id,
    "payer_known": check_payer_known,
    "pa_requirement_known": _pa_requirement_known,
    "submission_known": _submission_known,
    "diagnosis_on_label": check_diagnosis_on_label,
    "prescription_valid": _prescription,
    "treatment_plan_complete": _treatment_plan,
    "codes_in_effect": check_codes_in_effect,
    "lmn_generated": check_generated("lmn", "Letter of Medical Necessity"),
    "pa_form_generated": _pa_form,
    "clinical_notes": check_clinical_notes,
}


def pa_checklist(case: Case, facts: FactsLike, today: date) -> list[ChecklistItem]:
    """The prior-authorization checklist, each item marked from the case and what is on file."""
    return run_checklist("pa", PA_RULES, case, facts, today)
