"""Summary of Benefits maths: what scalp cooling may cost the patient, step by step.

The estimate follows the order a plan applies cost sharing: the allowed amount of each service
(0662T once, 0663T per session), then the deductible still to meet, then coinsurance (a share of
the rest) or a copay (per session date), and finally the out-of-pocket maximum still open.
Every step says what it used and where the number came from. Allowed amounts come from the
benefits investigation (BI) payload when the payer stated them, else from the reference fee
schedule in data/codes.yaml for the start date; a service with neither is counted at $0 and
the estimate says so.

Also here: the payer facts a BI or the payer directory gives (PA required, where to submit,
turnaround), the BI payload first because it is what the payer said about this patient.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from formservice.model import Benefits, Case
from formservice.reimbursement import codes, payers
from formservice.reimbursement.money import usd

__all__ = [
    "CostEstimate",
    "CostStep",
    "PayerFacts",
    "estimate_patient_cost",
    "payer_facts",
]

INITIAL, SESSION = "0662T", "0663T"
_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class CostStep:
    """One step of the estimate: what was done, the amount it produced, and how."""

    step: str
    label: str
    amount: float
    detail: str

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return {
            "step": self.step,
            "label": self.label,
            "amount": self.amount,
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class CostEstimate:
    """The estimated patient cost with its arithmetic, assumptions and missing inputs."""

    patient_cost: float | None
    plan_pays: float | None
    total_allowed: float
    steps: list[CostStep]
    assumptions: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    covered: bool | None = None

    @property
    def complete(self) -> bool:
        """True when nothing the estimate needs was missing."""
        return not self.missing and self.patient_cost is not None

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return {
            "patient_cost": self.patient_cost,
            "plan_pays": self.plan_pays,
            "total_allowed": self.total_allowed,
            "covered": self.covered,
            "complete": self.complete,
            "steps": [s.to_json() for s in self.steps],
            "assumptions": list(self.assumptions),
            "missing": list(self.missing),
        }


def _money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(_CENT, rounding=ROUND_HALF_UP)


def _f(value: Decimal) -> float:
    return float(value.quantize(_CENT, rounding=ROUND_HALF_UP))


def _allowed(
    case: Case, benefits: Benefits, code: str, assumptions: list[str], missing: list[str]
) -> tuple[Decimal, str]:
    """The allowed amount of one unit of `code` and where it came from."""
    stated = (benefits.allowed_amounts or {}).get(code)
    if stated is not None:
        return _money(stated), "stated by the payer in the benefits investigation"
    if benefits.network_status == "out_of_network":
        # Out of network the plan sets its own allowed amount: no reference fee stands in for it.
        missing.append(f"benefits.allowed_amounts.{code}")
        return Decimal("0"), "out of network and no allowed amount given: unknown"
    start = case.treatment.start_date
    fee = codes.fee_for(code, start) if start is not None else None
    if fee is not None:
        assumptions.append(
            f"{code} allowed amount taken from the reference fee schedule ({fee.source}); "
            "the payer's own allowed amount may differ"
        )
        return _money(fee.amount), f"reference fee schedule: {fee.source}"
    if code == SESSION:
        assumptions.append(
            "0663T counted at $0: no allowed amount given and none on file (packaged under "
            "hospital OPPS; contractor-priced in the office): ask the payer"
        )
        return Decimal("0"), "no allowed amount on file: counted as $0"
    missing.append(f"benefits.allowed_amounts.{code}")
    when = start.isoformat() if start else "an unknown start date"
    return Decimal("0"), f"no allowed amount given and no fee on file for {when}: counted as $0"


def estimate_patient_cost(case: Case, benefits: Benefits) -> CostEstimate:
    """Estimate the patient's share for scalp cooling from a BI payload, explaining each step.

    The steps run in the order a plan applies cost sharing: allowed amounts, deductible,
    coinsurance or copay, out-of-pocket maximum.
    """
    assumptions: list[str] = []
    missing: list[str] = []
    sessions = case.treatment.sessions
    if sessions is None:
        missing.append("treatment.sessions")
        sessions_n = 0
    else:
        sessions_n = sessions
    total, allowed = _price_allowed(case, benefits, sessions_n, assumptions, missing)
    steps = [allowed]
    unpriced = [m for m in missing if m.startswith("benefits.allowed_amounts.")]
    if unpriced or sessions is None:
        # Without every allowed amount (or the number of sessions) any figure would be a guess:
        # the estimate says what is missing instead of "about $0".
        return CostEstimate(None, None, _f(total), steps, assumptions, missing, covered=None)
    active = benefits.coverage_active
    covered = benefits.scalp_cooling_covered
    if active is False or covered is False:
        steps.append(_not_covered_step(active, total))
        return CostEstimate(_f(total), 0.0, _f(total), steps, assumptions, missing, covered=False)
    if covered is None:
        assumptions.append("whether the plan covers scalp cooling was not stated: assumed covered")
    toward, deductible = _apply_deductible(benefits, total, missing)
    share, cost_share = _apply_cost_share(benefits, sessions_n, total - toward, missing)
    patient, out_of_pocket = _cap_at_out_of_pocket(benefits, toward + share, assumptions)
    steps += [deductible, cost_share, out_of_pocket]
    if benefits.network_status == "out_of_network":
        assumptions.append(
            "out of network: the provider may bill the difference between its charge and the "
            "allowed amount (balance billing), which this estimate does not include"
        )
    return CostEstimate(
        _f(patient), _f(total - patient), _f(total), steps, assumptions, missing, covered=True
    )


def _price_allowed(
    case: Case, benefits: Benefits, sessions_n: int, assumptions: list[str], missing: list[str]
) -> tuple[Decimal, CostStep]:
    """The total allowed amount: 0662T once and 0663T per session."""
    initial, initial_src = _allowed(case, benefits, INITIAL, assumptions, missing)
    per_session, session_src = _allowed(case, benefits, SESSION, assumptions, missing)
    total = initial + per_session * sessions_n
    return total, CostStep(
        "allowed",
        "Allowed amount",
        _f(total),
        f"0662T × 1 at {usd(initial)} ({initial_src}) + 0663T × {sessions_n} at "
        f"{usd(per_session)} ({session_src}) = {usd(total)}",
    )


def _not_covered_step(active: bool | None, total: Decimal) -> CostStep:
    """Coverage inactive or scalp cooling excluded: the patient would owe everything."""
    why = "coverage is not active" if active is False else "the plan does not cover scalp cooling"
    return CostStep(
        "not_covered",
        "Not covered",
        _f(total),
        f"{why}: the patient would owe the full {usd(total)} unless the Patient "
        "Assistance Program applies",
    )


def _apply_deductible(
    benefits: Benefits, total: Decimal, missing: list[str]
) -> tuple[Decimal, CostStep]:
    """What the patient pays toward the deductible still to meet."""
    deductible, met = benefits.deductible, benefits.deductible_met
    if deductible is None:
        missing.append("benefits.deductible")
        remaining = Decimal("0")
        detail = "deductible not given: none applied"
    else:
        remaining = max(Decimal("0"), _money(deductible) - _money(met or 0))
        detail = f"deductible {usd(_money(deductible))} − met {usd(_money(met or 0))} = " + (
            f"{usd(remaining)} still to meet"
        )
    toward = min(remaining, total)
    return toward, CostStep(
        "deductible",
        "Deductible",
        _f(toward),
        f"{detail}; the patient pays the first {usd(toward)} of {usd(total)}",
    )


def _apply_cost_share(
    benefits: Benefits, sessions_n: int, rest: Decimal, missing: list[str]
) -> tuple[Decimal, CostStep]:
    """The patient's share of what is left after the deductible: a copay, else coinsurance."""
    coinsurance, copay = benefits.coinsurance_percent, benefits.copay
    if copay is not None:
        visits = sessions_n
        share = min(_money(copay) * visits, rest)
        detail = (
            f"copay {usd(_money(copay))} × {visits} session date(s) = "
            f"{usd(_money(copay) * visits)}"
            + (
                f", capped at the {usd(rest)} left after the deductible"
                if share < _money(copay) * visits
                else ""
            )
        )
        return share, CostStep("copay", "Copay", _f(share), detail)
    if coinsurance is not None:
        pct = Decimal(str(coinsurance))
        share = (rest * pct / Decimal("100")).quantize(_CENT, rounding=ROUND_HALF_UP)
        return share, CostStep(
            "coinsurance",
            "Coinsurance",
            _f(share),
            f"{pct.normalize():f}% of the {usd(rest)} left after the deductible = {usd(share)}",
        )
    missing.append("benefits.coinsurance_percent")
    return Decimal("0"), CostStep(
        "coinsurance", "Coinsurance", 0.0, "coinsurance or copay not given: none applied"
    )


