"""Build the hub's DOCX templates (PAP letter, Summary of Benefits, three checklists).

Run ``.venv/bin/python templates/docx/build_hub_templates.py`` after editing this file: it
rewrites ``pap_letter.docx``, ``summary_of_benefits.docx``, ``pa_checklist.docx``,
``claim_checklist.docx`` and ``appeal_checklist.docx`` byte for byte the same each time.

The look follows the letter of medical necessity (build_templates.py: Calibri 11/10 pt, 1-inch
margins, navy accent, letterhead with a rule, confidentiality footer); the few helpers are
repeated here rather than imported, because that script is another template's build and may
change. Every Jinja tag sits inside one run; facts come from the contexts
(formservice.documents.contexts: pap_letter, benefits_summary, checklist), never from this file.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Inches, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # this folder is not a package: share the LMN's house style

from build_templates import border_bottom as _border_bottom  # noqa: E402
from build_templates import fixed_widths as widths  # noqa: E402
from build_templates import normalise_zip as _normalise_zip  # noqa: E402
from build_templates import page_field as _field  # noqa: E402

FONT = "Calibri"  # LibreOffice draws it with Carlito, its metric-compatible twin
ACCENT = RGBColor(0x1F, 0x3A, 0x5F)
MUTED = RGBColor(0x59, 0x59, 0x59)
GREEN = RGBColor(0x1E, 0x7B, 0x34)
RED = RGBColor(0xB0, 0x1E, 0x1E)
GREY = RGBColor(0x7F, 0x7F, 0x7F)
LABEL_FILL = "E8EEF5"
FIXED_TIME = dt.datetime(2026, 1, 1)
CONFIDENTIAL = (
    "CONFIDENTIAL: contains protected health information (45 CFR 164.506). "
    "If received in error, please notify the sender and destroy all copies."
)

Run = str | tuple[str, str] | tuple[str, str, RGBColor]  # text, (flags, text[, color])


# ---------------------------------------------------------------- styling helpers


def _fonts(element: Any) -> None:
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)


def _setup(doc: Any, title: str, size: float = 10.5) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Inches(8.5), Inches(11)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Inches(0.9))
    section.top_margin, section.bottom_margin = Inches(0.85), Inches(0.8)
    section.header_distance = Inches(0.4)
    section.footer_distance = Inches(0.35)
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(size)
    _fonts(normal.element)
    fmt = normal.paragraph_format
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(3)
    fmt.line_spacing = 1.0
    props = doc.core_properties
    props.title = title
    props.subject = "Mechanical scalp cooling (CPT 0662T, 0663T)"
    props.author = "formservice"
    props.comments = f"Template: {title}"
    props.last_modified_by = "formservice"
    props.revision = 1
    props.created = FIXED_TIME
    props.modified = FIXED_TIME


def _runs(p: Paragraph, runs: tuple[Run, ...], size: float | None, color: RGBColor | None) -> None:
    for item in runs:
        if isinstance(item, str):
            flags, text, tint = "", item, color
        elif len(item) == 2:
            flags, text, tint = item[0], item[1], color
        else:
            flags, text, tint = item  # type: ignore[misc]  # the 3-tuple form
        run = p.add_run(text)
        run.bold = "b" in flags or None
        run.italic = "i" in flags or None
        if size:
            run.font.size = Pt(size)
        if tint is not None:
            run.font.color.rgb = tint


def para(
    container: Any,
    *runs: Run,
    size: float | None = None,
    color: RGBColor | None = None,
    after: float | None = None,
    before: float | None = None,
    align: Any = None,
    keep_next: bool = False,
    indent: float | None = None,
    hanging: float | None = None,
) -> Paragraph:
    """A paragraph of runs; each run holds whole Jinja tags."""
    p: Paragraph = container.add_paragraph()
    _runs(p, runs, size, color)
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


def tag(container: Any, text: str) -> Paragraph:
    """A paragraph holding only a docxtpl paragraph tag ({%p ... %}); it vanishes on render."""
    return para(container, text, after=0)


def heading(doc: Any, text: str, before: float = 6) -> Paragraph:
    """A section heading in the accent colour."""
    return para(doc, ("b", text), size=11.5, color=ACCENT, before=before, after=2, keep_next=True)


def bullet(doc: Any, *runs: Run, size: float | None = None) -> Paragraph:
    """A bulleted line (a typed bullet and a hanging indent: no numbering part needed)."""
    return para(doc, "\u2022\t", *runs, size=size, indent=0.25, hanging=0.17, after=1)


def _cell_margins(table: Table, top: int = 30, bottom: int = 30, side: int = 80) -> None:
    mar = OxmlElement("w:tblCellMar")
    for name, width in (("top", top), ("left", side), ("bottom", bottom), ("right", side)):
        el = OxmlElement(f"w:{name}")
        el.set(qn("w:w"), str(width))
        el.set(qn("w:type"), "dxa")
        mar.append(el)
    table._tbl.tblPr.append(mar)


def _shade(cell: Any, fill: str) -> None:
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shd)


def cell(
    c: Any, *runs: Run, size: float = 9.5, bold: bool = False, fill: str | None = None
) -> Paragraph:
    """Write runs into a table cell's first paragraph."""
    p: Paragraph = c.paragraphs[0]
    styled = tuple(("b", r) if bold and isinstance(r, str) else r for r in runs)
    _runs(p, styled, size, None)
    p.paragraph_format.space_after = Pt(0)
    if fill:
        _shade(c, fill)
    return p


