"""PAP decision: every rule of the seed, its boundaries, the numbers it reports and refusals."""

from __future__ import annotations

import json
import math
from datetime import date

import pytest

from formservice.model import Address, Household
from formservice.reimbursement.pap import PapInputError, decide_pap, is_physical_address

APPLIED = date(2026, 3, 1)
TODAY = date(2026, 3, 2)


PRICE = (1000.0, "hub price list (test)")


def decide(case, **kwargs):
    kwargs.setdefault("application_date", APPLIED)
    kwargs.setdefault("product_price", PRICE)
    kwargs.setdefault("today", TODAY)
    return decide_pap(case, **kwargs)


def rule(decision, name):
    return next(r for r in decision.reasons if r.rule == name)


def test_uninsured_low_income_patient_is_eligible_with_the_numbers(make_case):
    d = decide(make_case())
    assert d.eligible is True
    assert d.fpl == {
        "year": 2026,
        "region": "contiguous",
        "household_size": 3,
        "guideline": 27320,
        "multiple": 6,
        "limit": 163920,
        "income": 61000,
        "income_field": "patient.household.adjusted_gross_income",
        "percent_of_fpl": 223.3,
        "effective": "2026-01-13",
        "source": d.fpl["source"],
        "verified": True,
    }
    assert d.decided_by == ["automatic.income_600_fpl", "conditional.no_insurance"]
    assert "223.3% of the 2026 HHS guideline" in d.basis
    assert d.missing == []
    assert d.application_date == APPLIED
    assert d.application_date_assumed is False
    assert {r.rule for r in d.reasons} == {
        "condition.us_physical_address",
        "condition.on_label_diagnosis",
        "condition.not_paediatric",
        "condition.valid_prescription",
        "condition.buy_and_bill_facility",
        "automatic.income_600_fpl",
        "automatic.hardship",
        "conditional.no_insurance",
        "conditional.underinsured",
        "conditional.not_covered",
        "conditional.pa_denied_final",
    }


@pytest.mark.parametrize(
    ("state", "size", "agi", "passed", "guideline", "limit"),
    [
        ("TX", 4, 198000, True, 33000, 198000),  # exactly 600% FPL
        ("TX", 4, 198001, False, 33000, 198000),  # one dollar over
        ("TX", 4, 198000.01, False, 33000, 198000),
        ("OH", 1, 95760, True, 15960, 95760),  # household of 1
        ("OH", 1, 95761, False, 15960, 95760),
        ("DC", 9, 368400, True, 61400, 368400),  # household of 9
        ("DC", 9, 368401, False, 61400, 368400),
        ("AK", 4, 247500, True, 41250, 247500),  # Alaska table
        ("AK", 4, 247501, False, 41250, 247500),
        ("HI", 1, 110160, True, 18360, 110160),  # Hawaii table
        ("HI", 1, 110161, False, 18360, 110160),
    ],
)
def test_income_rule_at_600_percent_fpl(make_case, state, size, agi, passed, guideline, limit):
    # An annual income too high for the hardship test isolates the income rule.
    d = decide(make_case(state=state, household_size=size, agi=agi, annual_income=agi))
    r = rule(d, "automatic.income_600_fpl")
    assert r.passed is passed
    assert (r.numbers["guideline"], r.numbers["limit"], r.numbers["income"]) == (
        guideline,
        limit,
        agi,
    )
    assert (d.fpl["guideline"], d.fpl["limit"]) == (guideline, limit)
    assert d.eligible is passed
    if not passed:
        assert d.basis.startswith("Not eligible:")
        assert "over the 600% limit" in d.basis


@pytest.mark.parametrize(
    ("application_date", "year", "passed"),
    [
        (date(2026, 1, 12), 2025, False),  # 2025 table: limit 6 x 32,150 = 192,900
        (date(2026, 1, 13), 2026, True),  # 2026 table: limit 198,000
    ],
)
def test_guideline_year_follows_the_application_date(make_case, application_date, year, passed):
    case = make_case(household_size=4, agi=195000, annual_income=195000)
    d = decide(case, application_date=application_date)
    assert d.fpl["year"] == year
    assert d.eligible is passed


@pytest.mark.parametrize(
    ("cost", "passed"),
    [
        (60000, False),  # exactly 50% of household income: not hardship ("> 50%")
        (60000.01, True),
        (59999.99, False),
        (120000, True),
    ],
)
def test_hardship_is_cost_over_half_of_household_income(make_case, cost, passed):
    # AGI over 600% FPL for one person (95,760): only hardship can qualify.
    case = make_case(household_size=1, agi=120000, annual_income=120000)
    d = decide(case, cost=cost)
    r = rule(d, "automatic.hardship")
    assert r.passed is passed
    assert r.numbers["threshold"] == 60000
    assert r.numbers["cost_basis"] == "given"
    assert d.eligible is passed
    if passed:
        assert d.decided_by == ["automatic.hardship", "conditional.no_insurance"]