def _cap_at_out_of_pocket(
    benefits: Benefits, subtotal: Decimal, assumptions: list[str]
) -> tuple[Decimal, CostStep]:
    """The patient's cost, capped at what is still open of the out-of-pocket maximum."""
    oop_max, oop_met = benefits.oop_max, benefits.oop_met
    if oop_max is None:
        patient = subtotal
        detail = f"out-of-pocket maximum not given: no cap applied; patient share {usd(patient)}"
        assumptions.append("no out-of-pocket maximum given: the estimate is not capped")
    else:
        open_ = max(Decimal("0"), _money(oop_max) - _money(oop_met or 0))
        patient = min(subtotal, open_)
        capped = " (capped)" if patient < subtotal else ""
        detail = (
            f"out-of-pocket maximum {usd(_money(oop_max))} − met {usd(_money(oop_met or 0))} = "
            f"{usd(open_)} still open; patient pays the lesser of {usd(subtotal)} and "
            f"{usd(open_)} = {usd(patient)}{capped}"
        )
    return patient, CostStep("out_of_pocket", "Out-of-pocket limit", _f(patient), detail)


@dataclass(frozen=True, slots=True)
class PayerFacts:
    """What is known about the payer's PA process for scalp cooling, and from where."""

    pa_required: bool | None
    pa_required_source: str
    channel: str | None
    fax: str | None
    portal_url: str | None
    phone: str | None
    turnaround_days: int | None
    turnaround_source: str
    in_directory: bool

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return {
            "pa_required": self.pa_required,
            "pa_required_source": self.pa_required_source,
            "channel": self.channel,
            "fax": self.fax,
            "portal_url": self.portal_url,
            "phone": self.phone,
            "turnaround_days": self.turnaround_days,
            "turnaround_source": self.turnaround_source,
            "in_directory": self.in_directory,
        }