def grid_table(doc: Any, rows: int, cols: int) -> Table:
    """A bordered table with the letter's cell margins."""
    table = doc.add_table(rows=rows, cols=cols)
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    table.style = doc.styles["Table Grid"]
    _cell_margins(table)
    return table


def loop_table(
    doc: Any,
    header: tuple[str, ...],
    loop: str,
    body: tuple[tuple[Run, ...], ...],
    col_widths: tuple[float, ...],
    size: float = 9.5,
) -> Table:
    """A table with a header row and one row repeated by a {%tr for %} loop."""
    table = grid_table(doc, 3, len(header))
    for c, text in zip(table.rows[0].cells, header, strict=True):
        cell(c, text, size=size, bold=True, fill=LABEL_FILL)
    cell(table.rows[1].cells[0], f"{{%tr for {loop} %}}", size=size)
    for c, runs in zip(table.rows[2].cells, body, strict=True):
        cell(c, *runs, size=size)
    end = table.add_row().cells
    cell(end[0], "{%tr endfor %}", size=size)
    widths(table, col_widths)
    return table


def _footer(section: Any, size: float = 7.5) -> None:
    for footer in (section.first_page_footer, section.footer):
        p = footer.paragraphs[0]
        _runs(p, (CONFIDENTIAL,), size, MUTED)
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _later_header(section: Any) -> None:
    later = section.header.paragraphs[0]
    _runs(
        later,
        (
            "{{ patient.full_name }} (DOB {{ patient.date_of_birth }})",
            " | {{ document.title }} | {{ document.date }} | Page ",
        ),
        8.5,
        MUTED,
    )
    _field(later, "PAGE", 8.5)
    _runs(later, (" of ",), 8.5, MUTED)
    _field(later, "NUMPAGES", 8.5)
    _border_bottom(later, color="A6A6A6", size=4)


def facility_letterhead(doc: Any) -> None:
    """The clinic's letterhead, as on the letter of medical necessity."""
    section = doc.sections[0]
    section.different_first_page_header_footer = True
    head = section.first_page_header
    p = head.paragraphs[0]
    _runs(p, (("b", "{{ facility.name }}"),), 15, ACCENT)
    p.paragraph_format.space_after = Pt(1)
    para(head, "{{ facility.address }}", size=9.5, color=MUTED, after=0)
    _border_bottom(para(head, "{{ facility.contact_line }}", size=9.5, color=MUTED, after=0))
    _later_header(section)
    _footer(section)


def hub_letterhead(doc: Any, program: str) -> None:
    """The hub's letterhead (its letters go to patient and provider), naming the clinic."""
    section = doc.sections[0]
    section.different_first_page_header_footer = True
    head = section.first_page_header
    p = head.paragraphs[0]
    _runs(p, (("b", "Paxman Hub"), (" ", f" | {program}")), 15, ACCENT)
    p.paragraph_format.space_after = Pt(1)
    _border_bottom(
        para(
            head,
            "Prepared for {{ facility.name }} (NPI {{ facility.npi }})"
            "{% if facility.phone %} | Phone {{ facility.phone }}{% endif %}",
            size=9.5,
            color=MUTED,
            after=0,
        )
    )
    _later_header(section)
    _footer(section)


