"""One printed page of a claim's remittance (X12 835), for the appeal packet.

A denial read from an 835 has no letter to enclose; the payer reviewing the appeal still needs
what it decided. This page prints the claim as the 835 gives it: payer, patient, member ID, the
payer's claim number, each service line with its billed, allowed and paid amounts, adjustments
(group-CARC amount) and remark codes, and the segments the reasons come from. Deterministic
(reportlab's invariant mode: no creation date or random id), so a packet is reproducible.
"""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from formservice.model import Denial

__all__ = ["render_remittance_page"]


def _money(value: float | None) -> str:
    return "" if value is None else f"{value:,.2f}"


def _facts(denial: Denial) -> list[tuple[str, str]]:
    return [
        ("Payer", denial.payer_name or ""),
        ("Patient", denial.patient_name or ""),
        ("Member ID", denial.member_id or ""),
        ("Payer claim number (ICN)", denial.claim_number or ""),
        ("Remittance date", denial.letter_date.isoformat() if denial.letter_date else ""),
        ("Date of service", denial.date_of_service.isoformat() if denial.date_of_service else ""),
        ("Denial categories", ", ".join(denial.categories)),
        ("CARC / RARC", ", ".join([*denial.carc_codes, *denial.rarc_codes])),
    ]


def _lines(denial: Denial) -> list[list[str]]:
    rows = [["Date", "Code", "Units", "Billed", "Allowed", "Paid", "Adjustments", "Remarks"]]
    for line in denial.service_lines:
        code = ":".join([line.code or "", *line.modifiers])
        adjustments = ", ".join(
            f"{a.group or ''}-{a.carc} {_money(a.amount)}" for a in line.adjustments
        )
        rows.append(
            [
                line.date_of_service.isoformat() if line.date_of_service else "",
                code,
                "" if line.units is None else f"{line.units:g}",
                _money(line.billed),
                _money(line.allowed),
                _money(line.paid),
                adjustments,
                ", ".join(line.rarc_codes),
            ]
        )
    return rows


def render_remittance_page(denial: Denial) -> bytes:
    """A PDF (one page for a claim of a few lines) of the claim as its 835 reported it."""
    styles = getSampleStyleSheet()
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=LETTER,
        leftMargin=0.7 * inch,
        rightMargin=0.7 * inch,
        topMargin=0.7 * inch,
        bottomMargin=0.7 * inch,
        title=f"Remittance advice (835), claim {denial.claim_number or 'n/a'}",
        invariant=1,
    )
    story: list[Any] = [
        Paragraph("Remittance advice (X12 835) for this claim", styles["Title"]),
        Paragraph(
            "The payer's electronic remittance, as received; the appeal answers the "
            "adjustments below.",
            styles["Normal"],
        ),
        Spacer(1, 10),
    ]
    facts = Table(
        [
            [Paragraph(f"<b>{escape(k)}</b>", styles["Normal"]), escape(v)]
            for k, v in _facts(denial)
        ],
        colWidths=[2.0 * inch, 5.0 * inch],
    )
    facts.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [facts, Spacer(1, 12), Paragraph("Service lines", styles["Heading2"])]
    lines = Table(_lines(denial), repeatRows=1)
    lines.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("FONTSIZE", (0, 0), (-1, -1), 8),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("ALIGN", (2, 1), (5, -1), "RIGHT"),
            ]
        )
    )
    story += [
        lines,
        Spacer(1, 12),
        Paragraph("Where each reason is in the 835", styles["Heading2"]),
    ]
    for reason in denial.reasons:
        text = f"{reason.category.replace('_', ' ')}"
        if reason.carc:
            text += f" (CARC {reason.carc})"
        if reason.evidence:
            text += f": {reason.evidence}"
        story.append(Paragraph(escape(text), styles["Normal"]))
    doc.build(story)
    return out.getvalue()
