"""Which case an 835 claim is about: member ID, patient and date of service, or none."""

from __future__ import annotations

import dataclasses
from datetime import date

from formservice.model import Case, Denial
from formservice.reimbursement.remittance_match import match_case, same_member_id, same_patient
from formservice.schemas.case import load_case
from tests.conftest import load_sample


def _case(name: str = "01_breast_commercial_office") -> Case:
    return load_case(load_sample(name))


def _claim(**facts: object) -> Denial:
    base: dict[str, object] = {
        "member_id": "NWH123456789",
        "patient_name": "ADA SAMPLECASE",
        "date_of_service": date(2026, 2, 23),  # the second session (start 02-02, every 21 days)
    }
    return Denial(**{**base, **facts})  # type: ignore[arg-type]


def test_member_id_patient_and_date_in_the_course_match() -> None:
    assert match_case(_claim(), [("a", _case())]) == "a"
    assert match_case(_claim(member_id="nwh-1234 56789"), [("a", _case())]) == "a"


def test_each_fact_must_agree() -> None:
    cases = [("a", _case())]
    assert match_case(_claim(member_id="NWH000000000"), cases) is None
    assert match_case(_claim(patient_name="BEA SAMPLECASE"), cases) is None
    assert match_case(_claim(patient_name="ADA OTHER"), cases) is None
    assert match_case(_claim(date_of_service=date(2026, 1, 30)), cases) is None  # before the start
    assert match_case(_claim(date_of_service=date(2026, 6, 1)), cases) is None  # after the last
    assert match_case(_claim(date_of_service=None), cases) is None


def test_two_matching_cases_leave_the_claim_unmatched() -> None:
    case = _case()
    twin = dataclasses.replace(case, external_id="HUB-SAMPLE-TWIN")
    assert match_case(_claim(), [("a", case), ("b", twin)]) is None


def test_names_as_an_835_prints_them() -> None:
    fiona = _case("06_breast_erisa_not_covered")  # Fiona O'Sample
    assert same_patient("FIONA O'SAMPLE", fiona)
    assert same_patient("FIONA OSAMPLE", fiona)
    assert not same_patient("FIONA", fiona)
    assert not same_patient(None, fiona)
    assert same_member_id("ACM-44120987", "acm44120987")
    assert not same_member_id(None, "ACM-44120987")
