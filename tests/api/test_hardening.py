"""Issue 15, "no 500s, least privilege": input hygiene, the API contract, existence, headers.

Each test is named after the issue's item it checks (item 2 in tests/test_accounts.py, item 3 in
tests/api/test_roles.py, the schemathesis run of item 10 in tests/api/test_schemathesis.py).
"""

from __future__ import annotations

import copy
import io
import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from marshmallow import ValidationError
from sqlalchemy import text
from werkzeug.http import parse_options_header

from formservice import create_app
from formservice.settings import Settings
from formservice.store.db import transaction
from formservice.store.models import DocumentRow
from formservice.usecases import Services, build_services
from formservice.usecases.accounts import create_user
from tests.conftest import load_sample, make_key

FACILITY_A = "1003000126"  # the samples' facility
FACILITY_B = "1234567893"
PASSWORD = "correct horse battery staple"  # noqa: S105  # a test account's password
DENIAL_PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"


def _bearer(services: Services, role: str, facility: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_key(services, role, facility)}"}


def _case_id(client: FlaskClient, auth: dict[str, str], payload: dict[str, Any]) -> str:
    response = client.post("/api/v1/cases", json=payload, headers=auth)
    assert response.status_code in (200, 201), response.json
    return str(response.json["id"])


def _filename(content_disposition: str) -> tuple[str, dict[str, str]]:
    kind, options = parse_options_header(content_disposition)
    return kind, options


# --- item 4: input hygiene -------------------------------------------------------------------


def test_item4_form_is_checked_for_the_kinds_that_use_it_and_refused_for_the_others(
    client: FlaskClient, auth: dict[str, str], case_payload: dict[str, Any]
) -> None:
    case_id = _case_id(client, auth, case_payload)
    url = f"/api/v1/cases/{case_id}/documents"
    for form in ('x"; filename="evil.exe', "formulaire-é", "f" * 61, "tx_nofr001"):
        response = client.post(url, json={"kind": "lmn", "form": form}, headers=auth)
        assert response.status_code == 422, (form, response.json)
        assert set(response.json["errors"]) == {"form"}
    for query in ("form=tx_nofr001", "form=a%22b"):
        response = client.post(f"/api/v1/render/lmn?{query}", json=case_payload, headers=auth)
        assert response.status_code == 422, (query, response.json)
        assert set(response.json["errors"]) == {"form"}
    assert client.post(url, json={"kind": "lmn"}, headers=auth).status_code == 201
    unknown = client.post(url, json={"kind": "pa_form", "form": "no_such_form"}, headers=auth)
    assert unknown.status_code == 404  # a well-formed id that names no form


def test_item4_download_names_are_built_by_werkzeug_in_the_api_and_the_pages(
    app: Flask, client: FlaskClient, auth: dict[str, str], services: Services
) -> None:
    case_id = _case_id(client, auth, load_sample())
    made = client.post(f"/api/v1/cases/{case_id}/documents", json={"kind": "lmn"}, headers=auth)
    # A row stored before the form check: a quote, a name beyond Latin-1, a second parameter.
    with transaction(services.sessions) as session:
        row = session.get(DocumentRow, made.json["id"])
        assert row is not None
        row.filename = 'A"; filename="evil.exe-Zoë-患者.docx'
    with transaction(services.sessions) as session:
        create_user(session, email="hub@hub.example", role="hub_staff", password=PASSWORD,
                    hash_method=services.settings.password_hash_method)  # fmt: skip
    browser = app.test_client()
    page = browser.get("/login").text
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    browser.post(
        "/login", data={"email": "hub@hub.example", "password": PASSWORD, "csrf_token": token}
    )
    for response in (
        client.get(made.json["content_url"], headers=auth),
        client.get(made.json["content_url"], headers=auth),  # again: no state was broken
        browser.get(f"/documents/{made.json['id']}/download"),
    ):
        assert response.status_code == 200
        header = response.headers["Content-Disposition"]
        header.encode("latin-1")  # a header werkzeug can send
        kind, options = _filename(header)
        assert kind == "attachment"
        # One filename parameter (the quote escaped inside it), and its UTF-8 form (RFC 6266).
        assert options == {"filename": 'A"; filename="evil.exe-Zoë-患者.docx'}
        assert "filename*=UTF-8''A%22%3B%20filename%3D%22evil.exe-Zo" in header
        assert response.headers["Cache-Control"] == "no-store"


