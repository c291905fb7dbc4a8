"""The appeal packet: one PDF a clinic can sign and fax, holding only what the payer should see.

Parts, in order: a fax cover sheet (to the appeal destination the denial states, the payer
directory only where it is silent; the first-level review by name and its deadline; the page
count and a confidentiality notice), the appeal letter, the letter of medical necessity, a
sanitised copy of the denial letter (`sanitise.sanitise_pdf`: nothing active), the clinical
notes, and the PA request form only when one was sent to this payer (flattened). The staff's
checklist never goes in.

Every page is set, slightly reduced, above a reserved band at its foot (`BAND` points) where,
and only where, the "Page X of Y" stamp goes: the stamp never overprints a footer, a form's own
numbers or any other content. Every part gets a bookmark; the document properties name the case
and the parts. Dates are written one way throughout ("March 2, 2026").
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from pypdf import PageObject, PdfReader, PdfWriter, Transformation
from pypdf.errors import PyPdfError
from reportlab.lib.pagesizes import letter
from reportlab.lib.units import inch
from reportlab.pdfgen import canvas

from formservice import model
from formservice.documents.packet.sanitise import sanitise_pdf
from formservice.errors import UnreadablePdfError
from formservice.model import Denial
from formservice.reimbursement.appeals import AppealRoute, appeal_request, appeal_route, format_date

# The reserved band at the foot of every page, in points (0.5 in): page content is scaled to sit
# above it; the stamp's baseline is at STAMP_Y inside it.
BAND = 36.0
STAMP_Y = 14.0

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


def _cover_rows(
    case: model.Case, denial: Denial, route: AppealRoute, level: str, total_pages: int
) -> list[tuple[str, str]]:
    """The cover sheet's label: value rows, To and From first (empty values are left out)."""
    facility = case.facility
    claim = denial.claim_number or denial.authorization_number or "not stated"
    return [
        ("To", route.name),
        ("Address", route.address or ""),
        ("Fax", route.fax or "not stated: call the payer before sending"),
        ("From", facility.name),
        ("Phone", facility.phone or ""),
        ("Fax", facility.fax or ""),
        ("Re", f"{level} - claim {claim}"),
        ("Member", denial.member_id or case.coverage.member_id or "not stated"),
        ("Patient", f"{case.patient.full_name} (DOB {format_date(case.patient.date_of_birth)})"),
        ("Pages", f"{total_pages} (including this cover sheet)"),
    ]


def cover_sheet(
    case: model.Case, denial: Denial, *, today: date, total_pages: int, parts: list[str]
) -> bytes:
    """A one-page fax cover sheet, addressed where the denial says appeals go."""
    route = appeal_route(case, denial)
    level = appeal_request(denial, case)["level"]
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=letter, invariant=True)
    c.setTitle("Fax cover sheet")
    width, height = letter
    y = height - 1 * inch
    c.setFont("Helvetica-Bold", 26)
    c.drawString(1 * inch, y, "FAX")
    c.setFont("Helvetica", 11)
    c.drawRightString(width - 1 * inch, y, f"Date: {format_date(today)}")
    y -= 0.5 * inch
    for label, value in _cover_rows(case, denial, route, level, total_pages):
        if not value:
            continue
        c.setFont("Helvetica-Bold", 11)
        c.drawString(1 * inch, y, f"{label}:")
        c.setFont("Helvetica", 11)
        c.drawString(2 * inch, y, value[:80])
        y -= 0.3 * inch
    y -= 0.1 * inch
    c.setFont("Helvetica-Bold", 11)
    deadline = denial.appeal_deadline
    due = (
        f"First-level deadline: {format_date(deadline)}"
        if deadline
        else "First-level deadline: not stated in the denial"
    )
    c.drawString(1 * inch, y, due)
    y -= 0.4 * inch
    c.drawString(1 * inch, y, "Enclosed:")
    c.setFont("Helvetica", 11)
    for i, title in enumerate(parts, start=1):
        y -= 0.25 * inch
        c.drawString(1.3 * inch, y, f"{i}. {title}")
    text = c.beginText(1 * inch, 2.2 * inch)
    text.setFont("Helvetica-Oblique", 9)
    for line in _wrap(CONFIDENTIALITY, 100):
        text.textLine(line)
    c.drawText(text)
    c.showPage()
    c.save()
    return buf.getvalue()


