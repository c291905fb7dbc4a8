"""Build the letter of appeal template (letter_of_appeal.docx) reproducibly with python-docx.

Run ``.venv/bin/python templates/docx/build_appeal_template.py`` after editing this file: it
rewrites ``templates/docx/letter_of_appeal.docx`` byte for byte the same each time.

The look is the letter of medical necessity's: its helpers are imported from build_templates.py
(letterhead on the first page, patient and page number on later pages, confidentiality footer,
Calibri, navy headings). Every Jinja tag sits inside one run. The words of each argument, the
remedy, the deadline sentence and the enclosures come from the context
(formservice.documents.contexts.appeal), which takes them from the denial, the case and
reimbursement/data/{evidence,appeals}.yaml: nothing factual is typed here.
"""

from __future__ import annotations

import importlib.util
import io
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.shared import Pt

HERE = Path(__file__).resolve().parent
TEMPLATE = "letter_of_appeal.docx"


def _house_style() -> ModuleType:
    """build_templates.py, loaded by path (this folder is not a package)."""
    spec = importlib.util.spec_from_file_location("build_templates", HERE / "build_templates.py")
    if spec is None or spec.loader is None:
        raise ImportError("templates/docx/build_templates.py not found")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


lmn = _house_style()
para, tag, ACCENT = lmn.para, lmn.tag, lmn.ACCENT
LABEL_FILL = "E8EEF5"


def _setup(doc: Any) -> None:
    lmn.setup_document(doc)
    doc.styles["Normal"].font.size = Pt(10.5)
    props = doc.core_properties
    props.title = "Letter of Appeal"
    props.subject = "Appeal of a denial of mechanical scalp cooling (CPT 0662T, 0663T)"
    props.keywords = "scalp cooling; appeal; reconsideration"
    props.comments = "Template: letter_of_appeal"


def _heading(doc: Any, *runs: Any, before: float = 6) -> None:
    para(doc, *runs, before=before, after=2, color=ACCENT, keep_next=True)


def _address_block(doc: Any) -> None:
    para(doc, "{{ document.date }}", before=6, after=8)
    tag(doc, "{%p if appeal.addressee.fax %}")
    para(doc, ("b", "VIA FAX: {{ appeal.addressee.fax }}"), after=4)
    tag(doc, "{%p endif %}")
    para(doc, ("b", "{{ appeal.addressee.name }}"), after=0)
    # The letter's own "send appeals to" address when it states one (`appeals.route`).
    tag(doc, "{%p if appeal.addressee.city %}")
    para(doc, "{{ appeal.addressee.attention }}", after=0)
    para(doc, "{{ appeal.addressee.city }}", after=8)
    tag(doc, "{%p else %}")
    para(doc, "{{ appeal.addressee.attention }}", after=8)
    tag(doc, "{%p endif %}")


def _re_table(doc: Any) -> None:
    para(
        doc, ("b", "RE: {{ appeal.title }} \u2013 mechanical scalp cooling"), after=4, color=ACCENT
    )
    rows: list[tuple[str, str, str, str]] = [
        (
            "{% if denial.plan_type == 'medicare_ffs' %}Beneficiary{% else %}Patient{% endif %}",
            "{{ patient.full_name }}",
            "Date of birth",
            "{{ patient.date_of_birth }}",
        ),
        (
            "{{ denial.member_label }}",
            "{{ denial.member_id or 'not stated' }}",
            "{{ denial.reference_label }}",
            "{{ denial.claim_number or 'not stated' }}",
        ),
        (
            "{% if denial.pre_service %}Planned service{% else %}Date of service{% endif %}",
            "{{ denial.date_of_service or treatment.start_date or 'not stated' }}",
            "Denial letter dated",
            "{{ denial.letter_date or 'not stated' }}",
        ),
        (
            "Authorization",
            "{{ denial.authorization_number or 'none on file' }}",
            "Appeal deadline",
            "{{ denial.appeal_deadline or 'not stated' }}",
        ),
    ]
    wide: list[tuple[str, str]] = [
        ("Procedure codes", "CPT {{ denial.procedure_codes }}"),
        ("Diagnosis codes", "ICD-10-CM {{ denial.diagnosis_codes }}"),
        (
            "Denial reasons",
            "{{ denial.categories_text | capitalize }}"
            "{% if denial.reason_codes %} ({{ denial.reason_codes }}){% endif %}",
        ),
    ]
    table = doc.add_table(rows=len(rows) + len(wide), cols=4)
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    table.style = doc.styles["Table Grid"]
    lmn.cell_margins(table)
    for row, cells in zip(table.rows, rows, strict=False):
        for i, (cell, value) in enumerate(zip(row.cells, cells, strict=True)):
            lmn.cell(cell, value, size=9.5, bold=i % 2 == 0)
            if i % 2 == 0:
                lmn.shade(cell, LABEL_FILL)
    for row, (label, value) in zip(table.rows[len(rows) :], wide, strict=True):
        lmn.cell(row.cells[0], label, size=9.5, bold=True)
        lmn.shade(row.cells[0], LABEL_FILL)
        merged = row.cells[1].merge(row.cells[3])
        lmn.cell(merged, value, size=9.5)
    lmn.fixed_widths(table, (1.25, 2.0, 1.35, 1.9))