BAD_STRINGS = {
    "NUL": "Ana\x00",
    "a control character": "Ana\x1b[2J",
    "a C1 control": "Ana\x85",
    "a lone surrogate": "Ana\ud800",
    "U+FFFF": "Ana\uffff",
}


@pytest.mark.parametrize("what", sorted(BAD_STRINGS))
def test_item4_control_characters_are_refused_naming_the_field(
    client: FlaskClient, auth: dict[str, str], case_payload: dict[str, Any], what: str
) -> None:
    bad = BAD_STRINGS[what]
    payload = copy.deepcopy(case_payload)
    payload["patient"]["first_name"] = bad
    payload["diagnoses"][0]["description"] = bad
    # Sent as raw JSON: "\ud800" is how a lone surrogate arrives.
    body = json.dumps(payload)
    response = client.post(
        "/api/v1/cases", data=body, content_type="application/json", headers=auth
    )
    assert response.status_code == 422, response.json
    assert set(response.json["errors"]) == {"patient.first_name", "diagnoses.0.description"}
    # Dict keys, query parameters and multipart fields too.
    case_id = _case_id(client, auth, case_payload)
    benefits = {"coverage_active": True, "call_date": "2026-01-05", "allowed_amounts": {bad: 1}}
    response = client.put(f"/api/v1/cases/{case_id}/benefits", json=benefits, headers=auth)
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"allowed_amounts"}
    if "\ud800" in bad:
        return  # a URL or a multipart field cannot carry a lone surrogate (it is not UTF-8)
    ops = _bearer(client.application.extensions["formservice"], "ops")
    response = client.get("/api/v1/audit", query_string={"actor": bad}, headers=ops)
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"actor"}
    response = client.post(
        "/api/v1/denials",
        data={"file": (io.BytesIO(DENIAL_PDF), "letter.pdf"), "case_id": bad},
        content_type="multipart/form-data",
        headers=auth,
    )
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"case_id"}


def test_item4_every_schema_a_request_is_loaded_with_refuses_bad_characters(app: Flask) -> None:
    """One check for every string of every input (keys too): no schema escapes it."""
    loose = []
    for endpoint, view in app.view_functions.items():
        view_class = getattr(view, "view_class", None)
        for method in getattr(view_class, "methods", None) or ():
            func = getattr(view_class, method.lower())
            apidoc = getattr(func, "_apidoc", {})
            for parameter in apidoc.get("arguments", {}).get("parameters", []):
                schema = parameter["schema"]
                schema_class = schema if isinstance(schema, type) else type(schema)
                try:
                    schema_class().load({"a\x00": "\x00"})
                    messages = ""
                except ValidationError as error:
                    messages = json.dumps(error.messages)
                if "control character" not in messages:
                    loose.append(f"{method} {endpoint}: {schema_class.__name__}")
    assert not loose, "make these CleanSchema (or StrictSchema)"


def test_item4_a_name_with_nul_is_never_stored(
    client: FlaskClient, auth: dict[str, str], case_payload: dict[str, Any], services: Services
) -> None:
    payload = copy.deepcopy(case_payload)
    payload["patient"]["last_name"] = "Sample\x00case"
    assert client.post("/api/v1/cases", json=payload, headers=auth).status_code == 422
    with services.sessions() as session:
        assert session.execute(text("SELECT count(*) FROM cases")).scalar() == 0


