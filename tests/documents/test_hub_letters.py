"""PAP letter, Summary of Benefits and the three checklists: rendered through the API for every
sample case, each stating the case's key facts; templates checked and rebuilt reproducibly."""

from __future__ import annotations

import io
import json
import runpy
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from formservice.documents.contexts import hub_context_variables
from formservice.documents.docx.render import document_text
from formservice.documents.docx.template_check import check_template
from formservice.reimbursement import load_data
from formservice.reimbursement.pap import decide_pap
from formservice.schemas.case import load_case
from formservice.store.db import transaction
from formservice.store.models import DenialRow
from formservice.usecases.services import Services
from tests.conftest import REPO, SAMPLES, require_tool, sample_case_paths

DOCX_DIR = REPO / "templates" / "docx"
BUILD = DOCX_DIR / "build_hub_templates.py"
TEMPLATES = {
    "pap_letter": "pap_letter",
    "sob": "summary_of_benefits",
    "pa_checklist": "pa_checklist",
    "claim_checklist": "claim_checklist",
    "appeal_checklist": "appeal_checklist",
}
CHECKLIST_DATA = {"pa_checklist": "pa", "claim_checklist": "claim", "appeal_checklist": "appeal"}


def _bi() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (SAMPLES / "benefits" / "01_northwind_in_network.json").read_text()
    )
    return data


def _store_denial(services: Services, case_id: str, npi: str, result: dict[str, Any]) -> str:
    """A parsed denial attached to the case, as POST /denials + attach would leave it."""
    with transaction(services.sessions) as session:
        row = DenialRow(
            case_id=case_id,
            facility_npi=npi,
            source_sha256="0" * 64,
            filename="denial.pdf",
            result=result,
        )
        session.add(row)
        session.flush()
        return row.id


def _make(client: FlaskClient, auth: dict[str, str], case_id: str, kind: str, **extra: Any) -> Any:
    made = client.post(
        f"/api/v1/cases/{case_id}/documents", json={"kind": kind, **extra}, headers=auth
    )
    assert made.status_code == 201, made.json
    content = client.get(made.json["content_url"], headers=auth)
    assert content.status_code == 200
    return content.data


@pytest.mark.parametrize("kind", sorted(TEMPLATES))
def test_templates_have_no_problems_and_no_unknown_variables(kind: str) -> None:
    data = (DOCX_DIR / f"{TEMPLATES[kind]}.docx").read_bytes()
    report = check_template(data, hub_context_variables(kind))
    assert report.publishable, [p.to_json() for p in report.problems]


def test_templates_are_rebuilt_byte_for_byte(tmp_path: Path) -> None:
    runpy.run_path(str(BUILD))["main"](["build", str(tmp_path)])
    for name in TEMPLATES.values():
        assert (tmp_path / f"{name}.docx").read_bytes() == (DOCX_DIR / f"{name}.docx").read_bytes()


@pytest.mark.parametrize("path", sample_case_paths(), ids=lambda p: p.stem)
def test_every_kind_renders_for_every_sample(
    client: FlaskClient, auth: dict[str, str], services: Services, path: Path
) -> None:
    payload = json.loads(path.read_text())
    case = load_case(payload)
    case_id = client.post("/api/v1/cases", json=payload, headers=auth).json["id"]
    put = client.put(f"/api/v1/cases/{case_id}/benefits", json=_bi(), headers=auth)
    assert put.status_code == 200
    denial_id = _store_denial(
        services,
        case_id,
        case.facility.npi,
        {"claim_number": "SAMPLE-CLAIM-1", "categories": ["medical_necessity"], "reasons": []},
    )
    texts = {
        kind: document_text(
            _make(
                client,
                auth,
                case_id,
                kind,
                **({"denial_id": denial_id} if "appeal" in kind else {}),
            )
        )
        for kind in TEMPLATES
    }
    for kind, text in texts.items():
        assert case.patient.full_name in text, kind
        assert "{{" not in text, kind
        assert "{%" not in text, kind

    # PAP letter: the decision the rules make, with the FPL numbers when they were computed.
    # (The letter takes coverage from the BI when the case is silent, as the SOB does.)
    pap = texts["pap_letter"]
    decision_words = {
        True: "Eligible for the Patient Assistance Program",
        False: "Not eligible for the Patient Assistance Program",
        None: "Pending: more information is needed",
    }
    assert any(w in pap for w in decision_words.values())
    reference = decide_pap(case, application_date=None, today=services.today())
    if reference.fpl["limit"] is not None:
        assert f"HHS {reference.fpl['year']}" in pap
        assert f"${reference.fpl['limit']:,}" in pap
        assert f"{reference.fpl['percent_of_fpl']}%" in pap
    for label in ("Eligibility conditions", "Automatic qualification", "Coverage situation"):
        assert label in pap
    if reference.eligible:
        assert "ships a replacement cap kit to the provider" in pap
        assert "does not charge the patient" in pap

    # SOB: the BI's facts and the estimate's arithmetic.
    sob = texts["sob"]
    for fact in ("NWH-BI-SAMPLE-0001", "January 22, 2026", "Sam Placeholder", "20% coinsurance"):
        assert fact in sob
    assert "$1,500 (met $500; $1,000 remaining)" in sob
    assert "Estimated patient cost" in sob
    if case.treatment.sessions == 6:
        assert "About $1,330.10" in sob

    # Checklists: every item of the data file, with a status word.
    for kind, key in CHECKLIST_DATA.items():
        for entry in load_data("checklists.yaml")[key]:
            assert entry["label"] in texts[kind], (kind, entry["id"])
        assert any(w in texts[kind] for w in ("Done", "Missing", "N/A"))
    if case.diagnoses[0].code.startswith("C91"):
        assert "off-label" in texts["pa_checklist"]


