"""Write the synthetic denial letters of samples/denials (PDF) and their labels (JSON).

Run ``.venv/bin/python samples/denials/generate.py``: every letter is rebuilt from the specs below
with fixed seeds and fixed PDF metadata, so a rerun gives byte-identical files. Every name, number
and organisation is invented and looks it (Testpatient, Samplename, Northwind ...); no real PHI.

Each label holds the CONTRACT.md §4 keys as the letter states them: the truth the parser's
field-level accuracy test (tests/denials/test_accuracy.py) compares against.
"""

from __future__ import annotations

import io
import json
import random
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pypdfium2
from PIL import Image, ImageDraw, ImageFilter
from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.platypus import (
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

HERE = Path(__file__).resolve().parent
SCAN_DPI = 200  # fax "fine" mode
FIXED_TIME = time.struct_time((2026, 3, 1, 12, 0, 0, 6, 60, 0))

MONTHS = [
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
]  # fmt: skip


def fmt_date(d: date, style: str) -> str:
    """Write a date the way a given letter does."""
    if style == "long":
        return f"{MONTHS[d.month - 1]} {d.day}, {d.year}"
    if style == "short":
        return f"{MONTHS[d.month - 1][:3]} {d.day}, {d.year}"
    if style == "us":
        return f"{d.month:02d}/{d.day:02d}/{d.year}"
    if style == "us2":
        return f"{d.month}/{d.day}/{d.year % 100:02d}"
    if style == "iso":
        return d.isoformat()
    if style == "dmy":
        return f"{d.day:02d}-{MONTHS[d.month - 1][:3]}-{d.year}"
    if style == "eu":
        return f"{d.day} {MONTHS[d.month - 1]} {d.year}"
    raise ValueError(style)


@dataclass
class Reason:
    """One denial reason as the letter words it."""

    category: str
    sentence: str
    carc: str | None = None
    rarc: str | None = None
    page: int = 1


@dataclass
class Spec:
    """Everything one sample letter states, and how it is laid out."""

    name: str
    kind: str  # erisa | ma | medicaid | eob | fax | mac
    payer: str
    patient: str
    member_id: str
    member_label: str
    claim_number: str | None
    claim_label: str
    letter_date: date
    date_style: str
    dos: date
    dos_label: str
    procedures: list[str]
    diagnoses: list[str]
    reasons: list[Reason]
    deadline_sentence: str | None
    plan_type: str | None
    deadline: date | None
    appeal_days: int | None
    basis: str | None
    auth_number: str | None = None
    auth_label: str = "Authorization #"
    scanned: bool = False
    two_pages: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def d(self, value: date) -> str:
        return fmt_date(value, self.date_style)


# Distractor numbers every letter carries somewhere: phone, fax, NPI, group, ZIP, tax id.
ADDRESS = {
    "Northwind Health Plan": (
        "PO Box 4410",
        "Seattle, WA 98101",
        "1-800-555-0142",
        "(206) 555-0199",
    ),
    "Contoso Mutual Insurance": (
        "1200 Example Avenue",
        "Hartford, CT 06103",
        "1-888-555-0110",
        "(860) 555-0177",
    ),
    "Fabrikam Health": ("PO Box 99021", "Dallas, TX 75201", "1-877-555-0123", "(214) 555-0100"),
    "Tailspin Medicare Advantage": (
        "77 Placeholder Road",
        "Phoenix, AZ 85004",
        "1-866-555-0134",
        "(602) 555-0150",
    ),
    "Woodgrove Community Medicaid Plan": (
        "PO Box 3300",
        "Columbus, OH 43215",
        "1-855-555-0166",
        "(614) 555-0188",
    ),
    "Adatum Insurance Company": (
        "500 Sample Street",
        "Denver, CO 80202",
        "1-800-555-0191",
        "(303) 555-0122",
    ),
    "Litware Medicare Services": (
        "PO Box 6000",
        "Fargo, ND 58108",
        "1-877-555-0155",
        "(701) 555-0131",
    ),
    "Bluebird Medicaid Health": (
        "PO Box 1717",
        "Atlanta, GA 30303",
        "1-844-555-0107",
        "(404) 555-0119",
    ),
}
CLINIC = ["Sampletown Oncology Associates", "Attn: Billing Office", "400 Clinic Way, Suite 2",
          "Springfield, IL 62701"]  # fmt: skip
NPI = "1234567893"


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=base["Normal"], fontName="Helvetica", fontSize=10.5,
                          leading=14, spaceAfter=6)  # fmt: skip
    return {
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8.5, leading=11),
        "head": ParagraphStyle(
            "head", parent=body, fontName="Helvetica-Bold", fontSize=15, leading=18, spaceAfter=2
        ),  # fmt: skip
        "title": ParagraphStyle(
            "title", parent=body, fontName="Helvetica-Bold", fontSize=12, leading=15, spaceBefore=6
        ),  # fmt: skip
        "mono": ParagraphStyle(
            "mono", parent=body, fontName="Courier", fontSize=10, leading=13, spaceAfter=2
        ),  # fmt: skip
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


def _letterhead(spec: Spec, st: dict[str, ParagraphStyle]) -> list[Any]:
    street, city, phone, fax = ADDRESS[spec.payer]
    return [
        _p(spec.payer, st["head"]),
        _p(f"{street} | {city}", st["small"]),
        _p(f"Customer Service: {phone} (TTY 711) | Fax: {fax}", st["small"]),
        Spacer(1, 10),
    ]


def _facts_table(rows: list[tuple[str, str]], st: dict[str, ParagraphStyle]) -> Table:
    cells = [[_p(k, st["body"]), _p(v, st["body"])] for k, v in rows]
    table = Table(cells, colWidths=[1.9 * inch, 4.6 * inch])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
                               ("TOPPADDING", (0, 0), (-1, -1), 0)]))  # fmt: skip
    return table


