"""The shipped letter of appeal: rendered for sample denials x sample cases, checked, opened."""

from __future__ import annotations

import dataclasses
import importlib.util
import io
import json
import shutil
import subprocess
import unicodedata
import zipfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pdfplumber
import pytest

from formservice.documents import catalog
from formservice.documents.contexts import build_letter_context
from formservice.documents.convert import LibreOfficeConverter
from formservice.documents.docx.render import document_text, read_properties, render_docx
from formservice.documents.docx.template_check import check_template
from formservice.errors import ValidationProblem
from formservice.model import Case, CaseFacts, Denial, DocumentRequest, PriorAuthorization
from formservice.reimbursement.appeals import appeal_arguments
from formservice.reimbursement.appeals.quote import reason_quote
from formservice.reimbursement.evidence import assemble_evidence
from formservice.schemas.case import load_case
from formservice.settings import Settings
from formservice.usecases.documents import render_for_case as render_document
from formservice.usecases.services import Services
from formservice.usecases.templates import template_variables
from tests.documents.conftest import convert_batch

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "templates" / "docx" / "letter_of_appeal.docx"
DENIALS = sorted((REPO / "samples" / "denials").glob("*.json"))
ARTIFACTS = REPO / "test-artifacts" / "appeal"
TODAY = date(2026, 11, 27)
LEFTOVERS = ("None", "{{", "{%", "}}", "%}", "{cite", "{patient")


