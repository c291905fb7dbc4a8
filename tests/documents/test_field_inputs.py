"""Issue 16, the field inputs (shared/field): one test group per item of the issue.

1. every script visible in filled fields; 2. flatten keeps what the editable view shows;
3. clear errors on broken files; 4. on-state names in the form's own encoding; 5. honest template
checks; 6. each field form, filled and flattened, renders like its golden PNG in Poppler and PDFium.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pypdfium2
import pytest
from click.testing import CliRunner
from field_inputs import GOLDEN, field_file
from flask.testing import FlaskClient
from pdf_checks import ink, render_pdfium, render_poppler
from PIL import Image, ImageChops
from pypdf import PdfReader

from formservice.cli import main
from formservice.documents.docx import check_template
from formservice.documents.forms.fill import FillResult, fill_form, prepare_template
from formservice.documents.forms.inspect import inspect_form
from formservice.documents.forms.shipped import load_form
from formservice.errors import UnreadablePdfError
from tests.conftest import require_tool

FORMS = {
    "06_ppf_437_uscis_encrypted_form.pdf": "06_values_437.json",
    "06b_indirect_contents_array_form.pdf": "06b_values.json",
    "06c_ppf_757_uscis_encrypted_form.pdf": "06c_values_757.json",
    "08_ppf_1349_sejda_multiline.pdf": "08_values_1349.json",
    "09_pdfjs_160F-2019.pdf": "09_values_160F.json",
    "10_pdfjs_checkbox_no_appearance.pdf": "10_values.json",
    "11_checkbox_latin1_on_state.pdf": "11_values.json",
}
GOLDEN_DPI = 50
MAX_DIFF_RATIO = 0.004  # share of pixels whose grey differs by more than 48 of 255
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")  # Poppler marks right-to-left runs


def _form(name: str) -> bytes:
    return field_file(f"forms/{name}").read_bytes()


def _values(name: str) -> dict[str, Any]:
    values: dict[str, Any] = json.loads(field_file(f"forms/{FORMS[name]}").read_text("utf-8"))
    return values


@cache
def _filled(name: str, flatten: bool = True) -> FillResult:
    return fill_form(_form(name), _values(name), flatten=flatten)


def _poppler_text(pdf: bytes, page: int) -> tuple[str, str]:
    pdftotext = require_tool("pdftotext", "apt-get install poppler-utils")
    done = subprocess.run(
        [pdftotext, "-f", str(page + 1), "-l", str(page + 1), "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
        timeout=60,
    )
    return BIDI_CONTROLS.sub("", done.stdout.decode("utf-8")), done.stderr.decode()


def _pdfium_text(pdf: bytes, page: int) -> str:
    doc = pypdfium2.PdfDocument(pdf)
    try:
        return str(doc[page].get_textpage().get_text_range())
    finally:
        doc.close()


# --- 1. every script visible ------------------------------------------------------------------

TEXAS_VALUE = "Siobhán O'Connor & <Sons> 👩\u200d⚕\ufe0f نور"
SCRIPTS = [
    TEXAS_VALUE,
    "Nguyễn Thị Minh Khai",
    "Ελένη Παπαδοπούλου",
    "Иван Петров",
    "שלום עולם",
    "نور الهدى",
    "王小明",
    "김민준",
    "さくら",
]
# Not yet: Indic clusters (देवनागरी) are drawn right, but their extra glyphs have no text of
# their own, so Poppler splits the word and PDFium guesses letters for them.


@pytest.mark.parametrize("value", SCRIPTS)
def test_item1_every_script_is_drawn_and_extracted_as_typed(value: str) -> None:
    template = load_form("tx_nofr001")
    page = template.fields["Patient Name"].widgets[0].page

    result = fill_form(template, {"Patient Name": value}, flatten=True)

    poppler, _ = _poppler_text(result.pdf, page)
    assert value in poppler.splitlines()
    pdfium = _pdfium_text(result.pdf, page)
    assert value.replace("👩", "") in pdfium  # PDFium skips /ActualText: the emoji is missing
    missing = [o for o in result.overflow if o.reason == "unsupported_characters"]
    if "👩" in value:
        assert [o.field for o in missing] == ["Patient Name"]
        assert "U+1F469" in missing[0].detail
    else:
        assert missing == []


def test_item1_fonts_are_embedded_subsets_and_latin_stays_helvetica() -> None:
    template = load_form("tx_nofr001")
    latin = fill_form(template, {"Patient Name": "Maria Müller"}).pdf
    arabic = fill_form(template, {"Patient Name": "نور الهدى"}).pdf

    assert b"/FontFile2" not in latin[len(template.data) :]
    added = arabic[len(template.data) :]
    assert b"/FontFile2" in added
    assert b"/Identity-H" in added
    assert b"/ToUnicode" in added
    assert re.search(rb"/[A-Z]{6}\+NotoSansArabic", added)
    assert len(added) < 40_000


def test_item1_editable_fill_draws_every_script_in_pdfium() -> None:
    template = load_form("tx_nofr001")
    page = template.fields["Patient Name"].widgets[0].page
    result = fill_form(template, {"Patient Name": "王小明 نور"})
    image = render_pdfium(result.pdf, page)
    height = float(PdfReader(io.BytesIO(result.pdf)).pages[page].mediabox.height)
    assert ink(image, template.fields["Patient Name"].widgets[0].rect, height) > 20


# --- 2. flatten keeps what the editable view shows --------------------------------------------


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("06b_indirect_contents_array_form.pdf", "Test Paciente"),
        ("06_ppf_437_uscis_encrypted_form.pdf", "SAMPLECASE"),
        ("06c_ppf_757_uscis_encrypted_form.pdf", "SAMPLECASE"),
    ],
)
def test_item2_indirect_contents_array_stays_drawable_when_flattened(name: str, shown: str) -> None:
    result = _filled(name)
    page = prepare_template(_form(name)).fields[next(iter(_values(name)))].widgets[0].page
    text, errors = _poppler_text(result.pdf, page)
    assert "Weird page contents" not in errors
    assert shown in text
    assert len(text.split()) > 3  # the page's own text is still there


def test_item2_check_boxes_without_print_flag_or_appearance_stay_visible() -> None:
    name = "10_pdfjs_checkbox_no_appearance.pdf"
    data = _form(name)
    rects = {n: s.widgets[0].rect for n, s in prepare_template(data).fields.items()}

    ticked = fill_form(data, {"cbOff": True}, flatten=True)  # cbOn is ticked in the file

    for render in (render_pdfium, render_poppler):
        image = render(ticked.pdf, 0)
        assert ink(image, rects["cbOff"], 200) > 10
        assert ink(image, rects["cbOn"], 200) > 10
    assert ticked.overflow == []


def test_item2_non_printing_button_left_out_is_reported() -> None:
    result = _filled("09_pdfjs_160F-2019.pdf")
    left_out = [o for o in result.overflow if o.reason == "left_out"]
    assert [o.field for o in left_out] == ["B.Reset"]
    assert "Print flag" in left_out[0].detail


# --- 3. clear errors on broken files ----------------------------------------------------------

BROKEN = "07_pdfjs_issue19484_1.pdf"


def test_item3_inspect_on_a_damaged_pdf_is_one_line_and_exit_2(tmp_path: Path) -> None:
    path = tmp_path / BROKEN
    path.write_bytes(_form(BROKEN))
    result = CliRunner().invoke(main, ["forms", "inspect", str(path)])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1
    assert lines[0].startswith("error: ")
    assert BROKEN in lines[0]
    assert "damaged" in lines[0]
    assert "Traceback" not in result.output


@pytest.mark.parametrize("flatten", [False, True])
def test_item3_filling_or_inspecting_a_damaged_pdf_is_a_422(flatten: bool) -> None:
    with pytest.raises(UnreadablePdfError) as caught:
        fill_form(_form(BROKEN), {}, flatten=flatten)
    assert caught.value.status == 422
    with pytest.raises(UnreadablePdfError):
        inspect_form(_form(BROKEN), source=BROKEN)


def test_item3_uploading_a_damaged_pdf_is_a_422(client: FlaskClient, auth: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/denials",
        data={"file": (io.BytesIO(_form(BROKEN)), BROKEN)},
        headers=auth,
        content_type="multipart/form-data",
    )
    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"


# --- 4. on-state names in the form's own encoding ---------------------------------------------


@pytest.mark.parametrize("flatten", [False, True])
def test_item4_latin1_on_state_keeps_its_bytes(flatten: bool) -> None:
    name = "11_checkbox_latin1_on_state.pdf"
    result = _filled(name, flatten)
    added = result.pdf[len(_form(name)) :]
    assert b"#C3#AD" not in added
    if not flatten:
        assert b"/V /S#ED" in added
        assert b"/AS /S#ED" in added
        reader = PdfReader(io.BytesIO(result.pdf))
        widget = reader.pages[0]["/Annots"][0].get_object()
        assert str(widget["/AS"]) in [str(k) for k in widget["/AP"]["/N"]]
    image = render_poppler(result.pdf, 0)
    rect = prepare_template(_form(name)).fields["Casilla de verificación25"].widgets[0].rect
    assert ink(image, rect, 300) > 10


# --- 5. honest template checks ----------------------------------------------------------------

KNOWN = {"patient", "coverage", "prescriber", "today"}


def _check(name: str) -> Any:
    return check_template(field_file(f"templates/{name}").read_bytes(), KNOWN)


def test_item5_rich_tags_on_plain_case_values_are_refused_with_their_paragraph() -> None:
    report = _check("12_richtext_case_vars_tpl.docx")
    rich = [p for p in report.problems if p.kind == "rich_tag"]
    assert [p.paragraph for p in rich] == ["{{r patient.full_name}}", "{{r coverage.member_id}}"]
    assert "{{ patient.full_name }}" in rich[0].message
    assert not report.ok
    assert not report.publishable


def test_item5_unknown_variables_are_located_by_their_tag_not_by_a_word() -> None:
    report = _check("12_docxtpl_richtext_eastAsia_tpl.docx")
    where = {p.message.split("'")[1]: p.paragraph for p in report.problems}
    assert where == {
        "example": "{{r example}}",
        "Chinese": "{{r Chinese}}",
        "simsun": "{{r simsun}}",
    }


def test_item5_paragraphs_are_unescaped_and_found_by_tag() -> None:
    report = _check("13_docxtpl_module_execute_tpl.docx")
    where = {p.message.split("'")[1]: p.paragraph for p in report.problems}
    assert where["json_none_var"].startswith("{% if json_none_var is none %}")
    assert all("&lt;" not in p for p in where.values())
    assert "<- There should be" in where["json_none_var"]


@pytest.mark.parametrize(
    "name",
    [
        "14_docxtpl_comments_tpl.docx",
        "14_docxtpl_header_footer_tpl_utf8.docx",
        "14_docxtpl_less_cells_after_loop_tpl.docx",
        "14_docxtpl_preserve_spaces_tpl.docx",
        "15_tr_loop_ok_tpl.docx",
    ],
)
def test_item5_templates_that_passed_still_pass(name: str) -> None:
    report = _check(name)
    assert report.ok, report.problems
    assert all(p.kind == "unknown_variable" for p in report.problems)


def test_item5_spaced_tr_tag_is_still_a_syntax_error() -> None:
    report = _check("15_tr_loop_spaced_tpl.docx")
    assert [p.kind for p in report.problems] == ["syntax"]
    assert "{% tr for line in request.lines %}" in report.problems[0].paragraph


# --- 6. the field forms render like their goldens --------------------------------------------


def _pages(name: str) -> list[int]:
    fields = prepare_template(_form(name)).fields
    return sorted({fields[n].widgets[0].page for n in _values(name)})


def _diff_ratio(image: Image.Image, golden: Image.Image) -> float:
    if image.size != golden.size:
        return 1.0
    diff = ImageChops.difference(image.convert("L"), golden.convert("L"))
    histogram = diff.histogram()
    return sum(histogram[49:]) / (image.width * image.height)


@pytest.mark.parametrize("engine", ["poppler", "pdfium"])
@pytest.mark.parametrize("name", sorted(FORMS))
def test_item6_field_form_renders_like_its_golden(name: str, engine: str) -> None:
    result = _filled(name)
    render = render_poppler if engine == "poppler" else render_pdfium
    for page in _pages(name):
        image = render(result.pdf, page, GOLDEN_DPI)
        golden = GOLDEN / f"{name.split('_')[0]}_p{page + 1}_{engine}.png"
        if os.environ.get("FORMSERVICE_UPDATE_GOLDEN") == "1":
            image.save(golden, optimize=True)
            continue
        assert golden.is_file(), f"no golden {golden.name}: run with FORMSERVICE_UPDATE_GOLDEN=1"
        ratio = _diff_ratio(image, Image.open(golden))
        assert ratio <= MAX_DIFF_RATIO, f"{golden.name}: {ratio:.2%} of the pixels differ"