def _reason_paragraphs(spec: Spec, page: int, st: dict[str, ParagraphStyle]) -> list[Any]:
    return [_p(r.sentence, st["body"]) for r in spec.reasons if r.page == page]


def build_letter(spec: Spec) -> list[Any]:
    """Return the platypus story of a formal letter (ERISA, MA, Medicaid, commercial)."""
    st = _styles()
    story = _letterhead(spec, st)
    story.append(_p(spec.extra.get("date_prefix", "") + spec.d(spec.letter_date), st["body"]))
    for line in CLINIC:
        story.append(_p(line, st["small"]))
    story.append(Spacer(1, 8))
    title = spec.extra.get("title", "Notice of Adverse Benefit Determination")
    story.append(_p(title, st["title"]))
    default_label = "Patient Name:" if spec.kind != "ma" else "Member name:"
    rows = [(spec.extra.get("patient_label", default_label), spec.patient)]
    rows.append((spec.member_label, spec.member_id))
    rows.append(("Group No.:", spec.extra.get("group", "884512")))
    if spec.claim_number:
        rows.append((spec.claim_label, spec.claim_number))
    if spec.auth_number:
        rows.append((spec.auth_label, spec.auth_number))
    rows.append((spec.dos_label, spec.extra.get("dos_display", spec.d(spec.dos))))
    rows += spec.extra.get("more_rows", [])
    rows.append(("Provider:", f"Sampletown Oncology Associates, NPI {NPI}"))
    if spec.procedures:
        rows.append(("Service:", "Scalp cooling, CPT " + ", ".join(spec.procedures)))
    if spec.diagnoses:
        rows.append(("Diagnosis:", ", ".join(spec.diagnoses)))
    story.append(_facts_table(rows, st))
    story.append(Spacer(1, 8))
    salutation = spec.extra.get("salutation", "Dear Provider:")
    story.append(_p(salutation, st["body"]))
    for text in spec.extra.get("intro", []):
        story.append(_p(text, st["body"]))
    story += _reason_paragraphs(spec, 1, st)
    for text in spec.extra.get("after_reasons", []):
        story.append(_p(text, st["body"]))
    if spec.two_pages:
        story.append(PageBreak())
        story.append(
            _p(f"{spec.payer} - {spec.member_label} {spec.member_id} - page 2", st["small"])
        )
        story += _reason_paragraphs(spec, 2, st)
    story.append(_p("Your appeal rights", st["title"]))
    if spec.deadline_sentence:
        story.append(_p(spec.deadline_sentence, st["body"]))
    for text in spec.extra.get("rights", []):
        story.append(_p(text, st["body"]))
    street, city, phone, fax = ADDRESS[spec.payer]
    story.append(_p(f"Send appeals to: {spec.payer} Appeals Unit, {street}, {city}. "
                    f"Fax: {fax}. Questions: call {phone}.", st["body"]))  # fmt: skip
    story.append(_p("Sincerely,", st["body"]))
    story.append(_p("Pat Sampledoc, MD, Medical Director", st["body"]))
    return story


def build_eob(spec: Spec) -> list[Any]:
    """Return the story of a remittance/EOB page with a claim table and code glossary."""
    st = _styles()
    story = _letterhead(spec, st)
    story.append(_p(spec.extra.get("title", "Explanation of Benefits - Provider Remittance"),
                    st["title"]))  # fmt: skip
    head = [
        ("Remit Date:", spec.d(spec.letter_date)),
        ("Payee: Sampletown Oncology Associates", f"NPI: {NPI}  Tax ID: 91-0000001"),
        ("Patient:", spec.extra.get("patient_display", spec.patient)),
        (spec.member_label, spec.member_id),
        ("Patient Account #:", "55012"),
    ]
    if spec.claim_number:
        head.append((spec.claim_label, spec.claim_number))
    if spec.auth_number:
        head.append((spec.auth_label, spec.auth_number))
    if spec.diagnoses:
        head.append(("Diagnosis codes:", " ".join(spec.diagnoses)))
    story.append(_facts_table(head, st))
    story.append(Spacer(1, 8))
    rows = [["DOS", "CPT/HCPCS", "Units", "Billed", "Allowed", "Paid", "Adj", "Remark"]]
    coded = [r for r in spec.reasons if r.carc]
    for i, proc in enumerate(spec.procedures):
        reason = coded[min(i, len(coded) - 1)] if coded else None
        rows.append([
            fmt_date(spec.dos, spec.extra.get("table_date_style", "us")), proc,
            "1", f"{_billed(proc):,.2f}", "0.00", "0.00",
            f"{spec.extra.get('group_code', 'CO')}-{reason.carc}" if reason else "",
            (reason.rarc or "") if reason else "",
        ])  # fmt: skip
    table = Table(rows, hAlign="LEFT")
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), "Helvetica"),
                               ("FONTSIZE", (0, 0), (-1, -1), 9),
                               ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black)]))  # fmt: skip
    story.append(table)
    story.append(Spacer(1, 10))
    story.append(_p("Adjustment and remark codes on this claim", st["title"]))
    for r in spec.reasons:
        story.append(_p(r.sentence, st["body"]))
    if spec.deadline_sentence:
        story.append(_p(spec.deadline_sentence, st["body"]))
    for text in spec.extra.get("rights", []):
        story.append(_p(text, st["body"]))
    street, city, phone, _fax = ADDRESS[spec.payer]
    story.append(_p(f"Provider services: {phone}. {street}, {city}.", st["small"]))
    return story


