"""Build the DOCX letter templates reproducibly with python-docx.

Run ``.venv/bin/python templates/docx/build_templates.py`` after editing this file: it rewrites
``templates/docx/letter_of_medical_necessity.docx`` byte for byte the same each time (fixed zip
timestamps and core properties), so the template hash changes only when the content does.

Every Jinja tag is written inside a single run, so docxtpl never meets a split tag. Facts and
citations are never typed here: they come from the context (formservice.documents.contexts.common),
which takes them from the case and from reimbursement/data/*.yaml.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
import zipfile
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Inches, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph

HERE = Path(__file__).resolve().parent
FONT = "Calibri"  # LibreOffice draws it with Carlito, its metric-compatible twin
ACCENT = RGBColor(0x1F, 0x3A, 0x5F)
MUTED = RGBColor(0x59, 0x59, 0x59)
FIXED_TIME = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

Run = str | tuple[str, str]  # plain text, or (style flags "b", "i", "bi", text)


def _fonts(rpr_parent: object) -> None:
    rpr = rpr_parent.get_or_add_rPr()  # type: ignore[attr-defined]
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)


def _setup(doc: DocxDocument) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Inches(8.5), Inches(11)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Inches(1))
    section.header_distance = Inches(0.45)
    section.footer_distance = Inches(0.4)
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(11)
    _fonts(normal.element)
    fmt = normal.paragraph_format
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(4)
    fmt.line_spacing = 1.0
    props = doc.core_properties
    props.title = "Letter of Medical Necessity"
    props.subject = "Mechanical scalp cooling"
    props.author = "formservice"
    props.keywords = "scalp cooling; letter of medical necessity"
    props.comments = "Template: letter_of_medical_necessity"
    props.last_modified_by = "formservice"
    props.revision = 1
    props.created = FIXED_TIME.replace(tzinfo=None)
    props.modified = FIXED_TIME.replace(tzinfo=None)


def _runs(p: Paragraph, runs: list[Run], size: float | None = None, color: RGBColor | None = None):
    for item in runs:
        flags, text = item if isinstance(item, tuple) else ("", item)
        run = p.add_run(text)
        run.bold = "b" in flags or None
        run.italic = "i" in flags or None
        if size:
            run.font.size = Pt(size)
        if color is not None:
            run.font.color.rgb = color
    return p


def para(
    container: object,
    *runs: Run,
    size: float | None = None,
    color: RGBColor | None = None,
    after: float | None = None,
    before: float | None = None,
    align: WD_ALIGN_PARAGRAPH | None = None,
    keep_next: bool = False,
    indent: float | None = None,
    hanging: float | None = None,
) -> Paragraph:
    """A paragraph of runs; each run holds whole Jinja tags."""
    p: Paragraph = container.add_paragraph()  # type: ignore[attr-defined]
    _runs(p, list(runs), size=size, color=color)
    fmt = p.paragraph_format
    if after is not None:
        fmt.space_after = Pt(after)
    if before is not None:
        fmt.space_before = Pt(before)
    if align is not None:
        p.alignment = align
    if keep_next:
        fmt.keep_with_next = True
    if indent is not None:
        fmt.left_indent = Inches(indent)
    if hanging is not None:
        fmt.first_line_indent = Inches(-hanging)
    return p


def tag(container: object, text: str) -> Paragraph:
    """A paragraph that holds only a docxtpl paragraph tag ({%p ... %}); it vanishes on render."""
    return para(container, text, after=0)


def _border_bottom(p: Paragraph, color: str = "1F3A5F", size: int = 12) -> None:
    ppr = p._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for k, v in (("w:val", "single"), ("w:sz", str(size)), ("w:space", "4"), ("w:color", color)):
        bottom.set(qn(k), v)
    borders.append(bottom)
    ppr.append(borders)


def _field(p: Paragraph, instr: str, size: float) -> None:
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), instr)
    run = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    sz = OxmlElement("w:sz")
    sz.set(qn("w:val"), str(int(size * 2)))
    rpr.append(sz)
    run.append(rpr)
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    fld.append(run)
    p._p.append(fld)


def _cell_margins(table: Table, top: int = 30, bottom: int = 30, side: int = 80) -> None:
    tblpr = table._tbl.tblPr
    mar = OxmlElement("w:tblCellMar")
    for name, width in (("top", top), ("left", side), ("bottom", bottom), ("right", side)):
        el = OxmlElement(f"w:{name}")
        el.set(qn("w:w"), str(width))
        el.set(qn("w:type"), "dxa")
        mar.append(el)
    tblpr.append(mar)


def _shade(cell: object, fill: str) -> None:
    tcpr = cell._tc.get_or_add_tcPr()  # type: ignore[attr-defined]
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tcpr.append(shd)


def _cell(cell: object, *runs: Run, size: float = 10, bold: bool = False) -> Paragraph:
    p: Paragraph = cell.paragraphs[0]  # type: ignore[attr-defined]
    _runs(p, [("b", r) if bold and isinstance(r, str) else r for r in runs], size=size)
    p.paragraph_format.space_after = Pt(0)
    return p


def _widths(table: Table, inches: tuple[float, ...]) -> None:
    """Fixed column widths that Word and LibreOffice both honour (grid, cells, layout)."""
    table.autofit = False
    for column, width in zip(table.columns, inches, strict=True):
        column.width = Inches(width)
    for row in table.rows:
        col = 0
        for tc in row._tr.tc_lst:
            tc.width = Inches(sum(inches[col : col + tc.grid_span]))
            col += tc.grid_span
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    table._tbl.tblPr.append(layout)


def _letterhead(doc: DocxDocument) -> None:
    section = doc.sections[0]
    section.different_first_page_header_footer = True
    head = section.first_page_header
    p = head.paragraphs[0]
    _runs(p, [("b", "{{ facility.name }}")], size=15, color=ACCENT)
    p.paragraph_format.space_after = Pt(1)
    para(head, "{{ facility.address }}", size=9.5, color=MUTED, after=0)
    last = para(head, "{{ facility.contact_line }}", size=9.5, color=MUTED, after=0)
    _border_bottom(last)

    later = section.header.paragraphs[0]
    _runs(
        later,
        [
            "{{ patient.full_name }} (DOB {{ patient.date_of_birth }})",
            " | {{ document.title }} | {{ document.date }} | Page ",
        ],
        size=8.5,
        color=MUTED,
    )
    _field(later, "PAGE", 8.5)
    _runs(later, [" of "], size=8.5, color=MUTED)
    _field(later, "NUMPAGES", 8.5)
    _border_bottom(later, color="A6A6A6", size=4)

    note = (
        "CONFIDENTIAL: contains protected health information (45 CFR 164.506). "
        "If received in error, please notify the sender and destroy all copies."
    )
    for footer in (section.first_page_footer, section.footer):
        p = footer.paragraphs[0]
        _runs(p, [note], size=7.5, color=MUTED)
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _address_block(doc: DocxDocument) -> None:
    para(doc, "{{ document.date }}", before=6, after=10)
    tag(doc, "{%p if coverage.insured %}")
    para(doc, ("b", "{{ payer.name }}"), after=0)
    para(doc, "{{ payer.attention }}", after=0)
    tag(doc, "{%p if payer.fax %}")
    para(doc, "Via fax: {{ payer.fax }}", after=0)
    tag(doc, "{%p endif %}")
    tag(doc, "{%p else %}")
    para(doc, ("b", "To Whom It May Concern"), after=0)
    para(doc, "Patient Assistance / Financial Counseling Review", after=0)
    tag(doc, "{%p endif %}")
    para(doc, "", after=4)

    table = doc.add_table(rows=5, cols=4)
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    table.style = doc.styles["Table Grid"]
    _cell_margins(table)
    grid: list[list[Run]] = [
        [
            "Patient",
            ("b", "{{ patient.full_name }}"),
            "Date of birth",
            "{{ patient.date_of_birth }}",
        ],
        [
            "Member ID",
            "{% if coverage.insured %}{{ coverage.member_id or 'not on file' }}"
            "{% else %}Uninsured{% endif %}",
            "Group",
            "{{ coverage.group_number or '\u2014' }}",
        ],
        [
            "Plan",
            "{% if coverage.insured %}{{ payer.name }}{% if coverage.plan_type_label %} "
            "({{ coverage.plan_type_label }}){% endif %}{% else %}No insurance coverage{% endif %}",
            "Physician NPI",
            "{{ prescriber.npi }}",
        ],
    ]
    for row, cells in zip(table.rows, grid, strict=False):
        for i, (cell, value) in enumerate(zip(row.cells, cells, strict=True)):
            _cell(cell, value, size=10, bold=i % 2 == 0)
            if i % 2 == 0:
                _shade(cell, "E8EEF5")
    wide: list[tuple[str, Run]] = [
        ("Diagnosis", "{{ diagnosis.text }}"),
        (
            "Requested",
            # The start date's codes (codes.yaml crosswalk: 0662T/0663T up to 2025, 97008/97009
            # after). No note on a code not yet confirmed: the payer reads this letter, and the
            # caveat asks the clinic to check, so it goes to staff (details.warnings).
            "Mechanical scalp cooling: {{ request.summary_text }}{{ request.start_phrase }}",
        ),
    ]
    for row, (label, value) in zip(table.rows[3:], wide, strict=True):
        _cell(row.cells[0], label, size=10, bold=True)
        _shade(row.cells[0], "E8EEF5")
        merged = row.cells[1].merge(row.cells[3])
        _cell(merged, value, size=10)
    _widths(table, (1.1, 2.45, 1.1, 1.85))


def _body(doc: DocxDocument) -> None:
    para(
        doc,
        (
            "b",
            "RE: Letter of Medical Necessity: mechanical scalp cooling to reduce "
            "chemotherapy-induced alopecia ({{ request.codes_text }})",
        ),
        before=10,
        after=8,
    )
    para(
        doc,
        "{{ request.salutation }}:",
        after=6,
    )
    para(
        doc,
        "I am writing on behalf of my patient, ",
        ("b", "{{ patient.full_name }}"),
        " (date of birth {{ patient.date_of_birth }}"
        "{% if coverage.insured and coverage.member_id %}, member ID {{ coverage.member_id }}"
        "{% endif %}), to {{ request.ask_text }}. In my clinical "
        "judgment it is medically necessary to reduce the likelihood of chemotherapy-induced "
        "alopecia, a toxicity of this treatment.",
    )

    para(
        doc, ("b", "Diagnosis and treatment plan"), before=4, after=2, color=ACCENT, keep_next=True
    )
    para(
        doc,
        "{{ patient.full_name }} is being treated for {{ diagnosis.description_in_sentence }} "
        "(ICD-10-CM {{ diagnosis.code }})"
        "{% for d in secondary_diagnoses %}{% if loop.first %}, with {% elif loop.last %} and "
        "{% else %}, {% endif %}{{ d.description_in_sentence }} ({{ d.code }}){% endfor %}. "
        "The planned regimen is {{ treatment.regimen_text }}"
        "{% if treatment.sessions_text %}, {{ treatment.sessions_text }}{% endif %}"
        "{% if treatment.schedule_text %} {{ treatment.schedule_text }}{% endif %}"
        "{% if treatment.start_date %} beginning {{ treatment.start_date }}{% endif %}"
        ", administered at {{ facility.name }}"
        "{% if treatment.site_of_care_label %} ({{ treatment.site_of_care_label | lower }}"
        "{% if request.place_of_service %}, place of service {{ request.place_of_service }}"
        "{% endif %}){% endif %}."
        "{% if treatment.alopecia_risk_text %} The risk of alopecia with this regimen is "
        "{{ treatment.alopecia_risk_text }}.{% endif %}",
    )
    tag(doc, "{%p if clinical_notes %}")
    para(doc, ("i", "Clinical notes: "), "{{ clinical_notes }}")
    tag(doc, "{%p endif %}")

    para(doc, ("b", "Services requested"), before=4, after=3, color=ACCENT, keep_next=True)
    table = doc.add_table(rows=3, cols=4)
    table.style = doc.styles["Table Grid"]
    _cell_margins(table)
    header = ("CPT", "Description", "Units", "Frequency")
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        _cell(cell, text, size=9.5, bold=True)
        _shade(cell, "E8EEF5")
    loop_row = table.rows[1].cells
    _cell(loop_row[0], "{%tr for line in request.lines %}", size=9.5)
    body_row = table.rows[2].cells
    _cell(body_row[0], ("b", "{{ line.code }}"), size=9.5)
    _cell(body_row[1], "{{ line.description }}", size=9.5)
    _cell(body_row[2], "{{ line.units or 'per session' }}", size=9.5)
    _cell(body_row[3], "{{ line.basis }}", size=9.5)
    end = table.add_row().cells
    _cell(end[0], "{%tr endfor %}", size=9.5)
    _widths(table, (0.65, 3.35, 0.55, 1.95))
    para(
        doc,
        ("b", "Regulatory status and guidelines"),
        before=4,
        after=2,
        color=ACCENT,
        keep_next=True,
    )
    para(
        doc,
        "Scalp cooling is not experimental or investigational. The {{ evidence.fda.device }} "
        "({{ evidence.fda.manufacturer }}) received FDA {{ evidence.fda.submission }} clearance "
        "{{ evidence.fda.number }} on {{ evidence.fda.decision_date }} (product code "
        "{{ evidence.fda.product_code }}, {{ evidence.fda.regulation }}, Class "
        "{{ evidence.fda.device_class }}) \u201c{{ evidence.fda.indication }}.\u201d"
        "{% for g in evidence.nccn %}{% if loop.first %} The National Comprehensive Cancer "
        "Network lists scalp cooling as a category {{ g.category }} recommendation in the "
        "{% endif %}{{ g.guideline | replace('NCCN Clinical Practice Guidelines in Oncology "
        "(NCCN Guidelines) for ', 'NCCN Guidelines for ') }} (since {{ g.since_version }})"
        "{% if not loop.last %}{% if loop.revindex == 2 %} and the {% else %}, the {% endif %}"
        "{% else %}: uniform NCCN consensus that the intervention is appropriate.{% endif %}"
        "{% endfor %}"
        "{% for r in evidence.by_topic.guideline %} The European Society for Medical Oncology "
        "clinical practice guideline also recommends scalp cooling [{{ r.number }}].{% endfor %}",
    )

    para(doc, ("b", "Clinical evidence"), before=4, after=2, color=ACCENT, keep_next=True)
    tag(doc, "{%p if evidence.site.note %}")
    para(doc, "{{ evidence.site.note }}", after=2)
    tag(doc, "{%p endif %}")
    tag(doc, "{%p for r in evidence.by_topic.efficacy + evidence.by_topic.safety %}")
    para(
        doc,
        "\u2022\t{{ r.finding }}{% if r.topic == 'efficacy' %} ({{ r.device_text }}){% endif %}"
        " [{{ r.number }}]",
        indent=0.25,
        hanging=0.17,
        after=1,
    )
    tag(doc, "{%p endfor %}")

    para(
        doc,
        ("b", "Alopecia harms quality of life: it is not cosmetic"),
        before=4,
        after=2,
        color=ACCENT,
        keep_next=True,
    )
    para(
        doc,
        "Chemotherapy-induced alopecia is a treatment toxicity, not a cosmetic preference."
        "{% for r in evidence.by_topic.quality_of_life %} {{ r.finding }} [{{ r.number }}]"
        "{% endfor %} Preventing it protects this patient\u2019s well-being and privacy "
        "during treatment.",
    )

    para(
        doc,
        "{{ request.closing_text }} Please contact my office at "
        "{{ prescriber.phone or facility.phone }}"
        "{% if prescriber.fax or facility.fax %} (fax {{ prescriber.fax or facility.fax }})"
        "{% endif %} with any questions or to arrange a peer-to-peer review.",
        before=4,
    )


def _signature(doc: DocxDocument) -> None:
    para(doc, "Sincerely,", before=4, after=14, keep_next=True)
    para(doc, "______________________________", after=0, keep_next=True)
    para(doc, ("b", "{{ prescriber.full_name }}"), after=0, keep_next=True)
    para(
        doc,
        "{{ prescriber.specialty or 'Treating physician' }}, {{ facility.name }}",
        after=0,
        keep_next=True,
    )
    para(
        doc,
        "NPI {{ prescriber.npi }}"
        "{% if prescriber.phone or facility.phone %} | Phone "
        "{{ prescriber.phone or facility.phone }}{% endif %}"
        "{% if prescriber.fax or facility.fax %} | Fax {{ prescriber.fax or facility.fax }}"
        "{% endif %}",
        after=8,
    )
    para(
        doc,
        ("b", "Enclosures: "),
        "{% for e in enclosures %}{{ e }}{% if not loop.last %}; {% endif %}{% endfor %}",
        size=9.5,
        after=6,
    )


def _references(doc: DocxDocument) -> None:
    p = para(doc, ("b", "References"), size=10, before=4, after=2, color=ACCENT, keep_next=True)
    _border_bottom(p, color="A6A6A6", size=4)
    tag(doc, "{%p for r in evidence.references %}")
    para(doc, "{{ r.number }}.\t{{ r.citation }}", size=8, after=0, indent=0.25, hanging=0.25)
    tag(doc, "{%p endfor %}")


def build_lmn() -> bytes:
    """The letter of medical necessity template, as DOCX bytes."""
    doc = Document()
    _setup(doc)
    # python-docx's default document starts with no paragraphs; keep it that way.
    _letterhead(doc)
    _address_block(doc)
    _body(doc)
    _signature(doc)
    _references(doc)
    buf = io.BytesIO()
    doc.save(buf)
    return _normalise_zip(buf.getvalue())


def _normalise_zip(data: bytes) -> bytes:
    """Rewrite the zip with fixed timestamps and order so the build is byte-reproducible."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.create_system = 3
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename), compresslevel=6)
    return out.getvalue()


# The house style, public for the other letters built the same way (build_appeal_template.py).
setup_document = _setup
letterhead = _letterhead
border_bottom = _border_bottom
cell = _cell
cell_margins = _cell_margins
shade = _shade
fixed_widths = _widths
normalise_zip = _normalise_zip
page_field = _field

TEMPLATES = {"letter_of_medical_necessity.docx": build_lmn}


def main(argv: list[str]) -> int:
    """Write every template next to this script (or into the folder given)."""
    target = Path(argv[1]) if len(argv) > 1 else HERE
    for name, build in TEMPLATES.items():
        (target / name).write_bytes(build())
        print(f"wrote {target / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
