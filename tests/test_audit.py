"""The audit trail: what the API and pages record, the read API, append-only rows, clean logs."""

from __future__ import annotations

import copy
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy import select

from formservice.audit import ACTIONS
from formservice.store.db import transaction
from formservice.store.models import AuditEvent
from formservice.usecases.accounts import create_user
from formservice.usecases.services import Services
from tests.conftest import SAMPLES, denial_case, load_sample, make_key, sample_case_paths
from tests.web.conftest import PASSWORD, csrf_of

FACILITY = "1003000126"


def _events(services: Services) -> list[AuditEvent]:
    with services.sessions() as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def _bearer(services: Services, role: str, facility: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_key(services, role, facility)}"}


def test_api_reads_and_writes_are_recorded_with_ids_actor_and_address(
    client: FlaskClient, auth: dict[str, str], services: Services
) -> None:
    created = client.post("/api/v1/cases", json=load_sample(), headers=auth)
    case_id = created.json["id"]
    client.get(f"/api/v1/cases/{case_id}", headers=auth)
    doc = client.post(f"/api/v1/cases/{case_id}/documents", json={"kind": "lmn"}, headers=auth)
    assert client.get(doc.json["content_url"], headers=auth).data  # recorded once sent whole
    client.get("/healthz")  # not patient data: not recorded
    client.get("/api/v1/cases", headers={"Authorization": "Bearer nope"})  # no one: not recorded
    got = [(e.action, e.status, e.case_id, e.document_id) for e in _events(services)]
    assert got == [
        ("create_case", 201, case_id, None),
        ("view_case", 200, case_id, None),
        ("generate_document", 201, case_id, doc.json["id"]),
        ("download_document", 200, case_id, doc.json["id"]),
    ]
    first = _events(services)[0]
    assert first.actor == "key:test-hub"
    assert first.role == "hub"
    assert first.remote_addr == "127.0.0.1"
    assert first.path == "/api/v1/cases"
    assert first.at is not None


def test_a_clinic_key_on_another_facilitys_case_is_404_and_the_attempt_is_recorded(
    client: FlaskClient, auth: dict[str, str], services: Services
) -> None:
    payload = copy.deepcopy(load_sample())
    payload["facility"]["npi"] = "1234567893"
    case_id = client.post("/api/v1/cases", json=payload, headers=auth).json["id"]
    clinic = _bearer(services, "clinic", FACILITY)
    response = client.get(f"/api/v1/cases/{case_id}", headers=clinic)
    assert response.status_code == 404
    assert response.json["detail"] == f"no case {case_id}"  # the same words as an unknown id
    last = _events(services)[-1]
    assert (last.actor, last.action, last.status, last.case_id) == (
        "key:test-clinic",
        "view_case",
        404,
        case_id,
    )


def test_every_mapped_api_endpoint_exists(client: FlaskClient) -> None:
    endpoints = {rule.endpoint for rule in client.application.url_map.iter_rules()}
    missing = {endpoint for endpoint, _ in ACTIONS if endpoint not in endpoints}
    assert not missing


def test_audit_api_filters_by_actor_action_case_and_time(
    client: FlaskClient, auth: dict[str, str], services: Services
) -> None:
    case_id = client.post("/api/v1/cases", json=load_sample(), headers=auth).json["id"]
    client.get(f"/api/v1/cases/{case_id}", headers=auth)
    client.get("/api/v1/cases", headers=auth)
    ops = _bearer(services, "ops")

    def query(**params: Any) -> list[dict[str, Any]]:
        response = client.get("/api/v1/audit", query_string=params, headers=ops)
        assert response.status_code == 200, response.json
        rows: list[dict[str, Any]] = response.json
        return rows

    assert [e["action"] for e in query(actor="key:test-hub")] == [
        "list_cases",
        "view_case",
        "create_case",
    ]
    assert [e["action"] for e in query(case_id=case_id)] == ["view_case", "create_case"]
    assert [e["case_id"] for e in query(action="create_case")] == [case_id]
    soon = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    assert query(since=soon) == []
    assert len(query(until=soon, actor="key:test-hub")) == 3
    one = query(limit=1)
    assert len(one) == 1
    assert one[0]["at"].endswith("+00:00")
    assert one[0]["remote_addr"] == "127.0.0.1"


