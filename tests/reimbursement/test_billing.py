"""Claim lines from the treatment plan, and the problems validation explains."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from formservice.errors import ChargeMasterError, ClaimBuildError
from formservice.model import Abn, Benefits, CaseFacts, Payer
from formservice.reimbursement import codes
from formservice.reimbursement.applicability import check_document
from formservice.reimbursement.charge_master import load_charge_master
from formservice.reimbursement.claim_checks import validate_claim_lines
from formservice.reimbursement.claim_form import claim_items, facility_claim_rule
from formservice.reimbursement.claim_lines import (
    build_claim_lines,
    diagnosis_letters,
    plan_session_dates,
)

CHARGE_MASTER = Path(__file__).resolve().parents[2] / "samples" / "charge_master.yaml"
START = date(2025, 2, 3)  # 0662T/0663T era (until 2025-12-31)
START_2026 = date(2026, 2, 2)  # 97008/97009 era (verified: false)


def problem_codes(problems):
    return Counter(p.code for p in problems)


def test_six_sessions_give_one_0662T_and_six_0663T_each_beside_its_chemo_code(make_case):
    case = make_case(sessions=6, cycle_length_days=21, start_date=START)
    lines = build_claim_lines(case)
    codes_by_date: dict[date, list[str]] = {}
    for ln in lines:
        codes_by_date.setdefault(ln.date_of_service, []).append(ln.code)
    expected_dates = [START + timedelta(days=21 * i) for i in range(6)]
    assert list(codes_by_date) == expected_dates
    assert codes_by_date[START] == ["96413", "0662T", "0663T"]
    for on in expected_dates[1:]:
        assert codes_by_date[on] == ["96413", "0663T"]
    assert [ln.code for ln in lines].count("0662T") == 1
    assert [ln.code for ln in lines].count("0663T") == 6
    assert all(ln.units == 1 and ln.place_of_service == "11" for ln in lines)
    errors = [p for p in validate_claim_lines(lines, case) if p.severity == "error"]
    assert errors == []


def test_session_dates_from_the_plan(make_case):
    dates = plan_session_dates(make_case(sessions=3, cycle_length_days=14, start_date=START))
    assert dates == [START, date(2025, 2, 17), date(2025, 3, 3)]
    one = make_case(sessions=1, cycle_length_days=None, start_date=START)
    assert plan_session_dates(one) == [START]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"start_date": None}, "treatment.start_date"),
        ({"sessions": None}, "treatment.sessions"),
        ({"sessions": 0}, "treatment.sessions"),
        ({"sessions": 2, "cycle_length_days": None}, "treatment.cycle_length_days"),
    ],
)
def test_plan_without_dates_names_the_field(make_case, kwargs, field):
    with pytest.raises(ClaimBuildError, match=f"^{field}: ") as info:
        build_claim_lines(make_case(**kwargs))
    assert info.value.field == field


def test_explicit_session_dates_and_chemo_code(make_case):
    dates = [date(2025, 5, 20), date(2025, 5, 6)]
    lines = build_claim_lines(make_case(), session_dates=dates, chemo_code="96409")
    assert [(ln.date_of_service, ln.code) for ln in lines] == [
        (date(2025, 5, 6), "96409"),
        (date(2025, 5, 6), "0662T"),
        (date(2025, 5, 6), "0663T"),
        (date(2025, 5, 20), "96409"),
        (date(2025, 5, 20), "0663T"),
    ]


def test_chemo_code_must_be_a_chemo_administration_code(make_case):
    with pytest.raises(ClaimBuildError, match="'99213' is not one of 96409"):
        build_claim_lines(make_case(), chemo_code="99213")


def test_charges_come_from_the_charge_master_never_a_payment_rate(make_case):
    master = load_charge_master(CHARGE_MASTER)
    case = make_case(start_date=date(2025, 3, 3), sessions=1)
    by_code = {ln.code: ln for ln in build_claim_lines(case, charge_master=master)}
    assert by_code["0662T"].charge == 1000.00  # the sample master's synthetic price
    assert by_code["0662T"].charge != 1750.50  # the 2025 OPPS payment rate is not a charge
    assert by_code["0663T"].charge == 300.00
    assert by_code["96413"].charge == 400.00
    assert "SYNTHETIC" in (by_code["0662T"].charge_source or "")
    # Without a charge master no line is priced (the claim form then refuses: 422).
    assert {ln.charge for ln in build_claim_lines(case)} == {None}


def test_hospital_outpatient_is_place_of_service_22_and_says_so(make_case):
    case = make_case(site_of_care="hospital_outpatient", sessions=1)
    lines = build_claim_lines(case)
    assert {ln.place_of_service for ln in lines} == {"22"}
    assert "19" in (lines[0].note or "")
    assert "place_of_service_assumed" in problem_codes(validate_claim_lines(lines, case))


def test_diagnosis_letters_put_the_primary_first_and_pointers_follow(make_case):
    case = make_case(diagnoses=("Z51.11", "C50.911"), primary="C50.911", sessions=1)
    assert diagnosis_letters(case) == [("A", "C50.911"), ("B", "Z51.11")]
    assert {ln.diagnosis_pointers for ln in build_claim_lines(case)} == {"AB"}


def test_pointers_stop_at_four_and_item_21_at_twelve(make_case):
    many = tuple(f"C50.{i}11" for i in range(1, 10)) + ("C56.1", "C56.2", "C56.9", "C48.1")
    case = make_case(diagnoses=many, sessions=1)
    assert len(diagnosis_letters(case)) == 12
    assert diagnosis_letters(case)[-1][0] == "L"
    assert build_claim_lines(case)[0].diagnosis_pointers == "ABCD"
    assert "too_many_diagnoses" in problem_codes(validate_claim_lines([], case))


def test_0663T_without_chemo_code_on_the_same_date(make_case):
    case = make_case(sessions=2, start_date=START)
    lines = [
        ln for ln in build_claim_lines(case) if ln.date_of_service != START or ln.code != "96413"
    ]
    problems = [
        p for p in validate_claim_lines(lines, case) if p.code == "0663T_without_chemo_admin"
    ]
    assert len(problems) == 1
    assert problems[0].line_index == 1
    assert lines[1].code == "0663T"
    assert "2025-02-03" in problems[0].message
    assert problems[0].severity == "error"


def test_0662T_twice(make_case):
    case = make_case(sessions=2, start_date=START)
    lines = build_claim_lines(case)
    second = dataclasses.replace(lines[1], date_of_service=lines[3].date_of_service)
    lines.insert(4, second)
    problems = [p for p in validate_claim_lines(lines, case) if p.code == "0662T_repeated"]
    assert [(p.line_index, p.severity) for p in problems] == [(4, "error")]
    assert "once per patient" in problems[0].message
    assert "line 2" in problems[0].message


def test_0663T_twice_on_one_date(make_case):
    case = make_case(sessions=1, start_date=START)
    lines = build_claim_lines(case)
    lines.append(lines[-1])
    assert problem_codes(validate_claim_lines(lines, case))["0663T_repeated_same_date"] == 1


@pytest.mark.parametrize(("sessions", "flagged"), [(8, False), (9, True)])
def test_more_than_8_sessions_flags_medical_review(make_case, sessions, flagged):
    case = make_case(sessions=sessions)
    problems = validate_claim_lines(build_claim_lines(case), case)
    review = [p for p in problems if p.code == "sessions_over_review_limit"]
    assert bool(review) is flagged
    if flagged:
        assert review[0].severity == "review"
        assert "9 scalp-cooling sessions" in review[0].message


@pytest.mark.parametrize(
    ("diagnoses", "expected"),
    [
        (("C91.00",), {"off_label_diagnosis": "error", "no_on_label_diagnosis": "error"}),
        (("Z85.3",), {"history_diagnosis": "warning", "no_on_label_diagnosis": "error"}),
        (("C50.911", "Z85.3"), {"history_diagnosis": "warning"}),
        (("C18.7",), {"payer_narrow_diagnosis": "warning"}),
        (("C50.911",), {}),
    ],
)
def test_diagnosis_problems(make_case, diagnoses, expected):
    case = make_case(diagnoses=diagnoses, sessions=1, start_date=date(2025, 6, 2))
    problems = validate_claim_lines(build_claim_lines(case), case)
    found = {p.code: p.severity for p in problems}
    assert found.pop("0662T_frequency_sources_disagree") == "warning"  # on every 0662T claim
    assert found == expected


def test_dates_before_the_codes_existed_are_problems_not_crashes(make_case):
    case = make_case(sessions=2, start_date=date(2021, 6, 9), cycle_length_days=21)
    lines = build_claim_lines(case)  # 2021-06-09 (before) and 2021-06-30 (before)
    assert [ln.code for ln in lines] == ["96413", "96413"]  # no scalp-cooling code existed
    problems = [p for p in validate_claim_lines(lines, case) if p.code == "code_not_in_effect"]
    assert len(problems) == 2
    assert "2021-06-09" in problems[0].message
    assert "2021-06-30" in problems[1].message
    assert all("2021-07-01" in p.message and p.severity == "error" for p in problems)
    # A 0662T line forced onto such a date is named with its line.
    forced = [*lines, dataclasses.replace(lines[0], code="0662T")]
    named = [p for p in validate_claim_lines(forced, case) if p.line_index == 2]
    assert named
    assert "2021-07-01" in named[0].message


def test_missing_site_of_care_is_a_problem(make_case):
    case = make_case(site_of_care=None, sessions=1, start_date=START)
    lines = build_claim_lines(case)
    assert problem_codes(validate_claim_lines(lines, case))["place_of_service_missing"] == 3


def test_2026_dates_bill_97008_per_session_and_97009_by_30_minute_units(make_case):
    base = make_case(sessions=2, start_date=START_2026, cycle_length_days=21)
    case = dataclasses.replace(
        base, treatment=dataclasses.replace(base.treatment, post_infusion_cooling_minutes=90)
    )
    lines = build_claim_lines(case, charge_master=load_charge_master(CHARGE_MASTER))
    assert [(ln.code, ln.units, ln.charge) for ln in lines] == [
        ("96413", 1, 400.0),
        ("97008", 1, 300.0),
        ("97009", 3, 300.0),  # 90 minutes = 3 units x $100 (synthetic)
        ("96413", 1, 400.0),
        ("97008", 1, 300.0),
        ("97009", 3, 300.0),
    ]
    assert "0662T" not in {ln.code for ln in lines}
    problems = validate_claim_lines(lines, case)
    assert [p.code for p in problems] == ["codes_not_verified"]
    assert "97008 and 97009" in problems[0].message
    assert "secondary sources" in problems[0].message


@pytest.mark.parametrize(("minutes", "units"), [(15, 0), (16, 1), (45, 1), (46, 2), (120, 4)])
def test_97009_units_count_a_30_minute_unit_once_its_midpoint_is_passed(make_case, minutes, units):
    base = make_case(sessions=1, start_date=START_2026)
    case = dataclasses.replace(
        base, treatment=dataclasses.replace(base.treatment, post_infusion_cooling_minutes=minutes)
    )
    found = [ln.units for ln in build_claim_lines(case) if ln.code == "97009"]
    assert found == ([units] if units else [])


def test_2026_without_cooling_minutes_warns_and_bills_no_97009(make_case):
    case = make_case(sessions=1, start_date=START_2026)
    lines = build_claim_lines(case)
    assert [ln.code for ln in lines] == ["96413", "97008"]
    problems = {p.code: p for p in validate_claim_lines(lines, case)}
    assert problems["cooling_minutes_missing"].severity == "warning"
    assert "minutes of cooling after each infusion" in problems["cooling_minutes_missing"].message


def _medicare(case, abn):
    payer = Payer(name="Medicare Part B", payer_id="CGS15", plan_type="medicare_ffs")
    coverage = dataclasses.replace(case.coverage, status="insured", payer=payer)
    return dataclasses.replace(case, coverage=coverage, abn=abn)


@pytest.mark.parametrize(
    ("abn", "modifiers"),
    [
        (None, ()),
        (Abn(issued_on=date(2025, 1, 20), option=1), ("GA",)),
        (Abn(issued_on=None), ("GZ",)),
    ],
)
def test_abn_gives_ga_or_gz_on_scalp_cooling_lines_only(make_case, abn, modifiers):
    case = _medicare(make_case(sessions=1, start_date=START), abn)
    by_code = {ln.code: ln.modifiers for ln in build_claim_lines(case)}
    assert by_code == {"96413": (), "0662T": modifiers, "0663T": modifiers}


def test_abn_modifiers_are_for_original_medicare_only(make_case):
    case = make_case(sessions=1, start_date=START, coverage_status="insured")  # commercial
    case = dataclasses.replace(case, abn=Abn(issued_on=date(2025, 1, 20), option=1))
    assert {ln.modifiers for ln in build_claim_lines(case)} == {()}


@pytest.mark.parametrize("option", [2, 3])
def test_abn_options_2_and_3_mean_no_medicare_claim(make_case, option):
    case = _medicare(make_case(sessions=1, start_date=START), Abn(date(2025, 1, 20), option))
    problems = [p for p in validate_claim_lines(build_claim_lines(case), case)]
    refused = [p for p in problems if p.code == "abn_option_not_billable"]
    assert refused
    assert refused[0].severity == "error"
    assert f"option {option}" in refused[0].message


@pytest.mark.parametrize(
    ("plan_type", "rule", "words"),
    [
        ("medicare_ffs", "once_per_course", "once per course of chemotherapy"),
        ("medicare_advantage", "once_per_course", "once per course of chemotherapy"),
        ("commercial", "once_per_patient", "once per patient"),
        (None, "once_per_patient", "once per patient"),
    ],
)
def test_0662T_frequency_is_a_rule_per_payer_type_and_warns_that_sources_disagree(
    make_case, plan_type, rule, words
):
    frequency = codes.frequency_0662T(plan_type)
    assert frequency.rule == rule
    assert frequency.sources_disagree
    assert "CGS" in codes.frequency_0662T("medicare_ffs").source
    assert "the hub's scalp-cooling page" in codes.frequency_0662T("commercial").source
    case = make_case(sessions=2, start_date=START)
    if plan_type:
        payer = Payer(name="Some Plan", plan_type=plan_type)
        case = dataclasses.replace(
            case, coverage=dataclasses.replace(case.coverage, status="insured", payer=payer)
        )
    lines = build_claim_lines(case)
    problems = validate_claim_lines(lines, case)
    warning = next(p for p in problems if p.code == "0662T_frequency_sources_disagree")
    assert warning.severity == "warning"
    assert warning.message.startswith(f"0662T frequency: billed {words}")
    twice = [*lines, dataclasses.replace(lines[1], date_of_service=lines[3].date_of_service)]
    repeated = next(p for p in validate_claim_lines(twice, case) if p.code == "0662T_repeated")
    assert words in repeated.message


def test_claim_items_follow_the_payer_type_with_sources():
    medicare = claim_items("medicare_ffs")
    nucc = claim_items("commercial")
    assert medicare["11"].fill == "none"
    assert "NONE" in medicare["11"].source
    assert "100-04" in medicare["11"].source
    assert nucc["11"].fill == "group"
    assert "NUCC" in nucc["11"].source
    for rules in (medicare, nucc):
        assert [rules[i].fill for i in ("10a", "10b", "10c")] == ["no", "no", "no"]
        assert rules["12"].fill == rules["13"].fill == rules["31"].fill == "sof"
        assert rules["27"].fill == "yes"
    assert medicare["4"].fill == "blank"
    assert nucc["4"].fill == "insured"


def test_hospital_outpatient_has_a_facility_claim_rule(make_case):
    assert facility_claim_rule(make_case(start_date=START)) is None
    rule = facility_claim_rule(make_case(site_of_care="hospital_outpatient", start_date=START))
    assert rule is not None
    assert "UB-04" in rule
    assert "100-04" in rule


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (None, "does not exist"),
        ("charges: [{code: '0662T'}]\n", "is not a mapping with charges"),
        ("charges: [{code: '0662T', amount: -5, effective_from: 2025-01-01}]\n", "0662T"),
    ],
)
def test_a_broken_charge_master_is_a_500_naming_the_file(tmp_path, text, words):
    path = tmp_path / "master.yaml"
    if text is not None:
        path.write_text(text)
    with pytest.raises(ChargeMasterError, match=words) as raised:
        load_charge_master(path)
    assert raised.value.status == 500
    assert str(path) in str(raised.value)


def test_the_plan_refuses_the_cms1500_for_hospital_outpatient_care(make_case):
    case = make_case(site_of_care="hospital_outpatient", coverage_status="insured")
    refused = check_document(case, CaseFacts(), "cms1500")
    assert refused is not None
    assert refused.rule == "hospital_outpatient_facility_claim"
    assert "UB-04" in refused.why
    office = make_case(coverage_status="insured")
    assert check_document(office, CaseFacts(), "cms1500") is None


def _abn_problems(case, facts=None):
    problems = validate_claim_lines(build_claim_lines(case), case, facts)
    return [p for p in problems if p.code == "abn_not_recorded"]


def test_an_abn_the_rules_advise_but_the_case_does_not_record_is_said_not_guessed(make_case):
    # Coverage not confirmed: the rules advise an ABN; with none recorded there is no GA or GZ.
    case = _medicare(make_case(sessions=1, start_date=START), None)
    assert {ln.modifiers for ln in build_claim_lines(case)} == {()}
    [problem] = _abn_problems(case)
    assert problem.severity == "warning"
    assert "neither GA" in problem.message
    assert "nor GZ" in problem.message
    assert "coverage of scalp cooling is not confirmed" in problem.message


def test_no_abn_warning_when_recorded_or_coverage_confirmed_on_label(make_case):
    recorded = _medicare(make_case(sessions=1, start_date=START), Abn(date(2025, 1, 20), 1))
    assert _abn_problems(recorded) == []
    confirmed = _medicare(make_case(sessions=1, start_date=START, scalp_cooling_covered=True), None)
    assert _abn_problems(confirmed) == []  # breast cancer (on label), coverage confirmed
    commercial = make_case(sessions=1, start_date=START, coverage_status="insured")
    assert _abn_problems(commercial) == []


def test_the_benefits_investigation_settles_the_abn_advice(make_case):
    case = _medicare(make_case(sessions=1, start_date=START), None)
    assert _abn_problems(case, CaseFacts())  # nothing known: advised
    found = Benefits(coverage_active=True, plan_type="medicare_ffs", scalp_cooling_covered=True)
    assert _abn_problems(case, CaseFacts(benefits=found)) == []
