"""The PDF form filler on the shipped payer forms and on real corpus forms with odd corners."""

from __future__ import annotations

import dataclasses
import io
import json
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from pdf_checks import (
    ink,
    page_text,
    read_values,
    render_pdfium,
    render_poppler,
    widget_states,
)
from pypdf import PdfReader

from formservice.documents.forms.field_maps import load_field_map, resolve_values
from formservice.documents.forms.fill import fill_form, prepare_template
from formservice.documents.forms.shipped import (
    DEFAULT_FORMS_DIR,
    list_forms,
    load_form,
    render_pa_form,
)
from formservice.errors import (
    BadInputError,
    NotFoundError,
    UnreadablePdfError,
    ValidationProblem,
)
from formservice.model import Case
from tests.corpus import corpus_path

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
TODAY = date(2026, 1, 22)
FORM_IDS = ("tx_nofr001", "cms1500", "nwhp_scalp_cooling_precert")
STANDARD_14 = {
    "/Helvetica",
    "/Helvetica-Bold",
    "/Helvetica-Oblique",
    "/Helvetica-BoldOblique",
    "/Times-Roman",
    "/Times-Bold",
    "/Times-Italic",
    "/Times-BoldItalic",
    "/Courier",
    "/Courier-Bold",
    "/Courier-Oblique",
    "/Courier-BoldOblique",
    "/Symbol",
    "/ZapfDingbats",
}


def _sample_cases() -> dict[str, Case]:
    """Every samples/cases/*.json through the schema loader (the hub's own path)."""
    from formservice.schemas.case import load_case

    paths = sorted((REPO / "samples" / "cases").glob("*.json"))
    return {p.stem: load_case(json.loads(p.read_text())) for p in paths}


SAMPLES = _sample_cases()


def _corpus(name: str) -> bytes:
    return corpus_path(f"acroforms/{name}").read_bytes()


@cache
def _blank_render(form_id: str, page: int, engine: str) -> Any:
    blank = load_form(form_id).data
    return (render_pdfium if engine == "pdfium" else render_poppler)(blank, page)