def _opening(doc: Any) -> None:
    para(doc, "Dear Appeals Reviewer:", before=10, after=6)
    para(
        doc,
        "I am the treating physician of ",
        ("b", "{{ patient.full_name }}"),
        " (date of birth {{ patient.date_of_birth }}"
        "{% if denial.member_id %}, {% if denial.plan_type == 'medicare_ffs' %}Medicare number "
        "(MBI){% else %}member ID{% endif %} {{ denial.member_id }}{% endif %}) and request "
        "{{ appeal.noun }} of the {% if denial.pre_service %}adverse determination"
        "{% else %}denial{% endif %} issued by {{ denial.payer_name or appeal.addressee.name }}"
        "{% if denial.letter_date %} on {{ denial.letter_date }}{% endif %}"
        "{% if denial.pre_service %}{% if denial.authorization_number %} on authorization "
        "request {{ denial.authorization_number }}{% endif %}"
        "{% elif denial.claim_number %} on claim {{ denial.claim_number }}{% endif %}"
        " for mechanical scalp cooling (CPT {{ denial.procedure_codes }})"
        "{% if denial.date_of_service %}{% if denial.pre_service %} planned for "
        "{% else %} provided on {% endif %}{{ denial.date_of_service }}{% endif %}. "
        "The denial gives {{ appeal.sections_word }} reason"
        "{% if appeal.sections != 1 %}s{% endif %}: {{ denial.categories_text }}. "
        "I answer {% if appeal.sections == 1 %}it{% else %}each{% endif %} below and ask that "
        "you ",
        ("b", "{{ remedy }}"),
        ".",
        after=4,
    )


def _arguments(doc: Any) -> None:
    tag(doc, "{%p for a in arguments %}")
    _heading(doc, ("b", "{{ a.number }}. {{ a.label }}: {{ a.heading }}"))
    tag(doc, "{%p for q in a.quotes %}")
    para(
        doc,
        (
            "i",
            "{% if q.evidence %}The denial states: \u201c{{ q.evidence }}\u201d"
            "{% else %}The denial names this reason: {{ q.named }}.{% endif %}",
        ),
        size=9.5,
        indent=0.3,
        after=4,
    )
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p for p in a.paragraphs %}")
    para(doc, "{{ p }}", after=4)
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p for b in a.bullets %}")
    para(doc, "\u2022\t{{ b }}", indent=0.3, hanging=0.17, after=1)
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endfor %}")


def _erisa(doc: Any) -> None:
    tag(doc, "{%p if appeal.erisa_requests %}")
    _heading(doc, ("b", "Requests under ERISA"))
    tag(doc, "{%p for p in appeal.erisa_requests %}")
    para(doc, "{{ p }}", after=4)
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endif %}")


def _closing(doc: Any) -> None:
    _heading(doc, ("b", "Request"))
    para(doc, "{{ appeal_deadline }}", after=4)
    para(
        doc,
        "For these reasons, I ask that you ",
        ("b", "{{ remedy }}"),
        ". Please contact my office at {{ prescriber.phone or facility.phone }}"
        "{% if prescriber.fax or facility.fax %} (fax {{ prescriber.fax or facility.fax }})"
        "{% endif %} with any question or to arrange a peer-to-peer review.",
        after=4,
    )
    para(doc, "Sincerely,", before=4, after=20, keep_next=True)
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


def _enclosures(doc: Any) -> None:
    para(doc, ("b", "Enclosures"), size=9.5, before=2, after=1, keep_next=True)
    tag(doc, "{%p for e in appeal.enclosures %}")
    para(doc, "{{ loop.index }}.\t{{ e }}", size=9.5, after=0, indent=0.25, hanging=0.25)
    tag(doc, "{%p endfor %}")


def _references(doc: Any) -> None:
    tag(doc, "{%p if evidence.references %}")
    p = para(doc, ("b", "References"), size=10, before=8, after=2, color=ACCENT, keep_next=True)
    lmn.border_bottom(p, color="A6A6A6", size=4)
    tag(doc, "{%p for r in evidence.references %}")
    para(doc, "{{ r.number }}.\t{{ r.citation }}", size=8.5, after=1, indent=0.25, hanging=0.25)
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endif %}")


def build_appeal() -> bytes:
    """The letter of appeal template, as DOCX bytes."""
    doc = Document()
    _setup(doc)
    lmn.letterhead(doc)
    _address_block(doc)
    _re_table(doc)
    _opening(doc)
    _arguments(doc)
    _erisa(doc)
    _closing(doc)
    _enclosures(doc)
    _references(doc)
    buf = io.BytesIO()
    doc.save(buf)
    data: bytes = lmn.normalise_zip(buf.getvalue())
    return data


def main(argv: list[str]) -> int:
    """Write the template next to this script (or into the folder given)."""
    target = Path(argv[1]) if len(argv) > 1 else HERE
    (target / TEMPLATE).write_bytes(build_appeal())
    print(f"wrote {target / TEMPLATE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