def case_table(doc: Any, *, with_prescriber: bool = True) -> None:
    """Patient, plan and prescriber at a glance (2 × label/value pairs per row)."""
    rows: list[tuple[Run, Run, Run, Run]] = [
        (
            "Patient",
            ("b", "{{ patient.full_name }}"),
            "Date of birth",
            "{{ patient.date_of_birth }}",
        ),
        (
            "Payer",
            "{% if coverage.insured %}{{ payer.name }}{% else %}Uninsured{% endif %}",
            "Member ID",
            "{% if coverage.insured %}{{ coverage.member_id or 'not on file' }}"
            "{% else %}\u2014{% endif %}",
        ),
    ]
    if with_prescriber:
        rows.append(
            (
                "Prescriber",
                "{{ prescriber.full_name }} (NPI {{ prescriber.npi }})",
                "Diagnosis",
                "{{ diagnosis.code }}",
            )
        )
    table = grid_table(doc, len(rows), 4)
    for row, values in zip(table.rows, rows, strict=True):
        for i, (c, value) in enumerate(zip(row.cells, values, strict=True)):
            cell(c, value, size=9.5, bold=i % 2 == 0, fill=LABEL_FILL if i % 2 == 0 else None)
    widths(table, (1.0, 2.7, 1.1, 1.9))


def title_block(doc: Any, title: str, subtitle: str | None = None) -> None:
    """The document title and its date."""
    para(doc, ("b", title), size=16, color=ACCENT, before=4, after=0)
    para(doc, subtitle or "{{ document.date }}", size=9.5, color=MUTED, after=6)


# ---------------------------------------------------------------- PAP determination letter


def build_pap_letter() -> bytes:
    """The PAP determination letter to the patient, copied to the provider."""
    doc = Document()
    _setup(doc, "PAP Determination Letter")
    hub_letterhead(doc, "Patient Assistance Program")
    para(doc, "{{ document.date }}", before=4, after=6)
    para(doc, ("b", "{{ patient.full_name }}"), after=0)
    tag(doc, "{%p for line in patient.address_lines %}")
    para(doc, "{{ line }}", after=0)
    tag(doc, "{%p endfor %}")
    para(
        doc,
        "cc: {{ prescriber.full_name }}, {{ facility.name }}",
        size=9.5,
        color=MUTED,
        before=4,
        after=6,
    )
    para(doc, ("b", "RE: Paxman Patient Assistance Program (PAP) determination"), after=4)
    case_table(doc)

    box = grid_table(doc, 1, 1)
    cell(
        box.rows[0].cells[0],
        ("b", "Decision: {{ pap.decision_text }}"),
        size=12.5,
        fill="{% if pap.eligible %}E3F1E6{% elif pap.not_eligible %}F6E3E3"
        "{% else %}FFF4D6{% endif %}",
    )
    widths(box, (6.7,))
    para(doc, "", after=2)

    para(
        doc,
        "Dear {{ patient.full_name }},",
        after=4,
    )
    para(
        doc,
        "The Paxman Hub has assessed your application to the Patient Assistance Program for "
        "scalp cooling during chemotherapy at {{ facility.name }}, as of "
        "{{ pap.application_date }}"
        "{% if pap.application_date_assumed %} (no application date was given, so the date of "
        "this letter was used to choose the poverty guideline year){% endif %}. "
        "{% if pap.eligible %}You qualify for the program.{% elif pap.not_eligible %}"
        "Unfortunately you do not qualify for the program at this time.{% else %}"
        "We cannot decide yet: some information is missing (listed below).{% endif %}",
    )
    para(doc, ("i", "How this was decided: "), "{{ pap.basis }}", size=9.5)

    tag(doc, "{%p if pap.fpl.computed %}")
    heading(doc, "Income test: the numbers used")
    table = grid_table(doc, 4, 4)
    pairs: list[tuple[Run, Run, Run, Run]] = [
        (
            "Poverty guideline",
            "HHS {{ pap.fpl.year }}{% if pap.fpl.effective %} (effective {{ pap.fpl.effective }})"
            "{% endif %}",
            "Region",
            "{{ pap.fpl.region }}",
        ),
        (
            "Household size",
            "{{ pap.fpl.household_size }}",
            "Guideline for household",
            "{{ pap.fpl.guideline }}",
        ),
        (
            "PAP limit",
            "{{ pap.fpl.multiple_percent }} of the guideline = {{ pap.fpl.limit }}",
            "{{ pap.fpl.income_label }}",
            "{{ pap.fpl.income or 'not given' }}",
        ),
        (
            "Percent of FPL",
            ("b", "{{ pap.fpl.percent_of_fpl or 'not computed' }}"),
            "Source",
            "{{ pap.fpl.source }}",
        ),
    ]
    for row, values in zip(table.rows, pairs, strict=True):
        for i, (c, value) in enumerate(zip(row.cells, values, strict=True)):
            cell(c, value, size=9, bold=i % 2 == 0, fill=LABEL_FILL if i % 2 == 0 else None)
    widths(table, (1.25, 2.3, 1.35, 1.8))
    tag(doc, "{%p endif %}")

    heading(doc, "Every rule checked")
    rules = grid_table(doc, 5, 3)
    for c, text in zip(rules.rows[0].cells, ("Rule", "Result", "Detail"), strict=True):
        cell(c, text, size=9, bold=True, fill=LABEL_FILL)
    cell(rules.rows[1].cells[0], "{%tr for g in pap.groups %}", size=9)
    group_row = rules.rows[2]
    merged = group_row.cells[0].merge(group_row.cells[2])
    cell(merged, ("bi", "{{ g.title }}"), size=9, fill="F3F5F8")
    cell(rules.rows[3].cells[0], "{%tr for r in g.rules %}", size=9)
    body = rules.rows[4].cells
    cell(body[0], "{{ r.label }}", size=9)
    cell(
        body[1],
        ("b", "{% if r.passed %}\u2713 {{ r.result }}{% endif %}", GREEN),
        ("b", "{% if r.passed == false %}\u2717 {{ r.result }}{% endif %}", RED),
        ("b", "{% if r.passed is none %}? {{ r.result }}{% endif %}", GREY),
        size=9,
    )
    cell(body[2], "{{ r.detail }}", size=8.5)
    end_inner = rules.add_row().cells
    cell(end_inner[0], "{%tr endfor %}", size=9)
    end_outer = rules.add_row().cells
    cell(end_outer[0], "{%tr endfor %}", size=9)
    widths(rules, (2.2, 0.85, 3.65))

    tag(doc, "{%p if pap.missing %}")
    heading(doc, "Information needed to decide")
    tag(doc, "{%p for m in pap.missing %}")
    bullet(doc, "{{ m }}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endif %}")

    heading(doc, "Next steps")
    tag(doc, "{%p for s in pap.next_steps %}")
    bullet(doc, "{{ s }}")
    tag(doc, "{%p endfor %}")

    para(
        doc,
        "Questions? Your care team at {{ facility.name }}"
        "{% if facility.phone %} ({{ facility.phone }}){% endif %} can reach the Paxman Hub for "
        "you. The PAP is available only through facilities contracted under Paxman\u2019s Buy & "
        "Bill model.",
        before=6,
    )
    para(doc, "Sincerely,", before=4, after=2)
    para(doc, ("b", "Paxman Hub, Patient Assistance Program"), after=0)
    return _save(doc)