def _expected(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    return str(value)


def _page_height(pdf: bytes, page: int) -> float:
    return float(PdfReader(io.BytesIO(pdf)).pages[page].mediabox.height)


@pytest.mark.parametrize("form_id", FORM_IDS)
@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_sample_case_fills_every_mapped_field_visibly(form_id: str, sample: str) -> None:
    case = SAMPLES[sample]
    template = load_form(form_id)
    fmap = load_field_map(form_id, DEFAULT_FORMS_DIR, template)
    values, _ = resolve_values(fmap, case, today=TODAY)

    result = render_pa_form(case, form_id, today=TODAY)

    assert result.overflow == []  # the maps shrink narrow columns instead of clipping
    got = read_values(result.pdf)
    inked_pdfium: list[str] = []
    filled_buttons: list[str] = []
    for name, value in values.items():
        spec = template.fields[name]
        if value is None:
            continue
        if spec.kind == "checkbox":
            if isinstance(value, bool):
                expected_state = f"/{spec.on_states[0]}" if value else "/Off"
            else:
                expected_state = f"/{value}"
            assert str(got[name]) == expected_state, name
            if expected_state != "/Off":
                filled_buttons.append(name)
        elif spec.kind == "radio":
            assert str(got[name]) == f"/{value}", name
            filled_buttons.append(name)
        else:
            assert str(got[name]) == _expected(value), name
            if str(value).strip():
                inked_pdfium.append(name)
    assert inked_pdfium, "a sample case fills some text"

    reader = PdfReader(io.BytesIO(result.pdf))
    shown = [
        (name, widget)
        for name in inked_pdfium + filled_buttons
        for widget in template.fields[name].widgets
        if str(reader.get_object(widget.ref.idnum).get("/AS", "/On")) != "/Off"
    ]
    buttons = [(n, w) for n, w in shown if n in filled_buttons]
    assert len(buttons) >= len(filled_buttons)  # every ticked field shows at least one widget
    for page in sorted({w.page for _, w in shown}):
        height = _page_height(result.pdf, page)
        engines = [("pdfium", render_pdfium(result.pdf, page))]
        if any(w.page == page for _, w in buttons):
            engines.append(("poppler", render_poppler(result.pdf, page)))
        for engine, filled in engines:
            blank = _blank_render(form_id, page, engine)
            todo = shown if engine == "pdfium" else buttons
            for name, widget in todo:
                if widget.page == page:
                    before, after = (
                        ink(blank, widget.rect, height),
                        ink(filled, widget.rect, height),
                    )
                    if template.fields[name].kind == "combo":  # the blank shows "(select)"
                        assert after != before, (engine, name)
                    else:
                        assert after > before, (engine, name)


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_flattened_output_has_the_values_as_page_text_and_no_widgets(form_id: str) -> None:
    case = SAMPLES["01_breast_commercial_office"]
    template = load_form(form_id)
    values, _ = resolve_values(
        load_field_map(form_id, DEFAULT_FORMS_DIR, template), case, today=TODAY
    )

    flat = render_pa_form(case, form_id, today=TODAY, flatten=True).pdf

    text = page_text(flat)
    texts = [
        str(v)
        for n, v in values.items()
        if template.fields[n].kind == "text" and v is not None and str(v).strip()
    ]
    missing = [t for t in texts if "".join(t.split()) not in text]
    assert missing == []
    reader = PdfReader(io.BytesIO(flat))
    for page in reader.pages:
        subtypes = [a.get_object().get("/Subtype") for a in page.get("/Annots", [])]
        assert "/Widget" not in subtypes
    assert reader.trailer["/Root"]["/AcroForm"]["/Fields"] == []


def test_flattened_check_mark_is_page_content_in_both_renderers() -> None:
    case = SAMPLES["01_breast_commercial_office"]
    template = load_form("tx_nofr001")
    widget = template.fields["Review Type - Non-Urgent"].widgets[0]

    flat = render_pa_form(case, "tx_nofr001", today=TODAY, flatten=True).pdf

    height = _page_height(flat, widget.page)
    for render in (render_pdfium, render_poppler):
        blank = render(template.data, widget.page)
        assert ink(render(flat, widget.page), widget.rect, height) > ink(blank, widget.rect, height)


def test_texas_form_png_for_a_person_to_look_at() -> None:
    """Renders the filled Texas form where a reviewer (and CI artifacts) can see it."""
    case = SAMPLES["01_breast_commercial_office"]
    pdf = render_pa_form(case, "tx_nofr001", today=TODAY).pdf
    ARTIFACTS.mkdir(exist_ok=True)

    for page in (0, 1):
        image = render_poppler(pdf, page, dpi=110)
        image.save(ARTIFACTS / f"tx_nofr001_sample01_page{page + 1}.png")
    (ARTIFACTS / "tx_nofr001_sample01.pdf").write_bytes(pdf)

    page2 = render_pdfium(pdf, 1)
    blank = render_pdfium(load_form("tx_nofr001").data, 1)
    assert sum(page2.histogram()[:128]) > sum(blank.histogram()[:128])


def test_site_of_care_and_sex_tick_the_right_boxes() -> None:
    office = SAMPLES["01_breast_commercial_office"]
    outpatient = dataclasses.replace(
        office, treatment=dataclasses.replace(office.treatment, site_of_care="hospital_outpatient")
    )

    got_office = read_values(render_pa_form(office, "tx_nofr001", today=TODAY).pdf)
    got_outpatient = read_values(render_pa_form(outpatient, "tx_nofr001", today=TODAY).pdf)

    assert (str(got_office["Provider Office"]), str(got_office["Outpatient"])) == ("/On", "/Off")
    assert (str(got_outpatient["Provider Office"]), str(got_outpatient["Outpatient"])) == (
        "/Off",
        "/On",
    )
    assert str(got_office["Review Type - Non-Urgent"]) == "/On"
    assert str(got_office["Review Type - Urgent"]) == "/Off"
    assert str(got_office["Paitent Gender - Female"]) == "/On"
    assert str(got_office["Paitent Gender - Male"]) == "/Off"


def test_services_rows_carry_codes_dates_and_diagnosis() -> None:
    case = SAMPLES["01_breast_commercial_office"]
    got = read_values(render_pa_form(case, "tx_nofr001", today=TODAY).pdf)
    t = case.treatment
    assert t.start_date is not None
    assert t.sessions
    assert t.cycle_length_days
    last = t.start_date.toordinal() + t.cycle_length_days * (t.sessions - 1)

    # 2026 dates of service: the crosswalk's 97008 per session. The sample gives no minutes of
    # cooling after the infusion, so no 97009 line: a line with no quantity is not asked for
    # (neither the LMN nor the claim asks for it either).
    assert got["Planned Service or Procedure Code Row 1"] == "97008"
    assert got["Planned Service or Procedure Row 1"] == (
        "Scalp cooling: prep, cap fit, pre-cooling, 6 units"
    )
    assert not got.get("Planned Service or Procedure Code Row 2")
    assert not got.get("Planned Service or Procedure Row 2")
    # The payer reads Section VI: no note to the clinic about unconfirmed codes (that is the
    # form's codes_not_verified warning, for staff), and no "signed" letter before it is signed.
    section_vi = got["SECTION VI  CLINICAL DOCUMENTATION SEE INSTRUCTIONS PAGE SECTION VI"]
    assert "(CPT 97008 x6)" in section_vi
    assert "confirmed" not in section_vi
    assert "secondary sources" not in section_vi
    assert "signed" not in section_vi
    assert got["Planned Service or Procedure Start Date Row 1"] == t.start_date.strftime("%m/%d/%Y")
    assert got["Planned Service or Procedure End Date Row 1"] == date.fromordinal(last).strftime(
        "%m/%d/%Y"
    )
    # With 90 minutes of cooling after each infusion: 97009, three 30-minute units a session.
    timed = dataclasses.replace(
        case, treatment=dataclasses.replace(t, post_infusion_cooling_minutes=90)
    )
    got = read_values(render_pa_form(timed, "tx_nofr001", today=TODAY).pdf)
    assert got["Planned Service or Procedure Code Row 2"] == "97009"
    assert got["Planned Service or Procedure Row 2"] == (
        f"Scalp cooling after infusion, per 30 min, {3 * t.sessions} units"
    )
    assert got["Planned Service or Procedure End Date Row 2"] == date.fromordinal(last).strftime(
        "%m/%d/%Y"
    )
    assert got["Planned Service or Procedure Diagnosis Code Row 1"] == case.primary_diagnosis.code
    assert got["Submission Date"] == "01/22/2026"


def test_fill_appends_one_incremental_update_and_is_deterministic() -> None:
    template = load_form("tx_nofr001")
    values = {"Issuer Name": "Northwind Health Plan", "Review Type - Non-Urgent": True}

    first = fill_form(template, values).pdf
    second = fill_form(template, values).pdf

    assert first.startswith(template.data)  # the template's bytes are never rewritten
    assert first == second
    assert len(first) - len(template.data) < 20_000


def test_appearance_fonts_are_standard_14_or_embedded() -> None:
    case = SAMPLES["01_breast_commercial_office"]
    pdf = render_pa_form(case, "tx_nofr001", today=TODAY).pdf
    reader = PdfReader(io.BytesIO(pdf))
    seen = set()
    for page in reader.pages:
        for annot in page.get("/Annots", []):
            annot = annot.get_object()
            if "/V" not in annot or annot.get("/FT") != "/Tx":
                continue
            stream = annot["/AP"]["/N"].get_object()
            for font in stream["/Resources"]["/Font"].values():
                font = font.get_object()
                descriptor = font.get("/FontDescriptor")
                embedded = descriptor is not None and any(
                    k in descriptor.get_object() for k in ("/FontFile", "/FontFile2", "/FontFile3")
                )
                assert font["/BaseFont"] in STANDARD_14 or embedded
                seen.add(font["/BaseFont"])
            assert b"/Calibri" not in stream.get_data()
            assert "/FsHelv" in str(annot["/DA"])
    assert "/Helvetica" in seen
    assert "/NeedAppearances" not in reader.trailer["/Root"]["/AcroForm"]


# --- field kinds on real forms ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("corpus_file", "field", "on_state"),
    [
        ("pdfjs_issue14705_checkbox_checked_value.pdf", "chk_set_textfield", "/checked"),
        ("ppf_560_swiss_oxygen_prescription_form.pdf", "LiMA", "/Ja"),
        ("pdflib_sample_form.pdf", "PHD", "/On"),
        ("pdfjs_prefilled_f1040_2010.pdf", "topmostSubform[0].Page2[0].c2_16[0]", "/1"),
        ("pypdf_pdflatex_forms.pdf", None, "/Yes"),
    ],
)
def test_checkbox_uses_the_widgets_own_on_state(
    corpus_file: str, field: str | None, on_state: str
) -> None:
    template = prepare_template(_corpus(corpus_file), source=corpus_file)
    name = field or next(n for n, s in template.fields.items() if s.kind == "checkbox")

    pdf = fill_form(template, {name: True}).pdf

    assert str(read_values(pdf)[name]) == on_state
    assert on_state in widget_states(pdf, name.rsplit(".", 1)[-1])


