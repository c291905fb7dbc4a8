"""The appeal packet: parts in order with bookmarks, a true page count, page numbers everywhere."""

from __future__ import annotations

import io
import re
from typing import Any

import pdfplumber
from flask.testing import FlaskClient
from pypdf import PdfReader

from tests.conftest import require_tool
from tests.helpers.denials import case_with_denial


def test_packet_parts_bookmarks_page_numbers_and_properties(
    client: FlaskClient, auth: dict[str, str], case_payload: dict[str, Any]
) -> None:
    require_tool("soffice", "make test (apt-get install libreoffice-writer-nogui)")
    case_id, denial_id = case_with_denial(client, auth, case_payload)
    form = client.post(
        f"/api/v1/cases/{case_id}/documents",
        json={"kind": "pa_form", "form": "tx_nofr001", "format": "pdf"},
        headers=auth,
    )
    assert form.status_code == 201, form.json
    made = client.post(
        f"/api/v1/cases/{case_id}/documents",
        json={"kind": "appeal_packet", "denial_id": denial_id},
        headers=auth,
    )
    assert made.status_code == 201, made.json
    pdf = client.get(made.json["content_url"], headers=auth).data
    reader = PdfReader(io.BytesIO(pdf))
    total = len(reader.pages)
    titles = [item.title for item in reader.outline]
    assert titles == [
        "Fax cover sheet",
        "Letter of appeal",
        "Letter of medical necessity",
        "Denial letter",
        "Prior authorization request form",
        "Letter of appeal checklist",
    ]
    starts = [reader.get_destination_page_number(item) for item in reader.outline]
    assert starts == sorted(starts)
    assert starts[0] == 0
    parts = made.json["details"]["parts"]
    assert [p["first_page"] - 1 for p in parts] == starts
    assert made.json["details"]["pages"] == total
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        texts = [page.extract_text() or "" for page in doc.pages]
    assert f"{total} (including this cover sheet)" in texts[0]
    assert "512-555-0191" in texts[0]  # the payer directory's appeals fax
    assert "CONFIDENTIALITY NOTICE" in texts[0]
    for number, text in enumerate(texts, start=1):
        assert f"Page {number} of {total}" in text, number
    denial_text = texts[starts[3]]
    assert "2026031500123" in denial_text  # the denial letter itself is inside
    form_page = reader.pages[starts[4]]
    assert not [
        a for a in form_page.get("/Annots", []) if a.get_object().get("/Subtype") == "/Widget"
    ]
    info = reader.metadata
    assert info is not None
    assert case_payload["external_id"] in (info.title or "")
    assert "Denial letter" in (info.subject or "")
    assert info["/formservice.input_sha256"] == made.json["input_sha256"]
    assert re.search(r"Letter of appeal checklist", info.subject or "")


def test_packet_without_denial_is_422(
    client: FlaskClient, auth: dict[str, str], case_payload: dict[str, Any]
) -> None:
    case_id = client.post("/api/v1/cases", json=case_payload, headers=auth).json["id"]
    response = client.post(
        f"/api/v1/cases/{case_id}/documents", json={"kind": "appeal_packet"}, headers=auth
    )
    assert response.status_code == 422
    assert "denial_id" in response.json["errors"]
