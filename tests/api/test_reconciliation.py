"""Issue 13 items 1 and 6: a denial is reconciled with its case when attached (409 for another
patient, a hub user's audited override, warnings to acknowledge) and the packet is gated (422
naming each gap: no denial, no LMN essentials, a passed deadline, unacknowledged warnings)."""

from __future__ import annotations

import copy
import io
from datetime import date
from typing import Any

from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import func, select

from formservice import create_app
from formservice.model.reconciliation import FACTS
from formservice.settings import Settings
from formservice.store.models import AuditEvent, DenialRow
from formservice.usecases import build_services
from formservice.usecases.services import Services
from tests.conftest import SAMPLES, denial_case, load_sample, make_key, require_tool

STEM = "01_erisa_medical_necessity"
LETTER = SAMPLES / "denials" / f"{STEM}.pdf"
# Before the letter's stated deadline (2026-09-11) and after its date (2026-03-15).
IN_TIME = date(2026, 4, 1)


def _upload(client: FlaskClient, auth: dict[str, str], case_id: str | None = None) -> Any:
    data: dict[str, Any] = {"file": (io.BytesIO(LETTER.read_bytes()), LETTER.name)}
    if case_id:
        data["case_id"] = case_id
    return client.post(
        "/api/v1/denials", data=data, headers=auth, content_type="multipart/form-data"
    )


def _case(client: FlaskClient, auth: dict[str, str], payload: dict[str, Any]) -> str:
    response = client.post("/api/v1/cases", json=payload, headers=auth)
    assert response.status_code == 201, response.json
    return str(response.json["id"])


def _denial_count(services: Services) -> int:
    with services.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(DenialRow)) or 0)


def test_a_denial_for_another_patient_is_refused_and_nothing_is_attached(
    client: FlaskClient, auth: dict[str, str], services: Services
) -> None:
    # The deliberately mismatched pair: sample case 01 (Ada Samplecase) and sample letter 01
    # (Maria Samplename) share a member ID but not a patient.
    case_id = _case(client, auth, load_sample())
    upload = _upload(client, auth, case_id)
    assert upload.status_code == 409, upload.json
    assert upload.json["errors"].keys() == {"patient_name"}
    assert "Maria Samplename" in upload.json["errors"]["patient_name"][0]
    assert _denial_count(services) == 0  # nothing stored, nothing attached

    denial = _upload(client, auth).json
    attach = client.post(
        f"/api/v1/cases/{case_id}/denials", json={"denial_id": denial["id"]}, headers=auth
    )
    assert attach.status_code == 409
    assert attach.headers["Content-Type"].startswith("application/problem+json")
    assert set(attach.json["reconciliation"]) == set(FACTS)
    assert attach.json["reconciliation"]["patient_name"] == {
        "status": "differs",
        "case": "Ada Samplecase",
        "denial": "Maria Samplename",
        "identity": True,
    }
    assert client.get(f"/api/v1/denials/{denial['id']}", headers=auth).json["case_id"] is None
    assert client.get(f"/api/v1/cases/{case_id}", headers=auth).json["denials"] == []


def test_a_name_changed_by_hand_does_not_make_another_patients_letter_fit(
    client: FlaskClient, auth: dict[str, str], services: Services
) -> None:
    # A person types the case's patient over a name the reader was sure of, then attaches:
    # still another patient's letter (the name as read is compared too), so still a 409.
    case_id = _case(client, auth, load_sample())
    denial = _upload(client, auth).json
    assert "patient_name" not in denial["review_fields"]  # read with confidence
    patched = client.patch(
        f"/api/v1/denials/{denial['id']}", json={"patient_name": "Ada Samplecase"}, headers=auth
    )
    assert patched.status_code == 200, patched.json
    attach = client.post(
        f"/api/v1/cases/{case_id}/denials", json={"denial_id": denial["id"]}, headers=auth
    )
    assert attach.status_code == 409, attach.json
    shown = attach.json["reconciliation"]["patient_name"]
    assert shown["status"] == "differs"
    assert "Maria Samplename (as read" in shown["denial"]
    assert client.get(f"/api/v1/denials/{denial['id']}", headers=auth).json["case_id"] is None


def test_only_a_hub_user_overrides_an_identity_mismatch_and_it_is_audited(
    client: FlaskClient, auth: dict[str, str], services: Services
) -> None:
    payload = load_sample()
    case_id = _case(client, auth, payload)
    clinic = {"Authorization": f"Bearer {make_key(services, 'clinic', payload['facility']['npi'])}"}
    denial = _upload(client, clinic).json  # the clinic's own upload: it can see it
    url = f"/api/v1/cases/{case_id}/denials"
    body = {"denial_id": denial["id"], "override_reason": "Patient's legal name changed"}
    assert client.post(url, json=body, headers=clinic).status_code == 403
    attached = client.post(url, json=body, headers=auth)
    assert attached.status_code == 200, attached.json
    state = attached.json["reconciliation_state"]
    assert state["identity_differs"] == ["patient_name"]
    assert state["override"]["reason"] == "Patient's legal name changed"
    assert state["override"]["by"].startswith("key:")
    with services.sessions() as session:
        actions = list(
            session.scalars(select(AuditEvent.action).where(AuditEvent.denial_id == denial["id"]))
        )
    assert "override_identity_mismatch" in actions
    again = client.post(
        url, json={"denial_id": denial["id"], "acknowledge_warnings": True}, headers=clinic
    )
    assert again.status_code == 200, again.json  # the override still covers the difference
    assert again.json["reconciliation_state"]["override"] == state["override"]