def test_hardship_uses_the_hub_price_and_says_so(make_case):
    d = decide(make_case(household_size=1, agi=120000, annual_income=1999))
    r = rule(d, "automatic.hardship")
    assert (r.numbers["cost"], r.numbers["cost_basis"]) == (1000.0, "product_price")
    assert r.numbers["cost_source"] == "hub price list (test)"
    assert r.passed is True  # 1,000 > 50% of 1,999
    assert "the product price (hub price list (test)), $1,000, is more than" in r.detail
    d = decide(make_case(household_size=1, agi=120000, annual_income=2000))
    assert rule(d, "automatic.hardship").passed is False  # exactly 50%


def test_hardship_without_a_price_or_estimate_cannot_decide_and_never_uses_a_payment_rate(
    make_case,
):
    d = decide(make_case(household_size=1, agi=120000, annual_income=3500), product_price=None)
    r = rule(d, "automatic.hardship")
    assert r.passed is None
    assert r.missing == ("product_price",)
    assert "1,750.50" not in d.basis
    assert "1750.5" not in str(r.numbers)
    assert d.eligible is None  # income over 600% FPL, hardship unknown: not a "no"


def test_hardship_prefers_the_insured_patients_out_of_pocket_from_the_sob(make_case):
    case = make_case(coverage_status="insured", household_size=1, agi=120000, annual_income=5000)
    d = decide(case, out_of_pocket=2600.0)
    r = rule(d, "automatic.hardship")
    assert (r.numbers["cost"], r.numbers["cost_basis"]) == (2600.0, "out_of_pocket")
    assert r.passed is True
    assert "out-of-pocket" in r.detail
    # An uninsured patient has no SOB estimate to weigh: the product price is used.
    d = decide(make_case(household_size=1, agi=120000, annual_income=5000), out_of_pocket=2600.0)
    assert rule(d, "automatic.hardship").numbers["cost_basis"] == "product_price"


def test_a_paediatric_patient_does_not_pass(make_case):
    case = make_case()
    child = case.__class__(
        **{
            **{f: getattr(case, f) for f in case.__dataclass_fields__},
            "patient": case.patient.__class__(
                **{
                    **{f: getattr(case.patient, f) for f in case.patient.__dataclass_fields__},
                    "date_of_birth": date(2012, 5, 1),
                }
            ),
        }
    )
    d = decide(child)
    r = rule(d, "condition.not_paediatric")
    assert (r.passed, r.numbers["age"]) == (False, 13)
    assert d.eligible is False
    assert "condition.not_paediatric" in d.decided_by
    assert rule(decide(case), "condition.not_paediatric").passed is True


def test_a_denied_pa_with_no_appeal_recorded_is_not_final(make_case):
    case = make_case(coverage_status="insured", scalp_cooling_covered=True, pa_status="denied")
    d = decide(case, underinsured=False)
    assert rule(d, "conditional.pa_denied_final").passed is False
    assert d.eligible is False
    # Only when no appeal is available, or the one appeal was denied, is it final.
    assert rule(decide(case, appeal_available=False), "conditional.pa_denied_final").passed
    appealed = make_case(
        coverage_status="insured", scalp_cooling_covered=True, pa_status="appeal_denied"
    )
    assert rule(decide(appealed), "conditional.pa_denied_final").passed is True


def test_percent_over_the_limit_never_reads_as_the_limit(make_case):
    d = decide(make_case(state="TX", household_size=4, agi=198001, annual_income=198001))
    r = rule(d, "automatic.income_600_fpl")
    assert r.passed is False
    assert d.fpl["percent_of_fpl"] == 600.1
    assert "600.1%" in r.detail
    assert "600.0%" not in r.detail
    d = decide(make_case(state="TX", household_size=4, agi=197999, annual_income=197999))
    assert d.fpl["percent_of_fpl"] == 599.9  # within: rounded down, never up to the limit
    d = decide(make_case(state="TX", household_size=4, agi=197990, annual_income=197990))
    assert d.fpl["percent_of_fpl"] == 599.9
    d = decide(make_case(state="TX", household_size=4, agi=198000, annual_income=198000))
    assert d.fpl["percent_of_fpl"] == 600.0


