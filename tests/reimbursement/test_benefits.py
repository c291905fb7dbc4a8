"""SOB maths: allowed amounts, deductible, coinsurance or copay, out-of-pocket cap."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from formservice.model import Benefits, Case
from formservice.reimbursement.benefits import estimate_patient_cost, payer_facts

# 0662T at $1,000 once and 0663T at $100 for each of 6 sessions: $1,600 allowed.
ALLOWED = {"0662T": 1000.0, "0663T": 100.0}


def _bi(**changes: Any) -> Benefits:
    base: dict[str, Any] = {
        "coverage_active": True,
        "scalp_cooling_covered": True,
        "deductible": 500.0,
        "deductible_met": 0.0,
        "coinsurance_percent": 20.0,
        "copay": None,
        "oop_max": 10_000.0,
        "oop_met": 0.0,
        "allowed_amounts": dict(ALLOWED),
    }
    return Benefits.from_json({**base, **changes})


@pytest.mark.parametrize(
    ("changes", "patient", "plan"),
    [
        # 500 deductible + 20% of 1,100 = 500 + 220
        ({}, 720.0, 880.0),
        # deductible already met: 20% of 1,600
        ({"deductible_met": 500.0}, 320.0, 1280.0),
        # deductible larger than the whole bill: the patient pays all of it, nothing left to share
        ({"deductible": 5000.0}, 1600.0, 0.0),
        # deductible exactly equal to the bill
        ({"deductible": 1600.0}, 1600.0, 0.0),
        # deductible one cent short of the bill: 20% of one cent rounds to 0.00
        ({"deductible": 1599.99}, 1599.99, 0.01),
        # 0% and 100% coinsurance
        ({"coinsurance_percent": 0.0}, 500.0, 1100.0),
        ({"coinsurance_percent": 100.0}, 1600.0, 0.0),
        # out-of-pocket cap: 100 left open caps the 720
        ({"oop_max": 3000.0, "oop_met": 2900.0}, 100.0, 1500.0),
        # cap exactly at the subtotal, and one dollar under it
        ({"oop_max": 720.0}, 720.0, 880.0),
        ({"oop_max": 719.0}, 719.0, 881.0),
        # out-of-pocket maximum already met: the plan pays everything
        ({"oop_max": 3000.0, "oop_met": 3000.0}, 0.0, 1600.0),
        # a copay per session date instead of coinsurance: 500 + 6 x 25
        ({"coinsurance_percent": None, "copay": 25.0}, 650.0, 950.0),
        # a copay larger than what is left after the deductible is capped by it
        ({"coinsurance_percent": None, "copay": 400.0}, 1600.0, 0.0),
    ],
)
def test_estimate_table(
    make_case: Callable[..., Case], changes: dict[str, Any], patient: float, plan: float
) -> None:
    estimate = estimate_patient_cost(make_case(coverage_status="insured"), _bi(**changes))
    assert (estimate.patient_cost, estimate.plan_pays, estimate.total_allowed) == (
        patient,
        plan,
        1600.0,
    )
    assert estimate.complete


def test_every_step_states_its_arithmetic(make_case: Callable[..., Case]) -> None:
    estimate = estimate_patient_cost(make_case(coverage_status="insured"), _bi())
    steps = {s.step: s for s in estimate.steps}
    assert list(steps) == ["allowed", "deductible", "coinsurance", "out_of_pocket"]
    assert "0662T × 1 at $1,000" in steps["allowed"].detail
    assert "0663T × 6 at $100" in steps["allowed"].detail
    assert "= $1,600" in steps["allowed"].detail
    assert "$500 still to meet" in steps["deductible"].detail
    assert "20% of the $1,100 left after the deductible = $220" in steps["coinsurance"].detail
    assert steps["out_of_pocket"].amount == 720.0


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"coverage_active": False}, "coverage is not active"),
        ({"scalp_cooling_covered": False}, "does not cover scalp cooling"),
    ],
)
def test_not_covered_means_the_full_amount(
    make_case: Callable[..., Case], changes: dict[str, Any], why: str
) -> None:
    estimate = estimate_patient_cost(make_case(coverage_status="insured"), _bi(**changes))
    assert (estimate.patient_cost, estimate.plan_pays, estimate.covered) == (1600.0, 0.0, False)
    assert why in estimate.steps[-1].detail
    assert "Patient Assistance Program" in estimate.steps[-1].detail


def test_fee_schedule_fills_in_when_the_payer_states_no_amount(
    make_case: Callable[..., Case],
) -> None:
    # 2025 date of service: 0662T has the CY2025 OPPS reference rate in codes.yaml ($1,750.50).
    case = make_case(coverage_status="insured", start_date=date(2025, 3, 3))
    estimate = estimate_patient_cost(case, _bi(allowed_amounts=None, deductible=0.0))
    assert estimate.total_allowed == 1750.50
    assert any("reference fee schedule" in a for a in estimate.assumptions)
    assert any("0663T counted at $0" in a for a in estimate.assumptions)
    assert estimate.complete


def test_no_amount_anywhere_is_reported_missing(make_case: Callable[..., Case]) -> None:
    # 2026: no 0662T reference rate on file and none stated.
    case = make_case(coverage_status="insured", start_date=date(2026, 2, 2))
    estimate = estimate_patient_cost(case, _bi(allowed_amounts=None))
    assert "benefits.allowed_amounts.0662T" in estimate.missing
    assert not estimate.complete


@pytest.mark.parametrize(
    ("changes", "missing"),
    [
        ({"deductible": None}, "benefits.deductible"),
        ({"coinsurance_percent": None}, "benefits.coinsurance_percent"),
    ],
)
def test_missing_cost_sharing_is_named(
    make_case: Callable[..., Case], changes: dict[str, Any], missing: str
) -> None:
    estimate = estimate_patient_cost(make_case(coverage_status="insured"), _bi(**changes))
    assert missing in estimate.missing
    assert estimate.to_json()["complete"] is False


def test_unknown_sessions_is_missing(make_case: Callable[..., Case]) -> None:
    estimate = estimate_patient_cost(make_case(coverage_status="insured", sessions=None), _bi())
    assert "treatment.sessions" in estimate.missing
    assert estimate.total_allowed == 1000.0


def test_out_of_network_and_no_oop_are_assumptions(make_case: Callable[..., Case]) -> None:
    estimate = estimate_patient_cost(
        make_case(coverage_status="insured"), _bi(network_status="out_of_network", oop_max=None)
    )
    text = " ".join(estimate.assumptions)
    assert "balance billing" in text
    assert "not capped" in text


def test_payer_facts_order_case_then_bi_then_directory(make_case: Callable[..., Case]) -> None:
    case = make_case(coverage_status="insured")  # Northwind Health Plan, NWHP1 in payers.yaml
    found = payer_facts(case, None)
    assert (found.pa_required, found.channel, found.turnaround_days, found.in_directory) == (
        True,
        "portal",
        15,
        True,
    )
    assert found.turnaround_source.startswith("payer directory")
    bi = Benefits.from_json(
        {"pa_required": False, "turnaround_days": 3, "submission": {"channel": "fax"}}
    )
    found = payer_facts(case, bi)
    assert (found.pa_required, found.channel, found.turnaround_days, found.fax) == (
        False,
        "fax",
        3,
        "512-555-0190",
    )
    assert found.pa_required_source == "benefits investigation"
    flagged = dataclasses.replace(
        case,
        prior_authorization=dataclasses.replace(case.prior_authorization, required=True),
    )
    assert payer_facts(flagged, bi).pa_required_source == "the case"


def test_payer_facts_uninsured(make_case: Callable[..., Case]) -> None:
    found = payer_facts(make_case(coverage_status="uninsured"), None)
    assert (found.pa_required, found.channel, found.turnaround_days, found.in_directory) == (
        None,
        None,
        None,
        False,
    )
