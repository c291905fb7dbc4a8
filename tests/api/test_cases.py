"""POST/GET /cases, documents for a case, downloads: the walking skeleton through HTTP."""

from __future__ import annotations

import copy
import hashlib
import io
import json
import zipfile
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select

from formservice.store.models import CaseRow, DocumentRow
from formservice.usecases.services import Services
from tests.conftest import make_key


def _document_text(docx: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(docx)) as z:
        xml = z.read("word/document.xml").decode()
    import re

    return "".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", xml))


def test_post_case_creates_then_is_idempotent(
    client: FlaskClient, auth: dict[str, str], case_payload: dict[str, Any]
) -> None:
    first = client.post("/api/v1/cases", json=case_payload, headers=auth)
    assert first.status_code == 201, first.json
    again = client.post("/api/v1/cases", json=case_payload, headers=auth)
    assert again.status_code == 200
    assert again.json["id"] == first.json["id"]
    assert first.json["case"]["patient"]["last_name"] == "Samplecase"


def test_same_external_id_with_other_payload_is_409(
    client: FlaskClient, auth: dict[str, str], case_payload: dict[str, Any]
) -> None:
    assert client.post("/api/v1/cases", json=case_payload, headers=auth).status_code == 201
    changed = copy.deepcopy(case_payload)
    changed["treatment"]["sessions"] = 4
    response = client.post("/api/v1/cases", json=changed, headers=auth)
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert "external_id" in response.json["errors"]


def test_get_case_and_unknown_case(
    client: FlaskClient, auth: dict[str, str], case_payload: dict[str, Any]
) -> None:
    case_id = client.post("/api/v1/cases", json=case_payload, headers=auth).json["id"]
    got = client.get(f"/api/v1/cases/{case_id}", headers=auth)
    assert got.status_code == 200
    assert got.json["external_id"] == case_payload["external_id"]
    missing = client.get("/api/v1/cases/0123456789abcdef0123456789abcdef", headers=auth)
    assert missing.status_code == 404
    assert missing.mimetype == "application/problem+json"


def test_lmn_document_is_generated_stored_and_downloadable(
    client: FlaskClient, auth: dict[str, str], case_payload: dict[str, Any], services: Services
) -> None:
    case_id = client.post("/api/v1/cases", json=case_payload, headers=auth).json["id"]
    made = client.post(f"/api/v1/cases/{case_id}/documents", json={"kind": "lmn"}, headers=auth)
    assert made.status_code == 201, made.json
    doc = made.json
    assert doc["kind"] == "lmn"
    assert doc["format"] == "docx"
    assert doc["template"] == "letter_of_medical_necessity"
    assert doc["template_version"] == 1
    content = client.get(doc["content_url"], headers=auth)
    assert content.status_code == 200
    assert content.mimetype.endswith("wordprocessingml.document")
    assert "attachment" in content.headers["Content-Disposition"]
    assert hashlib.sha256(content.data).hexdigest() == doc["sha256"]
    text = _document_text(content.data)
    assert "Ada Samplecase" in text
    assert "C50.911" in text
    assert "CPT 97008" in text  # started 2026-02-02: the 2026 code of the crosswalk
    assert "0662T" not in text
    listed = client.get(f"/api/v1/cases/{case_id}", headers=auth).json["documents"]
    assert [d["id"] for d in listed] == [doc["id"]]


def test_stateless_render_stores_nothing(
    client: FlaskClient, auth: dict[str, str], case_payload: dict[str, Any], services: Services
) -> None:
    response = client.post("/api/v1/render/lmn", json=case_payload, headers=auth)
    assert response.status_code == 200
    assert "Ada Samplecase" in _document_text(response.data)
    with services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(CaseRow)) == 0
        assert session.scalar(select(func.count()).select_from(DocumentRow)) == 0
    assert not services.blobs.exists(hashlib.sha256(response.data).hexdigest())


def test_unknown_document_kind_is_422_naming_kind(
    client: FlaskClient, auth: dict[str, str], case_payload: dict[str, Any]
) -> None:
    case_id = client.post("/api/v1/cases", json=case_payload, headers=auth).json["id"]
    response = client.post(
        f"/api/v1/cases/{case_id}/documents", json={"kind": "horoscope"}, headers=auth
    )
    assert response.status_code == 422
    assert "kind" in response.json["errors"]


def test_failed_render_leaves_no_row_and_no_blob(
    client: FlaskClient,
    auth: dict[str, str],
    case_payload: dict[str, Any],
    services: Services,
    monkeypatch: Any,
) -> None:
    case_id = client.post("/api/v1/cases", json=case_payload, headers=auth).json["id"]
    from formservice.documents import render as generate

    services.sync_templates()  # template versions live in the blob store too
    before = services.blobs.count()

    def broken(*_: Any, **__: Any) -> bytes:
        raise generate.ValidationProblem("template failed", errors={"template": ["boom"]})

    monkeypatch.setattr(generate, "render_docx", broken)
    response = client.post(f"/api/v1/cases/{case_id}/documents", json={"kind": "lmn"}, headers=auth)
    assert response.status_code == 422
    with services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(DocumentRow)) == 0
    assert services.blobs.count() == before


def test_failed_row_write_removes_the_new_blob(
    client: FlaskClient,
    auth: dict[str, str],
    case_payload: dict[str, Any],
    services: Services,
    monkeypatch: Any,
) -> None:
    case_id = client.post("/api/v1/cases", json=case_payload, headers=auth).json["id"]
    from formservice.store import documents as generate

    services.sync_templates()
    before = services.blobs.count()
    original = generate.DocumentRow

    def exploding_row(**kwargs: Any) -> Any:
        kwargs["case_id"] = "does-not-exist"  # violates the foreign key at commit
        return original(**kwargs)

    monkeypatch.setattr(generate, "DocumentRow", exploding_row)
    response = client.post(f"/api/v1/cases/{case_id}/documents", json={"kind": "lmn"}, headers=auth)
    assert response.status_code == 500
    assert response.mimetype == "application/problem+json"
    assert services.blobs.count() == before


def test_clinic_key_sees_only_its_facility(
    client: FlaskClient, auth: dict[str, str], case_payload: dict[str, Any], services: Services
) -> None:
    case_id = client.post("/api/v1/cases", json=case_payload, headers=auth).json["id"]
    own = make_key(services, "clinic", case_payload["facility"]["npi"])
    other = make_key(services, "clinic", "1234567893")
    assert (
        client.get(
            f"/api/v1/cases/{case_id}", headers={"Authorization": f"Bearer {own}"}
        ).status_code
        == 200
    )
    hidden = client.get(f"/api/v1/cases/{case_id}", headers={"Authorization": f"Bearer {other}"})
    assert hidden.status_code == 404
    assert json.loads(hidden.data)["status"] == 404