@pytest.mark.parametrize(
    ("kwargs", "extra", "path", "eligible"),
    [
        ({"coverage_status": "uninsured"}, {}, "conditional.no_insurance", True),
        (
            {"coverage_status": "insured", "scalp_cooling_covered": True},
            {"underinsured": True},
            "conditional.underinsured",
            True,
        ),
        (
            {"coverage_status": "insured", "scalp_cooling_covered": False},
            {},
            "conditional.not_covered",
            True,
        ),
        (
            {"coverage_status": "insured", "scalp_cooling_covered": True, "pa_status": "denied"},
            {"appeal_available": False},
            "conditional.pa_denied_final",
            True,
        ),
        (
            {
                "coverage_status": "insured",
                "scalp_cooling_covered": True,
                "pa_status": "appeal_denied",
            },
            {},
            "conditional.pa_denied_final",
            True,
        ),
    ],
)
def test_each_conditional_path_qualifies(make_case, kwargs, extra, path, eligible):
    d = decide(make_case(**kwargs), **extra)
    assert rule(d, path).passed is True
    assert d.eligible is eligible
    assert path in d.decided_by


@pytest.mark.parametrize(
    ("kwargs", "extra"),
    [
        # Covered, PA approved, coverage enough: no coverage gap.
        ({"scalp_cooling_covered": True, "pa_status": "approved"}, {"underinsured": False}),
        # Denied, but the one appeal is still available.
        (
            {"scalp_cooling_covered": True, "pa_status": "denied"},
            {"underinsured": False, "appeal_available": True},
        ),
        # Appeal in progress is not a final denial.
        ({"scalp_cooling_covered": True, "pa_status": "appeal_submitted"}, {"underinsured": False}),
    ],
)
def test_insured_without_a_coverage_gap_is_not_eligible(make_case, kwargs, extra):
    d = decide(make_case(coverage_status="insured", **kwargs), **extra)
    assert d.eligible is False
    assert set(d.decided_by) == {
        "conditional.no_insurance",
        "conditional.underinsured",
        "conditional.not_covered",
        "conditional.pa_denied_final",
    }


def test_insured_with_unknown_coverage_cannot_be_decided_and_says_what_is_missing(make_case):
    d = decide(make_case(coverage_status="insured"))
    assert d.eligible is None
    assert d.missing == ["benefits_investigation.underinsured", "coverage.scalp_cooling_covered"]
    assert d.basis.startswith("Cannot decide yet")
    assert "coverage.scalp_cooling_covered" in d.basis


@pytest.mark.parametrize(
    ("line1", "line2", "physical"),
    [
        ("PO Box 123", None, False),
        ("P.O. Box 77", None, False),
        ("p o box 9", "", False),
        ("Post Office Box 4410", None, False),
        ("POB 12", None, False),
        ("PMB 301, 500 Main St", None, False),
        ("Box 15", None, False),
        ("General Delivery", None, False),
        ("PO Box 123", "PO Box 456", False),
        ("PO Box 123", "12 Elm Street", True),  # a street address beside the box
        ("100 Oak Street", None, True),
        ("12 Box Elder Road", None, True),
        ("77 Boxwood Lane", "Apt 4", True),
    ],
)
def test_physical_address(line1, line2, physical):
    address = Address(line1=line1, line2=line2, city="Austin", state="TX", zip="78702")
    assert is_physical_address(address) is physical


def test_po_box_only_address_is_not_eligible(make_case):
    d = decide(make_case(line1="PO Box 123"))
    r = rule(d, "condition.us_physical_address")
    assert r.passed is False
    assert "PO box" in r.detail
    assert d.eligible is False
    assert "condition.us_physical_address" in d.decided_by


@pytest.mark.parametrize(
    ("kwargs", "passed"),
    [
        ({"state": "PR"}, True),  # a territory is in the US (the income test is manual there)
        ({"state": "XX"}, False),
        ({"address": None}, None),
    ],
)
def test_us_residence(make_case, kwargs, passed):
    assert rule(decide(make_case(**kwargs)), "condition.us_physical_address").passed is passed


def test_territory_goes_to_manual_review(make_case):
    d = decide(make_case(state="PR"))
    r = rule(d, "automatic.income_600_fpl")
    assert r.passed is None
    assert "Puerto Rico" in r.detail
    assert d.eligible is None
    assert d.missing == []
    assert "Manual review" in d.basis


@pytest.mark.parametrize(
    ("diagnoses", "passed", "words"),
    [
        (("C50.911",), True, "breast"),
        (("Z51.11", "C50.911"), True, "breast"),
        (("C18.7",), True, "may fail payer policy"),
        (("C91.00",), False, "hematologic"),  # off-label C91 (leukemia)
        (("C50.911", "C91.10"), False, "hematologic"),
        (("Z85.3",), False, "history of cancer"),
        (("Z51.11",), None, "encounter"),
    ],
)
def test_on_label_diagnosis_rule(make_case, diagnoses, passed, words):
    d = decide(make_case(diagnoses=diagnoses))
    r = rule(d, "condition.on_label_diagnosis")
    assert r.passed is passed
    assert words in r.detail
    assert d.eligible is passed


