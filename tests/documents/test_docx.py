"""The DOCX renderer: docxtpl-equivalent output, escaping, sandbox, determinism, provenance."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from docxtpl import DocxTemplate
from lxml import etree

from formservice.documents.docx.render import (
    TemplateRenderError,
    compile_template,
    document_text,
    read_properties,
    render_docx,
    template_environment,
)
from formservice.errors import TemplateRejectedError
from tests.corpus import corpus_path

HARD_NAME = "O'Connor & <Sons> 👩‍⚕️ نور"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
PROPS = {"formservice.template": "t", "formservice.template_sha256": "0" * 64}


def make_template(
    *paragraphs: str, header: str = "", footer: str = "", rows: bool = False
) -> bytes:
    """A small DOCX template written with python-docx: every tag in one run."""
    doc = Document()
    for text in paragraphs:
        doc.add_paragraph(text)
    if rows:
        table = doc.add_table(rows=3, cols=2)
        table.rows[0].cells[0].paragraphs[0].add_run("{%tr for item in items %}")
        table.rows[1].cells[0].paragraphs[0].add_run("{{ item.code }}")
        table.rows[1].cells[1].paragraphs[0].add_run("{{ item.units }}")
        table.rows[2].cells[0].paragraphs[0].add_run("{%tr endfor %}")
    if header:
        doc.sections[0].header.paragraphs[0].add_run(header)
    if footer:
        doc.sections[0].footer.paragraphs[0].add_run(footer)
    doc.core_properties.title = "Letter for {{ name }}"
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def naive(template: bytes | Path, context: dict[str, Any]) -> bytes:
    """The plain docxtpl path the renderer must agree with."""
    source = io.BytesIO(template) if isinstance(template, bytes) else template
    tpl = DocxTemplate(source)
    tpl.render(context, template_environment())
    out = io.BytesIO()
    tpl.save(out)
    return out.getvalue()


def member(docx: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(docx)) as zf:
        return zf.read(name)


def texts(xml: bytes) -> str:
    """Every w:t of a part, joined (what a reader of the document sees)."""
    return "".join(t.text or "" for t in etree.fromstring(xml).iter(f"{W}t"))


CONTEXT = {
    "name": HARD_NAME,
    "items": [{"code": "0662T", "units": 1}, {"code": "0663T", "units": 6}],
    "notes": "line one\nline two",
    "unknown": None,
}


def test_same_document_xml_as_plain_docxtpl_with_tables_headers_and_footers() -> None:
    template = make_template(
        "Patient: {{ name }}",
        "{%p for item in items %}",
        "Code {{ item.code }} × {{ item.units }}",
        "{%p endfor %}",
        "Notes: {{ notes }}",
        header="Header {{ name }}",
        footer="Footer {{ items | length }}",
        rows=True,
    )
    ours, theirs = render_docx(template, CONTEXT, properties=PROPS), naive(template, CONTEXT)
    for part in ("word/document.xml", "word/header1.xml", "word/footer1.xml"):
        assert member(ours, part) == member(theirs, part), part
    text = document_text(ours)
    assert "Code 0663T × 6" in text
    assert texts(member(ours, "word/header1.xml")) == f"Header {HARD_NAME}"
    assert texts(member(ours, "word/footer1.xml")) == "Footer 2"
    # docxtpl's listing behaviour survives: a newline in a value is a line break.
    assert b'line one</w:t><w:br/><w:t xml:space="preserve">line two' in member(
        ours, "word/document.xml"
    )


def test_special_characters_are_escaped_exactly_once() -> None:
    out = render_docx(make_template("Name: {{ name }}"), CONTEXT, properties=PROPS)
    xml = member(out, "word/document.xml")
    assert f"Name: {HARD_NAME}" in texts(xml)
    assert "O'Connor &amp; &lt;Sons&gt; 👩‍⚕️ نور".encode() in xml
    assert b"&amp;amp;" not in xml
    assert b"&#39;" not in xml  # re-serialised as a plain apostrophe, not an entity


def test_none_renders_as_empty_text() -> None:
    out = render_docx(make_template("[{{ unknown }}]"), CONTEXT, properties=PROPS)
    assert "[]" in document_text(out)


def test_missing_variable_is_a_clear_error() -> None:
    with pytest.raises(TemplateRenderError, match="'patient' is undefined") as err:
        render_docx(make_template("Dear {{ patient.name }}"), CONTEXT, properties=PROPS)
    assert err.value.security is False
    assert err.value.status == 500


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ name.__class__.__base__.__subclasses__() }}",
        "{{ items.__len__ }}",
        "{{ items.append(1) }}",
    ],
)
def test_sandbox_blocks_unsafe_access(source: str) -> None:
    # The template's fault, not the server's: a 422 with the reason (issue 15 item 9).
    with pytest.raises(TemplateRejectedError, match="sandbox") as err:
        render_docx(make_template(source), CONTEXT, properties=PROPS)
    assert err.value.status == 422
    assert err.value.extra["limit"] == "sandbox"


def test_syntax_error_points_at_the_paragraph() -> None:
    with pytest.raises(TemplateRenderError, match="TemplateSyntaxError") as err:
        compile_template(make_template("fine", "{% if %}broken", "after"))
    assert err.value.line is not None
    assert any("broken" in line for line in err.value.excerpt)


def test_not_a_docx_is_a_template_error() -> None:
    with pytest.raises(TemplateRenderError, match="not a readable DOCX"):
        render_docx(b"plain text, not a zip", CONTEXT, properties=PROPS)


def test_output_is_byte_identical_and_timestamps_are_fixed() -> None:
    template = make_template("Patient: {{ name }}", header="H {{ name }}")
    first = render_docx(template, CONTEXT, properties=PROPS, created=date(2026, 1, 20))
    second = render_docx(template, CONTEXT, properties=PROPS, created=date(2026, 1, 20))
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as zf:
        assert zf.testzip() is None  # every member's CRC checks out
        assert {info.date_time for info in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        names = zf.namelist()
        core = zf.read("docProps/core.xml").decode()
    with zipfile.ZipFile(io.BytesIO(template)) as zf:
        assert names[: len(zf.namelist())] == zf.namelist()  # template order kept
    assert '<dcterms:created xsi:type="dcterms:W3CDTF">2026-01-20T00:00:00Z<' in core
    assert '<dcterms:modified xsi:type="dcterms:W3CDTF">2026-01-20T00:00:00Z<' in core
    assert "<dc:title>Letter for O'Connor &amp; &lt;Sons&gt; 👩‍⚕️ نور</dc:title>" in core


def test_letter_date_in_context_dates_the_core_properties() -> None:
    context = {**CONTEXT, "document": {"date_iso": "2025-12-31"}}
    out = render_docx(make_template("x"), context, properties=PROPS)
    assert b"2025-12-31T00:00:00Z" in member(out, "docProps/core.xml")


def test_custom_properties_carry_provenance_and_open_in_python_docx() -> None:
    props = {
        "formservice.template": "letter_of_medical_necessity",
        "formservice.template_sha256": "a" * 64,
        "formservice.input_sha256": "b" * 64,
    }
    out = render_docx(make_template("{{ name }}"), CONTEXT, properties=props)
    assert read_properties(out) == props
    types = member(out, "[Content_Types].xml").decode()
    assert 'PartName="/docProps/custom.xml"' in types
    assert "relationships/custom-properties" in member(out, "_rels/.rels").decode()
    reopened = Document(io.BytesIO(out))  # still a valid package
    assert reopened.paragraphs[0].text == HARD_NAME
    other = render_docx(
        make_template("{{ name }}"),
        CONTEXT,
        properties={**props, "formservice.input_sha256": "c" * 64},
    )
    assert other != out


def test_compiled_templates_are_cached_by_content_hash(tmp_path: Path) -> None:
    template = make_template("{{ name }}")
    path = tmp_path / "t.docx"
    path.write_bytes(template)
    assert compile_template(template) is compile_template(path)
    changed = make_template("{{ name }}!")
    assert compile_template(changed) is not compile_template(template)
    assert compile_template(changed).sha256 != compile_template(template).sha256


def test_rendered_template_is_never_reused_between_contexts() -> None:
    template = make_template("{{ name }}")
    first = render_docx(template, {"name": "Alpha"}, properties=PROPS)
    second = render_docx(template, {"name": "Beta"}, properties=PROPS)
    assert "Alpha" in document_text(first)
    assert "Beta" in document_text(second)
    assert "Alpha" not in document_text(second)


# Real docxtpl example templates (tests/fixtures/PROVENANCE.md) that render with plain strings.
CORPUS_TEMPLATES = [
    "docxtpl_doc_properties_tpl.docx",
    "docxtpl_escape_tpl.docx",
    "docxtpl_header_footer_entities_tpl.docx",
    "docxtpl_header_footer_image_tpl.docx",
    "docxtpl_header_footer_tpl.docx",
    "docxtpl_horizontal_merge_tpl.docx",
    "docxtpl_merge_paragraph_tpl.docx",
    "docxtpl_richtext_and_if_tpl.docx",
    "docxtpl_richtext_paragraph_tpl.docx",
    "docxtpl_richtext_tpl.docx",
    "docxtpl_word2016_tpl.docx",
]


@pytest.mark.parametrize("name", CORPUS_TEMPLATES)
def test_corpus_templates_render_like_plain_docxtpl(name: str) -> None:
    path = corpus_path(f"docx_templates/{name}")
    variables = DocxTemplate(path).get_undeclared_template_variables(template_environment())
    context = {v: f"{HARD_NAME} <{v}>" for v in variables}
    ours, theirs = render_docx(path, context, properties=PROPS), naive(path, context)
    with zipfile.ZipFile(io.BytesIO(theirs)) as zf:
        parts = [
            n
            for n in zf.namelist()
            if n == "word/document.xml" or n.startswith(("word/header", "word/footer"))
        ]
    assert "word/document.xml" in parts
    for part in parts:
        assert member(ours, part) == member(theirs, part), part


def test_concurrent_renders_match_sequential_ones() -> None:
    from concurrent.futures import ThreadPoolExecutor

    template = make_template(
        "{{ name }}", "{%p for item in items %}", "{{ item.code }}", "{%p endfor %}"
    )
    contexts = [{**CONTEXT, "name": f"Patient {i}"} for i in range(8)]
    expected = [render_docx(template, c, properties=PROPS) for c in contexts]
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(lambda c: render_docx(template, c, properties=PROPS), contexts))
    assert got == expected


@pytest.mark.parametrize(
    ("footer", "static"),
    [
        ("Page footer, the same for every patient", True),
        ("Footer {{ name }}", False),
        ("Footer {# a comment prints nothing, whatever the context #}", True),
        ("Footer {{ 'fixed' }}", False),  # an expression, even a constant one, is rendered
        ("Footer {% if name %}x{% endif %}", False),
    ],
)
def test_a_part_without_jinja_syntax_is_rendered_once_and_stays_docxtpls(
    footer: str, static: bool
) -> None:
    # A static part's bytes are kept after its first render: they must be what docxtpl writes,
    # for every later context too, and a part with any expression or tag must never be kept.
    template = make_template("Patient: {{ name }}", header="Header {{ name }}", footer=footer)
    compiled = compile_template(template)
    assert {p.name: p.static for p in compiled.parts}["word/footer1.xml"] is static
    for name in ("Ada Samplecase", "Bea Testperson"):
        context = {**CONTEXT, "name": name}
        ours, theirs = render_docx(template, context, properties=PROPS), naive(template, context)
        for part in ("word/document.xml", "word/header1.xml", "word/footer1.xml"):
            assert member(ours, part) == member(theirs, part), (name, part)
        assert texts(member(ours, "word/header1.xml")) == f"Header {name}"
    assert ("word/footer1.xml" in compiled.static_packed) is static


@pytest.mark.parametrize("columns", [1, 4, 6])
def test_column_loops_fix_the_table_grid_as_docxtpl_does(columns: int) -> None:
    # docxtpl's {%tc %} example: the grid gains or loses columns, fix_tables rescales it.
    path = corpus_path("docx_templates/docxtpl_dynamic_table_tpl.docx")
    labels = [f"col {i}" for i in range(columns)]
    context = {
        "col_labels": labels,
        "tbl_contents": [
            {"label": f"row {r}", "cols": [f"{r}.{c}" for c in range(columns)]} for r in range(3)
        ],
    }
    ours, theirs = render_docx(path, context, properties=PROPS), naive(path, context)
    assert member(ours, "word/document.xml") == member(theirs, "word/document.xml")
    assert all(label in document_text(ours) for label in labels)


DICT_EXPRESSIONS = [
    "{{ d.name }}",
    "{{ d.items is callable }}|{{ d['items'] }}",  # a key named like a dict method
    "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}",
    "{{ d.get('name') }}|{{ d.keys() | list | length }}",
    "{{ d.missing is defined }}|{{ d.nested.inner }}|{{ d._private }}",
    "{{ d.nested.missing is defined }}|{{ d.counts.name is defined }}",
]


@pytest.mark.parametrize("expression", DICT_EXPRESSIONS)
def test_dict_attribute_shortcut_answers_as_jinjas_sandbox(expression: str) -> None:
    # LimitedSandbox.getattr takes a plain dict's item without trying the attribute first:
    # every answer, and every undefined, must be the one Jinja's own sandbox gives.
    from collections import Counter

    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    context = {
        "d": {
            "name": HARD_NAME,
            "items": "a key, not the method",
            "nested": {"inner": 2},
            "_private": "kept",
            "counts": Counter(name=3),  # a dict subclass: Jinja's own path
        }
    }
    jinja = ImmutableSandboxedEnvironment(autoescape=True, undefined=StrictUndefined)
    ours = template_environment()
    assert ours.from_string(expression).render(context) == jinja.from_string(expression).render(
        context
    )


def test_dict_attribute_shortcut_keeps_strict_undefined() -> None:
    from jinja2 import UndefinedError

    with pytest.raises(UndefinedError, match="missing"):
        template_environment().from_string("{{ d.missing }}").render({"d": {}})


def _table(grid: int, rows: list[list[str | None]], *, nested: str = "") -> str:
    """A w:tbl with `grid` gridCol entries and rows of cells; a cell's value is its gridSpan
    (None: no tcPr)."""
    cols = "".join(f'<w:gridCol w:w="{1000 + 10 * i}"/>' for i in range(grid))
    body = ""
    for row in rows:
        cells = "".join(
            "<w:tc><w:p/></w:tc>"
            if span is None
            else f'<w:tc><w:tcPr><w:gridSpan w:val="{span}"/></w:tcPr><w:p/></w:tc>'
            for span in row
        )
        body += f"<w:tr>{cells}</w:tr>"
    grid_xml = f"<w:tblGrid>{cols}</w:tblGrid>" if grid >= 0 else ""
    return f"<w:tbl>{grid_xml}{body}{nested}</w:tbl>"


# name: (tables, whether fix_tables leaves them alone and the check may say so)
GRID_CASES = {
    "grid as wide as its rows": (_table(2, [[None, None], [None, None]]), True),
    "a span filling the grid": (_table(3, [["2", None], [None, None, None]]), True),
    "a row wider than the grid": (_table(2, [[None, None, None]]), False),
    "a grid wider than every row": (_table(3, [[None, None], ["1", None]]), False),
    "spans narrower than the grid": (_table(4, [["2", None]]), False),
    "a span that is not a number": (_table(2, [["x"]]), False),
    # int(" 2") reads it; the check does not and hands it over (fix_tables changes nothing).
    "a span with spaces": (_table(2, [[" 2"]]), False),
    "no grid": (_table(-1, [[None]]), False),
    "no rows": (_table(2, []), False),
    "a nested table's row counts for the outer one": (
        _table(1, [[None]], nested=_table(1, [[None, None]])),
        False,
    ),
    "two tables, the second to fix": (_table(1, [[None]]) + _table(1, [[None, None]]), False),
}


@pytest.mark.parametrize("name", list(GRID_CASES))
def test_the_grid_check_says_fix_tables_would_change_nothing_only_when_it_would_not(
    name: str,
) -> None:
    # The renderer skips docxtpl's fix_tables when `_grids_match` says it would change nothing:
    # that must hold exactly, or a letter's table would keep a wrong grid.
    from docxtpl.template import DocxTemplate as Helper

    from formservice.documents.docx.render import _grids_match

    tables, expected = GRID_CASES[name]
    xml = f'<w:body xmlns:w="{W[1:-1]}">{tables}</w:body>'
    tree = etree.fromstring(xml, parser=etree.XMLParser(recover=True))
    try:
        fixed = etree.tostring(Helper.fix_tables(None, xml))
    except (AttributeError, ValueError, TypeError):
        fixed = None  # fix_tables itself fails on it: the check must hand it over
    assert _grids_match(tree) is expected
    if expected:
        assert fixed == etree.tostring(tree)
    elif name != "a span with spaces":
        assert fixed != etree.tostring(tree)


def test_drawings_are_numbered_as_docxtpl_numbers_them() -> None:
    # docxtpl renumbers every wp:docPr from 1001 on each render (fix_docpr_ids): two pictures,
    # one inside a loop, must get the ids plain docxtpl gives them.
    from PIL import Image

    png = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(png, format="PNG")
    doc = Document()
    doc.add_paragraph("{{ name }}")
    doc.add_picture(io.BytesIO(png.getvalue()))
    doc.add_paragraph("{%p for item in items %}")
    doc.add_picture(io.BytesIO(png.getvalue()))
    doc.add_paragraph("{%p endfor %}")
    template = io.BytesIO()
    doc.save(template)
    ours = render_docx(template.getvalue(), CONTEXT, properties=PROPS)
    theirs = naive(template.getvalue(), CONTEXT)
    xml = member(ours, "word/document.xml")
    assert xml == member(theirs, "word/document.xml")
    assert xml.count(b'<wp:docPr id="100') == 3  # one picture, then one per item


@pytest.mark.parametrize(
    "properties",
    [
        {},
        PROPS,
        {"formservice.template": "letter_of_medical_necessity", "formservice.version": "3"},
        {"empty": ""},
        {"quoted": "O'Connor & <Sons>"},  # escaped: written by lxml
        {"newline": "a\nb", "accent": "José"},
        {"b": "2", "a": "1"},  # sorted by name
    ],
)
def test_custom_properties_are_the_bytes_lxml_writes(properties: dict[str, str]) -> None:
    # Plain names and values are written as a string, anything else through lxml: the same
    # bytes either way.
    from formservice.documents.docx.ooxml import _custom_properties_tree, custom_properties_xml

    assert custom_properties_xml(properties) == _custom_properties_tree(properties)


def test_a_property_that_is_not_text_is_refused() -> None:
    from formservice.documents.docx.ooxml import custom_properties_xml

    with pytest.raises(TypeError):
        custom_properties_xml({"formservice.version": 3})  # type: ignore[dict-item]
