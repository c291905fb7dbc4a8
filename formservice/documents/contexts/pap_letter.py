"""Template context of the PAP determination letter: the decision, each rule, the FPL figures.

The decision is the pure rule's (`formservice.reimbursement.pap.decide_pap`), taking the benefits
investigation's answers (covered, underinsured, out-of-pocket estimate) when the case is silent.
The letter's key is ``pap``: outcome, every rule checked under its group, the poverty-guideline
numbers, what is missing (in words, never payload paths) and the next steps.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from formservice import model
from formservice.documents.contexts.common import build_context
from formservice.documents.contexts.text import format_date, money_text
from formservice.model import CaseFacts
from formservice.reimbursement import poverty
from formservice.reimbursement.benefits import estimate_patient_cost
from formservice.reimbursement.pap import PapDecision, decide_pap

__all__ = ["pap_letter_context"]

_RULE_LABELS = {
    "condition.us_physical_address": "Lives in the US at a physical address (not a PO box)",
    "condition.on_label_diagnosis": "On-label diagnosis (solid tumor)",
    "condition.not_paediatric": "Not a paediatric patient (a label contraindication)",
    "condition.valid_prescription": "Valid prescription from a licensed prescriber",
    "condition.buy_and_bill_facility": "Facility contracted under Buy & Bill",
    "automatic.income_600_fpl": "Income at or below 600% of the Federal Poverty Level",
    "automatic.hardship": "Hardship: cost more than 50% of household income",
    "conditional.no_insurance": "No health insurance",
    "conditional.underinsured": "Underinsured (coverage not enough)",
    "conditional.not_covered": "Insured, but scalp cooling is not covered",
    "conditional.pa_denied_final": "PA denied with no appeal available, or first appeal denied",
}
_GROUPS = (
    ("condition.", "Eligibility conditions (all must be met)"),
    ("automatic.", "Automatic qualification (either one)"),
    ("conditional.", "Coverage situation (any one)"),
)
_MISSING_LABELS = {
    "patient.address": "the patient's home address",
    "patient.address.state": "the patient's state",
    "patient.household.size": "household size",
    "patient.household.adjusted_gross_income": "household adjusted gross income (AGI)",
    "patient.household.annual_income": "household annual income",
    "prescription.date": "the date of the scalp-cooling prescription",
    "facility.buy_and_bill": "whether the facility is contracted under Buy & Bill",
    "product_price": "the cost to weigh for hardship: the patient's out-of-pocket estimate "
    "(Summary of Benefits) or the hub's product price",
    "diagnoses": "an on-label (solid tumor) diagnosis",
    "benefits_investigation.underinsured": "the benefits investigation's verdict on coverage",
    "coverage.scalp_cooling_covered": "whether the plan covers scalp cooling",
}
# Seed page, "Patient Assistance Program": what happens once a patient qualifies.
_NEXT_STEPS = {
    "eligible": [
        "The provider gives the patient the scalp-cooling cap kit free of charge.",
        "The Paxman Hub ships a replacement cap kit to the provider.",
        "The provider does not charge the patient for the cap kit or for any scalp-cooling "
        "treatment.",
    ],
    "not_eligible": [
        "If any fact above changes (income, household, coverage or a PA decision), ask the hub "
        "to review the application again.",
        "The hub can help with the benefits investigation, prior authorization and one appeal.",
    ],
    "undecided": [
        "Send the information listed above to the hub; the decision follows as soon as it is "
        "received.",
        "Nothing is charged to the patient for the PAP assessment.",
    ],
}
_MARKS = {True: "Met", False: "Not met", None: "Unknown"}


def _pap(case: model.Case, facts: CaseFacts, today: date) -> dict[str, Any]:
    decision = _decide(case, facts, today)
    outcome = {True: "eligible", False: "not_eligible", None: "undecided"}[decision.eligible]
    return {
        "outcome": outcome,
        "eligible": decision.eligible is True,
        "not_eligible": decision.eligible is False,
        "undecided": decision.eligible is None,
        "decision_text": {
            "eligible": "Eligible for the Patient Assistance Program",
            "not_eligible": "Not eligible for the Patient Assistance Program",
            "undecided": "Pending: more information is needed",
        }[outcome],
        "basis": _plain_basis(decision.basis),
        "groups": _rule_groups(decision),
        "fpl": _fpl_numbers(decision.fpl),
        "missing": [_MISSING_LABELS.get(m, m) for m in decision.missing],
        "next_steps": list(_NEXT_STEPS[outcome]),
        "application_date": format_date(decision.application_date),
        "application_date_assumed": decision.application_date_assumed,
        "notes": list(decision.notes),
    }


def _plain_basis(basis: str) -> str:
    """The decision's basis as a person reads it: field paths named in words."""
    for path, words in sorted(_MISSING_LABELS.items(), key=lambda kv: -len(kv[0])):
        basis = basis.replace(path, words)
    return basis