def payer_facts(case: Case, benefits: Benefits | None) -> PayerFacts:
    """PA requirement, submission channel and turnaround: case, then BI payload, then directory."""
    payer = case.coverage.payer
    entry = payers.find_payer(payer.name, payer.payer_id) if payer is not None else None
    submission = benefits.submission if benefits is not None else None

    if case.prior_authorization.required is not None:
        required, source = case.prior_authorization.required, "the case"
    elif benefits is not None and benefits.pa_required is not None:
        required, source = benefits.pa_required, "benefits investigation"
    elif entry is not None and entry.pa_required_for_scalp_cooling is not None:
        required, source = entry.pa_required_for_scalp_cooling, f"payer directory ({entry.name})"
    else:
        required, source = None, "unknown"

    if benefits is not None and benefits.turnaround_days is not None:
        days: int | None = int(benefits.turnaround_days)
        days_source = "benefits investigation"
    elif entry is not None:
        days, days_source = entry.turnaround_days, f"payer directory ({entry.name})"
    else:
        days, days_source = None, "unknown"

    def pick(key: str, fallback: str | None) -> str | None:
        value = getattr(submission, key) if submission is not None else None
        return str(value) if value else fallback

    return PayerFacts(
        pa_required=required,
        pa_required_source=source,
        channel=pick("channel", entry.submission_channel if entry else None),
        fax=pick("fax", entry.pa_fax if entry else None),
        portal_url=pick("portal_url", entry.portal_url if entry else None),
        phone=pick("phone", entry.phone if entry else (payer.phone if payer else None)),
        turnaround_days=days,
        turnaround_source=days_source,
        in_directory=entry is not None,
    )