# ---------------------------------------------------------------- Summary of Benefits


def _label_value_table(doc: Any, loop: str) -> None:
    table = grid_table(doc, 3, 2)
    cell(table.rows[0].cells[0], f"{{%tr for row in {loop} %}}", size=9.5)
    cell(table.rows[1].cells[0], ("b", "{{ row.label }}"), size=9.5, fill=LABEL_FILL)
    cell(table.rows[1].cells[1], "{{ row.value }}", size=9.5)
    cell(table.rows[2].cells[0], "{%tr endfor %}", size=9.5)
    widths(table, (2.0, 4.7))


def build_sob() -> bytes:
    """The one-page Summary of Benefits for provider and patient."""
    doc = Document()
    _setup(doc, "Summary of Benefits", size=10)
    hub_letterhead(doc, "Benefits Investigation")
    title_block(
        doc,
        "Summary of Benefits: scalp cooling",
        "For the provider and the patient | {{ document.date }}",
    )
    case_table(doc, with_prescriber=False)

    heading(doc, "Coverage", before=5)
    _label_value_table(doc, "sob.coverage_rows")
    heading(doc, "Prior authorization", before=5)
    _label_value_table(doc, "sob.pa_rows")

    heading(doc, "Estimated patient cost", before=5)
    tag(doc, "{%p if sob.estimate.estimable %}")
    para(
        doc,
        ("b", "About {{ sob.estimate.patient_cost }}", ACCENT),
        " for scalp cooling (the plan pays about {{ sob.estimate.plan_pays }} of "
        "{{ sob.estimate.total_allowed }} allowed).",
        size=11,
        after=3,
    )
    tag(doc, "{%p else %}")
    para(
        doc,
        ("b", "The patient's cost cannot be estimated yet", ACCENT),
        ": missing {{ sob.estimate.missing | join(', ') }}. Ask the payer and record it in the "
        "benefits investigation.",
        size=11,
        after=3,
    )
    tag(doc, "{%p endif %}")
    loop_table(
        doc,
        ("Step", "Amount", "How it was worked out"),
        "s in sob.estimate.steps",
        ((("b", "{{ s.label }}"),), ("{{ s.amount }}",), ("{{ s.detail }}",)),
        (1.35, 0.85, 4.5),
        size=9,
    )
    tag(doc, "{%p if sob.estimate.estimable and not sob.estimate.complete %}")
    para(
        doc,
        ("b", "Estimate incomplete: ", RED),
        "not given: {{ sob.estimate.missing | join('; ') }}.",
        size=9,
        before=2,
    )
    tag(doc, "{%p endif %}")
    tag(doc, "{%p for a in sob.estimate.assumptions %}")
    bullet(doc, ("i", "{{ a }}"), size=8.5)
    tag(doc, "{%p endfor %}")

    heading(doc, "Call record", before=5)
    _label_value_table(doc, "sob.call_rows")
    tag(doc, "{%p if sob.notes %}")
    para(doc, ("i", "Notes: "), "{{ sob.notes }}", size=9, before=2)
    tag(doc, "{%p endif %}")
    para(doc, "{{ sob.disclaimer }}", size=7.5, color=MUTED, before=6)
    return _save(doc)


