"""The appeal packet: one PDF a clinic can sign and fax.

Parts, in order: a fax cover sheet (to the payer's appeals fax, from the facility, with the
packet's page count and a confidentiality notice), the appeal letter, the letter of medical
necessity, the denial letter itself, the filled PA form if the case has one (flattened, so no
viewer can change or hide its values), and the appeal checklist. Every part gets a bookmark,
every page a "Page X of Y" stamp, and the document properties name the case and the parts.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError
from reportlab.lib.pagesizes import letter
from reportlab.lib.units import inch
from reportlab.pdfgen import canvas

from formservice import model
from formservice.errors import UnreadablePdfError
from formservice.model import Denial
from formservice.reimbursement.payers import find_payer

CONFIDENTIALITY = (
    "CONFIDENTIALITY NOTICE: This facsimile contains protected health information that is "
    "privileged and confidential under HIPAA (45 CFR Parts 160 and 164). It is intended only "
    "for the recipient named above. If you received it in error, notify the sender at the "
    "number above immediately and destroy all copies. Any review, use or disclosure by "
    "others is prohibited."
)


@dataclass(frozen=True)
class Part:
    """One section of the packet: its bookmark title and its pages."""

    title: str
    pdf: bytes


def _reader(data: bytes, what: str) -> PdfReader:
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            reader.decrypt("")
        _ = len(reader.pages)
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, zlib.error) as exc:
        raise UnreadablePdfError(
            f"the {what} could not be read as a PDF", errors={what.replace(" ", "_"): [str(exc)]}
        ) from exc
    return reader


def _appeals_fax(case: model.Case, denial: Denial) -> tuple[str, str]:
    payer = case.coverage.payer
    info = find_payer(
        name=denial.payer_name or (payer.name if payer else None),
        payer_id=payer.payer_id if payer else None,
    )
    name = denial.payer_name or (payer.name if payer else "Appeals Department")
    if info and info.appeals_fax:
        return name, info.appeals_fax
    return name, (payer.fax if payer and payer.fax else "")


def cover_sheet(
    case: model.Case, denial: Denial, *, today: date, total_pages: int, parts: list[str]
) -> bytes:
    """A one-page fax cover sheet."""
    to_name, to_fax = _appeals_fax(case, denial)
    facility = case.facility
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=letter, invariant=True)
    c.setTitle("Fax cover sheet")
    width, height = letter
    y = height - 1 * inch
    c.setFont("Helvetica-Bold", 26)
    c.drawString(1 * inch, y, "FAX")
    c.setFont("Helvetica", 11)
    c.drawRightString(width - 1 * inch, y, f"Date: {today:%B} {today.day}, {today.year}")
    y -= 0.5 * inch
    rows = [
        ("To", f"{to_name} - Appeals / Grievances"),
        ("Fax", to_fax or "(see payer directory)"),
        ("From", facility.name),
        ("Phone", facility.phone or ""),
        ("Fax", facility.fax or ""),
        (
            "Re",
            f"First-level appeal - claim {denial.claim_number or 'n/a'}, "
            f"member {denial.member_id or case.coverage.member_id or 'n/a'}",
        ),
        ("Patient", f"{case.patient.full_name} (DOB {case.patient.date_of_birth:%m/%d/%Y})"),
        ("Pages", f"{total_pages} (including this cover sheet)"),
    ]
    for label, value in rows:
        c.setFont("Helvetica-Bold", 11)
        c.drawString(1 * inch, y, f"{label}:")
        c.setFont("Helvetica", 11)
        c.drawString(2 * inch, y, value[:90])
        y -= 0.3 * inch
    y -= 0.2 * inch
    c.setFont("Helvetica-Bold", 11)
    c.drawString(1 * inch, y, "Enclosed:")
    c.setFont("Helvetica", 11)
    for i, title in enumerate(parts, start=1):
        y -= 0.25 * inch
        c.drawString(1.3 * inch, y, f"{i}. {title}")
    if denial.appeal_deadline:
        y -= 0.45 * inch
        c.setFont("Helvetica-Bold", 11)
        c.drawString(1 * inch, y, f"Appeal deadline stated or computed: {denial.appeal_deadline}")
    text = c.beginText(1 * inch, 2.2 * inch)
    text.setFont("Helvetica-Oblique", 9)
    for line in _wrap(CONFIDENTIALITY, 100):
        text.textLine(line)
    c.drawText(text)
    c.showPage()
    c.save()
    return buf.getvalue()


def _wrap(text: str, width: int) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return [*lines, line]


def _stamp(page_size: tuple[float, float], number: int, total: int, label: str) -> PdfReader:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=page_size, invariant=True)
    c.setFont("Helvetica", 8)
    c.drawRightString(page_size[0] - 0.5 * inch, 0.35 * inch, f"Page {number} of {total}")
    c.drawString(0.5 * inch, 0.35 * inch, label)
    c.save()
    return PdfReader(io.BytesIO(buf.getvalue()))


def assemble(
    parts: list[Part],
    *,
    title: str,
    subject: str,
    author: str,
    label: str,
    properties: Mapping[str, str] | None = None,
) -> bytes:
    """Merge parts with a bookmark each, stamp "Page X of Y" on every page, set properties."""
    writer = PdfWriter()
    starts: list[tuple[str, int]] = []
    for part in parts:
        reader = _reader(part.pdf, part.title.lower())
        starts.append((part.title, len(writer.pages)))
        for page in reader.pages:
            writer.add_page(page)
    total = len(writer.pages)
    for number, page in enumerate(writer.pages, start=1):
        size = (float(page.mediabox.width), float(page.mediabox.height))
        page.merge_page(_stamp(size, number, total, label).pages[0])
    for part_title, start in starts:
        writer.add_outline_item(part_title, start)
    writer.add_metadata(
        {
            "/Title": title,
            "/Subject": subject,
            "/Author": author,
            "/Creator": "formservice",
            "/Keywords": "appeal packet; scalp cooling; 0662T; 0663T",
            **{f"/{key}": value for key, value in (properties or {}).items()},
        }
    )
    writer.page_mode = "/UseOutlines"
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def build_appeal_packet(
    case: model.Case,
    denial: Denial,
    *,
    today: date,
    render_letter: Callable[[str], bytes],
    denial_pdf: bytes,
    pa_form_pdf: bytes | None,
    properties: Mapping[str, str] | None = None,
    denial_title: str = "Denial letter",
) -> tuple[bytes, dict[str, Any]]:
    """The packet PDF and a description of its parts (title, first page, pages)."""
    parts = [
        Part("Letter of appeal", render_letter("appeal")),
        Part("Letter of medical necessity", render_letter("lmn")),
        Part(denial_title, denial_pdf),
    ]
    if pa_form_pdf is not None:
        parts.append(Part("Prior authorization request form", pa_form_pdf))
    parts.append(Part("Letter of appeal checklist", render_letter("appeal_checklist")))
    counts = [len(_reader(p.pdf, p.title.lower()).pages) for p in parts]
    total = 1 + sum(counts)
    titles = [p.title for p in parts]
    cover = Part(
        "Fax cover sheet",
        cover_sheet(case, denial, today=today, total_pages=total, parts=titles),
    )
    all_parts = [cover, *parts]
    label = f"{case.external_id} - appeal - claim {denial.claim_number or 'n/a'}"
    pdf = assemble(
        all_parts,
        title=f"Appeal packet - {case.external_id}",
        subject="Contents: " + "; ".join(p.title for p in all_parts),
        author=case.facility.name,
        label=label,
        properties=properties,
    )
    first = 1
    described = []
    for part, pages in zip(all_parts, [1, *counts], strict=True):
        described.append({"title": part.title, "first_page": first, "pages": pages})
        first += pages
    return pdf, {"parts": described, "pages": total}
