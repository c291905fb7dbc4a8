"""The shipped LMN: every sample case rendered, checked, and opened by LibreOffice."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import unicodedata
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pdfplumber
import pytest

from formservice.documents.contexts.common import build_context
from formservice.documents.convert import LibreOfficeConverter
from formservice.documents.docx.render import document_text, read_properties, render_docx
from formservice.model import Case, to_plain
from formservice.reimbursement import codes
from formservice.reimbursement.evidence import assemble_evidence, site_evidence
from formservice.schemas.case import load_case
from tests.documents.conftest import convert_batch

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "templates" / "docx" / "letter_of_medical_necessity.docx"
SAMPLES = sorted((REPO / "samples" / "cases").glob("*.json"))
ARTIFACTS = REPO / "test-artifacts" / "lmn"
TODAY = date(2026, 1, 20)
HARD_FIRST, HARD_LAST = "O'Connor & <Sons>", "👩‍⚕️ نور"
HARD_NAME = f"{HARD_FIRST} {HARD_LAST}"


def input_sha256(case: Case) -> str:
    """A stable hash of the case as the renderer saw it."""
    canonical = json.dumps(to_plain(case), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def render_lmn(case: Case) -> bytes:
    """The LMN for a case, with the provenance properties the service records."""
    return render_docx(
        TEMPLATE,
        build_context(case, today=TODAY),
        properties={
            "formservice.template": TEMPLATE.stem,
            "formservice.template_sha256": hashlib.sha256(TEMPLATE.read_bytes()).hexdigest(),
            "formservice.input_sha256": input_sha256(case),
        },
    )


def part_text(docx: bytes, name: str) -> str:
    return document_text(docx, name)


def sample(path: Path) -> Case:
    return load_case(json.loads(path.read_text()))


@pytest.mark.parametrize("path", SAMPLES, ids=[p.stem for p in SAMPLES])
def test_letter_states_every_fact_of_the_case(path: Path) -> None:
    case = sample(path)
    out = render_lmn(case)
    text = document_text(out)
    flat = text.replace("\n", " ")
    p, t = case.patient, case.treatment
    expected = [
        "January 20, 2026",
        p.full_name,
        f"{p.date_of_birth:%B} {p.date_of_birth.day}, {p.date_of_birth.year}",
        case.primary_diagnosis.code,
        case.prescriber.full_name,
        f"NPI {case.prescriber.npi}",
        "RE: Letter of Medical Necessity",
        "K173032",
        "21 CFR 878.4360",
        "product code PMC",
        "category 2A",
        "Enclosures:",
        "Sincerely,",
    ]
    if t.regimen:
        expected.append(t.regimen)
    # The codes in effect on the start date (the crosswalk: 0662T/0663T up to 2025, 97008 after).
    on = t.start_date or date(2025, 1, 1)
    session = codes.code_for("session", on)
    assert session is not None
    expected.append(session.code)
    if t.sessions:
        expected.append(f"CPT {session.code} × {t.sessions}")
    initial = codes.code_for("initial", on)
    if initial is not None and initial.code:
        expected.append(f"CPT {initial.code} × 1")
    if case.coverage.payer is not None:
        expected += [case.coverage.payer.name, "Attn: Utilization Review / Prior Authorization"]
    if case.coverage.member_id:
        expected.append(case.coverage.member_id)
    for fact in expected:
        assert fact in flat, fact
    # Every reference is printed in full, numbered in the order the letter cites it: the
    # guideline, the efficacy studies of the diagnosis's site (each with its device), safety,
    # quality of life.
    cited = assemble_evidence(
        ["medical_necessity", "experimental_investigational", "safety", "cosmetic"]
    ).references
    site = site_evidence(case.primary_diagnosis.code)
    refs = [r for r in cited if r.topic == "guideline"] + list(site.references)
    refs += [r for r in cited if r.topic == "safety"]
    refs += [r for r in cited if r.topic == "quality_of_life"]
    for number, ref in enumerate(refs, 1):
        assert f"{number}.\t{ref.citation}" in text
    for ref in site.references:
        assert f"({ref.device_text}) [" in flat
    if site.note:
        assert site.note in flat
    for leftover in ("None", "{{", "{%", "}}", "%}"):
        assert leftover not in flat, leftover
    # The letterhead is on the first page only; later pages carry the patient and page number.
    letterhead = part_text(out, "word/header2.xml") + part_text(out, "word/header1.xml")
    assert case.facility.name in letterhead
    assert f"{p.full_name} (DOB" in letterhead


def test_hard_name_appears_exactly(make_case: Callable[..., Case]) -> None:
    out = render_lmn(make_case(first_name=HARD_FIRST, last_name=HARD_LAST))
    text = document_text(out)
    assert f"my patient, {HARD_NAME} (date of birth" in text.replace("\n", " ")
    with zipfile.ZipFile(io.BytesIO(out)) as zf:
        xml = zf.read("word/document.xml")
    assert b"&amp;amp;" not in xml


def test_same_case_same_bytes_and_provenance(make_case: Callable[..., Case]) -> None:
    case = make_case()
    first, second = render_lmn(case), render_lmn(case)
    assert first == second
    props = read_properties(first)
    assert props["formservice.template"] == "letter_of_medical_necessity"
    assert props["formservice.template_sha256"] == hashlib.sha256(TEMPLATE.read_bytes()).hexdigest()
    assert props["formservice.input_sha256"] == input_sha256(case)
    other = render_lmn(make_case(first_name="Othera"))
    assert read_properties(other)["formservice.input_sha256"] != props["formservice.input_sha256"]
    assert other != first


def test_template_is_rebuilt_byte_for_byte() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "build_templates", TEMPLATE.parent / "build_templates.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.build_lmn() == TEMPLATE.read_bytes(), "run templates/docx/build_templates.py"


def _keep_artifacts(pdfs: dict[str, Path]) -> None:
    """Copy PDFs (and PNG pages when pdftoppm exists) to test-artifacts/ for people to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdftoppm = shutil.which("pdftoppm")
    for name, pdf in pdfs.items():
        shutil.copy(pdf, ARTIFACTS / pdf.name)
        if pdftoppm:
            subprocess.run(
                [pdftoppm, "-r", "80", "-png", str(pdf), str(ARTIFACTS / name)],
                check=False,
                capture_output=True,
                timeout=60,
            )


