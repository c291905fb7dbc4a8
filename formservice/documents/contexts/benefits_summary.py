"""Template context of the Summary of Benefits: what the payer said, and the patient's cost.

The letter's key is ``sob``: coverage rows (plan, network, deductible, cost sharing, out-of-pocket
maximum), the PA rows (`reimbursement.benefits.payer_facts`: needed or not, where it goes, the
turnaround), the call the benefits were read on, and the estimated patient cost with its
arithmetic step by step (`reimbursement.benefits.estimate_patient_cost`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from formservice import model
from formservice.documents.contexts.common import build_context
from formservice.documents.contexts.parties import PLAN_LABELS
from formservice.documents.contexts.text import format_date, money_text
from formservice.errors import ValidationProblem
from formservice.model import Benefits, CaseFacts
from formservice.reimbursement.benefits import PayerFacts, estimate_patient_cost, payer_facts
from formservice.reimbursement.money import usd

__all__ = ["sob_context"]

_NETWORK = {"in_network": "In network", "out_of_network": "Out of network", "unknown": "Unknown"}
_CHANNELS = {"portal": "Payer portal", "fax": "Fax", "phone": "Phone", "mail": "Mail"}
_DISCLAIMER = (
    "This summary reports what the payer's representative said on the call date above; it is not "
    "a guarantee of payment. Benefits are confirmed when the claim is processed. The estimated "
    "cost uses the allowed amounts and cost sharing shown and may change with the payer's "
    "decision, other claims applied to the deductible, or a different number of sessions."
)


def _yes_no(value: Any, yes: str = "Yes", no: str = "No", unknown: str = "Not stated") -> str:
    return unknown if value is None else (yes if value else no)


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
        "patient_cost": money_text(estimate.patient_cost),
        "plan_pays": money_text(estimate.plan_pays),
        "total_allowed": money_text(estimate.total_allowed),
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
