"""The case schema: real validation of codes, NPI, addresses and dates; JSON Schema in sync."""

from __future__ import annotations

import copy
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from formservice import model
from formservice.errors import ValidationProblem
from formservice.schemas.case import dump_case, load_case
from formservice.schemas.common import npi_is_valid
from formservice.schemas.jsonschema import render_all
from tests.conftest import REPO, load_sample, sample_case_paths


@pytest.mark.parametrize(
    ("npi", "valid"),
    [
        ("1234567893", True),  # the CMS documentation's worked example
        ("1234567890", False),
        ("1003000126", True),
        ("1003000127", False),
        ("123456789", False),
        ("12345678934", False),
        ("12345678a3", False),
    ],
)
def test_npi_luhn(npi: str, valid: bool) -> None:
    assert npi_is_valid(npi) is valid


@pytest.mark.parametrize("path", sample_case_paths(), ids=lambda p: p.stem)
def test_every_sample_loads_and_round_trips(path: Path) -> None:
    payload = json.loads(path.read_text())
    case = load_case(payload)
    assert isinstance(case, model.Case)
    assert load_case(dump_case(case)) == case


def test_samples_cover_the_required_mix() -> None:
    cases = [load_case(json.loads(p.read_text())) for p in sample_case_paths()]
    assert len(cases) >= 6
    prefixes = {c.primary_diagnosis.code[:3] for c in cases}
    assert {"C50", "C56", "C18", "C61"} <= prefixes
    plan_types = {c.coverage.payer.plan_type for c in cases if c.coverage.payer}
    assert {"commercial", "medicaid"} <= plan_types
    assert plan_types & {"medicare_ffs", "medicare_advantage"}
    assert any(c.coverage.status == "uninsured" for c in cases)
    sites = {c.treatment.site_of_care for c in cases}
    assert sites == {"physician_office", "hospital_outpatient"}


@pytest.mark.parametrize(
    ("raw", "stored"), [("c50.911", "C50.911"), ("C50911", "C50.911"), ("C61", "C61")]
)
def test_icd10_is_normalised(raw: str, stored: str) -> None:
    payload = load_sample()
    payload["diagnoses"][0]["code"] = raw
    assert load_case(payload).diagnoses[0].code == stored


@pytest.mark.parametrize("bad", ["50.911", "C5", "C50.91111", "U07.1", "C50-911", ""])
def test_malformed_icd10_is_refused(bad: str) -> None:
    payload = load_sample()
    payload["diagnoses"][0]["code"] = bad
    with pytest.raises(ValidationProblem) as info:
        load_case(payload)
    assert "diagnoses.0.code" in info.value.errors


def test_date_of_birth_must_be_past_and_plausible() -> None:
    payload = load_sample()
    payload["patient"]["date_of_birth"] = (date.today() + timedelta(days=1)).isoformat()
    with pytest.raises(ValidationProblem) as future:
        load_case(payload)
    assert "patient.date_of_birth" in future.value.errors
    payload["patient"]["date_of_birth"] = "1899-12-31"
    with pytest.raises(ValidationProblem) as ancient:
        load_case(payload)
    assert "Implausible" in ancient.value.errors["patient.date_of_birth"][0]


def test_insured_patient_needs_a_payer() -> None:
    payload = load_sample()
    payload["coverage"]["payer"] = None
    with pytest.raises(ValidationProblem) as info:
        load_case(payload)
    assert "coverage.payer" in info.value.errors


def test_model_is_frozen() -> None:
    case = load_case(load_sample())
    with pytest.raises(AttributeError):
        case.patient.first_name = "Changed"  # type: ignore[misc]  # the point of the test


def test_non_object_payload() -> None:
    with pytest.raises(ValidationProblem):
        load_case(["not", "an", "object"])


def test_json_schema_files_match_the_marshmallow_schemas() -> None:
    for filename, text in render_all().items():
        on_disk = (REPO / "schemas" / filename).read_text()
        assert on_disk == text, f"schemas/{filename} is stale: run `formservice schemas write`"


def test_json_schema_accepts_samples_and_rejects_what_marshmallow_rejects() -> None:
    schema = json.loads((REPO / "schemas" / "case.schema.json").read_text())
    for path in sample_case_paths():
        jsonschema.validate(json.loads(path.read_text()), schema)
    bad: dict[str, Any] = copy.deepcopy(load_sample())
    bad["patient"]["nickname"] = "unknown key"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)
    bad = copy.deepcopy(load_sample())
    bad["facility"]["npi"] = "12345"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


@pytest.mark.parametrize("path", sample_case_paths(), ids=lambda p: p.stem)
def test_stored_payloads_load_fast_to_the_same_model(path: Path) -> None:
    from formservice.schemas.case import case_from_stored

    case = load_case(json.loads(path.read_text()))
    assert case_from_stored(dump_case(case)) == case