def test_sob_needs_a_benefits_investigation(
    client: FlaskClient, auth: dict[str, str], case_payload: dict[str, Any]
) -> None:
    case_id = client.post("/api/v1/cases", json=case_payload, headers=auth).json["id"]
    response = client.post(f"/api/v1/cases/{case_id}/documents", json={"kind": "sob"}, headers=auth)
    assert response.status_code == 422
    assert "benefits" in response.json["errors"]


def test_appeal_checklist_reads_the_denial(
    client: FlaskClient, auth: dict[str, str], services: Services, case_payload: dict[str, Any]
) -> None:
    case_id = client.post("/api/v1/cases", json=case_payload, headers=auth).json["id"]
    deadline = date.fromordinal(services.today().toordinal() + 30).isoformat()
    denial = {
        "payer_name": "Northwind Health Plan",
        "member_id": case_payload["coverage"]["member_id"],
        "claim_number": "2026031500123",
        "authorization_number": None,
        "letter_date": "2026-03-15",
        "appeal_deadline": deadline,
        "appeal_deadline_basis": "letter states: within 180 days of the date of this notice",
        "categories": ["medical_necessity", "experimental_investigational"],
        "reasons": [
            {"category": "medical_necessity", "carc": "50"},
            {"category": "experimental_investigational", "carc": "55"},
        ],
        "pages": 2,
    }
    denial_id = _store_denial(services, case_id, case_payload["facility"]["npi"], denial)
    text = document_text(_make(client, auth, case_id, "appeal_checklist", denial_id=denial_id))
    assert "claim 2026031500123" in text
    assert f"appeal due {deadline}" in text
    assert "30 day(s) left" in text
    assert "medical necessity (CARC 50); experimental investigational (CARC 55)" in text
    assert "member ID NWH123456789 matches" in text
    without = client.post(
        f"/api/v1/cases/{case_id}/documents", json={"kind": "appeal_checklist"}, headers=auth
    )
    assert without.status_code == 422  # the catalog marks the kind needs_denial
    assert "denial_id" in without.json["errors"]


def test_sob_converts_to_one_pdf_page(
    client: FlaskClient, auth: dict[str, str], case_payload: dict[str, Any]
) -> None:
    require_tool("soffice", "apt-get install libreoffice-writer-nogui")
    import pdfplumber

    case_id = client.post("/api/v1/cases", json=case_payload, headers=auth).json["id"]
    client.put(f"/api/v1/cases/{case_id}/benefits", json=_bi(), headers=auth)
    pdf = _make(client, auth, case_id, "sob", format="pdf")
    assert pdf.startswith(b"%PDF")
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        assert len(doc.pages) == 1  # "one clear page"
        text = doc.pages[0].extract_text() or ""
    assert "Summary of Benefits" in text
    assert "$1,330.10" in text
    out = REPO / "test-artifacts" / "hub"
    out.mkdir(parents=True, exist_ok=True)
    (out / "sob-api.pdf").write_bytes(pdf)