def test_radio_by_export_value_sets_parent_value_and_each_kid_state_for_poppler() -> None:
    template = prepare_template(_corpus("ppf_613_osha_301_incident_report.pdf"))
    spec = template.fields["301 Gender"]

    pdf = fill_form(template, {"301 Gender": "Female"}).pdf

    assert str(read_values(pdf)["301 Gender"]) == "/Female"
    assert sorted(widget_states(pdf, "301 Gender")) == ["/Female", "/Off"]
    female, male = sorted(spec.widgets, key=lambda w: w.on_states != ("Female",))
    page = female.page
    height = _page_height(pdf, page)
    image = render_poppler(pdf, page)
    blank = render_poppler(template.data, page)
    assert ink(image, female.rect, height) > ink(blank, female.rect, height)
    assert ink(image, male.rect, height) == ink(blank, male.rect, height)


def test_radio_by_opt_value_selects_the_matching_kid() -> None:
    template = prepare_template(_corpus("ppf_sample_template_with_dropdown.pdf"))

    pdf = fill_form(template, {"radio_1": "Choice2"}).pdf

    assert str(read_values(pdf)["radio_1"]) == "/1"
    assert widget_states(pdf, "radio_1") == ["/Off", "/1", "/Off"]


def test_combo_and_list_take_options_and_show_them() -> None:
    template = prepare_template(_corpus("pdfjs_resetform.pdf"))
    values = {"Dropdown12": "B", "List Box13": "f"}

    pdf = fill_form(template, values).pdf

    got = read_values(pdf)
    assert (got["Dropdown12"], got["List Box13"]) == ("b", "f")
    reader = PdfReader(io.BytesIO(pdf))
    fields = {
        f.get_object()["/T"]: f.get_object()
        for f in reader.trailer["/Root"]["/AcroForm"]["/Fields"]
    }
    assert list(fields["List Box13"]["/I"]) == [2]
    page = template.fields["Dropdown12"].widgets[0].page
    image, blank = render_pdfium(pdf, page), render_pdfium(template.data, page)
    height = _page_height(pdf, page)
    for name in values:
        rect = template.fields[name].widgets[0].rect
        assert ink(image, rect, height) != ink(blank, rect, height), name