def build_fax(spec: Spec) -> list[Any]:
    """Return the story of a short faxed notice in a typewriter font."""
    st = _styles()
    street, city, phone, fax = ADDRESS[spec.payer]
    mono = st["mono"]
    lines = [
        "F A X   T R A N S M I T T A L",
        f"FROM: {spec.payer}",
        f"FAX: {fax}    PHONE: {phone}",
        "TO: Sampletown Oncology Associates    FAX: (217) 555-0164",
        f"DATE: {spec.d(spec.letter_date)}    PAGES: 1",
        "-" * 60,
        f"RE: {spec.patient}",
        f"{spec.member_label} {spec.member_id}",
    ]
    if spec.claim_number:
        lines.append(f"{spec.claim_label} {spec.claim_number}")
    if spec.auth_number:
        lines.append(f"{spec.auth_label} {spec.auth_number}")
    lines.append(f"{spec.dos_label} {spec.d(spec.dos)}    CPT {' '.join(spec.procedures)}")
    if spec.diagnoses:
        lines.append(f"DX {' '.join(spec.diagnoses)}")
    lines.append("-" * 60)
    story: list[Any] = [_p(line, mono) for line in lines]
    story.append(Spacer(1, 6))
    story += [_p(r.sentence, st["body"]) for r in spec.reasons]
    if spec.deadline_sentence:
        story.append(_p(spec.deadline_sentence, st["body"]))
    story.append(Spacer(1, 6))
    story.append(_p(f"Questions: {phone}. {street}, {city}.", st["small"]))
    story.append(_p("CONFIDENTIAL: this fax is intended only for the addressee.", st["small"]))
    return story


BUILDERS = {"eob": build_eob, "fax": build_fax}


def render_pdf(spec: Spec) -> bytes:
    """Return the text-layer PDF of a letter (reportlab, invariant output)."""
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf, pagesize=LETTER, invariant=1, title=f"Denial sample {spec.name}",
        author="formservice samples", leftMargin=0.9 * inch, rightMargin=0.9 * inch,
        topMargin=0.7 * inch, bottomMargin=0.7 * inch,
    )  # fmt: skip
    doc.build(BUILDERS.get(spec.kind, build_letter)(spec))
    return buf.getvalue()


def scan_pdf(pdf: bytes, seed: int) -> bytes:
    """Return an image-only 'fax scan' of a PDF: 200 dpi, tilted, specked, 1-bit, CCITT G4."""
    rng = random.Random(seed)  # noqa: S311 - reproducible scan noise, not security
    doc = pypdfium2.PdfDocument(pdf)
    images = []
    try:
        for index in range(len(doc)):
            page = doc[index]
            img = page.render(scale=SCAN_DPI / 72, grayscale=True).to_pil().convert("L")
            page.close()
            img = img.rotate(rng.uniform(-1.2, 1.2), resample=Image.Resampling.BICUBIC,
                             fillcolor=255)  # fmt: skip
            img = img.filter(ImageFilter.GaussianBlur(0.6))
            draw = ImageDraw.Draw(img)
            w, h = img.size
            for _ in range(1500):
                x, y = rng.randrange(w), rng.randrange(h)
                draw.point((x, y), fill=rng.choice((0, 60, 90)))
            for _ in range(3):
                y = rng.randrange(h)
                draw.line((0, y, w, y + rng.randrange(-3, 4)), fill=170, width=1)
            bw = img.point(lambda p: 255 if p > 150 else 0).convert("1", dither=Image.Dither.NONE)
            images.append(bw)
    finally:
        doc.close()
    out = io.BytesIO()
    images[0].save(
        out, format="PDF", save_all=True, append_images=images[1:], resolution=SCAN_DPI,
        title="scan", creationDate=FIXED_TIME, modDate=FIXED_TIME,
    )  # fmt: skip
    return out.getvalue()


def page_count(pdf: bytes) -> int:
    doc = pypdfium2.PdfDocument(pdf)
    try:
        return len(doc)
    finally:
        doc.close()


def reason_page(spec: Spec, reason: Reason, pdf: bytes) -> int:
    """Return the page whose text holds the reason's sentence (text PDF, before scanning)."""
    doc = pypdfium2.PdfDocument(pdf)
    try:
        probe = " ".join(reason.sentence.split()[:6])
        for index in range(len(doc)):
            page = doc[index]
            text = " ".join(page.get_textpage().get_text_range().split())
            page.close()
            if probe in text:
                return index + 1
    finally:
        doc.close()
    return reason.page


def _billed(proc: str) -> float:
    return 1250.50 if proc.endswith("2T") else 310.00


def service_lines_for(spec: Spec) -> list[dict[str, Any]]:
    """The remittance lines an EOB prints (`build_eob`'s table): the one adjustment of a line
    has no amount printed; billed minus paid is what it takes (835 line balancing)."""
    if spec.kind != "eob":
        return []
    coded = [r for r in spec.reasons if r.carc]
    out = []
    for i, proc in enumerate(spec.procedures):
        reason = coded[min(i, len(coded) - 1)] if coded else None
        group = spec.extra.get("group_code", "CO")
        out.append({
            "date_of_service": spec.dos.isoformat(), "code": proc, "modifiers": [], "units": 1,
            "billed": _billed(proc), "allowed": 0.0, "paid": 0.0,
            "adjustments": [{"group": group, "carc": reason.carc, "amount": _billed(proc)}]
            if reason else [],
            "rarc_codes": [reason.rarc] if reason and reason.rarc else [],
        })  # fmt: skip
    return out


def appeal_to_for(spec: Spec) -> dict[str, Any] | None:
    """Where a formal letter says to send appeals (`build_letter`'s last paragraph)."""
    if spec.kind in BUILDERS:
        return None
    street, city, phone, fax = ADDRESS[spec.payer]
    return {"name": f"{spec.payer} Appeals Unit", "address": f"{street}, {city}", "fax": fax,
            "phone": phone, "portal": None}  # fmt: skip


