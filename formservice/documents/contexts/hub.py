"""Template contexts for the hub's documents: PAP letter, Summary of Benefits, the checklists.

Each builder starts from `build_context` (letterhead, patient, payer, ... for every letter) and
adds one key of its own (`pap`, `sob` or `checklist`), built from the pure rules in
`formservice.reimbursement`. Values are letter-ready text; unknown values are "" as everywhere.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date
from typing import Any

from formservice import model
from formservice.documents.contexts.common import build_context, context_variables
from formservice.documents.contexts.parties import PLAN_LABELS
from formservice.documents.contexts.text import format_date
from formservice.errors import ValidationProblem
from formservice.model import Benefits, CaseFacts
from formservice.reimbursement import checklists, poverty
from formservice.reimbursement.benefits import PayerFacts, estimate_patient_cost, payer_facts
from formservice.reimbursement.money import usd
from formservice.reimbursement.pap import PapDecision, decide_pap

__all__ = [
    "EXTRA_KEYS",
    "appeal_checklist_context",
    "claim_checklist_context",
    "hub_context_variables",
    "pa_checklist_context",
    "pap_letter_context",
    "sob_context",
]

# The key each kind adds to the common context (template validation uses these).
EXTRA_KEYS: dict[str, frozenset[str]] = {
    "pap_letter": frozenset({"pap"}),
    "sob": frozenset({"sob"}),
    "pa_checklist": frozenset({"checklist"}),
    "claim_checklist": frozenset({"checklist"}),
    "appeal_checklist": frozenset({"checklist"}),
}

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
_NETWORK = {"in_network": "In network", "out_of_network": "Out of network", "unknown": "Unknown"}
_CHANNELS = {"portal": "Payer portal", "fax": "Fax", "phone": "Phone", "mail": "Mail"}
_DISCLAIMER = (
    "This summary reports what the payer's representative said on the call date above; it is not "
    "a guarantee of payment. Benefits are confirmed when the claim is processed. The estimated "
    "cost uses the allowed amounts and cost sharing shown and may change with the payer's "
    "decision, other claims applied to the deductible, or a different number of sessions."
)


def hub_context_variables(kind: str) -> frozenset[str]:
    """Every top-level variable a hub document kind's context provides."""
    return context_variables() | EXTRA_KEYS[kind]


def _yes_no(value: Any, yes: str = "Yes", no: str = "No", unknown: str = "Not stated") -> str:
    return unknown if value is None else (yes if value else no)


def _iso(value: date | None) -> str:
    return value.isoformat() if value else ""


def _money_text(value: Any) -> str:
    return "" if value is None else usd(float(value))


# ---------------------------------------------------------------- PAP determination letter


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
        "guideline": _money_text(fpl.get("guideline")),
        "multiple_percent": "" if fpl.get("multiple") is None else f"{fpl['multiple'] * 100}%",
        "limit": _money_text(fpl.get("limit")),
        "income": _money_text(fpl.get("income")),
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


# ---------------------------------------------------------------- Summary of Benefits


def _sob(case: model.Case, benefits: Benefits) -> dict[str, Any]:
    found = payer_facts(case, benefits)
    return {
        "coverage_rows": _coverage_rows(case, benefits),
        "pa_rows": _pa_rows(found),
        "call_rows": _call_rows(benefits),
        "estimate": _estimate(case, benefits),
        "notes": benefits.notes or "",
        "disclaimer": _DISCLAIMER,
    }


def _cost_share(benefits: Benefits) -> str:
    if benefits.copay is not None:
        return f"{usd(float(benefits.copay))} copay per session"
    if benefits.coinsurance_percent is not None:
        return f"{float(benefits.coinsurance_percent):g}% coinsurance"
    return "Not stated"


def _remaining(limit: Any, met: Any) -> str:
    if limit is None:
        return "Not stated"
    left = max(0.0, float(limit) - float(met or 0))
    return f"{usd(float(limit))} (met {usd(float(met or 0))}; {usd(left)} remaining)"


def _coverage_rows(case: model.Case, benefits: Benefits) -> list[dict[str, str]]:
    """What the plan covers and what the patient has met so far."""
    plan = benefits.plan_type or (case.coverage.payer.plan_type if case.coverage.payer else None)
    return [
        {
            "label": "Coverage",
            "value": _yes_no(benefits.coverage_active, "Active", "Not active"),
        },
        {"label": "Plan type", "value": PLAN_LABELS.get(plan or "", "Not stated")},
        {"label": "Network", "value": _NETWORK.get(str(benefits.network_status), "Unknown")},
        {
            "label": "Scalp cooling covered",
            "value": _yes_no(benefits.scalp_cooling_covered),
        },
        {"label": "Deductible", "value": _remaining(benefits.deductible, benefits.deductible_met)},
        {"label": "Cost sharing", "value": _cost_share(benefits)},
        {"label": "Out-of-pocket maximum", "value": _remaining(benefits.oop_max, benefits.oop_met)},
    ]