def test_choice_not_in_options_is_a_422_naming_field_and_value() -> None:
    template = load_form("nwhp_scalp_cooling_precert")

    with pytest.raises(ValidationProblem) as caught:
        fill_form(template, {"plan_type": "Platinum PPO"})

    assert caught.value.status == 422
    assert "plan_type" in caught.value.errors
    assert "Platinum PPO" in caught.value.errors["plan_type"][0]


def test_unknown_field_is_a_422_naming_it() -> None:
    with pytest.raises(ValidationProblem) as caught:
        fill_form(load_form("tx_nofr001"), {"Favourite Colour": "blue"})
    assert "Favourite Colour" in caught.value.errors


def test_nwhp_form_check_boxes_use_x_radio_and_dropdown() -> None:
    case = SAMPLES["01_breast_commercial_office"]
    pdf = render_pa_form(case, "nwhp_scalp_cooling_precert", today=TODAY).pdf
    got = read_values(pdf)

    assert str(got["att_lmn"]) == "/X"
    assert str(got["att_pathology"]) == "/Off"
    assert str(got["request_type"]) == "/initial"
    assert got["plan_type"] == "Commercial"
    assert got["alopecia_risk"] == "High"
    assert "\n" not in got["clinical_summary"]
    assert len(got["clinical_summary"]) > 200