def test_audit_api_is_for_operations_keys_only(client: FlaskClient, services: Services) -> None:
    assert client.get("/api/v1/audit").status_code == 401
    for role, facility in (("hub", None), ("clinic", FACILITY)):
        response = client.get("/api/v1/audit", headers=_bearer(services, role, facility))
        assert response.status_code == 403
        assert response.mimetype == "application/problem+json"
    bad = client.get("/api/v1/audit?since=yesterday", headers=_bearer(services, "ops"))
    assert bad.status_code == 422
    assert "since" in bad.json["errors"]


def test_audit_rows_cannot_be_changed_or_deleted(
    client: FlaskClient, auth: dict[str, str], services: Services
) -> None:
    client.post("/api/v1/cases", json=load_sample(), headers=auth)
    for statement in (
        "UPDATE audit_events SET actor = 'someone else'",
        "DELETE FROM audit_events",
    ):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            with services.engine.begin() as conn:
                conn.execute(sa.text(statement))
    assert [e.actor for e in _events(services)] == ["key:test-hub"]


def test_login_and_logout_are_recorded(client: FlaskClient, services: Services) -> None:
    with transaction(services.sessions) as session:
        create_user(session, email="ana@clinic.example", role="clinic_staff",
                    password=PASSWORD, facility_npi=FACILITY,
                    hash_method=services.settings.password_hash_method)  # fmt: skip
    token = csrf_of(client.get("/login").text)
    client.post("/login", data={"email": "ana@clinic.example", "password": "x" * 12,
                                "csrf_token": token})  # fmt: skip
    client.post("/login", data={"email": "ana@clinic.example", "password": PASSWORD,
                                "csrf_token": token})  # fmt: skip
    token = csrf_of(client.get("/cases").text)
    client.post("/logout", data={"csrf_token": token})
    got = [(e.actor, e.action, e.status) for e in _events(services)]
    assert got == [
        ("user:ana@clinic.example", "failed_login", 401),
        ("user:ana@clinic.example", "login", 303),
        ("user:ana@clinic.example", "list_cases", 200),
        ("user:ana@clinic.example", "logout", 303),
    ]


def _phi_of_samples() -> set[str]:
    """Names and member ids of every sample patient (cases and denial letters)."""
    found: set[str] = set()
    for path in sample_case_paths():
        case = json.loads(path.read_text())
        patient = case["patient"]
        found.add(f"{patient['first_name']} {patient['last_name']}")
        found.add(patient["last_name"])
        if case["coverage"].get("member_id"):
            found.add(case["coverage"]["member_id"])
    for label in sorted((SAMPLES / "denials").glob("*.json")):
        denial = json.loads(label.read_text())
        for key in ("patient_name", "member_id"):
            if denial.get(key):
                found.add(denial[key])
    return found


LETTERS = ("01_erisa_medical_necessity", "04_medicaid_no_auth")


