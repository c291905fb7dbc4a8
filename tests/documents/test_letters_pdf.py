"""Every letter kind as PDF for every sample case: the facts are in the text, PDF/A on request."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pdfplumber
import pypdfium2
import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader

from formservice import create_app
from formservice.documents import catalog
from formservice.documents.convert import LibreOfficeConverter
from formservice.model import CaseFacts
from formservice.reimbursement import codes
from formservice.reimbursement.applicability import check_document
from formservice.schemas.case import load_case
from formservice.settings import Settings
from formservice.store.db import upgrade_database
from formservice.usecases import Services, build_services
from tests.conftest import REPO, SAMPLES, make_key, require_tool, sample_case_paths
from tests.helpers.denials import case_with_denial

ARTIFACTS = REPO / "test-artifacts" / "letters"
# Kinds made for a stored case with facts on file (a denial, a benefits investigation).
STORED_KINDS = {"appeal", "appeal_checklist", "sob"}
LETTER_KINDS = sorted(k.name for k in catalog.KINDS.values() if k.template and "pdf" in k.formats)
BENEFITS = json.loads((SAMPLES / "benefits" / "01_northwind_in_network.json").read_text())


@pytest.fixture(scope="module")
def shared(
    tmp_path_factory: pytest.TempPathFactory, shared_converter: LibreOfficeConverter
) -> Iterator[tuple[Services, Flask, dict[str, str]]]:
    """One app for the whole module, on the session's warm converter."""
    require_tool("soffice", "make test (apt-get install libreoffice-writer-nogui)")
    data_dir = tmp_path_factory.mktemp("letters")
    settings = Settings(env="test", secret_key="l" * 32, data_dir=data_dir)
    upgrade_database(settings.resolved_database_url)
    services = build_services(settings, converter=shared_converter)
    app = create_app(settings, services=services)
    yield services, app, {"Authorization": f"Bearer {make_key(services)}"}
    services.close()


def _pdf_text(pdf: bytes) -> str:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return "\n".join(page.extract_text() or "" for page in doc.pages)


def _render(
    client: FlaskClient,
    auth: dict[str, str],
    kind: str,
    payload: dict[str, Any],
    query: str = "format=pdf",
) -> bytes:
    if kind in {"appeal", "appeal_checklist"}:
        # Letters that answer a denial go through a stored case with an attached denial.
        case_id, denial_id = case_with_denial(client, auth, payload)
        made = client.post(
            f"/api/v1/cases/{case_id}/documents",
            json={"kind": kind, "format": "pdf", "denial_id": denial_id},
            headers=auth,
        )
        assert made.status_code == 201, made.json
        return client.get(made.json["content_url"], headers=auth).data
    if kind == "sob":
        # A Summary of Benefits summarises a benefits investigation stored on the case.
        case_id = client.post("/api/v1/cases", json=payload, headers=auth).json["id"]
        stored = client.put(f"/api/v1/cases/{case_id}/benefits", json=BENEFITS, headers=auth)
        assert stored.status_code == 200, stored.json
        made = client.post(
            f"/api/v1/cases/{case_id}/documents", json={"kind": kind, "format": "pdf"}, headers=auth
        )
        assert made.status_code == 201, made.json
        return client.get(made.json["content_url"], headers=auth).data
    response = client.post(f"/api/v1/render/{kind}?{query}", json=payload, headers=auth)
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == "application/pdf"
    return response.data


@pytest.mark.parametrize("kind", LETTER_KINDS)
@pytest.mark.parametrize("path", sample_case_paths(), ids=lambda p: p.stem)
def test_letter_pdf_has_the_facts(
    shared: tuple[Services, Flask, dict[str, str]], kind: str, path: Path
) -> None:
    services, app, auth = shared
    payload = json.loads(path.read_text())
    payload["external_id"] = f"{payload['external_id']}-{kind}"
    if kind == "abn":
        # The ABN is for Original Medicare with coverage in doubt: make every sample one.
        payload["coverage"] = {
            "status": "insured",
            "payer": {
                "name": "Tailspin Federal Medicare Services",
                "payer_id": "TSMAC",
                "plan_type": "medicare_ffs",
            },
            "member_id": "1EG4TE5MK73",
            "scalp_cooling_covered": None,
        }
    refused = check_document(load_case(payload), CaseFacts(), kind)
    if refused is not None and kind not in STORED_KINDS:
        # A letter that does not apply (an off-label LMN) is refused, naming the rule.
        response = app.test_client().post(
            f"/api/v1/render/{kind}?format=pdf", json=payload, headers=auth
        )
        assert response.status_code == 422
        assert response.json["rule"] == refused.rule
        return
    pdf = _render(app.test_client(), auth, kind, payload)
    assert pdf.startswith(b"%PDF-")
    text = " ".join(_pdf_text(pdf).split())
    patient = payload["patient"]
    assert patient["last_name"] in text
    if kind in {"lmn", "appeal"}:
        assert payload["diagnoses"][0]["code"] in text
        if kind == "lmn":
            # The codes of the start date (crosswalk: 0662T/0663T up to 2025, 97008 after).
            start = date.fromisoformat(payload["treatment"]["start_date"])
            session = codes.code_for("session", start)
            assert session is not None
            assert session.code in text
        else:
            assert "0662T" in text  # the appeal answers the codes the denial letter names
        assert "doi" in text.lower()  # the citations made it into the PDF
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = pypdfium2.PdfDocument(pdf)[0]
    page.render(scale=1).to_pil().save(ARTIFACTS / f"{path.stem}-{kind}.png")