def _pa_rows(found: PayerFacts) -> list[dict[str, str]]:
    """Whether a PA is needed, where it goes, and how long the payer takes."""
    where = {"fax": found.fax, "portal": found.portal_url, "phone": found.phone}.get(
        found.channel or "", ""
    )
    return [
        {
            "label": "Prior authorization",
            "value": _yes_no(found.pa_required, "Required", "Not required", "Not known")
            + (f" (source: {found.pa_required_source})" if found.pa_required is not None else ""),
        },
        {
            "label": "How to submit",
            "value": (_CHANNELS.get(found.channel or "", found.channel or "Not known"))
            + (f": {where}" if where else ""),
        },
        {
            "label": "Typical turnaround",
            "value": f"{found.turnaround_days} days ({found.turnaround_source})"
            if found.turnaround_days is not None
            else "Not known",
        },
    ]


def _call_rows(benefits: Benefits) -> list[dict[str, str]]:
    """The call the benefits were read on: reference, date, representative."""
    return [
        {"label": "Reference number", "value": benefits.reference_number or "Not given"},
        {
            "label": "Call date",
            "value": format_date(benefits.call_date),
        },
        {"label": "Payer representative", "value": benefits.representative or "Not given"},
    ]


def _estimate(case: model.Case, benefits: Benefits) -> dict[str, Any]:
    """The estimated patient cost and its arithmetic, step by step."""
    estimate = estimate_patient_cost(case, benefits)
    return {
        "patient_cost": _money_text(estimate.patient_cost),
        "plan_pays": _money_text(estimate.plan_pays),
        "total_allowed": _money_text(estimate.total_allowed),
        "steps": [
            {"label": s.label, "amount": usd(s.amount), "detail": s.detail} for s in estimate.steps
        ],
        "assumptions": list(estimate.assumptions),
        "missing": [_estimate_missing_words(m) for m in estimate.missing],
        "complete": estimate.complete,
        "estimable": estimate.patient_cost is not None,
    }


_ESTIMATE_MISSING = {
    "treatment.sessions": "the number of chemotherapy sessions",
    "benefits.deductible": "the deductible",
    "benefits.coinsurance_percent": "the coinsurance or copay",
}


def _estimate_missing_words(path: str) -> str:
    """What the estimate lacks, as a person names it (never the payload path)."""
    prefix = "benefits.allowed_amounts."
    if path.startswith(prefix):
        return f"the payer's allowed amount for CPT {path[len(prefix) :]}"
    return _ESTIMATE_MISSING.get(path, path.rsplit(".", 1)[-1].replace("_", " "))


def sob_context(case: model.Case, facts: CaseFacts, today: date) -> dict[str, Any]:
    """Context of the Summary of Benefits; needs a stored benefits investigation."""
    if not facts.benefits:
        raise ValidationProblem(
            "No benefits investigation on file for this case.",
            errors={"benefits": ["PUT /cases/{id}/benefits first: the SOB reports its result."]},
        )
    return build_context(case, today=today, kind="sob", extra={"sob": _sob(case, facts.benefits)})


# ---------------------------------------------------------------- checklists

_TITLES = {
    "pa_checklist": "Prior Authorization Checklist",
    "claim_checklist": "Claim Filing Checklist",
    "appeal_checklist": "Letter of Appeal Checklist",
}
_INTROS = {
    "pa_checklist": "What the prior-authorization request for scalp cooling needs, checked "
    "against this case.",
    "claim_checklist": "What the scalp-cooling claim (CMS-1500) needs before it is filed, "
    "checked against this case.",
    "appeal_checklist": "What the appeal packet must contain, checked against this case and "
    "the denial.",
}
ChecklistFn = Callable[[model.Case, Any, date], list[checklists.ChecklistItem]]


def _checklist(
    kind: str, fn: ChecklistFn, case: model.Case, facts: CaseFacts, today: date
) -> dict[str, Any]:
    items = fn(case, facts, today)
    counts = checklists.summarize(items)
    denial = facts.denial
    return {
        "title": _TITLES[kind],
        "intro": _INTROS[kind],
        "entries": [
            {**i.to_json(), "done": i.status == "done", "missing": i.status == "missing"}
            for i in items
        ],
        "done": counts["done"],
        "missing": counts["missing"],
        "not_applicable": counts["not_applicable"],
        "ready": counts["missing"] == 0,
        "denial": {
            "on_file": denial is not None,
            "claim_number": (denial.claim_number if denial else None) or "",
            "letter_date": _iso(denial.letter_date if denial else None),
            "appeal_deadline": _iso(denial.appeal_deadline if denial else None),
            "payer_name": (denial.payer_name if denial else None) or "",
        },
    }


def _checklist_builder(kind: str, fn: ChecklistFn) -> Callable[..., dict[str, Any]]:
    def build(case: model.Case, facts: CaseFacts, today: date) -> dict[str, Any]:
        return build_context(
            case,
            today=today,
            kind=kind,
            extra={"checklist": _checklist(kind, fn, case, facts, today)},
        )

    build.__name__ = f"{kind}_context"
    build.__doc__ = f"Context of the {_TITLES[kind]}."
    return build


pa_checklist_context = _checklist_builder("pa_checklist", checklists.pa_checklist)
claim_checklist_context = _checklist_builder("claim_checklist", checklists.claim_checklist)
appeal_checklist_context = _checklist_builder("appeal_checklist", checklists.appeal_checklist)