@pytest.mark.parametrize("depth", [17, 100, 100_000])
def test_item4_deeply_nested_json_is_400(
    client: FlaskClient, auth: dict[str, str], depth: int
) -> None:
    body = "[" * depth + "]" * depth
    for url in ("/api/v1/cases", "/api/v1/pap/eligibility", "/api/v1/render/lmn"):
        response = client.post(url, data=body, content_type="application/json", headers=auth)
        assert response.status_code == 400, (url, response.json)
        assert response.mimetype == "application/problem+json"
    nested: Any = {}
    for _ in range(depth if depth < 1000 else 20):
        nested = {"a": nested}
    response = client.put(
        f"/api/v1/cases/{uuid.uuid4().hex}/benefits", json={"notes": nested}, headers=auth
    )
    assert response.status_code == 400


@pytest.fixture
def storage_app(storage_settings: Settings) -> Iterator[tuple[Flask, Services]]:
    """The app on SQLite and on PostgreSQL."""
    services = build_services(storage_settings)
    try:
        yield create_app(storage_settings, services=services), services
    finally:
        services.close()


def test_item4_ids_filters_and_emails_never_reach_the_database_malformed(
    storage_app: tuple[Flask, Services],
) -> None:
    app, services = storage_app
    client = app.test_client()
    hub, ops = _bearer(services, "hub"), _bearer(services, "ops")
    case_id = _case_id(client, hub, load_sample())
    for path in (
        "/api/v1/cases/%00",
        "/api/v1/cases/" + "0" * 31 + "%00",
        "/api/v1/cases/" + case_id.upper(),
        "/api/v1/cases/" + case_id + "0",
        "/api/v1/denials/%00",
        "/api/v1/documents/%00/content",
        "/api/v1/regenerations/%00",
        "/api/v1/forms/%00",
    ):
        response = client.get(path, headers=ops if "regenerations" in path else hub)
        assert response.status_code == 404, path
    for body in ({"kind": "appeal", "denial_id": "\x00"}, {"kind": "appeal", "denial_id": "1"}):
        response = client.post(f"/api/v1/cases/{case_id}/documents", json=body, headers=hub)
        assert response.status_code == 422, body
        assert set(response.json["errors"]) == {"denial_id"}
    attach = client.post(f"/api/v1/cases/{case_id}/denials", json={"denial_id": "%00"}, headers=hub)
    assert attach.status_code == 422
    for query in ({"case_id": "\x00"}, {"case_id": "nope"}, {"action": "view\x00"}):
        response = client.get("/api/v1/audit", query_string=query, headers=ops)
        assert response.status_code == 422, query
        assert set(response.json["errors"]) == set(query)
    # The staff pages: the login form and the audit filters.
    with transaction(services.sessions) as session:
        create_user(session, email="hub.admin@hub.example", role="hub_admin", password=PASSWORD,
                    hash_method=services.settings.password_hash_method)  # fmt: skip
    page = client.get("/login").text
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    for email in ("hub.admin@hub.example\x00", "\x00", "hub\x1b@hub.example"):
        response = client.post(
            "/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 401, email
    response = client.post(
        "/login",
        data={"email": "hub.admin@hub.example", "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 303
    for query in ({"case_id": "\x00"}, {"actor": "key:\x00"}, {"case_id": "x"}):
        response = client.get("/audit", query_string=query)
        assert response.status_code == 422, query
    assert client.get("/cases/%00").status_code == 404
    assert client.get("/documents/%00/download").status_code == 404


def test_item4_sql_parameters_never_reach_the_logs(
    app: Flask,
    client: FlaskClient,
    auth: dict[str, str],
    services: Services,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert services.engine.hide_parameters
    name = "Zelda Secretpatient"

    def broken_read(*_: Any, **__: Any) -> Any:
        with services.sessions() as session:
            session.execute(text("SELECT * FROM no_such_table WHERE name = :name"), {"name": name})

    monkeypatch.setattr("formservice.api.cases.read_case", broken_read)
    caplog.set_level(logging.DEBUG)
    response = client.get(f"/api/v1/cases/{uuid.uuid4().hex}", headers=auth)
    assert response.status_code == 500
    assert name not in response.text
    logged = caplog.text + "\n".join(str(r.args) for r in caplog.records)
    assert "OperationalError" in logged  # the type and where, for whoever reads the log
    assert name not in logged
    assert "no_such_table" not in logged  # not the statement nor the message either


# --- item 10: the API contract ---------------------------------------------------------------


def test_item10_denial_upload_is_documented_as_multipart(client: FlaskClient) -> None:
    operation = client.get("/openapi.json").json["paths"]["/api/v1/denials"]["post"]
    content = operation["requestBody"]["content"]
    assert list(content) == ["multipart/form-data"]
    ref = content["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[-1]
    schema = client.get("/openapi.json").json["components"]["schemas"][ref]
    assert schema["properties"]["file"] == {
        "type": "string",
        "format": "binary",
        "description": "the letter (PDF)",
    }
    assert "case_id" in schema["properties"]
    assert schema["required"] == ["file"]
    assert "parameters" not in operation  # no stray "formData" parameter


def test_multipart_upload_takes_the_case_id_from_the_same_body(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    response = client.post(
        "/api/v1/denials",
        data={"file": (io.BytesIO(DENIAL_PDF), "letter.pdf"), "case_id": uuid.uuid4().hex},
        content_type="multipart/form-data",
        headers=auth,
    )
    assert response.status_code == 404  # the case, looked up before the letter is read
    missing = client.post(
        "/api/v1/denials", data={"x": "1"}, content_type="multipart/form-data", headers=auth
    )
    assert missing.status_code == 422
    assert "file" in missing.json["errors"]


def test_item10_405_answers_carry_allow(client: FlaskClient, auth: dict[str, str]) -> None:
    response = client.delete("/api/v1/cases", headers=auth)
    assert response.status_code == 405
    assert response.mimetype == "application/problem+json"
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}
    response = client.put(f"/api/v1/denials/{uuid.uuid4().hex}", headers=auth)
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "PATCH"}
    page = client.get("/logout")
    assert page.status_code == 405
    assert "POST" in page.headers["Allow"]


def test_item10_authentication_comes_before_body_checks(settings: Settings) -> None:
    small = settings.with_overrides(max_body_bytes=10_000, max_upload_bytes=100_000)
    client = create_app(small).test_client()
    big = b"{" + b" " * 20_000 + b"}"
    for headers in ({}, {"Authorization": "Bearer fs_nope_nope"}):
        for body, content_type in (
            (b"name=x", "text/plain"),
            (big, "application/json"),
            (b"[" * 5_000, "application/json"),
            (b"not json", "application/json"),
        ):
            response = client.post(
                "/api/v1/cases", data=body, content_type=content_type, headers=headers
            )
            assert response.status_code == 401, (content_type, len(body), response.json)
        upload = client.post(
            "/api/v1/denials",
            data={"file": (io.BytesIO(b"x" * 200_000), "big.pdf")},
            content_type="multipart/form-data",
            headers=headers,
        )
        assert upload.status_code == 401
    # With a key, the same bodies get their own answers.
    services = client.application.extensions["formservice"]
    auth = _bearer(services, "hub")
    assert client.post("/api/v1/cases", data=big, content_type="application/json",
                       headers=auth).status_code == 413  # fmt: skip
    assert client.post("/api/v1/cases", data=b"x", content_type="text/plain",
                       headers=auth).status_code == 415  # fmt: skip
    upload = client.post(
        "/api/v1/denials",
        data={"file": (io.BytesIO(b"x" * 200_000), "big.pdf")},
        content_type="multipart/form-data",
        headers=auth,
    )
    assert upload.status_code == 413
    services.close()


def test_item10_a_refused_role_gets_403_before_its_body_is_read(
    client: FlaskClient, services: Services
) -> None:
    ops = _bearer(services, "ops")
    response = client.post("/api/v1/cases", data="x", content_type="text/plain", headers=ops)
    assert response.status_code == 403


def test_item10_patterns_openapi_can_express_are_in_the_schema(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").json
    schemas = spec["components"]["schemas"]
    assert schemas["Facility"]["properties"]["npi"]["pattern"] == "^[0-9]{10}$"
    assert schemas["Prescriber"]["properties"]["npi"]["pattern"] == "^[0-9]{10}$"
    assert schemas["Diagnosis"]["properties"]["code"]["pattern"].startswith("^[A-TV-Z]")
    assert "pattern" in schemas["Treatment"]["properties"]["chemo_administration_code"]
    assert schemas["Patient"]["properties"]["date_of_birth"]["format"] == "date"
    assert schemas["PaUpdate"]["properties"]["on"]["format"] == "date"
    id_pattern = "^[0-9a-f]{32}$"
    assert schemas["DocumentRequest"]["properties"]["denial_id"]["pattern"] == id_pattern
    assert schemas["AttachDenial"]["properties"]["denial_id"]["pattern"] == id_pattern
    assert "pattern" in schemas["DocumentRequest"]["properties"]["form"]
    unpatterned = []
    for path, item in spec["paths"].items():
        for parameter in item.get("parameters", []):  # path parameters, shared by its methods
            if parameter["in"] != "path" or parameter["schema"].get("type") == "integer":
                continue
            if "pattern" not in parameter["schema"]:
                unpatterned.append(f"{path} {parameter['name']}")
            elif parameter["name"] != "form_id" and parameter["name"].endswith("_id"):
                assert parameter["schema"]["pattern"] == id_pattern, path
    assert not unpatterned


# --- item 11: no existence oracle ------------------------------------------------------------


def test_item11_another_facilitys_external_id_is_no_oracle(
    client: FlaskClient, services: Services
) -> None:
    hub = _bearer(services, "hub")
    clinic_a = _bearer(services, "clinic", FACILITY_A)
    theirs = copy.deepcopy(load_sample())
    theirs["facility"]["npi"] = FACILITY_B
    theirs["external_id"] = "SHARED-0001"
    assert client.post("/api/v1/cases", json=theirs, headers=hub).status_code == 201
    ours = copy.deepcopy(load_sample())
    ours["external_id"] = "SHARED-0001"
    fresh = copy.deepcopy(load_sample())
    fresh["external_id"] = "FRESH-0001"
    taken = client.post("/api/v1/cases", json=ours, headers=clinic_a)
    new = client.post("/api/v1/cases", json=fresh, headers=clinic_a)
    assert (taken.status_code, new.status_code) == (201, 201)
    assert taken.json["id"] != client.post("/api/v1/cases", json=theirs, headers=hub).json["id"]
    # Within a facility the id is still the idempotency key.
    assert client.post("/api/v1/cases", json=ours, headers=clinic_a).status_code == 200
    ours["clinical_notes"] = "changed"
    assert client.post("/api/v1/cases", json=ours, headers=clinic_a).status_code == 409


# --- item 12: headers ------------------------------------------------------------------------


def test_item12_no_store_on_patient_data_and_downloads(
    client: FlaskClient, auth: dict[str, str], case_payload: dict[str, Any]
) -> None:
    case_id = _case_id(client, auth, case_payload)
    made = client.post(f"/api/v1/cases/{case_id}/documents", json={"kind": "lmn"}, headers=auth)
    for response in (
        client.get("/api/v1/cases", headers=auth),
        client.get(f"/api/v1/cases/{case_id}", headers=auth),
        made,
        client.get(made.json["content_url"], headers=auth),
        client.post("/api/v1/render/lmn", json=case_payload, headers=auth),
        client.post("/api/v1/pap/eligibility", json=case_payload, headers=auth),
        client.get(f"/api/v1/cases/{uuid.uuid4().hex}", headers=auth),
        client.get("/api/v1/cases"),
    ):
        assert response.headers["Cache-Control"] == "no-store", response.request.path


def test_item12_hsts_when_served_over_https_and_set(settings: Settings) -> None:
    default = create_app(settings)
    assert (
        "Strict-Transport-Security"
        not in default.test_client().get("/healthz", base_url="https://localhost").headers
    )
    app = create_app(settings.with_overrides(hsts_seconds=31_536_000))
    client = app.test_client()
    secure = client.get("/healthz", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert client.get("/login", base_url="https://localhost").headers[
        "Strict-Transport-Security"
    ] == ("max-age=31536000")
    assert "Strict-Transport-Security" not in client.get("/healthz").headers  # plain HTTP
