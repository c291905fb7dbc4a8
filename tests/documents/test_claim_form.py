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

from formservice.documents.docx.render import document_text
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
MASTER = REPO / "samples" / "charge_master.yaml"
MAX_BYTES = 500 * 1024  # issue 14: three pages under 500 KB


def _payload(sample: str = "01_breast_commercial_office", **treatment: Any) -> dict[str, Any]:
    """A sample with its dates moved to 2025 (0662T/0663T) unless the test gives others."""
    payload = copy.deepcopy(load_sample(sample))
    payload["treatment"].update({"start_date": "2025-02-03", **treatment})
    return payload


def _render(case: Any, **kwargs: Any) -> Any:
    return render_claim_form(case, today=TODAY, charge_master=MASTER, **kwargs)


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
    assert "0662T_frequency_sources_disagree" in codes
    assert "signature_on_file" in codes  # items 12, 13, 31 print SOF: the clinic must hold them
    assert "codes_not_verified" not in codes  # 2025 codes are verified
    pdf = client.get(made.json["content_url"], headers=auth).data
    assert len(pdf) < MAX_BYTES, len(pdf)
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
        assert "SIGNATURE ON FILE" in text  # items 12 and 13
        assert "SOF" in text  # item 31
        assert "Codes not yet confirmed" not in text
    assert PdfReader(io.BytesIO(pdf)).get_fields() is None  # flattened: no colliding fields
    images = _save_pngs(pdf, "cms1500-6-sessions")
    assert all(img.size[0] > 800 and img.getextrema() != ((255, 255),) * 3 for img in images)


def test_lines_are_packed_without_splitting_a_date() -> None:
    case = load_case(_payload())
    lines, _ = claim_form_lines(case, charge_master=MASTER)
    assert [ln.cpt for ln in lines].count("0662T") == 1
    result = _render(case)
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
    result = _render(case)
    assert result.forms == forms
    assert len(result.lines) == 2 * sessions + 1
    assert len(PdfReader(io.BytesIO(result.pdf)).pages) == forms


def test_single_form_stays_editable() -> None:
    result = _render(load_case(_payload(sessions=1)))
    assert (result.forms, result.flattened) == (1, False)
    fields = PdfReader(io.BytesIO(result.pdf)).get_fields() or {}
    values = {name: f.get("/V") for name, f in fields.items()}
    assert (values["cpt1"], values["cpt2"], values["cpt3"]) == ("96413", "0662T", "0663T")
    assert values["diag3"] == "A"
    assert values["local3"] == "1234567893"  # rendering NPI: the prescriber
    assert values.get("cpt4") in (None, "")


def test_charges_come_from_the_charge_master_and_28_is_their_total() -> None:
    case = load_case(_payload(start_date="2025-03-03", sessions=1))
    fields = PdfReader(io.BytesIO(_render(case).pdf)).get_fields() or {}
    charges = [fields[f"ch{i}"].get("/V") for i in (1, 2, 3)]
    assert charges == ["400.00", "1000.00", "300.00"]  # 96413, 0662T, 0663T (synthetic)
    assert "1750.50" not in charges  # never the OPPS payment rate
    assert fields["t_charge"].get("/V") == "1700.00"


def test_no_charge_master_or_no_row_is_422_naming_what_is_missing(tmp_path: Any) -> None:
    case = load_case(_payload(sessions=1))
    with pytest.raises(ValidationProblem) as none:
        render_claim_form(case, today=TODAY)
    assert "charge_master" in none.value.errors
    assert "no charge master is configured" in none.value.errors["charge_master"][0]
    partial = tmp_path / "master.yaml"
    partial.write_text(
        "name: Partial (synthetic)\ncharges:\n"
        "  - {code: '96413', amount: 10, effective_from: 2021-01-01, effective_to: null}\n"
    )
    with pytest.raises(ValidationProblem) as missing:
        render_claim_form(case, today=TODAY, charge_master=partial)
    message = missing.value.errors["charge_master"][0]
    assert "0662T on 2025-02-03" in message
    assert "0663T on 2025-02-03" in message
    assert "96413" not in message


def _fields(pdf: bytes) -> dict[str, Any]:
    return {k: v.get("/V") for k, v in (PdfReader(io.BytesIO(pdf)).get_fields() or {}).items()}


def test_commercial_claim_has_every_item_nucc_requires() -> None:
    values = _fields(_render(load_case(_payload(sessions=1))).pdf)
    assert (values["employment"], values["pt_auto_accident"], values["other_accident"]) == (
        "/NO",
        "/NO",
        "/NO",
    )
    assert values["ins_policy"] == "GRP-7781"  # item 11: the group number
    assert values["ins_benefit_plan"] == "/NO"  # 11d
    assert values["ins_name"] == "SAMPLECASE, ADA"  # item 4: the patient is the insured
    assert values["pt_signature"] == values["ins_signature"] == "SIGNATURE ON FILE"
    assert values["pt_date"] == values["physician_date"] == "11/27/2026"
    assert values["physician_signature"] == "SOF"
    assert values["assignment"] == "/YES"  # item 27
    assert values["tax_id"] == "123456789"  # item 25
    assert values["ssn"] == "/EIN"
    assert values["local1"] == "1234567893"  # 24J rendering NPI
    assert values["pin"] == values["pin1"] == "1003000126"  # 32a, 33a


def _medicare_payload(**extra: Any) -> dict[str, Any]:
    payload = _payload("02_ovarian_medicare_outpatient", sessions=1)
    payload["treatment"]["site_of_care"] = "physician_office"
    payload.update(extra)
    return payload


