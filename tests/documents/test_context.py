"""build_context: one case in, plain letter-ready values out, every variable always present."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from formservice.documents.contexts.common import build_context, context_variables
from formservice.documents.contexts.text import format_date
from formservice.model import Case, Coverage, Treatment
from formservice.schemas.case import load_case

REPO = Path(__file__).resolve().parents[2]
SAMPLES = sorted((REPO / "samples" / "cases").glob("*.json"))
CODES = yaml.safe_load((REPO / "formservice/reimbursement/data/codes.yaml").read_text())
TODAY = date(2026, 1, 20)


def _plain(value: Any, path: str = "ctx") -> None:
    """Assert a context holds only plain template-safe values (no None, no dataclasses)."""
    if isinstance(value, dict):
        for k, v in value.items():
            assert isinstance(k, str), path
            _plain(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _plain(v, f"{path}.{i}")
    else:
        assert isinstance(value, str | int | bool), f"{path} is {type(value).__name__}"


@pytest.mark.parametrize("path", SAMPLES, ids=[p.stem for p in SAMPLES])
def test_every_sample_gives_a_plain_complete_context(path: Path) -> None:
    case = load_case(json.loads(path.read_text()))
    ctx = build_context(case, today=TODAY)
    assert set(ctx) == context_variables()
    _plain(ctx)
    assert ctx["patient"]["full_name"] == case.patient.full_name
    assert ctx["diagnosis"]["code"] == case.primary_diagnosis.code
    assert ctx["document"] == {
        "kind": "lmn",
        "title": "Letter of Medical Necessity",
        "date": "January 20, 2026",
        "date_iso": "2026-01-20",
    }


def test_dates_names_and_letterhead_are_letter_ready(make_case: Callable[..., Case]) -> None:
    ctx = build_context(make_case(), today=TODAY)
    assert ctx["patient"]["date_of_birth"] == "March 4, 1970"
    assert ctx["patient"]["age"] == 55
    assert ctx["prescriber"]["full_name"] == "Doc Example, MD"
    assert ctx["facility"]["letterhead_lines"] == [
        "Testville Oncology Clinic",
        "1 Synthetic Way, Suite 9, Austin, TX 78701",
        "Phone 512-555-0100 | Fax 512-555-0101 | NPI 1003000126",
    ]
    assert ctx["payer"]["attention"].startswith("Attn: Utilization Review")
    assert ctx["treatment"]["regimen_text"] == "TC (docetaxel and cyclophosphamide)"
    assert ctx["treatment"]["schedule_text"] == "every 21 days"
    assert ctx["diagnosis"]["text"].startswith("C50.911 – Malignant neoplasm")
    assert ctx["diagnosis"]["description_in_sentence"].startswith("malignant neoplasm")
    assert format_date(date(2026, 7, 4)) == "July 4, 2026"


def test_request_lines_bill_0662t_once_and_0663t_per_session(
    make_case: Callable[..., Case],
) -> None:
    case = make_case()
    case = dataclasses.replace(
        case, treatment=dataclasses.replace(case.treatment, start_date=date(2025, 2, 3))
    )
    ctx = build_context(case, today=TODAY)
    lines = {line["code"]: line for line in ctx["request"]["lines"]}
    assert [line["code"] for line in ctx["request"]["lines"]] == ["0662T", "0663T"]
    assert "not yet confirmed" not in " ".join(line["basis"] for line in lines.values())
    assert lines["0662T"]["units"] == "1"
    assert lines["0663T"]["units"] == "6"
    descriptors = {row["code"]: row["descriptor"] for row in CODES["cpt"] if row.get("code")}
    assert lines["0663T"]["description"] == descriptors["0663T"]
    assert ctx["request"]["place_of_service"] == "11"
    assert ctx["request"]["chemo_admin_codes"].startswith("96409")


def test_2026_request_lines_use_97008_97009_with_no_note_to_staff_in_the_letter(
    make_case: Callable[..., Case],
) -> None:
    case = make_case()  # starts 2026-02-02, six sessions
    ctx = build_context(case, today=TODAY)
    assert [line["code"] for line in ctx["request"]["lines"]] == ["97008"]  # no minutes: no 97009
    case = dataclasses.replace(
        case, treatment=dataclasses.replace(case.treatment, post_infusion_cooling_minutes=60)
    )
    lines = build_context(case, today=TODAY)["request"]["lines"]
    assert [(line["code"], line["units"]) for line in lines] == [("97008", "6"), ("97009", "12")]
    # The letter goes to the payer: "not yet confirmed, check before sending" is for staff
    # (the document's codes_not_verified warning), and the letter's own field stays empty.
    assert not any("confirmed" in line["basis"] for line in lines)
    assert build_context(case, today=TODAY)["request"]["caveat"] == ""
    assert build_context(case, today=TODAY)["request"]["codes_text"] == "CPT 97008 and 97009"


def test_unknown_values_are_empty_strings_not_none(make_case: Callable[..., Case]) -> None:
    case = make_case()
    case = dataclasses.replace(
        case,
        coverage=Coverage(status="uninsured"),
        treatment=Treatment(),
        clinical_notes=None,
    )
    ctx = build_context(case, today=TODAY)
    _plain(ctx)
    assert ctx["coverage"]["insured"] is False
    assert ctx["payer"]["name"] == ""
    assert ctx["request"]["lines"][1]["units"] == ""
    assert ctx["treatment"]["start_date"] == ""
    assert ctx["treatment"]["regimen_text"] == "chemotherapy"
    assert ctx["clinical_notes"] == ""


def test_evidence_is_numbered_by_first_citation(make_case: Callable[..., Case]) -> None:
    ev = build_context(make_case(), today=TODAY)["evidence"]
    numbers = [r["number"] for r in ev["references"]]
    assert numbers == list(range(1, len(numbers) + 1))
    assert len(numbers) == 7
    cited = {int(n) for a in ev["arguments"] for n in a["marker"].strip("[]").split(", ") if n}
    assert cited == set(numbers)
    assert ev["fda"]["number"] == "K173032"
    assert ev["fda"]["decision_date"] == "June 7, 2018"
    assert {t: len(v) for t, v in ev["by_topic"].items()} == {
        "efficacy": 3,
        "safety": 1,
        "quality_of_life": 2,
        "guideline": 1,
    }
    assert ev["nccn_applies"] is True  # a breast diagnosis


def test_nccn_relevance_follows_the_diagnosis(make_case: Callable[..., Case]) -> None:
    from formservice.model import Diagnosis

    prostate = dataclasses.replace(make_case(), diagnoses=(Diagnosis(code="C61"),))
    ev = build_context(prostate, today=TODAY)["evidence"]
    assert ev["nccn_applies"] is False
    assert [g["applies"] for g in ev["nccn"]] == [False, False]


def test_extra_adds_values_but_never_replaces_case_data(make_case: Callable[..., Case]) -> None:
    ctx = build_context(make_case(), today=TODAY, extra={"denial": {"claim_number": "X1"}})
    assert ctx["denial"] == {"claim_number": "X1"}
    with pytest.raises(ValueError, match="patient"):
        build_context(make_case(), today=TODAY, extra={"patient": {}})