def denial(stem: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((REPO / "samples" / "denials" / f"{stem}.json").read_text())
    return data


def case(stem: str = "01_breast_commercial_office") -> Case:
    return load_case(json.loads((REPO / "samples" / "cases" / f"{stem}.json").read_text()))


def render(c: Case, d: dict[str, Any], today: date = TODAY) -> bytes:
    """The appeal, rendered through the kind's registered context builder."""
    context = build_letter_context("appeal", c, CaseFacts(denial=Denial.from_json(d)), today)
    return render_docx(TEMPLATE, context, properties={"formservice.kind": "appeal"})


def flat(docx: bytes) -> str:
    return " ".join(document_text(docx).split())


def common_facts(text: str, c: Case, d: dict[str, Any]) -> None:
    """What every appeal states: who, which claim, which codes, the remedy, signed, enclosed.

    Who and which diagnosis are the case's (one source of facts: the reconciled values); the
    claim and its codes are the letter's.
    """
    for fact in (
        c.patient.full_name,
        c.coverage.member_id or d["member_id"],
        d["claim_number"],
        *d["procedure_codes"],
        *[x.code for x in c.diagnoses],
        c.prescriber.full_name,
        f"NPI {c.prescriber.npi}",
        "Dear Appeals Reviewer:",
        "I ask that you",
        "Sincerely,",
        "Enclosures",
        "Copy of the denial letter dated",
    ):
        assert fact in text, fact
    for reason in d["reasons"]:
        quoted = reason_quote(reason["evidence"])
        assert quoted is None or quoted in text, reason["category"]
    for leftover in LEFTOVERS:
        assert leftover not in text, leftover


CASES: list[tuple[str, str, tuple[str, ...]]] = [
    (
        "01_erisa_medical_necessity",
        "01_breast_commercial_office",
        (
            "1. Medical necessity: Scalp cooling is medically necessary",
            "SCALP randomized trial",
            "category 2A",
            "Requests under ERISA",
            "2560.503-1(h)(2)(iii)",
            "overturn the denial and reprocess claim 2026031500123 for payment",
            "September 11, 2026",
            "March 15, 2026",  # letter date
            "March 2, 2026",  # date of service
        ),
    ),
    (
        "02_erisa_experimental_records",
        "02_ovarian_medicare_outpatient",
        (
            "1. Experimental or investigational:",
            "K173032",
            "NCCN Guidelines for Ovarian Cancer",
            "European Society for Medical Oncology",
            "2. Missing documentation: The requested records are enclosed",
            "Pathology report confirming the diagnosis",
            "FDA 510(k) clearance letter for the scalp cooling system",
        ),
    ),
    (
        "03_ma_cosmetic_scan",
        "04_prostate_medicare_advantage_outpatient",
        (
            "Request for Reconsideration",
            "treats scalp cooling as cosmetic",
            "toxicity",
            "breast and ovarian cancer",  # NCCN does not cover this diagnosis: said honestly
        ),
    ),
    (
        "07_erisa_exclusion_no_deadline",
        "06_breast_erisa_not_covered",
        (
            "1. Not a covered benefit:",
            "toxicity",
            "not a cosmetic service",
            "the rule for this plan type: employer group plan (ERISA), 180 days",
        ),
    ),
    (
        "04_medicaid_no_auth",
        "06_breast_erisa_not_covered",
        (
            "1. No prior authorization: Authorization was requested",
            "PA-2026-0042",
            "February 20, 2026",
            "Prior authorization PA-2026-0042 and its determination",
        ),
    ),
    (
        "13_commercial_coding_bundled",
        "01_breast_commercial_office",
        (
            "1. Coding error: Corrected coding",
            "CPT 0662T \u00d7 1 unit",
            "Place of service 11 (Office)",
            "ICD-10-CM C50.911",
            "2. Bundled with another service:",
            "status indicator S",
            "reprocess claim C2026062200913 with the corrected coding",
            "Corrected claim (CMS-1500)",
        ),
    ),
    (
        "19_medicaid_three_reasons_scan",
        "03_colorectal_medicaid_office",
        (
            "The denial gives three reasons: missing documentation, medical necessity, and no "
            "prior authorization.",
            "3. No prior authorization: Request for retroactive authorization",
            "accept this letter as a request for retroactive authorization",
            "Appeal of an Adverse Benefit Determination",
        ),
    ),
    (
        "27_erisa_preservice_reference",
        "01_breast_commercial_office",
        (
            "Reference number",
            "Planned service September 21, 2026",
            "adverse determination issued by Contoso Mutual Insurance on September 3, 2026 on "
            "authorization request 2026-PA-55120",
            "approve authorization request 2026-PA-55120",
            "planned for September 21, 2026",
        ),
    ),
]


@pytest.mark.parametrize(
    ("denial_stem", "case_stem", "expected"), CASES, ids=[f"{d}-{c[:2]}" for d, c, _ in CASES]
)
def test_appeal_answers_each_reason(
    denial_stem: str, case_stem: str, expected: tuple[str, ...]
) -> None:
    c, d = case(case_stem), denial(denial_stem)
    text = flat(render(c, d))
    common_facts(text, c, d)
    for needle in expected:
        assert needle in text, needle
    # One numbered section per reason category, in the denial's order, and no other.
    categories = list(dict.fromkeys(r["category"] for r in d["reasons"]))
    arguments = appeal_arguments(Denial.from_json(d), c)
    assert [a.category for a in arguments] == categories
    headings = [f"{i}. {a.label}: {a.heading}" for i, a in enumerate(arguments, 1)]
    positions = [text.index(h) for h in headings]
    assert positions == sorted(positions)
    assert f"{len(arguments) + 1}. {arguments[0].label}" not in text


def test_references_are_the_numbered_evidence_of_the_arguments() -> None:
    c, d = case(), denial("03_ma_cosmetic_scan")
    out = document_text(render(c, d))
    arguments = appeal_arguments(Denial.from_json(d), c)
    refs = assemble_evidence(["medical_necessity", "cosmetic"]).references
    assert [r.key for r in refs] == list(arguments[0].cites)
    for number, ref in enumerate(refs, 1):
        assert f"{number}.\t{ref.citation}" in out
    assert "[6]" in out  # ESMO, cited by the cosmetic paragraph
    procedural = document_text(render(c, denial("11_eob_timely_filing_scan")))
    assert "References" not in procedural
    assert "Copies of the references cited" not in procedural


def test_names_and_quotes_with_markup_characters_are_escaped() -> None:
    c = case()
    hard = dataclasses.replace(
        c, patient=dataclasses.replace(c.patient, first_name="O'Connor & <Sons>")
    )
    d = denial("01_erisa_medical_necessity")
    d["reasons"][0]["evidence"] = 'Denied: "A < B & C" under policy <MP-1> (CARC 50).'
    out = render(hard, d)
    text = flat(out)
    assert "O'Connor & <Sons> Samplecase" in text
    assert 'Denied: "A < B & C" under policy <MP-1> (CARC 50).' in text
    with zipfile.ZipFile(io.BytesIO(out)) as zf:
        xml = zf.read("word/document.xml")
    assert b"&amp;amp;" not in xml
    assert b"<MP-1>" not in xml


def test_erisa_requests_only_in_erisa_appeals() -> None:
    assert "Requests under ERISA" not in flat(render(case(), denial("04_medicaid_no_auth")))


@pytest.mark.parametrize("path", DENIALS, ids=[p.stem for p in DENIALS])
def test_every_sample_denial_renders_a_clean_letter(path: Path) -> None:
    c, d = case(), json.loads(path.read_text())
    text = flat(render(c, d))
    common_facts(text, c, d)
    for i, argument in enumerate(appeal_arguments(Denial.from_json(d), c), 1):
        assert f"{i}. {argument.label}: {argument.heading}" in text


def test_no_denial_is_a_422_naming_denial_id() -> None:
    with pytest.raises(ValidationProblem) as caught:
        build_letter_context("appeal", case(), CaseFacts(), TODAY)
    assert caught.value.errors == {"denial_id": ["An appeal answers a denial: give denial_id."]}


def test_kind_is_registered() -> None:
    kind = catalog.get_kind("appeal")
    assert kind is not None
    assert (kind.title, kind.template, kind.formats, kind.needs_denial) == (
        "Letter of Appeal",
        "letter_of_appeal",
        ("docx", "pdf"),
        True,
    )


def test_template_uses_only_variables_the_context_provides(settings: Settings) -> None:
    known = template_variables(settings, "letter_of_appeal")
    assert {"denial", "arguments", "remedy", "appeal_deadline", "appeal"} <= known
    report = check_template(TEMPLATE.read_bytes(), known)
    assert report.problems == []
    assert report.publishable
    assert {"denial", "arguments", "remedy", "appeal", "evidence"} <= report.variables


def test_render_document_makes_the_appeal(services: Services) -> None:
    c, d = case(), denial("01_erisa_medical_necessity")
    rendered = render_document(
        services,
        c,
        DocumentRequest(kind="appeal", denial_id="den-1"),
        CaseFacts(denial=Denial.from_json(d)),
        letter_date=TODAY,
    )
    assert rendered.kind == "appeal"
    assert rendered.format == "docx"
    assert rendered.template_name == "letter_of_appeal"
    assert rendered.details["denial_id"] == "den-1"
    assert read_properties(rendered.data)["formservice.kind"] == "appeal"
    assert "2026031500123" in flat(rendered.data)
    again = render_document(
        services,
        c,
        DocumentRequest(kind="appeal"),
        CaseFacts(denial=Denial.from_json(d)),
        letter_date=TODAY,
    )
    assert again.data == rendered.data
    other = dataclasses.replace(
        c, prior_authorization=PriorAuthorization(status="approved", number="PA-X-1")
    )
    changed = render_document(
        services,
        other,
        DocumentRequest(kind="appeal"),
        CaseFacts(denial=Denial.from_json(d)),
        letter_date=TODAY,
    )
    assert changed.input_sha256 != again.input_sha256


def test_template_is_rebuilt_byte_for_byte() -> None:
    spec = importlib.util.spec_from_file_location(
        "build_appeal_template", TEMPLATE.parent / "build_appeal_template.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.build_appeal() == TEMPLATE.read_bytes(), (
        "run templates/docx/build_appeal_template.py"
    )


# (denial, case) pairs converted to PDF and kept as PNG for people to look at.
LOOKED_AT = {
    "erisa_medical_necessity": ("01_erisa_medical_necessity", "01_breast_commercial_office"),
    "experimental_records": ("02_erisa_experimental_records", "02_ovarian_medicare_outpatient"),
    "three_reasons": ("19_medicaid_three_reasons_scan", "03_colorectal_medicaid_office"),
    "coding_bundled": ("13_commercial_coding_bundled", "01_breast_commercial_office"),
    "no_auth_pa_on_file": ("04_medicaid_no_auth", "06_breast_erisa_not_covered"),
    "timely_filing": ("11_eob_timely_filing_scan", "01_breast_commercial_office"),
}


@pytest.mark.libreoffice
@pytest.mark.slow
def test_appeals_open_in_libreoffice(libreoffice: LibreOfficeConverter, tmp_path: Path) -> None:
    docs = {}
    for name, (d, c) in LOOKED_AT.items():
        # Dated ten days after the denial, as a clinic would send it.
        sent = date.fromisoformat(denial(d)["letter_date"]) + timedelta(days=10)
        docs[name] = render(case(c), denial(d), today=sent)
    pdfs = convert_batch(libreoffice, docs, tmp_path)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdftoppm = shutil.which("pdftoppm")
    for name, (d, c) in LOOKED_AT.items():
        pdf_path = pdfs[name]
        with pdfplumber.open(pdf_path) as pdf:
            pages = len(pdf.pages)
            text = unicodedata.normalize(
                "NFKC", "\n".join(p.extract_text() or "" for p in pdf.pages)
            )
            fonts = {ch["fontname"].split("+", 1)[-1] for p in pdf.pages for ch in p.chars}
        assert 1 <= pages <= 3, f"{name}: {pages} pages"
        assert case(c).patient.full_name in text
        assert denial(d)["claim_number"] in text
        assert any(f.startswith("Carlito") for f in fonts), fonts
        shutil.copy(pdf_path, ARTIFACTS / pdf_path.name)
        if pdftoppm:
            subprocess.run(
                [pdftoppm, "-r", "80", "-png", str(pdf_path), str(ARTIFACTS / name)],
                check=False,
                capture_output=True,
                timeout=60,
            )


def _pair(stem: str) -> tuple[Case, dict[str, Any]]:
    path = REPO / "samples" / "denial_cases" / f"{stem}.json"
    return load_case(json.loads(path.read_text())), denial(stem)


def _render_with(c: Case, d: dict[str, Any], today: date, late_reason: str | None = None) -> str:
    facts = CaseFacts(denial=Denial.from_json(d), late_reason=late_reason)
    context = build_letter_context("appeal", c, facts, today)
    return flat(render_docx(TEMPLATE, context, properties={"formservice.kind": "appeal"}))


def test_a_late_appeal_prints_its_good_cause() -> None:
    c, d = _pair("01_erisa_medical_necessity")
    text = _render_with(c, d, date(2026, 11, 30), late_reason="The denial reached us on 11/20.")
    assert "sets the appeal deadline at September 11, 2026" in text
    assert "Good cause for the late filing: The denial reached us on 11/20." in text


@pytest.mark.parametrize(
    ("stem", "title", "member_label"),
    [
        ("08_mac_lcd_medical_necessity", "Request for Redetermination", "Medicare number (MBI)"),
        ("03_ma_cosmetic_scan", "Request for Reconsideration", "Member ID"),
        ("04_medicaid_no_auth", "Plan Appeal of an Adverse Benefit Determination", "Member ID"),
        ("01_erisa_medical_necessity", "Appeal under 29 CFR 2560.503-1", "Member ID"),
    ],
)
def test_the_level_is_named_by_plan_type(stem: str, title: str, member_label: str) -> None:
    c, d = _pair(stem)
    text = _render_with(c, d, date(2026, 4, 1))
    assert f"RE: {title}" in text
    assert f"{member_label} {c.coverage.member_id}" in text
    if stem.startswith("08"):
        # CMS-20027's items: beneficiary, MBI, the service and its date, why, a signature.
        for needle in ("Beneficiary", "CPT 0662T, 0663T", "March 30, 2026", "Sincerely,"):
            assert needle in text, needle


def test_the_letter_routes_to_the_denials_appeal_address() -> None:
    c, d = _pair("02_erisa_experimental_records")
    text = _render_with(c, d, date(2026, 4, 10))
    to = d["appeal_to"]
    assert f"VIA FAX: {to['fax']}" in text
    assert to["name"] in text
    assert "617-555-0121" not in text  # the directory's Contoso fax: only a fallback


def test_a_standalone_letter_says_its_enclosures_are_for_the_clinic_to_assemble(
    services: Services,
) -> None:
    """A letter made on its own lists everything the appeal calls for (the clinic sends it with
    them): its warning names each one to enclose before sending."""
    c, d = case(), denial("02_erisa_experimental_records")
    rendered = render_document(
        services,
        c,
        DocumentRequest(kind="appeal", denial_id="den-1"),
        CaseFacts(denial=Denial.from_json(d)),
        letter_date=TODAY,
    )
    (found,) = [w for w in rendered.details["warnings"] if w["code"] == "enclosures_to_assemble"]
    for item in ("Pathology report", "Copies of the references cited", "FDA 510(k) clearance"):
        assert item in found["message"]
        assert item in flat(rendered.data)


def _warning_codes(rendered: Any) -> list[str]:
    return [w["code"] for w in rendered.details.get("warnings") or []]


def test_a_denial_of_codes_out_of_effect_on_its_date_warns_beside_the_appeal(
    services: Services,
) -> None:
    """0662T/0663T billed for a 2026 date: the table has them retired after 2025, so the payer
    may have refused the code itself; the person sending the appeal is told, the letter is not
    changed (the 2026 rows are not verified against AMA CPT)."""
    c, d = case(), denial("01_erisa_medical_necessity")  # 0662T, 0663T on 2026-03-02
    facts = CaseFacts(denial=Denial.from_json(d))
    rendered = render_document(
        services, c, DocumentRequest(kind="appeal"), facts, letter_date=TODAY
    )
    warning = next(w for w in rendered.details["warnings"] if w["code"] == "codes_out_of_effect")
    assert (
        "CPT 0662T, 0663T on March 2, 2026, but those codes ended on December 31, 2025"
        in (warning["message"])
    )
    # The letter prints the denial's codes (verified), not the case plan's 2026 codes.
    assert "codes_not_verified" not in _warning_codes(rendered)
    assert "97008, 97009" in warning["message"]
    assert "corrected claim" in warning["message"]
    assert "corrected claim" not in flat(rendered.data)  # beside the letter, never in it

    in_2025 = {**d, "date_of_service": "2025-12-19"}
    same = render_document(
        services, c, DocumentRequest(kind="appeal"), CaseFacts(denial=Denial.from_json(in_2025)),
        letter_date=TODAY,
    )  # fmt: skip
    assert "codes_out_of_effect" not in _warning_codes(same)
    new_codes = {**d, "procedure_codes": ["97008", "97009"]}
    current = render_document(
        services, c, DocumentRequest(kind="appeal"), CaseFacts(denial=Denial.from_json(new_codes)),
        letter_date=TODAY,
    )  # fmt: skip
    assert "codes_out_of_effect" not in _warning_codes(current)


def test_a_service_line_dated_after_the_codes_retired_is_named_alone() -> None:
    from formservice.reimbursement.appeals import retired_code_warning

    d = denial("05_eob_bundled_records")
    lines = [
        {**line, "date_of_service": on}
        for line, on in zip(d["service_lines"], ["2025-12-30", "2026-01-06"], strict=True)
    ]
    found = retired_code_warning(Denial.from_json({**d, "service_lines": lines,
                                                   "procedure_codes": []}))  # fmt: skip
    assert found is not None
    codes_part = found.split(" on ")[0]
    assert codes_part == f"The denial is for CPT {lines[1]['code']}"
    assert "January 6, 2026" in found