def test_medicare_claim_says_none_in_item_11_and_leaves_4_7_11a_11d_blank() -> None:
    values = _fields(_render(load_case(_medicare_payload())).pdf)
    assert values["insurance_type"] == "/Medicare"
    assert values["ins_policy"] == "NONE"  # CMS Pub. 100-04 ch. 26 §10.2 item 11
    for blank in ("ins_name", "ins_street", "ins_plan_name", "ins_dob_yy"):
        assert values.get(blank) in (None, ""), blank
    assert values.get("ins_benefit_plan") in (None, "/Off")  # 11d: not required by Medicare
    assert values["employment"] == "/NO"
    assert values["pt_signature"] == "SIGNATURE ON FILE"
    assert values["assignment"] == "/YES"


def test_medicare_abn_on_file_puts_ga_on_the_scalp_cooling_lines() -> None:
    case = load_case(_medicare_payload(abn={"issued_on": "2025-01-27", "option": 1}))
    values = _fields(_render(case).pdf)
    assert (values["cpt1"], values.get("mod1")) == ("96413", None) or values["mod1"] == ""
    assert (values["cpt2"], values["mod2"]) == ("0662T", "GA")
    assert (values["cpt3"], values["mod3"]) == ("0663T", "GA")


def test_2026_claim_prints_97008_97009_with_a_visible_caveat_under_500_kb() -> None:
    case = load_case(
        _payload(start_date="2026-02-02", sessions=6, post_infusion_cooling_minutes=90)
    )
    result = _render(case)
    assert (result.forms, len(result.lines)) == (3, 18)
    assert len(result.pdf) < MAX_BYTES, len(result.pdf)
    codes = {w["code"] for w in result.warnings}
    assert "codes_not_verified" in codes
    texts = _page_texts(result.pdf)
    everything = "\n".join(texts)
    assert "0662T" not in everything
    assert "0663T" not in everything
    assert everything.count("97008") >= 6
    assert everything.count("97009") >= 6
    for text in texts:
        assert "Codes not yet confirmed" in text  # the caveat, on every page
    _save_pngs(result.pdf, "cms1500-2026")


def test_primary_diagnosis_is_item_21_a() -> None:
    case = load_case(_payload(sessions=1))
    case = dataclasses.replace(
        case,
        diagnoses=(
            Diagnosis("Z51.11", "Encounter for antineoplastic chemotherapy"),
            Diagnosis("C50.911", "Breast", primary=True),
        ),
    )
    fields = PdfReader(io.BytesIO(_render(case).pdf)).get_fields() or {}
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
        ({"treatment": {"site_of_care": "hospital_outpatient"}}, "treatment.site_of_care", "UB-04"),
        (
            {
                "coverage": {"payer": {"name": "Medicare", "plan_type": "medicare_ffs"}},
                "abn": {"issued_on": "2025-01-27", "option": 2},
            },
            "abn.option",
            "not to bill Medicare",
        ),
    ],
)
def test_bad_claims_are_422_naming_the_field(
    client: FlaskClient, auth: dict[str, str], change: dict[str, Any], field: str, words: str
) -> None:
    payload = _payload()
    for key, value in change.items():
        if isinstance(value, dict):
            payload.setdefault(key, {}).update(value)
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
        claim_form_lines(case, charge_master=MASTER)
    assert "treatment.start_date" in raised.value.errors


@pytest.mark.parametrize("kind", ["cms1500", "pa_checklist", "lmn"])
def test_unverified_codes_give_an_api_warning_for_every_kind_that_prints_codes(
    client: FlaskClient, auth: dict[str, str], kind: str
) -> None:
    payload = _payload(start_date="2026-02-02", sessions=1, post_infusion_cooling_minutes=30)
    fmt = "pdf" if kind == "cms1500" else "docx"
    response = client.post(f"/api/v1/render/{kind}?format={fmt}", json=payload, headers=auth)
    assert response.status_code == 200, response.data[:300]
    warnings = response.headers.getlist("Warning")
    assert any("codes_not_verified" in w and "97008" in w for w in warnings), warnings
    # Where the caveat is printed follows its reader. The staff checklist shows it; the claim
    # in its top margin, outside the form ("not part of the claim"); the LMN, which the payer
    # reads, not at all: a letter checked and found right would still say "check before sending".
    if kind == "cms1500":
        printed = "\n".join(_page_texts(response.data))
    else:
        printed = document_text(response.data)
    assert ("before submitting" in printed) is (kind != "lmn"), printed[-400:]
    assert "97008" in printed
    # The same case with 2025 dates prints verified codes: no such warning.
    older = client.post(
        f"/api/v1/render/{kind}?format={fmt}", json=_payload(sessions=1), headers=auth
    )
    assert older.status_code == 200
    assert not any("codes_not_verified" in w for w in older.headers.getlist("Warning"))


def test_stored_document_carries_the_codes_warning(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    payload = _payload(start_date="2026-02-02", sessions=1)
    case_id = client.post("/api/v1/cases", json=payload, headers=auth).json["id"]
    made = client.post(
        f"/api/v1/cases/{case_id}/documents",
        json={"kind": "claim_checklist", "format": "docx"},
        headers=auth,
    )
    assert made.status_code == 201, made.json
    # Letters' own warnings are sentences (a past start date, say); the codes warning is a record.
    warnings = made.json["details"]["warnings"]
    codes = [w["code"] for w in warnings if isinstance(w, dict)]
    assert codes == ["codes_not_verified"]


def test_item_25_is_left_blank_without_a_tax_id() -> None:
    payload = _payload(sessions=1)
    payload["facility"]["tax_id"] = None
    values = _fields(_render(load_case(payload)).pdf)
    assert values.get("tax_id") in (None, "")
    assert values.get("ssn") in (None, "/Off")
