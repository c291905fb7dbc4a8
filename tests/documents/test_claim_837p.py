"""The 837P: every billable sample case gives a claim pyx12 finds no fault with."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from pathlib import Path

import pytest

from formservice.denials.x12_check import guide_problems
from formservice.documents.forms.claim import FormLine
from formservice.documents.x12 import render_837p
from formservice.documents.x12.claim837p import line_segments
from formservice.errors import ValidationProblem
from formservice.model import Case
from formservice.schemas.case import load_case
from tests.conftest import REPO, SAMPLES, sample_case_paths

CREATED = datetime(2026, 3, 1, 9, 30)
CHARGE_MASTER = REPO / "samples" / "charge_master.yaml"
# Samples that cannot be billed on an 837P: off-label diagnosis (13), the uninsured (no payer),
# and hospital outpatient (02, 04, 06: the hospital bills on its facility claim, UB-04/837I).
UNBILLABLE = {
    "02_ovarian_medicare_outpatient",
    "04_prostate_medicare_advantage_outpatient",
    "05_breast_uninsured_pap",
    "06_breast_erisa_not_covered",
    "07_pap_automatic_income_uninsured",
    "13_offlabel_c91_leukemia",
}


def _case(path: Path) -> Case:
    return load_case(json.loads(path.read_text()))


def _billable() -> list[Path]:
    out = []
    for path in sample_case_paths():
        case = _case(path)
        if path.stem not in UNBILLABLE and case.coverage.payer and case.coverage.member_id:
            out.append(path)
    return out


@pytest.mark.parametrize("path", _billable(), ids=lambda p: p.stem)
def test_sample_837p_has_no_guide_errors(path: Path) -> None:
    claim = render_837p(_case(path), created=CREATED, charge_master=CHARGE_MASTER)
    assert guide_problems(claim.data) == []
    assert claim.lines >= 3


def test_lines_codes_units_pointers_and_diagnoses_are_the_cms1500s() -> None:
    case = _case(SAMPLES / "cases" / "01_breast_commercial_office.json")
    case = dataclasses.replace(
        case,
        prior_authorization=dataclasses.replace(case.prior_authorization, number="PA-778812"),
    )
    text = render_837p(case, created=CREATED, charge_master=CHARGE_MASTER).data.decode()
    segments = text.split("~\n")
    sv1 = [s for s in segments if s.startswith("SV1*")]
    # Started 2026-02-02: the 2026 crosswalk's 97008 per session (no cooling minutes in the
    # case, so no time-based 97009), charges from the sample charge master.
    assert sv1[:3] == [
        "SV1*HC:96413*400*UN*1***1",
        "SV1*HC:97008*300*UN*1***1",
        "SV1*HC:96413*400*UN*1***1",
    ]
    assert len(sv1) == 12  # 6 sessions: chemo + 97008 each
    assert "HI*ABK:C50911" in segments
    assert "REF*G1*PA-778812" in segments
    assert "NM1*IL*1*SAMPLECASE*ADA****MI*NWH123456789" in segments
    assert segments[segments.index("LX*2") + 2] == "DTP*472*D8*20260202"
    se = next(s for s in segments if s.startswith("SE*"))
    st = next(i for i, s in enumerate(segments) if s.startswith("ST*"))
    assert int(se.split("*")[1]) == segments.index(se) - st + 1


def test_modifiers_and_second_pointer_are_written() -> None:

    line = FormLine(
        date_of_service=CREATED.date(),
        place_of_service="22",
        cpt="0663T",
        modifiers=("59", "XU"),
        diagnosis_pointer="AB",
        charges=450.0,
        units=2,
        rendering_npi="1234567893",
    )
    lx, sv1, dtp = line_segments(4, line, "11")
    assert (lx, dtp) == ("LX*4", "DTP*472*D8*20260301")
    assert sv1 == "SV1*HC:0663T:59:XU*450*UN*2*22**1:2"


def test_a_case_without_payer_or_member_id_is_refused_naming_the_fields() -> None:
    case = _case(SAMPLES / "cases" / "05_breast_uninsured_pap.json")
    with pytest.raises(ValidationProblem) as err:
        render_837p(case, created=CREATED)
    assert {"coverage.payer", "coverage.member_id"} <= set(err.value.errors)


def test_a_claim_without_a_charge_master_is_refused_not_billed_at_zero() -> None:
    case = _case(SAMPLES / "cases" / "01_breast_commercial_office.json")
    with pytest.raises(ValidationProblem) as err:
        render_837p(case, created=CREATED)
    assert "charge_master" in err.value.errors


def test_hospital_outpatient_is_refused_as_on_paper() -> None:
    case = _case(SAMPLES / "cases" / "02_ovarian_medicare_outpatient.json")
    with pytest.raises(ValidationProblem) as err:
        render_837p(case, created=CREATED, charge_master=CHARGE_MASTER)
    assert "treatment.site_of_care" in err.value.errors


@pytest.mark.parametrize("path", sorted((SAMPLES / "claims").glob("*.837")), ids=lambda p: p.stem)
def test_the_shipped_sample_claims_are_what_the_writer_makes(path: Path) -> None:
    case = _case(SAMPLES / "cases" / f"{path.stem}.json")
    claim = render_837p(case, created=datetime(2026, 3, 1, 9, 0), charge_master=CHARGE_MASTER)
    assert claim.data == path.read_bytes()