def test_other_differences_are_warnings_to_acknowledge_before_the_packet(
    client: FlaskClient, auth: dict[str, str], services: Services
) -> None:
    services.today = lambda: IN_TIME
    payload = denial_case(STEM)
    payload["diagnoses"] = [
        {"code": "C56.1", "description": "Malignant neoplasm of right ovary", "primary": True}
    ]
    case_id = _case(client, auth, payload)
    denial = _upload(client, auth, case_id).json
    assert denial["reconciliation"]["diagnosis_codes"]["status"] == "differs"
    assert denial["reconciliation_state"]["warnings"] == ["diagnosis_codes"]
    assert denial["reconciliation_state"]["acknowledged"] is False
    refused = client.post(
        f"/api/v1/cases/{case_id}/documents",
        json={"kind": "appeal_packet", "denial_id": denial["id"]},
        headers=auth,
    )
    assert refused.status_code == 422
    assert set(refused.json["errors"]) == {"acknowledge_warnings"}
    assert "C50.911" in refused.json["errors"]["acknowledge_warnings"][0]
    made = client.post(
        f"/api/v1/cases/{case_id}/documents",
        json={"kind": "appeal_packet", "denial_id": denial["id"], "acknowledge_warnings": True},
        headers=auth,
    )
    assert made.status_code == 201, made.json
    state = client.get(f"/api/v1/denials/{denial['id']}", headers=auth).json
    assert state["reconciliation_state"]["acknowledged_by"].startswith("key:")
    # One source of facts: the letter states the case's diagnosis, in its table and its body.
    text = " ".join(
        page.extract_text() or ""
        for page in PdfReader(
            io.BytesIO(client.get(made.json["content_url"], headers=auth).data)
        ).pages[1:3]
    )
    assert "C56.1" in text
    assert "C50.911" not in text


def test_packet_gate_names_every_gap(
    client: FlaskClient, auth: dict[str, str], services: Services
) -> None:
    # No denial and no regimen: both named at once.
    bare = copy.deepcopy(denial_case(STEM))
    bare["treatment"]["regimen"] = None
    bare["treatment"]["agents"] = []
    bare["external_id"] = "HUB-GATE-1"
    case_id = _case(client, auth, bare)
    response = client.post(
        f"/api/v1/cases/{case_id}/documents", json={"kind": "appeal_packet"}, headers=auth
    )
    assert response.status_code == 422
    assert {"denial_id", "lmn"} <= set(response.json["errors"])

    # A passed deadline (2026-09-11): refused without a good cause, named with its date.
    services.today = lambda: date(2026, 11, 29)
    case_id = _case(client, auth, denial_case(STEM))
    denial = _upload(client, auth, case_id).json
    late = client.post(
        f"/api/v1/cases/{case_id}/documents",
        json={"kind": "appeal_packet", "denial_id": denial["id"]},
        headers=auth,
    )
    assert late.status_code == 422
    assert set(late.json["errors"]) == {"late_reason"}
    assert "September 11, 2026" in late.json["errors"]["late_reason"][0]


def test_a_scan_read_in_the_background_for_another_patient_is_left_unattached(
    settings: Settings,
) -> None:
    require_tool("tesseract", "apt-get install tesseract-ocr")
    queued = settings.with_overrides(request_ocr_budget_seconds=1.0)  # every scan is queued
    services = build_services(queued)
    try:
        client = create_app(queued, services=services).test_client()
        auth = {"Authorization": f"Bearer {make_key(services)}"}
        case_id = _case(client, auth, load_sample())  # not the scanned letter's patient
        scan = SAMPLES / "denials" / "03_ma_cosmetic_scan.pdf"
        response = client.post(
            "/api/v1/denials",
            data={"file": (io.BytesIO(scan.read_bytes()), scan.name), "case_id": case_id},
            headers=auth,
            content_type="multipart/form-data",
        )
        assert response.status_code == 202, response.json
        huey = services.jobs.huey
        task = huey.dequeue()
        assert task is not None
        huey.execute(task)
        done = client.get(response.json["status_url"], headers=auth).json
        assert done["status"] == "done"
        assert done["case_id"] is None
        assert "not attached" in done["error"]
        assert client.get(f"/api/v1/cases/{case_id}", headers=auth).json["denials"] == []
    finally:
        services.close()
