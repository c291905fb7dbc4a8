"""Build the Advance Beneficiary Notice of Noncoverage template (advance_beneficiary_notice.docx).

Run ``.venv/bin/python templates/docx/build_abn_template.py`` after editing this file: it rewrites
the template byte for byte the same each time.

No copy of the official form CMS-R-131 is in the shared corpus, so this is a faithful template of
its sections, in its order and words (CMS-R-131, OMB 0938-0566; Medicare Claims Processing
Manual, CMS Pub. 100-04 ch. 30 §50): notifier, patient name, identification number; the title;
the NOTE; the table of items or services, reason Medicare may not pay and estimated cost; "What
you need to do now"; the three options with the service named in each; additional information;
signature and date; the Paperwork Reduction Act statement. As the CMS instructions recommend,
the blank labels (A)-(J) are not printed. The facts come from the context
(formservice.documents.contexts.abn); the wording of the notice itself is the form's.
Compare with the version of CMS-R-131 that CMS currently publishes before relying on it.
"""

from __future__ import annotations

import importlib.util
import io
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Inches, Pt

HERE = Path(__file__).resolve().parent
TEMPLATE = "advance_beneficiary_notice.docx"
BOX = "\u2610"


def _house_style() -> ModuleType:
    """build_templates.py, loaded by path (this folder is not a package)."""
    spec = importlib.util.spec_from_file_location("build_templates", HERE / "build_templates.py")
    if spec is None or spec.loader is None:
        raise ImportError("templates/docx/build_templates.py not found")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


lmn = _house_style()
para, tag = lmn.para, lmn.tag


def _setup(doc: Any) -> None:
    lmn.setup_document(doc)
    section = doc.sections[0]
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Inches(0.75))
    section.top_margin = section.bottom_margin = Inches(0.6)
    doc.styles["Normal"].font.size = Pt(11)
    props = doc.core_properties
    props.title = "Advance Beneficiary Notice of Noncoverage (ABN)"
    props.subject = "Form CMS-R-131 for mechanical scalp cooling (CPT 0662T, 0663T)"
    props.keywords = "ABN; CMS-R-131; scalp cooling; Medicare"
    props.comments = "Template: advance_beneficiary_notice"


def _header(doc: Any) -> None:
    para(doc, ("b", "Notifier: "), "{{ facility.name }}", after=0)
    para(
        doc,
        "{{ facility.address }}{% if facility.phone %} | Phone {{ facility.phone }}{% endif %}",
        size=10,
        after=4,
    )
    table = doc.add_table(rows=1, cols=2)
    lmn.cell(table.rows[0].cells[0], ("b", "Patient Name: "), "{{ patient.full_name }}", size=11)
    lmn.cell(
        table.rows[0].cells[1],
        ("b", "Identification Number: "),
        "{{ abn.identification }}",
        size=11,
    )
    lmn.fixed_widths(table, (3.6, 3.4))
    para(
        doc,
        ("b", "Advance Beneficiary Notice of Noncoverage (ABN)"),
        size=15,
        before=8,
        after=4,
        align=WD_ALIGN_PARAGRAPH.CENTER,
    )
    para(
        doc,
        ("b", "NOTE: "),
        "If Medicare doesn\u2019t pay for ",
        ("b", "{{ abn.service | lower }}"),
        " below, you may have to pay.",
        after=3,
    )
    para(
        doc,
        "Medicare does not pay for everything, even some care that you or your health care "
        "provider have good reason to think you need. We expect Medicare may not pay for the ",
        ("b", "{{ abn.service | lower }}"),
        " below.",
        after=4,
    )


def _services(doc: Any) -> None:
    table = doc.add_table(rows=2, cols=3)
    table.style = doc.styles["Table Grid"]
    lmn.cell_margins(table, top=60, bottom=60)
    for cell, text in zip(
        table.rows[0].cells,
        ("{{ abn.service }}", "Reason Medicare May Not Pay:", "Estimated Cost"),
        strict=True,
    ):
        lmn.cell(cell, ("b", text), size=10.5)
        lmn.shade(cell, "E8EEF5")
    body = table.rows[1].cells
    lmn.cell(body[0], "{% for line in abn.lines %}{{ line }}\n{% endfor %}", size=10.5)
    lmn.cell(body[1], "{{ abn.reason }}", size=10.5)
    lmn.cell(body[2], "{{ abn.estimated_cost or '$' }}", size=10.5)
    lmn.fixed_widths(table, (2.6, 3.2, 1.2))


