"""Bad input gets a clear problem+json naming the field (CONTRACT.md §2)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from flask.testing import FlaskClient


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.data[:500]
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.json
    assert body["status"] == status
    assert body["type"].startswith("https://")
    assert body["title"]
    return body


def test_malformed_json_is_400(client: FlaskClient, auth: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/cases", data='{"external_id": "x",', content_type="application/json", headers=auth
    )
    _problem(response, 400)


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda p: p["prescriber"].update(npi="1234567890"), "prescriber.npi"),
        (lambda p: p["facility"].update(npi="12345"), "facility.npi"),
        (lambda p: p["diagnoses"][0].update(code="50.911"), "diagnoses.0.code"),
        (lambda p: p["patient"].update(date_of_birth="2999-01-01"), "patient.date_of_birth"),
        (lambda p: p["patient"].update(date_of_birth="1850-01-01"), "patient.date_of_birth"),
        (lambda p: p["patient"].update(date_of_birth="04/09/1971"), "patient.date_of_birth"),
        (lambda p: p["patient"].update(shoe_size=9), "patient.shoe_size"),
        (lambda p: p.update(extra=True), "extra"),
        (lambda p: p["treatment"].update(sessions="six"), "treatment.sessions"),
        (lambda p: p["treatment"].update(site_of_care="home"), "treatment.site_of_care"),
        (lambda p: p["patient"]["address"].update(state="XX"), "patient.address.state"),
        (lambda p: p["patient"]["address"].update(zip="7870"), "patient.address.zip"),
        (lambda p: p["coverage"]["payer"].update(plan_type="platinum"), "coverage.payer.plan_type"),
        (lambda p: p.pop("patient"), "patient"),
        (lambda p: p.update(diagnoses=[]), "diagnoses"),
    ],
)
def test_invalid_field_is_422_naming_it(
    client: FlaskClient,
    auth: dict[str, str],
    case_payload: dict[str, Any],
    mutate: Any,
    path: str,
) -> None:
    payload = copy.deepcopy(case_payload)
    mutate(payload)
    body = _problem(client.post("/api/v1/cases", json=payload, headers=auth), 422)
    assert path in body["errors"], body["errors"]


def test_every_error_is_reported_at_once(
    client: FlaskClient, auth: dict[str, str], case_payload: dict[str, Any]
) -> None:
    payload = copy.deepcopy(case_payload)
    payload["prescriber"]["npi"] = "1234567890"
    payload["diagnoses"][0]["code"] = "XYZ"
    payload["patient"]["date_of_birth"] = "2999-01-01"
    payload["unknown"] = 1
    body = _problem(client.post("/api/v1/cases", json=payload, headers=auth), 422)
    assert {"prescriber.npi", "diagnoses.0.code", "patient.date_of_birth", "unknown"} <= set(
        body["errors"]
    )


def test_twenty_megabyte_body_is_413(client: FlaskClient, auth: dict[str, str]) -> None:
    body = b'{"external_id": "' + b"x" * (20 * 1024 * 1024) + b'"}'
    response = client.post(
        "/api/v1/cases", data=body, content_type="application/json", headers=auth
    )
    _problem(response, 413)


def test_non_json_body_is_415(client: FlaskClient, auth: dict[str, str]) -> None:
    response = client.post("/api/v1/cases", data="a=b", content_type="text/plain", headers=auth)
    _problem(response, 415)


@pytest.mark.parametrize(
    "header", [None, "Bearer nope", "Bearer fs_00000000_" + "x" * 43, "Basic dXNlcjpwYXNz"]
)
def test_missing_or_wrong_key_is_401(
    client: FlaskClient, case_payload: dict[str, Any], header: str | None
) -> None:
    headers = {"Authorization": header} if header else {}
    _problem(client.post("/api/v1/cases", json=case_payload, headers=headers), 401)
    _problem(client.get("/api/v1/cases/abc", headers=headers), 401)


def test_unknown_route_is_a_problem(client: FlaskClient, auth: dict[str, str]) -> None:
    _problem(client.get("/api/v1/nowhere", headers=auth), 404)


def test_healthz_needs_no_key(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}