@pytest.mark.parametrize(
    ("kwargs", "passed", "words"),
    [
        ({}, True, "NPI 1234567893, valid"),
        ({"prescription": None}, None, "no dated prescription"),
        ({"rx_date": None}, None, "no dated prescription"),
        ({"prescriber_npi": "1234567890", "rx_npi": "1234567890"}, False, "not a valid NPI"),
        ({"prescriber_npi": "12345", "rx_npi": None}, False, "not a valid NPI"),
        ({"rx_npi": "1003000126"}, False, "not the case's prescriber"),
        ({"rx_date": date(2026, 3, 3)}, False, "dated in the future"),
        ({"rx_npi": None}, True, "valid"),
    ],
)
def test_prescription_rule(make_case, kwargs, passed, words):
    d = decide(make_case(**kwargs))
    r = rule(d, "condition.valid_prescription")
    assert r.passed is passed
    assert words in r.detail
    if passed is None:
        assert d.eligible is None
        assert d.missing == ["prescription.date"]


@pytest.mark.parametrize(
    ("flag", "eligible", "missing"),
    [(True, True, []), (False, False, []), (None, None, ["facility.buy_and_bill"])],
)
def test_buy_and_bill_facility_rule(make_case, flag, eligible, missing):
    d = decide(make_case(buy_and_bill=flag))
    assert rule(d, "condition.buy_and_bill_facility").passed is flag
    assert d.eligible is eligible
    assert d.missing == missing


@pytest.mark.parametrize(
    ("household", "passed", "missing"),
    [
        (
            Household(size=None, annual_income=64000, adjusted_gross_income=61000),
            None,
            ["patient.household.size"],
        ),
        # AGI unknown but gross income under the limit: AGI cannot be higher.
        (Household(size=3, annual_income=100000, adjusted_gross_income=None), True, []),
        (
            Household(size=3, annual_income=200000, adjusted_gross_income=None),
            None,
            ["patient.household.adjusted_gross_income"],
        ),
        (None, None, ["patient.household.size", "patient.household.annual_income"]),
    ],
)
def test_missing_household_facts_are_named(make_case, household, passed, missing):
    d = decide(make_case(household=household))
    assert rule(d, "automatic.income_600_fpl").passed is passed
    assert d.eligible is passed
    assert d.missing == missing


def test_missing_application_date_uses_today_and_says_so(make_case):
    d = decide_pap(make_case(), application_date=None, today=date(2026, 1, 12))
    assert d.application_date == date(2026, 1, 12)
    assert d.application_date_assumed is True
    assert d.fpl["year"] == 2025
    assert "assumed to be today, 2026-01-12" in d.basis
    assert d.to_json()["application_date_assumed"] is True


def test_application_before_any_guideline_is_refused(make_case):
    with pytest.raises(PapInputError, match="application_date: .*2024-12-01") as info:
        decide(make_case(), application_date=date(2024, 12, 1))
    assert info.value.field == "application_date"


@pytest.mark.parametrize(
    ("household", "cost", "field"),
    [
        (Household(size=0), None, "patient.household.size"),
        (Household(size=-2), None, "patient.household.size"),
        (Household(size=51), None, "patient.household.size"),
        (Household(size=True), None, "patient.household.size"),  # bool is not a size
        (
            Household(size=3, adjusted_gross_income=-1),
            None,
            "patient.household.adjusted_gross_income",
        ),
        (
            Household(size=3, adjusted_gross_income=math.nan),
            None,
            "patient.household.adjusted_gross_income",
        ),
        (
            Household(size=3, adjusted_gross_income=1e12),
            None,
            "patient.household.adjusted_gross_income",
        ),
        (Household(size=3, annual_income=-5000), None, "patient.household.annual_income"),
        (Household(size=3, annual_income=math.inf), None, "patient.household.annual_income"),
        (Household(size=3, annual_income=50000), -1, "cost"),
    ],
)
def test_absurd_inputs_are_refused_naming_the_field(make_case, household, cost, field):
    with pytest.raises(ValueError, match=f"^{field}: ") as info:
        decide(make_case(household=household), cost=cost)
    assert isinstance(info.value, PapInputError)
    assert info.value.field == field


def test_to_json_has_the_contract_keys_and_is_json(make_case):
    out = decide(make_case()).to_json()
    assert {"eligible", "basis", "reasons", "fpl"} <= set(out)
    assert out["eligible"] is True
    assert out["fpl"]["limit"] == 163920
    first = out["reasons"][0]
    assert set(first) == {"rule", "passed", "detail", "numbers", "missing"}
    assert json.loads(json.dumps(out)) == out
