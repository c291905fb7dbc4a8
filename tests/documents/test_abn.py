"""Issue 14 item 2: the Advance Beneficiary Notice (CMS-R-131) for Original Medicare."""

from __future__ import annotations

import dataclasses
import runpy
from datetime import date
from pathlib import Path

from formservice.documents.contexts import build_letter_context, letter_variables
from formservice.documents.docx.ooxml import document_text
from formservice.documents.docx.render import render_docx
from formservice.documents.docx.template_check import check_template
from formservice.model import CaseFacts
from formservice.schemas.case import load_case
from tests.conftest import REPO, load_sample
from tests.documents.test_plain_words import internal_words

DOCX = REPO / "templates" / "docx"
TEMPLATE = DOCX / "advance_beneficiary_notice.docx"
TODAY = date(2026, 2, 20)


def _case(**coverage: object):  # type: ignore[no-untyped-def]
    case = load_case(load_sample("02_ovarian_medicare_outpatient"))
    return dataclasses.replace(case, coverage=dataclasses.replace(case.coverage, **coverage))


def test_template_is_rebuilt_byte_for_byte_and_checks_clean(tmp_path: Path) -> None:
    runpy.run_path(str(DOCX / "build_abn_template.py"))["main"](["build", str(tmp_path)])
    assert (tmp_path / TEMPLATE.name).read_bytes() == TEMPLATE.read_bytes()
    case = _case(scalp_cooling_covered=None)
    report = check_template(
        TEMPLATE.read_bytes(), letter_variables("abn", case, CaseFacts(), TODAY)
    )
    assert report.publishable, [p.to_json() for p in report.problems]


def test_the_notice_names_the_service_the_reason_and_the_three_options() -> None:
    case = _case(scalp_cooling_covered=None)
    context = build_letter_context("abn", case, CaseFacts(), TODAY)
    text = document_text(render_docx(TEMPLATE.read_bytes(), context, properties={}))
    assert "Advance Beneficiary Notice of Noncoverage (ABN)" in text
    assert case.patient.full_name in text
    assert "CPT 0662T" in text
    assert "CPT 0663T" in text
    assert "has not confirmed that it covers" in text
    for option in ("OPTION 1.", "OPTION 2.", "OPTION 3."):
        assert option in text
    assert "1-800-MEDICARE" in text
    assert "0938-0566" in text
    assert internal_words(text) == []
    # A diagnosis outside the narrowest contractor policies gives that reason.
    colon = dataclasses.replace(
        case, diagnoses=(dataclasses.replace(case.diagnoses[0], code="C18.7"),)
    )
    text = document_text(
        render_docx(
            TEMPLATE.read_bytes(),
            build_letter_context("abn", colon, CaseFacts(), TODAY),
            properties={},
        )
    )
    assert "only for breast, ovarian, fallopian tube and peritoneal" in text