# ---------------------------------------------------------------- checklists


def build_checklist(title: str, appeal: bool = False) -> Callable[[], bytes]:
    """A checklist template: summary, then one row per item with its status and detail."""

    def build() -> bytes:
        doc = Document()
        _setup(doc, title, size=10)
        facility_letterhead(doc)
        title_block(doc, "{{ checklist.title }}")
        para(doc, "{{ checklist.intro }}", size=9.5, after=4)
        case_table(doc)
        if appeal:
            tag(doc, "{%p if checklist.denial.on_file %}")
            para(
                doc,
                ("b", "Denial: "),
                "{{ checklist.denial.payer_name or 'payer not stated' }}"
                "{% if checklist.denial.claim_number %}, claim {{ checklist.denial.claim_number }}"
                "{% endif %}{% if checklist.denial.letter_date %}, letter dated "
                "{{ checklist.denial.letter_date }}{% endif %}"
                "{% if checklist.denial.appeal_deadline %}; appeal due "
                "{{ checklist.denial.appeal_deadline }}{% endif %}",
                size=9.5,
                before=4,
            )
            tag(doc, "{%p endif %}")
        para(
            doc,
            (
                "b",
                "{% if checklist.ready %}Ready: nothing missing{% else %}Not ready: "
                "{{ checklist.missing }} item(s) missing{% endif %}",
            ),
            " | {{ checklist.done }} done | {{ checklist.missing }} missing | "
            "{{ checklist.not_applicable }} not applicable",
            size=10,
            color=ACCENT,
            before=6,
            after=4,
        )
        loop_table(
            doc,
            ("Item", "Status", "Detail"),
            "i in checklist.entries",
            (
                ("{{ i.label }}",),
                (
                    ("b", "{% if i.status == 'done' %}\u2713 Done{% endif %}", GREEN),
                    ("b", "{% if i.status == 'missing' %}\u2717 Missing{% endif %}", RED),
                    ("b", "{% if i.status == 'not_applicable' %}\u2013 N/A{% endif %}", GREY),
                ),
                ("{{ i.detail }}",),
            ),
            (2.35, 0.85, 3.5),
            size=9,
        )
        para(doc, "Reviewed by: ______________________    Date: ______________", before=14)
        para(
            doc,
            "Status is computed from the case on file on {{ document.date }}; update the case "
            "and generate the checklist again to refresh it.",
            size=8,
            color=MUTED,
            before=4,
        )
        return _save(doc)

    return build


# ---------------------------------------------------------------- output


def _save(doc: Any) -> bytes:
    buf = io.BytesIO()
    doc.save(buf)
    return _normalise_zip(buf.getvalue())


TEMPLATES: dict[str, Callable[[], bytes]] = {
    "pap_letter.docx": build_pap_letter,
    "summary_of_benefits.docx": build_sob,
    "pa_checklist.docx": build_checklist("Prior Authorization Checklist"),
    "claim_checklist.docx": build_checklist("Claim Filing Checklist"),
    "appeal_checklist.docx": build_checklist("Letter of Appeal Checklist", appeal=True),
}


def main(argv: list[str]) -> int:
    """Write every hub template next to this script (or into the folder given)."""
    target = Path(argv[1]) if len(argv) > 1 else HERE
    for name, build in TEMPLATES.items():
        (target / name).write_bytes(build())
        print(f"wrote {target / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