def _decide(case: model.Case, facts: CaseFacts, today: date) -> PapDecision:
    """The PAP decision the letter reports, with the benefits investigation's answers."""
    benefits = facts.benefits
    covered = benefits.scalp_cooling_covered if benefits else None
    if case.coverage.scalp_cooling_covered is None and covered is not None:
        # The benefits investigation is what the payer said: use it when the case is silent.
        case = dataclasses.replace(
            case, coverage=dataclasses.replace(case.coverage, scalp_cooling_covered=covered)
        )
    out_of_pocket = None
    if benefits is not None:
        estimate = estimate_patient_cost(case, benefits)
        if estimate.complete and estimate.patient_cost is not None:
            out_of_pocket = float(estimate.patient_cost)
    return decide_pap(
        case,
        application_date=None,
        today=today,
        underinsured=benefits.underinsured if benefits else None,
        out_of_pocket=out_of_pocket,
        product_price=facts.product_price,
    )


def _rule_groups(decision: PapDecision) -> list[dict[str, Any]]:
    """Every rule checked, under the heading of its group, marked and flagged when deciding."""
    deciding = set(decision.decided_by)
    groups = []
    for prefix, title in _GROUPS:
        rules = [
            {
                "label": _RULE_LABELS.get(r.rule, r.rule),
                "result": _MARKS[r.passed],
                "passed": r.passed,
                "detail": r.detail[:1].upper() + r.detail[1:],
                "deciding": r.rule in deciding,
            }
            for r in decision.reasons
            if r.rule.startswith(prefix)
        ]
        groups.append({"title": title, "rules": rules})
    return groups


def _fpl_numbers(fpl: dict[str, Any]) -> dict[str, Any]:
    """The poverty-guideline numbers of the income rule, as letter text ("" when unknown)."""
    region = poverty.region_label(fpl["region"]) if fpl.get("region") else ""
    return {
        "computed": fpl.get("limit") is not None,
        "year": "" if fpl.get("year") is None else str(fpl["year"]),
        "region": region,
        "household_size": "" if fpl.get("household_size") is None else str(fpl["household_size"]),
        "guideline": money_text(fpl.get("guideline")),
        "multiple_percent": "" if fpl.get("multiple") is None else f"{fpl['multiple'] * 100}%",
        "limit": money_text(fpl.get("limit")),
        "income": money_text(fpl.get("income")),
        "income_label": "Adjusted gross income"
        if fpl.get("income_field", "") == "patient.household.adjusted_gross_income"
        else "Household income",
        "percent_of_fpl": "" if fpl.get("percent_of_fpl") is None else f"{fpl['percent_of_fpl']}%",
        "effective": format_date(date.fromisoformat(fpl["effective"]))
        if fpl.get("effective")
        else "",
        "source": fpl.get("source") or "",
    }


def pap_letter_context(case: model.Case, facts: CaseFacts, today: date) -> dict[str, Any]:
    """Context of the PAP determination letter."""
    return build_context(
        case, today=today, kind="pap_letter", extra={"pap": _pap(case, facts, today)}
    )