def clinical_notes_page(case: model.Case, *, today: date) -> bytes | None:
    """The case's clinical notes as an attachment page, or None when the case has none."""
    notes = " ".join((case.clinical_notes or "").split())
    if not notes:
        return None
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=letter, invariant=True)
    c.setTitle("Clinical notes")
    width, height = letter
    c.setFont("Helvetica-Bold", 14)
    c.drawString(1 * inch, height - 1 * inch, "Clinical notes")
    c.setFont("Helvetica", 10)
    c.drawString(
        1 * inch,
        height - 1.3 * inch,
        f"{case.patient.full_name}, DOB {format_date(case.patient.date_of_birth)} - "
        f"{case.prescriber.full_name}, {case.facility.name}",
    )
    text = c.beginText(1 * inch, height - 1.8 * inch)
    text.setFont("Helvetica", 10.5)
    text.setLeading(14)
    lines = _wrap(notes, 95)
    for line in lines[:40]:
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
    c.drawRightString(page_size[0] - 0.5 * inch, STAMP_Y, f"Page {number} of {total}")
    c.drawString(0.5 * inch, STAMP_Y, label)
    c.save()
    return PdfReader(io.BytesIO(buf.getvalue()))


def _above_band(page: PageObject) -> PageObject:
    """The page's content reduced to sit above the reserved band, centred, on a page of the
    same size (its annotations stay behind: packet pages are for reading, not filling)."""
    if page.rotation:
        page.transfer_rotation_to_content()  # so the scaling below applies to what is seen
    box = page.mediabox
    width, height = float(box.width), float(box.height)
    scale = (height - BAND) / height
    blank = PageObject.create_blank_page(width=width, height=height)
    shift_x = (width - width * scale) / 2 - float(box.left) * scale
    shift_y = BAND - float(box.bottom) * scale
    blank.merge_transformed_page(
        page, Transformation().scale(scale, scale).translate(shift_x, shift_y)
    )
    if "/Annots" in blank:
        del blank["/Annots"]
    return blank


def assemble(
    parts: list[Part],
    *,
    title: str,
    subject: str,
    author: str,
    label: str,
    properties: Mapping[str, str] | None = None,
) -> bytes:
    """Merge parts with a bookmark each, each page above the reserved band with "Page X of Y"
    stamped in it, and set the properties."""
    writer = PdfWriter()
    starts: list[tuple[str, int]] = []
    for part in parts:
        reader = _reader(part.pdf, part.title.lower())
        starts.append((part.title, len(writer.pages)))
        for page in reader.pages:
            writer.add_page(_above_band(page))
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
    denial_title: str = "Copy of the denial letter",
) -> tuple[bytes, dict[str, Any]]:
    """The packet PDF and a description of its parts (title, first page, pages).

    `denial` is the reconciled denial (`reimbursement.reconciliation.agreed_denial`);
    `pa_form_pdf` only when a PA request was sent to this payer on that form.
    """
    parts = [
        Part("Letter of appeal", render_letter("appeal")),
        Part("Letter of medical necessity", render_letter("lmn")),
        Part(denial_title, sanitise_pdf(_reader(denial_pdf, "denial letter"))),
    ]
    notes = clinical_notes_page(case, today=today)
    if notes is not None:
        parts.append(Part("Clinical notes", notes))
    if pa_form_pdf is not None:
        parts.append(Part("Prior authorization request form", pa_form_pdf))
    counts = [len(_reader(p.pdf, p.title.lower()).pages) for p in parts]
    total = 1 + sum(counts)
    titles = [p.title for p in parts]
    cover = Part(
        "Fax cover sheet",
        cover_sheet(case, denial, today=today, total_pages=total, parts=titles),
    )
    all_parts = [cover, *parts]
    claim = denial.claim_number or denial.authorization_number or "n/a"
    label = f"{case.external_id} - appeal - claim {claim}"
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
    route = appeal_route(case, denial)
    return pdf, {
        "parts": described,
        "pages": total,
        "appeal_to": {"name": route.name, "fax": route.fax, "source": route.source},
    }
