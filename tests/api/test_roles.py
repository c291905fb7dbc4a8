"""Issue 15 item 3, least privilege: who may call every route, checked against the URL map.

The tables below are the policy, written out independently of `formservice.api.roles`: every
route of the app must be in them (a new route fails `test_item3_every_route_is_in_the_matrix`
until someone decides who may call it), and every role is tried on every route.
"""

from __future__ import annotations

import io
import uuid
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfWriter

from formservice.store.db import transaction
from formservice.store.models import DenialRow
from formservice.usecases.accounts import create_user
from formservice.usecases.services import Services
from tests.conftest import load_sample, make_key
from tests.web.conftest import PASSWORD, USERS, StaffBrowser

FACILITY_A = "1003000126"
KEY_ROLES = ("hub", "clinic", "ops")
USER_ROLES = {"admin": "hub_admin", "staff": "hub_staff", "clinic_a": "clinic_staff"}
PUBLIC = frozenset({"anyone"})

# The API (keys only). Patient data is for the portal (hub) and the clinics; ops keys run
# templates, regenerations and read the audit trail, and see no patient data.
PATIENT = frozenset({"hub", "clinic"})
API: dict[tuple[str, str], frozenset[str]] = {
    ("/api/v1/cases", "GET"): PATIENT,
    ("/api/v1/cases", "POST"): PATIENT,
    ("/api/v1/cases/<id:case_id>", "GET"): PATIENT,
    ("/api/v1/cases/<id:case_id>/documents", "POST"): PATIENT,
    ("/api/v1/cases/<id:case_id>/plan", "GET"): PATIENT,
    ("/api/v1/cases/<id:case_id>/benefits", "GET"): PATIENT,
    ("/api/v1/cases/<id:case_id>/benefits", "PUT"): PATIENT,
    ("/api/v1/cases/<id:case_id>/prior-authorization", "GET"): PATIENT,
    ("/api/v1/cases/<id:case_id>/prior-authorization", "POST"): PATIENT,
    ("/api/v1/cases/<id:case_id>/denials", "POST"): PATIENT,
    ("/api/v1/documents/<id:document_id>/content", "GET"): PATIENT,
    ("/api/v1/render/<slug:kind>", "POST"): PATIENT,
    ("/api/v1/pap/eligibility", "POST"): PATIENT,
    ("/api/v1/denials", "POST"): PATIENT,
    ("/api/v1/denials/<id:denial_id>", "GET"): PATIENT,
    ("/api/v1/denials/<id:denial_id>", "PATCH"): PATIENT,
    ("/api/v1/remittances", "POST"): PATIENT,
    ("/api/v1/cases/<id:case_id>/claims/837p", "GET"): PATIENT,
    ("/api/v1/forms", "GET"): frozenset(KEY_ROLES),
    ("/api/v1/forms/<slug:form_id>", "GET"): frozenset(KEY_ROLES),
    ("/api/v1/templates", "GET"): frozenset({"hub", "ops"}),
    ("/api/v1/templates/<slug:name>/versions", "POST"): frozenset({"ops"}),
    ("/api/v1/templates/<slug:name>/versions/<int:version>/activate", "POST"): frozenset({"ops"}),
    ("/api/v1/templates/<slug:name>/versions/<int:version>/preview", "GET"): frozenset(
        {"hub", "ops"}
    ),
    ("/api/v1/regenerations", "POST"): frozenset({"ops"}),
    ("/api/v1/regenerations/<id:run_id>", "GET"): frozenset({"hub", "ops"}),
    ("/api/v1/audit", "GET"): frozenset({"ops"}),
    ("/api/v1/audit/verify", "GET"): frozenset({"ops"}),
}
# The staff pages (logged-in people). Every staff role works cases (clinic staff at their own
# facility, which `store.access` enforces); the audit trail is for hub administrators.
STAFF = frozenset(USER_ROLES.values())
WEB: dict[tuple[str, str], frozenset[str]] = {
    ("/", "GET"): STAFF,
    ("/login", "GET"): PUBLIC,
    ("/login", "POST"): PUBLIC,
    ("/logout", "POST"): STAFF,
    ("/cases", "GET"): STAFF,
    ("/cases/<id:case_id>", "GET"): STAFF,
    ("/documents/<id:document_id>", "GET"): STAFF,
    ("/documents/<id:document_id>/download", "GET"): STAFF,
    ("/denials/new", "GET"): STAFF,
    ("/denials/new", "POST"): STAFF,
    ("/denials/<id:denial_id>", "GET"): STAFF,
    ("/denials/<id:denial_id>", "POST"): STAFF,
    ("/denials/<id:denial_id>/pages/<int:page>.png", "GET"): STAFF,
    ("/denials/<id:denial_id>/attach", "POST"): STAFF,
    ("/denials/<id:denial_id>/packet", "POST"): STAFF,
    ("/remittances/new", "GET"): STAFF,
    ("/remittances/new", "POST"): STAFF,
    ("/remittances/<remittance_id>", "GET"): STAFF,
    ("/cases/<id:case_id>/claim.837", "GET"): STAFF,
    ("/audit", "GET"): frozenset({"hub_admin"}),
}
# Neither: no login, no key, no patient data.
OTHER: dict[tuple[str, str], frozenset[str]] = {
    ("/healthz", "GET"): PUBLIC,
    ("/readyz", "GET"): PUBLIC,
    ("/openapi.json", "GET"): PUBLIC,
    ("/docs", "GET"): PUBLIC,
    ("/docs/init.js", "GET"): PUBLIC,
    ("/docs/swagger-ui/<path:name>", "GET"): PUBLIC,
    ("/static/<path:filename>", "GET"): PUBLIC,
    ("/static/web/<path:filename>", "GET"): PUBLIC,
}