def _what_to_do(doc: Any) -> None:
    para(doc, ("b", "WHAT YOU NEED TO DO NOW:"), before=8, after=2)
    for text in (
        "Read this notice, so you can make an informed decision about your care.",
        "Ask us any questions that you may have after you finish reading.",
        "Choose an option below about whether to receive the {{ abn.service | lower }} "
        "listed above.",
    ):
        para(doc, "\u2022\t" + text, indent=0.25, hanging=0.17, after=1)
    para(
        doc,
        ("b", "Note: "),
        "If you choose Option 1 or 2, we may help you to use any other insurance that you "
        "might have, but Medicare cannot require us to do this.",
        size=10,
        after=4,
    )


def _options(doc: Any) -> None:
    table = doc.add_table(rows=4, cols=1)
    table.style = doc.styles["Table Grid"]
    lmn.cell_margins(table, top=50, bottom=50)
    lmn.cell(
        table.rows[0].cells[0],
        ("b", "OPTIONS: "),
        ("b", "Check only one box. We cannot choose a box for you."),
        size=10.5,
    )
    lmn.shade(table.rows[0].cells[0], "E8EEF5")
    options = (
        (
            "OPTION 1. ",
            "I want the {{ abn.service | lower }} listed above. You may ask to be paid now, "
            "but I also want Medicare billed for an official decision on payment, which is sent "
            "to me on a Medicare Summary Notice (MSN). I understand that if Medicare doesn\u2019t "
            "pay, I am responsible for payment, but I can appeal to Medicare by following the "
            "directions on the MSN. If Medicare does pay, you will refund any payments I made to "
            "you, less co-pays or deductibles.",
        ),
        (
            "OPTION 2. ",
            "I want the {{ abn.service | lower }} listed above, but do not bill Medicare. You "
            "may ask to be paid now as I am responsible for payment. I cannot appeal if Medicare "
            "is not billed.",
        ),
        (
            "OPTION 3. ",
            "I don\u2019t want the {{ abn.service | lower }} listed above. I understand with "
            "this choice I am not responsible for payment, and I cannot appeal to see if "
            "Medicare would pay.",
        ),
    )
    for row, (label, text) in zip(table.rows[1:], options, strict=True):
        lmn.cell(row.cells[0], f"{BOX}  ", ("b", label), text, size=10.5)
    lmn.fixed_widths(table, (7.0,))


def _closing(doc: Any) -> None:
    para(doc, ("b", "Additional Information:"), before=8, after=1)
    para(doc, "{{ abn.additional }}", after=3)
    para(
        doc,
        ("b", "This notice gives our opinion, not an official Medicare decision. "),
        "If you have other questions on this notice or Medicare billing, call 1-800-MEDICARE "
        "(1-800-633-4227/TTY: 1-877-486-2048).",
        after=3,
    )
    para(
        doc,
        "Signing below means that you have received and understand this notice. You also "
        "receive a copy.",
        after=3,
    )
    table = doc.add_table(rows=1, cols=2)
    table.style = doc.styles["Table Grid"]
    lmn.cell_margins(table, top=60, bottom=360)
    lmn.cell(table.rows[0].cells[0], ("b", "Signature:"), size=10.5)
    lmn.cell(table.rows[0].cells[1], ("b", "Date:"), size=10.5)
    lmn.fixed_widths(table, (5.0, 2.0))
    para(
        doc,
        "According to the Paperwork Reduction Act of 1995, no persons are required to respond "
        "to a collection of information unless it displays a valid OMB control number. The "
        "valid OMB control number for this information collection is 0938-0566. The time "
        "required to complete this information collection is estimated to average 7 minutes "
        "per response, including the time to review instructions, search existing data "
        "resources, gather the data needed, and complete and review the information "
        "collection. If you have comments concerning the accuracy of the time estimate or "
        "suggestions for improving this form, please write to: CMS, 7500 Security Boulevard, "
        "Attn: PRA Reports Clearance Officer, Baltimore, Maryland 21244-1850.",
        size=7.5,
        before=6,
        after=2,
    )
    para(
        doc,
        ("b", "Form CMS-R-131"),
        "\tForm Approved OMB No. 0938-0566",
        size=8,
        after=0,
    )


def build_abn() -> bytes:
    """The ABN template, as DOCX bytes."""
    doc = Document()
    _setup(doc)
    _header(doc)
    _services(doc)
    _what_to_do(doc)
    _options(doc)
    _closing(doc)
    buf = io.BytesIO()
    doc.save(buf)
    data: bytes = lmn.normalise_zip(buf.getvalue())
    return data


def main(argv: list[str]) -> int:
    """Write the template next to this script (or into the folder given)."""
    target = Path(argv[1]) if len(argv) > 1 else HERE
    (target / TEMPLATE).write_bytes(build_abn())
    print(f"wrote {target / TEMPLATE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