def label_for(spec: Spec, pdf: bytes, pages: int) -> dict[str, Any]:
    """Return the CONTRACT.md §4 truth of a letter."""
    carcs: list[str] = []
    rarcs: list[str] = []
    categories: list[str] = []
    for r in spec.reasons:
        if r.carc and r.carc not in carcs:
            carcs.append(r.carc)
        if r.rarc and r.rarc not in rarcs:
            rarcs.append(r.rarc)
        if r.category not in categories:
            categories.append(r.category)
    return {
        "text_source": "ocr" if spec.scanned else "text",
        "pages": pages,
        "payer_name": spec.payer,
        "member_id": spec.member_id,
        "claim_number": spec.claim_number,
        "authorization_number": spec.auth_number,
        "patient_name": spec.patient,
        "letter_date": spec.letter_date.isoformat(),
        "date_of_service": spec.dos.isoformat(),
        "procedure_codes": spec.procedures,
        "diagnosis_codes": spec.diagnoses,
        "carc_codes": carcs,
        "rarc_codes": rarcs,
        "categories": categories,
        "reasons": [
            {
                "category": r.category,
                "carc": r.carc,
                "page": reason_page(spec, r, pdf),
                "evidence": r.sentence,
                "confidence": 1.0,
            }
            for r in spec.reasons
        ],  # fmt: skip
        "appeal_deadline": spec.deadline.isoformat() if spec.deadline else None,
        "appeal_days": spec.appeal_days,
        "appeal_deadline_basis": spec.basis,
        "plan_type": spec.plan_type,
        "needs_review": spec.deadline is None or "other" in categories,
        "service_lines": service_lines_for(spec),
        "adjustments": [],
        "appeal_to": appeal_to_for(spec),
    }


def plus(d: date, days: int) -> date:
    return d + timedelta(days=days)


ERISA_RIGHTS = [
    "You have the right to bring a civil action under section 502(a) of the Employee Retirement "
    "Income Security Act (ERISA) following an adverse benefit determination on review.",
    "If your claim was denied as experimental or investigational, or as not medically necessary, "
    "you may also ask for an external review by an independent review organization.",
    "You may request, free of charge, copies of all documents and records relevant to your claim. "
    "We will decide a post-service appeal within 60 days of receiving it.",
]
MA_RIGHTS = [
    "If you want to appeal, ask for a reconsideration. Your plan will review the decision. "
    "We will answer a payment reconsideration within 60 days.",
    "If we deny your reconsideration, your case is sent automatically to an Independent Review "
    "Entity.",
]
MEDICAID_RIGHTS = [
    "After you appeal to the plan, you may ask for a State fair hearing within 120 days from the "
    "date of the plan's appeal decision.",
    "You can keep your benefits during the appeal if you ask within 10 days of the date of this "
    "notice. We will decide your appeal within 30 days.",
]


