"""PUT/GET /api/v1/cases/{id}/benefits: the benefits investigation, validated and stored."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient

from formservice.errors import ValidationProblem
from formservice.schemas.benefits import load_benefits
from formservice.usecases.services import Services
from tests.conftest import SAMPLES, load_sample, make_key


def _bi(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (SAMPLES / "benefits" / "01_northwind_in_network.json").read_text()
    )
    return {**data, **changes}


def _case(
    client: FlaskClient, auth: dict[str, str], sample: str = "01_breast_commercial_office"
) -> str:
    response = client.post("/api/v1/cases", json=load_sample(sample), headers=auth)
    assert response.status_code == 201, response.json
    return str(response.json["id"])


def test_put_then_get_round_trips_with_estimate(client: FlaskClient, auth: dict[str, str]) -> None:
    case_id = _case(client, auth)
    url = f"/api/v1/cases/{case_id}/benefits"
    assert client.get(url, headers=auth).status_code == 404
    put = client.put(url, json=_bi(), headers=auth)
    assert put.status_code == 200, put.json
    got = client.get(url, headers=auth)
    assert got.status_code == 200
    assert got.json == put.json
    body = got.json
    assert body["benefits"]["call_date"] == "2026-01-22"
    assert body["benefits"]["reference_number"] == "NWH-BI-SAMPLE-0001"
    # $1,750.50 + 6 x $150 = $2,650.50; $1,000 deductible left, 20% of $1,650.50 = $330.10
    assert body["estimate"]["total_allowed"] == 2650.5
    assert body["estimate"]["patient_cost"] == 1330.1
    assert body["payer"]["turnaround_days"] == 15
    case_view = client.get(f"/api/v1/cases/{case_id}", headers=auth).json
    assert case_view["benefits"]["deductible"] == 1500.0


def test_put_replaces(client: FlaskClient, auth: dict[str, str]) -> None:
    url = f"/api/v1/cases/{_case(client, auth)}/benefits"
    client.put(url, json=_bi(), headers=auth)
    second = client.put(url, json=_bi(deductible=0, deductible_met=0), headers=auth)
    assert second.json["benefits"]["deductible"] == 0
    assert client.get(url, headers=auth).json["estimate"]["patient_cost"] == 530.1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"deductible": -1}, "deductible"),
        ({"oop_met": -0.5}, "oop_met"),
        ({"deductible_met": 1500.01}, "deductible_met"),
        ({"oop_met": 5001}, "oop_met"),
        ({"coinsurance_percent": 100.5}, "coinsurance_percent"),
        ({"copay": 30}, "copay"),  # with coinsurance already given
        ({"network_status": "maybe"}, "network_status"),
        ({"plan_type": "gold"}, "plan_type"),
        ({"turnaround_days": -1}, "turnaround_days"),
        ({"turnaround_days": 366}, "turnaround_days"),
        ({"call_date": "2999-01-01"}, "call_date"),
        ({"call_date": None}, "call_date"),
        ({"allowed_amounts": {"cap": 10}}, "allowed_amounts"),
        ({"allowed_amounts": {"0662T": -10}}, "allowed_amounts"),
        ({"submission": {"channel": "pigeon"}}, "submission.channel"),
        ({"submission": {"portal_url": "http://insecure.example"}}, "submission.portal_url"),
        ({"submission": {"fax": "not a fax"}}, "submission.fax"),
        ({"mystery": 1}, "mystery"),
    ],
)
def test_invalid_bi_is_422_naming_the_field(
    client: FlaskClient, auth: dict[str, str], changes: dict[str, Any], field: str
) -> None:
    url = f"/api/v1/cases/{_case(client, auth)}/benefits"
    response = client.put(url, json=_bi(**changes), headers=auth)
    assert response.status_code == 422
    assert any(k.startswith(field) for k in response.json["errors"]), response.json
    assert client.get(url, headers=auth).status_code == 404  # nothing stored


def test_coverage_active_is_required() -> None:
    payload = _bi()
    del payload["coverage_active"]
    with pytest.raises(ValidationProblem) as raised:
        load_benefits(payload)
    assert "coverage_active" in raised.value.errors


def test_met_equal_to_limit_is_fine() -> None:
    stored = load_benefits(_bi(deductible_met=1500, oop_met=5000))
    assert (stored["deductible_met"], stored["oop_met"]) == (1500, 5000)


def test_other_facility_cannot_see_or_write(
    client: FlaskClient, auth: dict[str, str], services: Services
) -> None:
    case_id = _case(client, auth)
    other = {"Authorization": f"Bearer {make_key(services, 'clinic', '1234567893')}"}
    url = f"/api/v1/cases/{case_id}/benefits"
    assert client.put(url, json=_bi(), headers=other).status_code == 404
    client.put(url, json=_bi(), headers=auth)
    assert client.get(url, headers=other).status_code == 404
    own = {"Authorization": f"Bearer {make_key(services, 'clinic', '1003000126')}"}
    assert client.get(url, headers=own).status_code == 200


def test_unknown_case_is_404(client: FlaskClient, auth: dict[str, str]) -> None:
    url = "/api/v1/cases/0123456789abcdef0123456789abcdef/benefits"
    assert client.put(url, json=_bi(), headers=auth).status_code == 404