def _fonts(pdf: pdfplumber.PDF) -> set[str]:
    return {c["fontname"].split("+", 1)[-1] for page in pdf.pages for c in page.chars}


@pytest.mark.libreoffice
@pytest.mark.slow
def test_letters_open_in_libreoffice(
    libreoffice: LibreOfficeConverter, make_case: Callable[..., Case], tmp_path: Path
) -> None:
    docs: dict[str, Any] = {p.stem: render_lmn(sample(p)) for p in SAMPLES}
    docs["hard_name"] = render_lmn(make_case(first_name=HARD_FIRST, last_name=HARD_LAST))
    pdfs = convert_batch(libreoffice, docs, tmp_path)
    _keep_artifacts(pdfs)
    for name, path in pdfs.items():
        with pdfplumber.open(path) as pdf:
            assert 1 <= len(pdf.pages) <= 2, f"{name}: {len(pdf.pages)} pages"
            text = unicodedata.normalize(
                "NFKC", "\n".join(p.extract_text() or "" for p in pdf.pages)
            )
            fonts = _fonts(pdf)
        assert "Letter of Medical Necessity" in text
        assert any(f.startswith("Carlito") for f in fonts), fonts
        if name != "hard_name":
            assert sample(SAMPLES[[p.stem for p in SAMPLES].index(name)]).patient.full_name in text
            continue
        assert HARD_FIRST in text
        # Arabic is drawn right-to-left; its letters must all be there, in either order.
        arabic = [c for c in HARD_LAST if unicodedata.category(c) == "Lo"]
        assert arabic
        assert all(c in text for c in arabic), arabic
        # The emoji comes from a bitmap font with no text mapping: check the font is embedded.
        assert any("Emoji" in f for f in fonts), fonts
