"""The CMS-1500 for a case: six lines a form, dates kept together, merged, checked on the page."""

from __future__ import annotations

import copy
import dataclasses
import io
import json
from datetime import date
from typing import Any

import pdfplumber
import pypdfium2 as pdfium
import pytest
from flask.testing import FlaskClient
from pypdf import PdfReader

from formservice.documents.forms.claim import (
    LINES_PER_FORM,
    claim_form_lines,
    render_claim_form,
)
from formservice.errors import ValidationProblem
from formservice.model import Diagnosis
from formservice.schemas.case import load_case
from tests.conftest import REPO, load_sample

ARTIFACTS = REPO / "test-artifacts" / "claim"
TODAY = date(2026, 11, 27)


def _payload(sample: str = "01_breast_commercial_office", **treatment: Any) -> dict[str, Any]:
    payload = copy.deepcopy(load_sample(sample))
    payload["treatment"].update(treatment)
    return payload


def _page_texts(pdf: bytes) -> list[str]:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return [page.extract_text() or "" for page in doc.pages]


def _save_pngs(pdf: bytes, stem: str) -> list[Any]:
    """Render every page to PNG in test-artifacts/claim (to look at) and return the images."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    doc = pdfium.PdfDocument(pdf)
    images = []
    try:
        for i in range(len(doc)):
            image = doc[i].render(scale=1.5).to_pil()
            image.save(ARTIFACTS / f"{stem}-{i + 1}.png")
            images.append(image)
    finally:
        doc.close()
    return images


def test_six_sessions_fill_three_forms_with_every_line(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    case_id = client.post("/api/v1/cases", json=_payload(), headers=auth).json["id"]
    made = client.post(f"/api/v1/cases/{case_id}/documents", json={"kind": "cms1500"}, headers=auth)
    assert made.status_code == 201, made.json
    assert made.json["format"] == "pdf"
    details = made.json["details"]
    assert (details["forms"], details["lines"], details["flattened"]) == (3, 13, True)
    codes = {w["code"] for w in details["warnings"]}
    assert "category_i_codes_pending" in codes  # 2026 dates of service
    assert "charges_not_on_file" in codes
    pdf = client.get(made.json["content_url"], headers=auth).data
    texts = _page_texts(pdf)
    assert len(texts) == 3
    everything = "\n".join(texts)
    # One 0662T, six 0663T, each beside its chemo-administration code on the same page.
    assert everything.count("0662T") == 1
    assert everything.count("0663T") == 6
    assert everything.count("96413") == 6
    for text in texts:
        assert text.count("0663T") == text.count("96413")
        assert "SAMPLECASE, ADA" in text
        assert "C50911" in text  # item 21, ICD-10 without the dot
        assert "1003000126" in text  # items 32a/33a
    assert PdfReader(io.BytesIO(pdf)).get_fields() is None  # flattened: no colliding fields
    images = _save_pngs(pdf, "cms1500-6-sessions")
    assert all(img.size[0] > 800 and img.getextrema() != ((255, 255),) * 3 for img in images)


def test_lines_are_packed_without_splitting_a_date() -> None:
    case = load_case(_payload())
    lines, _ = claim_form_lines(case)
    assert [ln.cpt for ln in lines].count("0662T") == 1
    result = render_claim_form(case, today=TODAY)
    assert result.forms == 3
    # Rebuild the packing from the result: every date's lines on one form, six at most.
    from formservice.documents.forms.claim import _chunks

    chunks = _chunks(lines)
    assert [len(c) for c in chunks] == [5, 6, 2]
    assert all(len(c) <= LINES_PER_FORM for c in chunks)
    for a, b in zip(chunks, chunks[1:], strict=False):
        assert a[-1].date_of_service != b[0].date_of_service


@pytest.mark.parametrize(("sessions", "forms"), [(1, 1), (2, 1), (3, 2), (8, 3), (12, 5)])
def test_form_count_by_sessions(sessions: int, forms: int) -> None:
    case = load_case(_payload(sessions=sessions))
    result = render_claim_form(case, today=TODAY)
    assert result.forms == forms
    assert len(result.lines) == 2 * sessions + 1
    assert len(PdfReader(io.BytesIO(result.pdf)).pages) == forms


def test_single_form_stays_editable() -> None:
    result = render_claim_form(load_case(_payload(sessions=1)), today=TODAY)
    assert (result.forms, result.flattened) == (1, False)
    fields = PdfReader(io.BytesIO(result.pdf)).get_fields() or {}
    values = {name: f.get("/V") for name, f in fields.items()}
    assert (values["cpt1"], values["cpt2"], values["cpt3"]) == ("96413", "0662T", "0663T")
    assert values["diag3"] == "A"
    assert values["local3"] == "1234567893"  # rendering NPI: the prescriber
    assert values.get("cpt4") in (None, "")


def test_reference_charge_is_printed_for_2025_dates() -> None:
    case = load_case(_payload(start_date="2025-03-03", sessions=1))
    result = render_claim_form(case, today=TODAY)
    fields = PdfReader(io.BytesIO(result.pdf)).get_fields() or {}
    assert fields["ch2"].get("/V") == "1750.50"  # 0662T, CY2025 OPPS reference rate
    assert fields["ch1"].get("/V") in (None, "")  # 96413: no reference charge, left blank
    assert fields["t_charge"].get("/V") == "1750.50"


def test_primary_diagnosis_is_item_21_a() -> None:
    case = load_case(_payload(sessions=1))
    case = dataclasses.replace(
        case,
        diagnoses=(
            Diagnosis("Z51.11", "Encounter for antineoplastic chemotherapy"),
            Diagnosis("C50.911", "Breast", primary=True),
        ),
    )
    fields = PdfReader(io.BytesIO(render_claim_form(case, today=TODAY).pdf)).get_fields() or {}
    assert (fields["diagnosis1"].get("/V"), fields["diagnosis2"].get("/V")) == ("C50911", "Z5111")


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"treatment": {"start_date": "2020-01-06"}}, "treatment.start_date", "2021-07-01"),
        ({"treatment": {"start_date": "2021-06-30"}}, "treatment.start_date", "2021-07-01"),
        ({"treatment": {"start_date": None}}, "treatment.start_date", "needed"),
        ({"treatment": {"site_of_care": None}}, "treatment.site_of_care", "place of service"),
        (
            {"treatment": {"chemo_administration_code": "99213"}},
            "treatment.chemo_administration_code",
            "96409",
        ),
        (
            {"diagnoses": [{"code": "C91.00", "description": "ALL", "primary": True}]},
            "diagnoses",
            "off-label",
        ),
    ],
)
def test_bad_claims_are_422_naming_the_field(
    client: FlaskClient, auth: dict[str, str], change: dict[str, Any], field: str, words: str
) -> None:
    payload = _payload()
    for key, value in change.items():
        if isinstance(value, dict):
            payload[key].update(value)
        else:
            payload[key] = value
    response = client.post("/api/v1/render/cms1500", json=payload, headers=auth)
    assert response.status_code == 422, response.data[:200]
    assert response.mimetype == "application/problem+json"
    assert field in response.json["errors"], response.json
    assert words in " ".join(response.json["errors"][field])


def test_first_day_of_the_codes_is_accepted(client: FlaskClient, auth: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/render/cms1500",
        json=_payload(start_date="2021-07-01", sessions=1),
        headers=auth,
    )
    assert response.status_code == 200
    assert response.data.startswith(b"%PDF")


def test_claim_model_error_does_not_crash_lines() -> None:
    case = load_case(json.loads(json.dumps(_payload(start_date="2019-05-01"))))
    with pytest.raises(ValidationProblem) as raised:
        claim_form_lines(case)
    assert "treatment.start_date" in raised.value.errors