def specs() -> list[Spec]:
    """Return every sample letter's spec."""
    out: list[Spec] = []
    d = date

    ld = d(2026, 3, 15)
    out.append(Spec(
        "01_erisa_medical_necessity", "erisa", "Northwind Health Plan", "Maria Samplename",
        "NWH123456789", "Member ID:", "2026031500123", "Claim No.:", ld, "long", d(2026, 3, 2),
        "Date of Service:", ["0662T", "0663T"], ["C50.911"],
        [Reason("medical_necessity", "We denied this claim because scalp cooling is not medically "
                "necessary for the diagnosis billed under our medical policy MP-214 (CARC 50).",
                carc="50")],
        "You or your provider may appeal this decision within 180 days of the date of this "
        "notice.", "erisa", plus(ld, 180), 180,
        "letter states: within 180 days of the date of this notice",
        extra={"rights": ERISA_RIGHTS, "intro": ["This plan is an employer-sponsored group health "
               "plan governed by ERISA. We reviewed the claim described above."]},
    ))  # fmt: skip
    ld = d(2026, 4, 2)
    out.append(Spec(
        "02_erisa_experimental_records", "erisa", "Contoso Mutual Insurance", "Alex Testpatient",
        "CMI-4471-0093", "Subscriber #:", "C2026040200871", "Claim Number:", ld, "us",
        d(2026, 3, 10), "Service Date(s):", ["0662T", "0663T"], ["C50.412", "Z51.11"],
        [Reason("experimental_investigational", "The plan considers mechanical scalp cooling to "
                "prevent chemotherapy-induced alopecia experimental and investigational "
                "(CARC 55).",
                carc="55"),
         Reason("missing_documentation", "In addition, the medical records we requested on "
                "03/20/2026 were not received, so we could not review the treatment plan "
                "(CARC 226).",
                carc="226", page=2)],
        "You may file an appeal within 180 days following your receipt of this notice.", "erisa",
        plus(ld, 180), 180, "letter states: within 180 days following receipt of this notice",
        two_pages=True,
        extra={"rights": ERISA_RIGHTS, "after_reasons": [
            "Our Medical Director relied on internal criteria CP-0199 (Cooling Devices); you may "
            "ask for a copy free of charge. The employer group health plan number is 501."] * 3},
    ))  # fmt: skip
    ld = d(2026, 5, 6)
    out.append(Spec(
        "03_ma_cosmetic_scan", "ma", "Tailspin Medicare Advantage", "Jordan Fakeperson",
        "TMA900112233", "Member ID #:", "MA26050600417", "Claim #:", ld, "long", d(2026, 4, 21),
        "Date of service:", ["0662T"], ["C56.1"],
        [Reason("medical_necessity", "We denied payment because scalp cooling to prevent hair "
                "loss is considered cosmetic under Medicare rules. Denial code: CO-50.",
                carc="50")],
        "You must ask for a reconsideration within 65 days of the date of this notice.",
        "medicare_advantage", plus(ld, 65), 65,
        "letter states: within 65 days of the date of this notice",
        scanned=True,
        extra={"title": "NOTICE OF DENIAL OF PAYMENT", "rights": MA_RIGHTS,
               "salutation": "Dear Jordan Fakeperson:",
               "intro": ["Your Medicare Advantage plan has denied payment for the service below."]},
    ))  # fmt: skip
    ld = d(2026, 2, 18)
    out.append(Spec(
        "04_medicaid_no_auth", "medicaid", "Woodgrove Community Medicaid Plan", "Casey Demopatient",
        "MC40019283", "Medicaid ID:", "WCM-26-0049812", "Claim ID:", ld, "short", d(2026, 2, 3),
        "DOS:", ["0662T", "0663T"], ["C50.211"],
        [Reason("no_prior_authorization", "Prior authorization was not obtained for this service "
                "before it was provided, as your Medicaid managed care plan requires (reason "
                "code 197).", carc="197")],
        "If you disagree, you or your provider can ask for an appeal. You must ask within 60 days "
        "from the date on this notice.", "medicaid", plus(ld, 60), 60,
        "letter states: within 60 days from the date on this notice",
        extra={"rights": MEDICAID_RIGHTS, "salutation": "Dear Casey Demopatient:"},
    ))  # fmt: skip
    ld = d(2026, 3, 27)
    out.append(Spec(
        "05_eob_bundled_records", "eob", "Fabrikam Health", "Robin Examplename", "FAB00771234",
        "Member ID:", "FH2603270045", "Claim No.:", ld, "us", d(2026, 3, 9), "DOS",
        ["0662T", "0663T"], ["C50.919"],
        [Reason("missing_documentation", "CO-16: Claim lacks information needed for adjudication. "
                "M127: Missing patient medical record for this service.", carc="16", rarc="M127"),
         Reason("bundled", "CO-97: The benefit for this service is included in the payment for "
                "another service that has already been adjudicated.", carc="97")],
        None, None, None, None, None,
    ))  # fmt: skip
    ld = d(2026, 6, 8)
    out.append(Spec(
        "06_fax_no_auth_scan", "fax", "Adatum Insurance Company", "Taylor Mockpatient",
        "ADT5566778", "ID No.", "AD260608331", "Reference #", ld, "us2", d(2026, 5, 28), "DOS",
        ["0662T", "0663T"], [],
        [Reason("no_prior_authorization", "Claim denied: no authorization on file for scalp "
                "cooling. Adj code CO-197.", carc="197")],
        "Appeal within 90 days of this notice.", None, plus(ld, 90), 90,
        "letter states: within 90 days of this notice", scanned=True,
    ))  # fmt: skip
    ld = d(2026, 1, 12)
    out.append(Spec(
        "07_erisa_exclusion_no_deadline", "erisa", "Northwind Health Plan", "Morgan Sampleton",
        "NWH550044332", "Member ID:", "2026011200077", "Claim No.:", ld, "long", d(2025, 12, 19),
        "Date of Service:", ["0662T", "0663T"], ["C50.811"],
        [Reason("not_covered_benefit", "Scalp cooling devices are excluded from coverage under "
                "your plan (Certificate of Coverage, section 7.4, Exclusions); CARC 204.",
                carc="204")],
        None, "erisa", plus(ld, 180), 180,
        "plan rule: employer group plan (ERISA), 180 days",
        extra={"intro": ["Your employer-sponsored group health plan is governed by ERISA."],
               "rights": ["Appeal procedures are described in your Summary Plan Description."]},
    ))  # fmt: skip
    ld = d(2026, 4, 14)
    out.append(Spec(
        "08_mac_lcd_medical_necessity", "eob", "Litware Medicare Services", "Riley Testcase",
        "1EG4TE5MK73", "Medicare ID:", "22260410023450", "ICN:", ld, "us", d(2026, 3, 30), "DOS",
        ["0662T", "0663T"], ["C50.511"],
        [Reason("medical_necessity", "CO-50 N115: These are non-covered services because this is "
                "not deemed a medical necessity by the payer. This decision was based on a Local "
                "Coverage Determination (LCD).", carc="50", rarc="N115")],
        "You may ask for a redetermination within 120 days from the date you receive this "
        "notice.", "medicare_ffs", plus(ld, 125), 120,
        "letter states: within 120 days from receipt of this notice (receipt presumed 5 days after "
        "the notice date)",
        extra={"title": "Medicare Remittance Advice - Part B (Medicare Administrative Contractor)"},
    ))  # fmt: skip
    ld = d(2026, 5, 20)
    out.append(Spec(
        "09_eob_duplicate", "eob", "Fabrikam Health", "Jamie Placeholder", "FAB00998877",
        "Subscriber ID:", "FH2605200311", "ICN:", ld, "iso", d(2026, 4, 29), "DOS",
        ["0663T"], ["C18.7"],
        [Reason("duplicate", "CO-18: Exact duplicate claim/service; this is a duplicate of claim "
                "FH2605010118.", carc="18")],
        "Appeals must be filed within 180 days of the remit date.", None, plus(ld, 180), 180,
        "letter states: within 180 days of the remit date",
        extra={"table_date_style": "iso"},
    ))  # fmt: skip
    ld = d(2026, 7, 1)
    out.append(Spec(
        "10_aca_out_of_network", "erisa", "Adatum Insurance Company", "Avery Samplecase",
        "ADT7788990", "Member ID:", "AD2607010042", "Claim No.:", ld, "dmy", d(2026, 6, 15),
        "Date of Service:", ["0662T", "0663T"], ["C54.1"],
        [Reason("out_of_network", "The provider who billed this service is out of network for "
                "your Marketplace individual plan, which has no out-of-network benefits (CO-242).",
                carc="242")],
        "Your appeal must be received no later than 30-Sep-2026.", "aca_individual",
        d(2026, 9, 30), None, "letter states the date: no later than 30-Sep-2026",
    ))  # fmt: skip
    ld = d(2026, 3, 3)
    out.append(Spec(
        "11_eob_timely_filing_scan", "eob", "Contoso Mutual Insurance", "Quinn Dummyname",
        "CMI-5512-0071", "Subscriber #:", "C2026030300455", "Claim Number:", ld, "us",
        d(2025, 6, 17), "DOS", ["0662T", "0663T"], ["C50.312"],
        [Reason("timely_filing", "CO-29: The time limit for filing has expired.", carc="29")],
        "Appeal deadline: 08/31/2026", None, d(2026, 8, 31), None,
        "letter states the date: Appeal deadline: 08/31/2026", scanned=True,
    ))  # fmt: skip
    ld = d(2026, 5, 11)
    out.append(Spec(
        "12_fax_auth_mismatch_scan", "fax", "Fabrikam Health", "Skyler Testperson", "FAB00443322",
        "Member #", "FH2605110987", "Claim #", ld, "us", d(2026, 4, 27), "Service Date(s):",
        ["0663T"], ["C50.112"],
        [Reason("authorization_mismatch", "The authorization on file does not apply to the "
                "services billed (CO-198, N54).", carc="198", rarc="N54")],
        "Appeal within 180 days of the date of this notice.", None, plus(ld, 180), 180,
        "letter states: within 180 days of the date of this notice", auth_number="PA-2026-00417",
        auth_label="Auth No.", scanned=True,
    ))  # fmt: skip
    ld = d(2026, 6, 22)
    out.append(Spec(
        "13_commercial_coding_bundled", "erisa", "Contoso Mutual Insurance", "Drew Samplefolk",
        "CMI-6620-0018", "Member ID:", "C2026062200913", "Claim No.:", ld, "long",
        d(2026, 6, 1), "Date of Service:", ["0662T", "0663T"], ["C50.919"],
        [Reason("coding_error", "Procedure code 0662T is inconsistent with the diagnosis billed "
                "(CO-11, M76).", carc="11", rarc="M76"),
         Reason("bundled", "Code 0663T is not paid separately when billed without a chemotherapy "
                "administration code on the same date (CO-234).", carc="234")],
        "You may appeal within 180 days of the date of this letter. Send corrected claims to the "
        "claims address; corrections are not appeals.", "erisa", plus(ld, 180), 180,
        "letter states: within 180 days of the date of this letter",
        extra={"intro": ["This group health plan is sponsored by your employer."]},
    ))  # fmt: skip
    ld = d(2026, 2, 25)
    out.append(Spec(
        "14_erisa_eligibility", "erisa", "Northwind Health Plan", "Parker Examplecase",
        "NWH661122334", "Member ID:", "2026022500019", "Claim No.:", ld, "eu", d(2026, 2, 9),
        "Date of Service:", ["0662T"], ["C50.011"],
        [Reason("eligibility", "Our records show the member's coverage terminated on "
                "January 31, 2026, before the date of service (reason code 27).", carc="27")],
        "You may appeal within 180 days of the date of this letter.", "erisa", plus(ld, 180), 180,
        "letter states: within 180 days of the date of this letter",
        extra={"rights": ERISA_RIGHTS},
    ))  # fmt: skip
    ld = d(2026, 8, 4)
    out.append(Spec(
        "15_eob_frequency_scan", "eob", "Northwind Health Plan", "Reese Fakename", "NWH770088123",
        "Member ID:", "2026080400551", "Claim No.:", ld, "us", d(2026, 7, 20), "DOS",
        ["0663T"], ["C50.919"],
        [Reason("frequency_limit", "CO-151 N362: The number of units of service exceeds our "
                "acceptable maximum for this course of treatment.", carc="151", rarc="N362")],
        "Appeals must be received within 180 days of the date of this notice.", None,
        plus(ld, 180), 180, "letter states: within 180 days of the date of this notice",
        scanned=True,
    ))  # fmt: skip
    ld = d(2026, 4, 28)
    out.append(Spec(
        "16_wrong_payer", "erisa", "Adatum Insurance Company", "Sam Mockperson", "ADT1239874",
        "ID No.:", "AD2604280066", "Claim No.:", ld, "us", d(2026, 4, 6), "Date of Service:",
        ["0662T", "0663T"], ["C61"],
        [Reason("wrong_payer", "Our records show Medicare is the primary payer; please send the "
                "claim to the correct payer first (CARC 109).", carc="109")],
        "You have 180 days from the date of this notice to request an appeal.", "erisa",
        plus(ld, 180), 180, "letter states: 180 days from the date of this notice",
        extra={"intro": ["Your group health plan through your employer is subject to ERISA."]},
    ))  # fmt: skip
    ld = d(2026, 9, 9)
    out.append(Spec(
        "17_eob_other_provider_cert", "eob", "Fabrikam Health", "Kai Samplestone", "FAB00112299",
        "Member ID:", "FH2609090020", "Claim No.:", ld, "short", d(2026, 8, 24), "DOS",
        ["0662T"], ["C50.919"],
        [Reason("other", "CO-B7: This provider was not certified/eligible to be paid for this "
                "procedure/service on this date of service.", carc="B7")],
        "Appeals must be filed within 90 days of the date of this remittance.", None,
        plus(ld, 90), 90, "letter states: within 90 days of the date of this remittance",
    ))  # fmt: skip
    ld = d(2026, 10, 5)
    out.append(Spec(
        "18_ma_experimental_not_covered", "ma", "Tailspin Medicare Advantage", "Lee Testsubject",
        "TMA900445566", "Member ID:", "MA26100500032", "Claim #:", ld, "us", d(2026, 9, 14),
        "Date of service:", ["0662T", "0663T"], ["C50.919", "Z51.11"],
        [Reason("experimental_investigational", "Scalp cooling has not been proven effective for "
                "your condition and our plan considers it investigational (CARC 56).", carc="56"),
         Reason("not_covered_benefit", "The cooling cap is not a covered benefit under your "
                "plan's evidence of coverage.", carc=None)],
        "We must receive your request for reconsideration by December 9, 2026.",
        "medicare_advantage", d(2026, 12, 9), None,
        "letter states the date: by December 9, 2026",
        extra={"title": "NOTICE OF DENIAL OF MEDICAL COVERAGE (OR PAYMENT)", "rights": MA_RIGHTS,
               "salutation": "Dear Lee Testsubject:"},
    ))  # fmt: skip
    ld = d(2026, 3, 9)
    out.append(Spec(
        "19_medicaid_three_reasons_scan", "medicaid", "Bluebird Medicaid Health",
        "Rowan Dummyperson", "BMH30077120", "Member ID:", "BM2603090078", "Claim No.:", ld, "long",
        d(2026, 2, 16), "Date of Service:", ["0662T", "0663T"], ["C50.919"],
        [Reason("missing_documentation", "We asked for the chemotherapy treatment plan and it was "
                "not provided (CARC 226).", carc="226"),
         Reason("medical_necessity", "Based on the information we have, the service does not "
                "meet our medical necessity criteria (CARC 50).", carc="50"),
         Reason("no_prior_authorization", "The service was also provided without prior "
                "authorization.")],
        "You have 60 days from the date of this notice to ask for an appeal.",
        "medicaid", plus(ld, 60), 60,
        "letter states: 60 days from the date of this notice", scanned=True,
        extra={"rights": MEDICAID_RIGHTS, "salutation": "Dear Rowan Dummyperson:"},
    ))  # fmt: skip
    ld = d(2026, 5, 29)
    out.append(Spec(
        "20_erisa_two_page_boilerplate", "erisa", "Northwind Health Plan", "Emery Samplename",
        "NWH808080123", "Member ID:", "2026052900612", "Claim No.:", ld, "short", d(2026, 5, 11),
        "Dates of Service:", ["0662T", "0663T"], ["C50.919"],
        [Reason("medical_necessity", "After review by a board-certified oncologist, we found that "
                "the request does not meet our medical necessity criteria for scalp cooling.",
                page=2)],
        "You have 180 days from receipt of this letter to file an appeal.", "erisa",
        plus(ld, 180), 180, "letter states: 180 days from receipt of this letter",
        two_pages=True,
        extra={"rights": ERISA_RIGHTS, "after_reasons": [
            "This notice is sent under 29 CFR 2560.503-1. Please read all pages."] * 6},
    ))  # fmt: skip
    ld = d(2026, 4, 9)
    out.append(Spec(
        "21_fax_records_not_received", "fax", "Contoso Mutual Insurance", "Harper Testfolk",
        "CMI-7001-0455", "Subscriber #", "C2026040900102", "Claim No.", ld, "us2", d(2026, 3, 23),
        "DOS", ["0662T", "0663T"], ["C50.919"],
        [Reason("missing_documentation", "Claim denied - medical records not received.")],
        "Please submit your appeal by 4/30/27.", None, d(2027, 4, 30), None,
        "letter states the date: by 4/30/27",
    ))  # fmt: skip
    ld = d(2026, 11, 2)
    out.append(Spec(
        "22_eob_employer_not_covered", "eob", "Northwind Health Plan", "Finley Fakecase",
        "NWH121212345", "Member ID:", "2026110200210", "Claim No.:", ld, "us", d(2026, 10, 13),
        "DOS", ["0662T", "0663T"], ["C50.919"],
        [Reason("not_covered_benefit", "CO-96 N130: Non-covered charge(s). Consult plan benefit "
                "documents for information about restrictions for this service.",
                carc="96", rarc="N130")],
        None, "erisa", plus(ld, 180), 180, "plan rule: employer group plan (ERISA), 180 days",
        extra={"rights": ["Employer group health plan: appeal procedures are in your Summary "
                          "Plan Description."]},
    ))  # fmt: skip
    ld = d(2026, 7, 17)
    out.append(Spec(
        "23_ma_remit_no_auth_rule", "eob", "Tailspin Medicare Advantage", "Blake Testname",
        "TMA900667788", "Member ID:", "MA26071700099", "Claim No.:", ld, "dmy", d(2026, 6, 30),
        "DOS", ["0662T", "0663T"], ["C56.9"],
        [Reason("no_prior_authorization", "CO-197: Precertification/authorization absent.",
                carc="197")],
        None, "medicare_advantage", plus(ld, 65), 65,
        "plan rule: Medicare Advantage reconsideration, 65 days",
        extra={"title": "Medicare Advantage Provider Remittance"},
    ))  # fmt: skip
    ld = d(2026, 9, 21)
    out.append(Spec(
        "24_medicaid_auth_exceeded", "medicaid", "Bluebird Medicaid Health", "Elliot Sampleperson",
        "BMH30099881", "Recipient ID:", "BM2609210144", "ICN:", ld, "us", d(2026, 9, 2),
        "Service Date:", ["0663T"], ["C50.919"],
        [Reason("authorization_mismatch", "The sessions billed exceed the number of authorized "
                "sessions on prior authorization PA-77120-B (CO-198).", carc="198")],
        "You must ask for an appeal within 60 days of the date of this notice.",
        "medicaid", plus(ld, 60), 60,
        "letter states: within 60 days of the date of this notice",
        auth_number="PA-77120-B", auth_label="Prior Authorization Number:",
        extra={"rights": MEDICAID_RIGHTS, "salutation": "Dear Elliot Sampleperson:"},
    ))  # fmt: skip
    # 25-30 were written after the parser, as a check on wording it was not tuned to.
    ld = d(2026, 7, 20)
    out.append(Spec(
        "25_eob_patient_responsibility", "eob", "Northwind Health Plan", "Jesse Testworth",
        "NWH343434343", "Subscriber ID:", "2026072000388", "Claim ID:", ld, "us", d(2026, 7, 6),
        "DOS", ["0662T", "0663T"], ["C50.919"],
        [Reason("not_covered_benefit", "PR-204 N130: This service is not covered under the "
                "patient's current benefit plan; consult plan benefit documents.", carc="204",
                rarc="N130")],
        "Requests for review must be submitted within 180 calendar days of the date of this "
        "remittance.", None, plus(ld, 180), 180,
        "letter states: within 180 calendar days of the date of this remittance",
        extra={"patient_display": "TESTWORTH, JESSE", "group_code": "PR",
               "table_date_style": "us2"},
    ))  # fmt: skip
    ld = d(2026, 8, 14)
    out.append(Spec(
        "26_medicaid_member_letter", "medicaid", "Woodgrove Community Medicaid Plan",
        "Noel Samplefield", "MC40055501", "Enrollee ID:", "WCM-26-0077120", "Claim ID:", ld, "us2",
        d(2026, 7, 28), "Date of Service:", ["0662T"], ["C50.919"],
        [Reason("not_covered_benefit", "The requested service is not a covered benefit under "
                "the Medicaid program (CARC 96).", carc="96")],
        "You have sixty (60) calendar days from the date of this letter to file an appeal with "
        "us.", "medicaid", plus(ld, 60), 60,
        "letter states: sixty (60) calendar days from the date of this letter",
        extra={"rights": MEDICAID_RIGHTS, "date_prefix": "Date of notice: ",
               "patient_label": "Enrollee Name:", "salutation": "Dear Noel Samplefield:"},
    ))  # fmt: skip
    ld = d(2026, 9, 3)
    out.append(Spec(
        "27_erisa_preservice_reference", "erisa", "Contoso Mutual Insurance", "Dana Samplewood",
        "CMI-8120-0044", "Member ID:", "UM-2026-118842", "Reference #:", ld, "long",
        d(2026, 9, 21), "Requested date of service:", ["0662T", "0663T"], ["C50.919"],
        [Reason("medical_necessity", "Our reviewer found that the requested scalp cooling does "
                "not meet the plan's clinical criteria for this diagnosis.")],
        "You have 180 days after you receive this letter to appeal.", "erisa", plus(ld, 180),
        180, "letter states: 180 days after you receive this letter", two_pages=True,
        auth_number="2026-PA-55120", auth_label="Authorization Request #:",
        extra={"title": "Pre-Service Adverse Benefit Determination", "rights": ERISA_RIGHTS,
               "patient_label": "Member:",
               "intro": ["You asked us to approve scalp cooling before treatment starts. This "
                         "employer group health plan is governed by ERISA."],
               "after_reasons": ["The clinical criteria we used are available on request."] * 8},
    ))  # fmt: skip
    ld = d(2026, 10, 19)
    out.append(Spec(
        "28_ma_not_in_network_scan", "ma", "Tailspin Medicare Advantage", "Ari Testhouse",
        "TMA900778899", "Member ID:", "MA26101900555", "Claim #:", ld, "short", d(2026, 9, 30),
        "Date of service:", ["0662T", "0663T"], ["C50.919"],
        [Reason("out_of_network", "You received these services from a provider that is not in "
                "our network, and you did not have a referral.")],
        "You must ask for a reconsideration within 65 calendar days from the date of this "
        "notice.", "medicare_advantage", plus(ld, 65), 65,
        "letter states: within 65 calendar days from the date of this notice", scanned=True,
        extra={"title": "NOTICE OF DENIAL OF PAYMENT", "rights": MA_RIGHTS,
               "salutation": "Dear Ari Testhouse:"},
    ))  # fmt: skip
    ld = d(2026, 11, 16)
    out.append(Spec(
        "29_eob_duplicate_and_late", "eob", "Fabrikam Health", "Sasha Placeholder",
        "FAB00556677", "Member ID:", "FH2611160402", "Claim No.:", ld, "iso", d(2025, 8, 4),
        "DOS", ["0662T", "0663T"], ["C50.919"],
        [Reason("timely_filing", "CO-29: The time limit for filing has expired.", carc="29"),
         Reason("duplicate", "OA-18: Exact duplicate claim/service.", carc="18")],
        None, None, None, None, None,
        extra={"table_date_style": "iso"},
    ))  # fmt: skip
    ld = d(2026, 10, 2)
    out.append(Spec(
        "30_fax_sessions_exceeded_scan", "fax", "Adatum Insurance Company", "Kim Sampleberg",
        "ADT4455667", "Member ID:", "AD2610020071", "Claim No.", ld, "us", d(2026, 9, 18),
        "DOS", ["0663T"], ["C50.919"],
        [Reason("frequency_limit", "Denied: exceeds the benefit maximum of 8 scalp cooling "
                "sessions per chemotherapy course. Sessions 9 through 12 are not payable.")],
        "Appeal by 12/15/2026.", None, d(2026, 12, 15), None,
        "letter states the date: by 12/15/2026", scanned=True,
    ))  # fmt: skip
    return out


def main(out: Path = HERE) -> None:
    """Write every sample letter and its label (next to this script unless told otherwise)."""
    out.mkdir(parents=True, exist_ok=True)
    for index, spec in enumerate(specs()):
        text_pdf = render_pdf(spec)
        pages = page_count(text_pdf)
        label = label_for(spec, text_pdf, pages)
        pdf = scan_pdf(text_pdf, seed=1000 + index) if spec.scanned else text_pdf
        (out / f"{spec.name}.pdf").write_bytes(pdf)
        (out / f"{spec.name}.json").write_text(
            json.dumps(label, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        print(f"{spec.name}: {pages} page(s), {len(pdf) // 1024} KB")


if __name__ == "__main__":
    main()