# --- encryption, XFA, bad templates -------------------------------------------------------------


def test_encrypted_xfa_form_with_empty_password_fills_in_the_clear_without_xfa() -> None:
    data = _corpus("ppf_1087_uscis_i140_encrypted_xfa.pdf")
    assert PdfReader(io.BytesIO(data)).is_encrypted
    template = prepare_template(data, source="i140.pdf")
    name = next(n for n, s in template.fields.items() if s.kind == "text")

    pdf = fill_form(template, {name: "MARKER-1087"}).pdf

    reader = PdfReader(io.BytesIO(pdf))
    assert not reader.is_encrypted
    assert "/XFA" not in reader.trailer["/Root"]["/AcroForm"]
    assert read_values(pdf)[name] == "MARKER-1087"


def test_xfa_hybrid_loses_xfa_so_viewers_show_acroform_values() -> None:
    template = prepare_template(_corpus("ppf_939_irs_f1040_2024_xfa.pdf"))
    pdf = fill_form(template, {}).pdf
    assert "/XFA" not in PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/AcroForm"]


def test_form_without_fields_is_a_clear_error() -> None:
    with pytest.raises(BadInputError, match="no fillable form fields"):
        prepare_template(_corpus("irs_fw4_2025_macos_resaved_nofields.pdf"), source="fw4.pdf")


def test_corrupt_template_error_names_the_file() -> None:
    with pytest.raises(UnreadablePdfError, match="broken.pdf"):
        prepare_template(b"%PDF-1.7\nthis is not a pdf", source="broken.pdf")


def test_password_protected_template_error_names_the_file() -> None:
    data = corpus_path("scans/pdfplumber_password_example_encrypted.pdf").read_bytes()
    with pytest.raises(BadInputError, match=r"locked\.pdf.*password"):
        prepare_template(data, source="locked.pdf")


@pytest.mark.parametrize("form_id", ["no_such_form", "../pdf/tx_nofr001", "TX_NOFR001", ""])
def test_unknown_form_id_is_not_found(form_id: str) -> None:
    with pytest.raises(NotFoundError):
        load_form(form_id)


def test_forms_directory_is_a_parameter(tmp_path: Path) -> None:
    (tmp_path / "mine.pdf").write_bytes(
        (DEFAULT_FORMS_DIR / "nwhp_scalp_cooling_precert.pdf").read_bytes()
    )
    (tmp_path / "mine.map.yaml").write_text(
        "form: {id: mine, title: Mine}\nfields:\n  member_id: {source: coverage.member_id}\n"
    )

    forms = list_forms(tmp_path)
    result = render_pa_form(
        SAMPLES["01_breast_commercial_office"], "mine", today=TODAY, forms_dir=tmp_path
    )

    assert [(f.form_id, f.title, f.mapped_fields) for f in forms] == [("mine", "Mine", 1)]
    assert (
        read_values(result.pdf)["member_id"]
        == SAMPLES["01_breast_commercial_office"].coverage.member_id
    )


def test_list_forms_names_the_shipped_forms() -> None:
    forms = {f.form_id: f for f in list_forms()}
    assert set(forms) == set(FORM_IDS)
    assert forms["tx_nofr001"].pages == 2
    assert forms["tx_nofr001"].mapped_fields >= 40
    assert forms["cms1500"].fields == 252


# --- text that does not fit ---------------------------------------------------------------------


def test_max_length_overflow_is_reported_and_value_cut_to_the_limit() -> None:
    template = load_form("cms1500")  # birth_mm has MaxLen 2

    result = fill_form(template, {"birth_mm": "123"})

    assert [(o.field, o.reason) for o in result.overflow] == [("birth_mm", "max_length")]
    assert read_values(result.pdf)["birth_mm"] == "12"


def test_fixed_size_text_too_wide_is_reported_not_silently_clipped() -> None:
    template = load_form("tx_nofr001")  # DA fixes 10 pt; the code column is 34 pt wide
    result = fill_form(template, {"Planned Service or Procedure Code Row 1": "0662T, 0663T, 96413"})
    assert [(o.field, o.reason) for o in result.overflow] == [
        ("Planned Service or Procedure Code Row 1", "width")
    ]


