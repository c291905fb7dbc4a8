"""Denial letters through the API: upload, facts, background OCR (202), review, attach."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from formservice import create_app
from formservice.settings import Settings
from formservice.store.models import DenialRow
from formservice.usecases import Services, build_services
from tests.conftest import SAMPLES, denial_case, make_key, require_tool
from tests.corpus import corpus_path

DENIALS = SAMPLES / "denials"


def _upload(
    client: FlaskClient, auth: dict[str, str], data: bytes, name: str = "letter.pdf", **form: str
) -> Any:
    return client.post(
        "/api/v1/denials",
        data={"file": (io.BytesIO(data), name), **form},
        headers=auth,
        content_type="multipart/form-data",
    )


def _clinic_keys(
    services: Services, case_payload: dict[str, Any]
) -> tuple[dict[str, str], dict[str, str]]:
    """Auth headers of the case's own clinic and of another clinic."""
    own = make_key(services, "clinic", case_payload["facility"]["npi"])
    other = make_key(services, "clinic", "1234567893")
    return {"Authorization": f"Bearer {own}"}, {"Authorization": f"Bearer {other}"}


def _label(stem: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((DENIALS / f"{stem}.json").read_text())
    return result


def _first(pattern: str) -> Path:
    paths = sorted(DENIALS.glob(pattern))
    assert paths, pattern
    return paths[0]


def test_text_letter_upload_gives_the_facts(
    client: FlaskClient, auth: dict[str, str], services: Services
) -> None:
    pdf = DENIALS / "01_erisa_medical_necessity.pdf"
    response = _upload(client, auth, pdf.read_bytes(), pdf.name)
    assert response.status_code == 201, response.json
    body = response.json
    label = _label(pdf.stem)
    for key in ("member_id", "claim_number", "letter_date", "appeal_deadline", "categories"):
        assert body[key] == label[key], key
    assert body["status"] == "done"
    assert body["evidence"]["member_id"]["page"] == 1
    assert body["member_id"] in body["evidence"]["member_id"]["text"]
    got = client.get(body["status_url"], headers=auth)
    assert got.status_code == 200
    assert got.json["claim_number"] == label["claim_number"]
    with services.sessions() as session:
        row = session.get(DenialRow, body["id"])
        assert row is not None
        assert services.blobs.get(row.source_sha256) == pdf.read_bytes()


def test_big_scan_is_accepted_with_202_and_finished_in_the_background(
    settings: Settings,
) -> None:
    require_tool("tesseract", "apt-get install tesseract-ocr")
    # A budget below one page's expected OCR time sends every scan to the queue.
    queued = settings.with_overrides(request_ocr_budget_seconds=1.0)
    services = build_services(queued)
    try:
        client = create_app(queued, services=services).test_client()
        auth = {"Authorization": f"Bearer {make_key(services)}"}
        scan = _first("*scan*.pdf")
        response = _upload(client, auth, scan.read_bytes(), scan.name)
        assert response.status_code == 202, response.json
        assert response.json["status"] == "processing"
        status_url = response.json["status_url"]
        assert client.get(status_url, headers=auth).json["status"] == "processing"
        # A worker takes the task off the real (SQLite) queue and runs it.
        huey = services.jobs.huey
        task = huey.dequeue()
        assert task is not None
        huey.execute(task)
        done = client.get(status_url, headers=auth).json
        assert done["status"] == "done"
        assert done["text_source"] == "ocr"
        assert done["claim_number"] == _label(scan.stem)["claim_number"]
    finally:
        services.close()


@pytest.mark.parametrize(
    ("data", "status", "field"),
    [
        (b"", 422, "file"),
        (b"GIF89a not a pdf at all", 415, None),
        (b"%PDF-1.7\n1 0 obj <</Type /Catalog", 422, "file"),  # truncated
        (b"%PDF-1.4\n" + b"\x00" * 100 + b"\n%%EOF", 422, "file"),  # corrupt
    ],
)
def test_bad_uploads_store_nothing(
    client: FlaskClient,
    auth: dict[str, str],
    services: Services,
    data: bytes,
    status: int,
    field: str | None,
) -> None:
    response = _upload(client, auth, data)
    assert response.status_code == status, response.json
    assert response.mimetype == "application/problem+json"
    if field:
        assert field in response.json["errors"]
    with services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(DenialRow)) == 0
    assert services.blobs.count() == 0


def test_password_protected_letter_is_422(client: FlaskClient, auth: dict[str, str]) -> None:
    locked = corpus_path("scans/pdfplumber_password_example_encrypted.pdf")
    response = _upload(client, auth, locked.read_bytes())
    assert response.status_code == 422
    assert "password" in response.json["errors"]["file"][0]


def test_upload_over_the_limit_is_413(settings: Settings) -> None:
    small = settings.with_overrides(max_upload_bytes=10_000)
    services = build_services(small)
    try:
        client = create_app(small, services=services).test_client()
        auth = {"Authorization": f"Bearer {make_key(services)}"}
        response = _upload(client, auth, b"%PDF-1.7\n" + b"0" * 20_000)
        assert response.status_code == 413
        assert response.mimetype == "application/problem+json"
    finally:
        services.close()