def test_no_patient_names_or_member_ids_in_the_logs(
    client: FlaskClient, auth: dict[str, str], services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with transaction(services.sessions) as session:
        create_user(session, email="hub@hub.example", role="hub_staff", password=PASSWORD,
                    hash_method=services.settings.password_hash_method)  # fmt: skip
    token = csrf_of(client.get("/login").text)
    client.post("/login", data={"email": "hub@hub.example", "password": PASSWORD,
                                "csrf_token": token})  # fmt: skip
    token = csrf_of(client.get("/cases").text)
    case_ids = []
    for path in sample_case_paths():
        payload = json.loads(path.read_text())
        made = client.post("/api/v1/cases", json=payload, headers=auth)
        assert made.status_code in (200, 201), made.json
        case_ids.append(made.json["id"])
        assert client.get(f"/api/v1/cases/{made.json['id']}", headers=auth).status_code == 200
        assert client.get(f"/cases/{made.json['id']}").status_code == 200
        # Invalid input echoes nothing into the logs either.
        broken = copy.deepcopy(payload)
        broken["patient"]["date_of_birth"] = broken["patient"]["last_name"]
        broken["external_id"] += "-X"
        assert client.post("/api/v1/cases", json=broken, headers=auth).status_code == 422
    document = client.post(
        f"/api/v1/cases/{case_ids[0]}/documents", json={"kind": "lmn"}, headers=auth
    )
    assert client.get(document.json["content_url"], headers=auth).status_code == 200
    for name in LETTERS:
        letter = Path(SAMPLES / "denials" / f"{name}.pdf")
        own = client.post("/api/v1/cases", json=denial_case(name), headers=auth).json["id"]
        # Its own case (reconciled, attached), then another patient's (refused: 409, whose
        # problem names both patients but must not reach the logs either).
        for case_id, status in ((own, 303), (case_ids[0], 409)):
            with letter.open("rb") as fh:
                uploaded = client.post(
                    "/denials/new",
                    data={"csrf_token": token, "case_id": case_id, "file": (fh, letter.name)},
                    content_type="multipart/form-data",
                )
            assert uploaded.status_code == status
            if status == 303:
                assert client.get(uploaded.headers["Location"]).status_code == 200
    assert client.get("/cases").status_code == 200
    logged = caplog.text + "\n".join(str(r.args) for r in caplog.records)
    leaks = sorted(value for value in _phi_of_samples() if value in logged)
    assert not leaks, f"patient data in the logs: {leaks}"


@pytest.mark.postgres
def test_audit_rows_are_append_only_on_postgresql(postgres_url: str) -> None:
    engine = sa.create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO audit_events (at, actor, action) VALUES (now(), 'key:t', 'login')"
                )
            )
        for statement in ("UPDATE audit_events SET actor = 'x'", "DELETE FROM audit_events"):
            with pytest.raises(sa.exc.DatabaseError, match="append-only"):
                with engine.begin() as conn:
                    conn.execute(sa.text(statement))
    finally:
        with engine.begin() as conn:
            # Refused to the application (migration 0007); the test's superuser turns triggers off.
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
            conn.execute(sa.text("TRUNCATE audit_events"))
        engine.dispose()


def test_every_route_that_names_patient_data_is_audited(client: FlaskClient) -> None:
    unmapped = []
    for rule in client.application.url_map.iter_rules():
        if not set(rule.arguments) & {"case_id", "document_id", "denial_id"}:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if (rule.endpoint, method) not in ACTIONS:
                unmapped.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert not unmapped, "add these to formservice.audit.ACTIONS"


def test_a_document_made_for_a_denial_names_the_denial_in_its_row(
    client: FlaskClient, services: Services
) -> None:
    from tests.helpers.denials import case_with_denial

    hub = _bearer(services, "hub")
    case_id, denial_id = case_with_denial(client, hub, load_sample())
    made = client.post(
        f"/api/v1/cases/{case_id}/documents",
        json={"kind": "appeal", "denial_id": denial_id},
        headers=hub,
    )
    assert made.status_code == 201, made.json
    row = next(e for e in _events(services) if e.document_id == made.json["id"])
    assert (row.action, row.case_id, row.denial_id) == ("generate_document", case_id, denial_id)
    # A body naming no well-formed id adds none.
    client.post(
        f"/api/v1/cases/{case_id}/documents",
        json={"kind": "appeal", "denial_id": "../x"},
        headers=hub,
    )
    assert _events(services)[-1].denial_id is None