def test_pdfa_option_gives_pdfa_2b_with_embedded_fonts(
    shared: tuple[Services, Flask, dict[str, str]],
) -> None:
    _, app, auth = shared
    payload = json.loads(sample_case_paths()[0].read_text())
    pdf = _render(app.test_client(), auth, "lmn", payload, "format=pdf&pdfa=1")
    reader = PdfReader(io.BytesIO(pdf))
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8", "replace")
    assert "pdfaid:part" in xmp
    assert ">2<" in xmp or 'pdfaid:part="2"' in xmp
    assert "pdfaid:conformance" in xmp
    assert "B" in xmp.split("pdfaid:conformance")[1][:6]
    fonts = set()
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            descendant = font.get("/DescendantFonts")
            desc = (descendant[0].get_object() if descendant else font).get("/FontDescriptor")
            if desc is not None:
                desc = desc.get_object()
                fonts.add(any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")))
    assert fonts == {True}


@pytest.mark.parametrize("pdfa", [False, True], ids=["pdf", "pdfa"])
def test_letter_pdf_carries_the_provenance_of_its_row(
    shared: tuple[Services, Flask, dict[str, str]], pdfa: bool
) -> None:
    _, app, auth = shared
    client = app.test_client()
    payload = json.loads(sample_case_paths()[0].read_text())
    payload["external_id"] = f"{payload['external_id']}-provenance-{pdfa}"
    case_id = client.post("/api/v1/cases", json=payload, headers=auth).json["id"]
    made = client.post(
        f"/api/v1/cases/{case_id}/documents",
        json={"kind": "lmn", "format": "pdf", "pdfa": pdfa},
        headers=auth,
    )
    assert made.status_code == 201, made.json
    doc = made.json
    pdf = client.get(doc["content_url"], headers=auth).data
    reader = PdfReader(io.BytesIO(pdf))
    info = reader.metadata or {}
    assert info["/formservice.kind"] == "lmn"
    assert info["/formservice.template"] == doc["template"] == "letter_of_medical_necessity"
    assert info["/formservice.template_version"] == str(doc["template_version"])
    assert info["/formservice.template_sha256"] == doc["template_sha256"]
    assert info["/formservice.input_sha256"] == doc["input_sha256"]
    assert info["/Producer"].startswith("LibreOffice")  # the converter's own entries are kept
    if pdfa:  # still PDF/A: the properties are an incremental update, the XMP is untouched
        xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
        assert "pdfaid:part" in xmp


def test_ten_parallel_pdf_conversions_through_the_api(
    shared: tuple[Services, Flask, dict[str, str]],
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    _, app, auth = shared
    payload = json.loads(sample_case_paths()[1].read_text())

    def one(_: int) -> bytes:
        return _render(app.test_client(), auth, "lmn", payload)

    with ThreadPoolExecutor(max_workers=10) as pool:
        pdfs = list(pool.map(one, range(10)))
    for pdf in pdfs:
        assert len(PdfReader(io.BytesIO(pdf)).pages) >= 1
        assert payload["patient"]["last_name"] in _pdf_text(pdf)


def test_converter_unavailable_is_503(settings: Settings, case_payload: dict[str, Any]) -> None:
    broken = settings.with_overrides(soffice_path="/nonexistent/soffice")
    services = build_services(broken)
    try:
        client = create_app(broken, services=services).test_client()
        auth = {"Authorization": f"Bearer {make_key(services)}"}
        response = client.post("/api/v1/render/lmn?format=pdf", json=case_payload, headers=auth)
        assert response.status_code == 503
        assert response.mimetype == "application/problem+json"
    finally:
        services.close()