def _routes(app: Flask) -> set[tuple[str, str]]:
    return {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }


def test_item3_every_route_is_in_the_matrix(app: Flask) -> None:
    expected = set(API) | set(WEB) | set(OTHER)
    routes = _routes(app)
    assert not routes - expected, "decide who may call these and add them to the tables"
    assert not expected - routes, "these routes are gone: take them out of the tables"


@pytest.fixture
def ids(client: FlaskClient, services: Services) -> dict[str, str]:
    """A case of facility A with a document and a denial letter, and the other path values."""
    hub = {"Authorization": f"Bearer {make_key(services, 'hub')}"}
    case = client.post("/api/v1/cases", json=load_sample(), headers=hub)
    assert case.status_code == 201, case.json
    document = client.post(
        f"/api/v1/cases/{case.json['id']}/documents", json={"kind": "lmn"}, headers=hub
    )
    assert document.status_code == 201, document.json
    pdf = io.BytesIO()
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.write(pdf)
    digest, _ = services.blobs.put(pdf.getvalue())
    with transaction(services.sessions) as session:
        denial = DenialRow(
            facility_npi=FACILITY_A, status="processing", source_sha256=digest, filename="x.pdf"
        )
        session.add(denial)
        session.flush()
        denial_id = denial.id
    return {
        "case_id": case.json["id"],
        "document_id": document.json["id"],
        "denial_id": denial_id,
        "remittance_id": digest,  # a remittance's id is its file's SHA-256
        "run_id": uuid.uuid4().hex,
        "kind": "lmn",
        "form_id": "tx_nofr001",
        "name": "letter_of_medical_necessity",
        "version": "1",
        "page": "1",
        "filename": "app.css",
    }


def _url(app: Flask, rule: str, ids: dict[str, str]) -> str:
    (found,) = [r for r in app.url_map.iter_rules() if r.rule == rule]
    with app.test_request_context():
        adapter = app.url_map.bind("localhost")
        return adapter.build(found.endpoint, {a: ids[a] for a in found.arguments})


def _call(client: FlaskClient, method: str, url: str, **kwargs: Any) -> Any:
    if method in {"POST", "PUT", "PATCH"}:
        kwargs.setdefault("json", {})
    return client.open(url, method=method, **kwargs)