def test_auto_size_field_shrinks_instead_of_overflowing() -> None:
    template = load_form("nwhp_scalp_cooling_precert")  # line*_desc has DA size 0 (auto)
    long = "Scalp cooling: device placement, monitoring and removal, per session, 6 units"

    result = fill_form(template, {"line2_desc": long})

    assert result.overflow == []
    ap = PdfReader(io.BytesIO(result.pdf))
    stream = next(
        a.get_object()["/AP"]["/N"].get_object().get_data()
        for a in ap.pages[0]["/Annots"]
        if a.get_object().get("/T") == "line2_desc"
    )
    size = float(stream.split(b" Tf")[0].split()[-1])
    assert 5 <= size < 9


def test_multiline_text_that_cannot_fit_is_reported() -> None:
    template = load_form("tx_nofr001")
    name = "SECTION VI  CLINICAL DOCUMENTATION SEE INSTRUCTIONS PAGE SECTION VI"
    result = fill_form(template, {name: "Clinical notes. " * 200})
    assert [(o.field, o.reason) for o in result.overflow] == [(name, "height")]


def test_characters_no_font_has_are_reported_and_kept_in_the_value() -> None:
    template = load_form("tx_nofr001")
    result = fill_form(template, {"Patient Name": "Nguyễn Thị Test \U000f0001"})
    assert [(o.field, o.reason) for o in result.overflow] == [
        ("Patient Name", "unsupported_characters")
    ]
    assert "U+F0001" in result.overflow[0].detail
    assert read_values(result.pdf)["Patient Name"] == "Nguyễn Thị Test \U000f0001"


def test_special_characters_survive_in_value_and_text() -> None:
    template = load_form("tx_nofr001")
    name = "Maria O'Connor & Sons (née Müller) \\ 50%"

    result = fill_form(template, {"Patient Name": name}, flatten=True)

    assert result.overflow == []
    assert "".join(name.split()) in page_text(result.pdf)


@pytest.mark.parametrize("flatten", [False, True])
@pytest.mark.parametrize("form_id", FORM_IDS)
def test_output_structure_passes_qpdf_checks(form_id: str, flatten: bool) -> None:
    """qpdf (through pikepdf) finds no problem in a fill that the template did not have."""
    import pikepdf

    def problems(pdf: bytes) -> set[str]:
        with pikepdf.open(io.BytesIO(pdf)) as doc:
            found = doc.check_pdf_syntax()
        return {p[p.index("(") :] if "(" in p else p.rsplit(": ", 1)[-1] for p in found}

    template = load_form(form_id)
    case = SAMPLES["01_breast_commercial_office"]
    pdf = render_pa_form(case, form_id, today=TODAY, flatten=flatten).pdf

    assert problems(pdf) <= problems(template.data)


def test_render_names_the_case_path_when_a_value_does_not_fit_a_choice(tmp_path: Path) -> None:
    source = DEFAULT_FORMS_DIR / "nwhp_scalp_cooling_precert.pdf"
    (tmp_path / "nw.pdf").write_bytes(source.read_bytes())
    (tmp_path / "nw.map.yaml").write_text(
        "fields:\n  alopecia_risk: {source: treatment.regimen}\n", encoding="utf-8"
    )

    with pytest.raises(ValidationProblem) as caught:
        render_pa_form(
            SAMPLES["01_breast_commercial_office"], "nw", today=TODAY, forms_dir=tmp_path
        )

    message = caught.value.errors["treatment.regimen"][0]
    assert "alopecia_risk" in message
    assert "is not one of the options" in message


def test_concurrent_fills_of_one_cached_template_give_identical_bytes() -> None:
    from concurrent.futures import ThreadPoolExecutor

    case = SAMPLES["02_ovarian_medicare_outpatient"]
    expected = render_pa_form(case, "tx_nofr001", today=TODAY).pdf
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(
            pool.map(lambda _: render_pa_form(case, "tx_nofr001", today=TODAY).pdf, range(8))
        )
    assert all(result == expected for result in results)
