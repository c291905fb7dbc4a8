"""Issue 14 item 6: what people read carries no internal words.

Every document kind that applies to a sample case (its plan) is made through the API for every
sample, with a benefits investigation and a denial on file so the SOB and the appeal documents
apply too. Letters are read from the DOCX, forms from the flattened PDF (pdfplumber); the text
must hold no snake_case identifier, no payload path and no Python value. Issue 14 item 7: an
out-of-network SOB without allowed amounts says the cost cannot be estimated and what is missing.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pdfplumber
import pytest
from flask.testing import FlaskClient

from formservice.documents.docx.ooxml import document_text
from formservice.schemas.case import load_case
from formservice.store.db import transaction
from formservice.store.models import DenialRow
from formservice.usecases.services import Services
from tests.conftest import SAMPLES, sample_case_paths

# A snake_case identifier ("not_submitted", "no_insurance", "prior_authorization"), a payload path
# ("coverage.member_id", "patient.address"), or a Python value printed as text.
SNAKE = re.compile(r"(?<![\w/.@-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/@-])")
PATH = re.compile(
    r"\b(?:patient|coverage|treatment|prescriber|facility|benefits|diagnoses|prescription)"
    r"\.[a-z]"
)
PYTHON = re.compile(r"\b(?:None|True|False)\b|'[a-z_]+'")
# Kinds the plan lists that are assembled from the others (checked there) or made elsewhere.
ASSEMBLED = {"appeal_packet"}


def internal_words(text: str) -> list[str]:
    """Every internal word in a text (URLs and e-mail addresses aside)."""
    text = re.sub(r"\S+://\S+|\S+@\S+", " ", text)
    return [m.group(0) for rx in (SNAKE, PATH, PYTHON) for m in rx.finditer(text)]


def test_the_checker_catches_what_the_issue_found() -> None:
    for bad in (
        "PA status is 'not_submitted'",
        "not insured (see no_insurance)",
        "record prior_authorization.number before filing",
        "add coverage.member_id",
        "plan type medicare_ffs",
    ):
        assert internal_words(bad), bad
    assert internal_words("Send to https://x.example/prior_auth or a_b@x.example.") == []
    assert internal_words("CPT 0662T once, ICD-10-CM C50.911, Medicare Part B.") == []


def _bi(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (SAMPLES / "benefits" / "01_northwind_in_network.json").read_text()
    )
    return data | changes


def _denial() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (SAMPLES / "denials" / "01_erisa_medical_necessity.json").read_text()
    )
    return data


def _attach_denial(services: Services, case_id: str, npi: str) -> str:
    with transaction(services.sessions) as session:
        row = DenialRow(
            case_id=case_id,
            facility_npi=npi,
            source_sha256="0" * 64,
            filename="denial.pdf",
            result=_denial(),
        )
        session.add(row)
        session.flush()
        return row.id


def _text(data: bytes, fmt: str) -> str:
    if fmt == "docx":
        return document_text(data)
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def _case(client: FlaskClient, auth: dict[str, str], payload: dict[str, Any], bi: Any) -> str:
    case_id: str = client.post("/api/v1/cases", json=payload, headers=auth).json["id"]
    put = client.put(f"/api/v1/cases/{case_id}/benefits", json=bi, headers=auth)
    assert put.status_code == 200, put.json
    return case_id


@pytest.mark.parametrize("path", sample_case_paths(), ids=lambda p: p.stem)
def test_every_document_that_applies_reads_in_plain_words(
    client: FlaskClient, auth: dict[str, str], services: Services, path: Path
) -> None:
    payload = json.loads(path.read_text())
    case = load_case(payload)
    case_id = _case(client, auth, payload, _bi())
    denial_id = _attach_denial(services, case_id, case.facility.npi)
    plan = client.get(f"/api/v1/cases/{case_id}/plan", headers=auth)
    assert plan.status_code == 200, plan.json
    for entry in plan.json["not_applicable"]:  # the reasons are read by people too
        assert internal_words(entry["why"]) == [], entry
    made, found = 0, {}
    for entry in plan.json["applies"]:
        if entry["kind"] in ASSEMBLED:
            continue
        fmt = "pdf" if entry["kind"] in ("pa_form", "cms1500") else "docx"
        ask: dict[str, Any] = {"kind": entry["kind"], "format": fmt, "form": entry["form"]}
        if fmt == "pdf":
            ask["flatten"] = True
        if "appeal" in entry["kind"]:
            ask["denial_id"] = denial_id
        response = client.post(f"/api/v1/cases/{case_id}/documents", json=ask, headers=auth)
        assert response.status_code == 201, (entry, response.json)
        data = client.get(response.json["content_url"], headers=auth).data
        words = internal_words(_text(data, fmt))
        if words:
            found[entry["form"] or entry["kind"]] = words
        made += 1
    assert found == {}
    assert made >= 3


def test_out_of_network_sob_without_allowed_amounts_cannot_be_estimated(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    payload = json.loads((SAMPLES / "cases" / "01_breast_commercial_office.json").read_text())
    bi = _bi(network_status="out_of_network", allowed_amounts={})
    case_id = _case(client, auth, payload, bi)
    made = client.post(f"/api/v1/cases/{case_id}/documents", json={"kind": "sob"}, headers=auth)
    assert made.status_code == 201, made.json
    text = document_text(client.get(made.json["content_url"], headers=auth).data)
    assert "cannot be estimated" in text
    assert "the payer's allowed amount for CPT 0662T" in text
    assert "the payer's allowed amount for CPT 0663T" in text
    assert "About $0" not in text
    assert internal_words(text) == []