def test_item3_every_key_role_on_every_api_route(
    app: Flask, client: FlaskClient, services: Services, ids: dict[str, str]
) -> None:
    keys = {"hub": make_key(services, "hub"), "ops": make_key(services, "ops")}
    keys["clinic"] = make_key(services, "clinic", FACILITY_A)
    spec = client.get("/openapi.json").json
    wrong = []
    for (rule, method), allowed in sorted(API.items()):
        url = _url(app, rule, ids)
        anonymous = _call(client, method, url)
        if anonymous.status_code != 401:
            wrong.append(f"{method} {url} without a key: {anonymous.status_code}, not 401")
        for role, key in keys.items():
            got = _call(client, method, url, headers={"Authorization": f"Bearer {key}"})
            refused = got.status_code == 403
            if role in allowed and (refused or got.status_code == 401 or got.status_code >= 500):
                wrong.append(f"{method} {url} as {role}: {got.status_code}, should be allowed")
            if role not in allowed and not refused:
                wrong.append(f"{method} {url} as {role}: {got.status_code}, not 403")
        path = rule.replace("<id:", "{").replace("<slug:", "{").replace("<int:", "{")
        operation = spec["paths"][path.replace(">", "}")][method.lower()]
        if allowed != set(KEY_ROLES) and "403" not in operation["responses"]:
            wrong.append(f"{method} {rule}: 403 is not documented")
    assert not wrong, "\n".join(wrong)


def test_item3_ops_keys_see_no_patient_data(
    client: FlaskClient, services: Services, ids: dict[str, str]
) -> None:
    ops = {"Authorization": f"Bearer {make_key(services, 'ops')}"}
    for url in (
        "/api/v1/cases",
        f"/api/v1/cases/{ids['case_id']}",
        f"/api/v1/documents/{ids['document_id']}/content",
        f"/api/v1/denials/{ids['denial_id']}",
        f"/api/v1/cases/{ids['case_id']}/benefits",
        f"/api/v1/cases/{ids['case_id']}/prior-authorization",
    ):
        response = client.get(url, headers=ops)
        assert response.status_code == 403, url
        assert response.mimetype == "application/problem+json"
        assert ids["case_id"] not in response.text
    rendered = client.post("/api/v1/render/lmn", json=load_sample(), headers=ops)
    assert rendered.status_code == 403
    # What ops keys are for still works.
    assert client.get("/api/v1/audit", headers=ops).status_code == 200
    assert client.get("/api/v1/templates", headers=ops).status_code == 200
    assert client.get("/api/v1/forms", headers=ops).status_code == 200


def _is_login_redirect(response: Any) -> bool:
    return response.status_code == 303 and response.headers["Location"].startswith("/login")


def test_item3_every_user_role_on_every_page(
    app: Flask, services: Services, ids: dict[str, str]
) -> None:
    with transaction(services.sessions) as session:
        for who in USER_ROLES:
            email, role, facility = USERS[who]
            create_user(session, email=email, role=role, password=PASSWORD,
                        facility_npi=facility,
                        hash_method=services.settings.password_hash_method)  # fmt: skip
    # Logging out ends the session: it goes last.
    routes = sorted(WEB.items(), key=lambda item: item[0] == ("/logout", "POST"))
    wrong = []
    anonymous = app.test_client()
    for (rule, method), allowed in routes:
        if allowed == PUBLIC:
            continue
        url = _url(app, rule, ids)
        got = anonymous.open(url, method=method)
        if not _is_login_redirect(got):
            wrong.append(f"{method} {url} logged out: {got.status_code}, not to the login")
    for who, role in USER_ROLES.items():
        browser = StaffBrowser(app.test_client())
        assert browser.login(who).status_code == 303, USERS[who]
        for (rule, method), allowed in routes:
            if allowed == PUBLIC:
                continue
            url = _url(app, rule, ids)
            if method == "POST":
                got = browser.post(url)
            else:
                got = browser.get(url)
            if rule == "/logout":
                ok = got.status_code == 303  # to the login page, by design
            else:
                ok = got.status_code not in (403, 404) and not _is_login_redirect(got)
            ok = ok and got.status_code < 500
            if role in allowed and not ok:
                wrong.append(f"{method} {url} as {role}: {got.status_code}, should be allowed")
            if role not in allowed and got.status_code != 404:  # the pages hide what they refuse
                wrong.append(f"{method} {url} as {role}: {got.status_code}, not 404")
    assert not wrong, "\n".join(wrong)
