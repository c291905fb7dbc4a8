"""Claim lines from the treatment plan, and the problems validation explains."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import date, timedelta

import pytest

from formservice.reimbursement.billing import (
    ClaimBuildError,
    build_claim_lines,
    diagnosis_letters,
    plan_session_dates,
    validate_claim_lines,
)

START = date(2026, 2, 2)


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
    dates = plan_session_dates(make_case(sessions=3, cycle_length_days=14))
    assert dates == [START, date(2026, 2, 16), date(2026, 3, 2)]
    assert plan_session_dates(make_case(sessions=1, cycle_length_days=None)) == [START]


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


def test_charges_come_from_the_fee_schedule_or_are_marked_unknown(make_case):
    lines = build_claim_lines(make_case(start_date=date(2025, 3, 3), sessions=1))
    by_code = {ln.code: ln for ln in lines}
    assert by_code["0662T"].charge == 1750.50
    assert by_code["0662T"].charge_known
    assert "2025" in (by_code["0662T"].charge_source or "")
    assert by_code["0663T"].charge == 0
    assert not by_code["0663T"].charge_known
    assert by_code["96413"].charge == 0
    assert not by_code["96413"].charge_known


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
    case = make_case(sessions=2)
    lines = [
        ln for ln in build_claim_lines(case) if ln.date_of_service != START or ln.code != "96413"
    ]
    problems = [
        p for p in validate_claim_lines(lines, case) if p.code == "0663T_without_chemo_admin"
    ]
    assert len(problems) == 1
    assert problems[0].line_index == 1
    assert lines[1].code == "0663T"
    assert "2026-02-02" in problems[0].message
    assert problems[0].severity == "error"


def test_0662T_twice(make_case):
    case = make_case(sessions=2)
    lines = build_claim_lines(case)
    second = dataclasses.replace(lines[1], date_of_service=lines[3].date_of_service)
    lines.insert(4, second)
    problems = [p for p in validate_claim_lines(lines, case) if p.code == "0662T_repeated"]
    assert [(p.line_index, p.severity) for p in problems] == [(4, "error")]
    assert "once per patient" in problems[0].message
    assert "line 2" in problems[0].message


def test_0663T_twice_on_one_date(make_case):
    case = make_case(sessions=1)
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
    assert {p.code: p.severity for p in problems} == expected


def test_dates_before_the_codes_existed_are_problems_not_crashes(make_case):
    case = make_case(sessions=2, start_date=date(2021, 6, 9), cycle_length_days=21)
    lines = build_claim_lines(case)  # 2021-06-09 (before) and 2021-06-30 (before)
    problems = [p for p in validate_claim_lines(lines, case) if p.code == "code_not_in_effect"]
    indexes = [p.line_index for p in problems if p.line_index is not None]
    assert len(indexes) == len(problems)
    flagged = {(lines[i].code, lines[i].date_of_service) for i in indexes}
    assert flagged == {
        ("0662T", date(2021, 6, 9)),
        ("0663T", date(2021, 6, 9)),
        ("0663T", date(2021, 6, 30)),
    }
    assert all("2021-07-01" in p.message and p.severity == "error" for p in problems)


def test_missing_site_of_care_is_a_problem(make_case):
    case = make_case(site_of_care=None, sessions=1)
    lines = build_claim_lines(case)
    assert problem_codes(validate_claim_lines(lines, case))["place_of_service_missing"] == 3


def test_2026_dates_warn_about_the_pending_category_i_codes(make_case):
    case = make_case(sessions=1, start_date=date(2026, 2, 2))
    problems = validate_claim_lines(build_claim_lines(case), case)
    assert [p.code for p in problems] == ["category_i_codes_pending"]
    assert problems[0].severity == "warning"