def test_review_correction_and_attach_to_case(
    client: FlaskClient, auth: dict[str, str], case_payload: dict[str, Any]
) -> None:
    pdf = DENIALS / "01_erisa_medical_necessity.pdf"
    denial = _upload(client, auth, pdf.read_bytes(), pdf.name).json
    fixed = client.patch(
        denial["status_url"],
        json={"member_id": "NWH000000001", "needs_review": False},
        headers=auth,
    )
    assert fixed.status_code == 200, fixed.json
    assert fixed.json["member_id"] == "NWH000000001"
    assert "member_id" in fixed.json["reviewed_fields"]
    assert fixed.json["evidence"]["member_id"]["source"] == "staff"
    bad = client.patch(denial["status_url"], json={"letter_date": "15/03/2026"}, headers=auth)
    assert bad.status_code == 422
    assert "letter_date" in bad.json["errors"]
    own = denial_case("01_erisa_medical_necessity")
    case_id = client.post("/api/v1/cases", json=own, headers=auth).json["id"]
    # The corrected member ID is no longer the case's: another patient's letter, refused.
    refused = client.post(
        f"/api/v1/cases/{case_id}/denials", json={"denial_id": denial["id"]}, headers=auth
    )
    assert refused.status_code == 409, refused.json
    assert set(refused.json["errors"]) == {"member_id"}
    assert refused.json["reconciliation"]["member_id"]["status"] == "differs"
    assert client.get(denial["status_url"], headers=auth).json["case_id"] is None
    fixed = client.patch(denial["status_url"], json={"member_id": "NWH123456789"}, headers=auth)
    attached = client.post(
        f"/api/v1/cases/{case_id}/denials", json={"denial_id": denial["id"]}, headers=auth
    )
    assert attached.status_code == 200, attached.json
    assert attached.json["case_id"] == case_id
    statuses = {k: v["status"] for k, v in attached.json["reconciliation"].items()}
    assert statuses == {
        "patient_name": "match",
        "date_of_birth": "absent",
        "member_id": "match",
        "payer": "match",
        "dates_of_service": "match",
        "diagnosis_codes": "match",
        "procedure_codes": "match",
    }
    view = client.get(f"/api/v1/cases/{case_id}", headers=auth).json
    assert view["denials"][0]["reconciliation"] == attached.json["reconciliation"]


def test_other_facility_cannot_see_a_denial(
    client: FlaskClient, services: Services, case_payload: dict[str, Any]
) -> None:
    own, other = _clinic_keys(services, case_payload)
    pdf = DENIALS / "01_erisa_medical_necessity.pdf"
    denial = _upload(client, own, pdf.read_bytes(), pdf.name).json
    assert client.get(denial["status_url"], headers=own).status_code == 200
    assert client.get(denial["status_url"], headers=other).status_code == 404


def test_nothing_recognisable_needs_review(client: FlaskClient, auth: dict[str, str]) -> None:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(
        72, 720, "Quarterly newsletter: the cafeteria menu for spring and parking updates."
    )
    c.save()
    response = _upload(client, auth, buf.getvalue())
    assert response.status_code == 201
    assert response.json["needs_review"] is True
    assert response.json["claim_number"] is None
    assert response.json["categories"] == []


def test_the_same_file_uploaded_again_is_409_naming_the_earlier_upload(
    client: FlaskClient, services: Services, case_payload: dict[str, Any]
) -> None:
    own, other = _clinic_keys(services, case_payload)
    pdf = DENIALS / "01_erisa_medical_necessity.pdf"
    first = _upload(client, own, pdf.read_bytes(), pdf.name)
    assert first.status_code == 201
    again = _upload(client, own, pdf.read_bytes(), "renamed.pdf")
    assert again.status_code == 409, again.json
    assert again.mimetype == "application/problem+json"
    assert again.json["existing_denial_id"] == first.json["id"]
    assert again.json["type"].endswith("/duplicate-upload")
    assert "file" in again.json["errors"]
    with services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(DenialRow)) == 1
    # Another facility cannot see the first upload, so it is not told about it.
    assert _upload(client, other, pdf.read_bytes(), pdf.name).status_code == 201
    # A different file (another letter) is not a duplicate.
    second = DENIALS / "08_mac_lcd_medical_necessity.pdf"
    assert _upload(client, own, second.read_bytes(), second.name).status_code == 201


def test_a_letter_whose_reading_failed_may_be_uploaded_again(
    client: FlaskClient, auth: dict[str, str], services: Services
) -> None:
    pdf = DENIALS / "01_erisa_medical_necessity.pdf"
    first = _upload(client, auth, pdf.read_bytes(), pdf.name)
    assert first.status_code == 201
    with services.sessions() as session:
        row = session.get(DenialRow, first.json["id"])
        assert row is not None
        row.status = "failed"
        session.commit()
    assert _upload(client, auth, pdf.read_bytes(), pdf.name).status_code == 201
