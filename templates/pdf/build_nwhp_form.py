"""Build nwhp_scalp_cooling_precert.pdf: a commercial payer's precertification form (fictional).

"Northwind Health Plan" does not exist; the form is modelled on the single-page precertification
requests US commercial payers publish for medical injectables and outpatient services, so the
field-map format is proven on a second, unrelated layout. It deliberately uses field kinds the
Texas form lacks: check boxes whose on-state is /X (not /Yes), a radio group, drop-downs and a
multi-line field. Reproducible: `invariant=1` fixes dates and ids, so the same script and
reportlab version give the same bytes.

Run: .venv/bin/python templates/pdf/build_nwhp_form.py [OUT.pdf]
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from reportlab.lib.colors import Color, black, white
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen.canvas import Canvas

OUT = Path(__file__).with_name("nwhp_scalp_cooling_precert.pdf")
NAVY = Color(0.11, 0.23, 0.42)
GREY = Color(0.45, 0.45, 0.45)
SHADE = Color(0.93, 0.95, 0.98)
FIELD_BG = Color(0.97, 0.98, 1.0)
CHECK_ON = "X"  # the on-state name of every check box on this form

PLAN_TYPES = [
    "Commercial",
    "Self-funded (ERISA)",
    "Medicare Advantage",
    "Medicaid managed care",
    "Individual (ACA)",
    "Other",
]
RISK_LEVELS = ["High", "Moderate", "Low"]

W, H = letter
LEFT, RIGHT = 36.0, W - 36.0


class FormPage:
    """Draws labels and fields on one page, top to bottom."""

    def __init__(self, canvas: Canvas) -> None:
        self.c = canvas
        self.form = canvas.acroForm
        self.y = H - 36.0

    def header(self) -> None:
        c = self.c
        c.setFillColor(NAVY)
        c.rect(LEFT, self.y - 40, RIGHT - LEFT, 40, stroke=0, fill=1)
        c.setFillColor(white)
        c.setFont("Helvetica-Bold", 15)
        c.drawString(LEFT + 10, self.y - 17, "NORTHWIND HEALTH PLAN")
        c.setFont("Helvetica", 10.5)
        c.drawString(
            LEFT + 10, self.y - 32, "Scalp Cooling / Medical Injectable Precertification Request"
        )
        c.setFont("Helvetica", 7.5)
        c.drawRightString(RIGHT - 10, self.y - 17, "Form NWHP-UM-114 (01/2026)")
        c.drawRightString(RIGHT - 10, self.y - 30, "Utilization Management")
        self.y -= 52
        c.setFillColor(black)
        c.setFont("Helvetica", 7.5)
        lines = [
            "Fax the completed form with supporting documentation to Utilization Management at "
            "1-800-555-0147 (phone 1-800-555-0146).",
            "Standard requests are decided within 15 calendar days, expedited requests within "
            "72 hours. Incomplete requests delay review.",
        ]
        for line in lines:
            c.drawString(LEFT, self.y, line)
            self.y -= 10
        self.y -= 4

    def section(self, title: str) -> None:
        c = self.c
        c.setFillColor(SHADE)
        c.rect(LEFT, self.y - 14, RIGHT - LEFT, 14, stroke=0, fill=1)
        c.setFillColor(NAVY)
        c.setFont("Helvetica-Bold", 9)
        c.drawString(LEFT + 4, self.y - 10, title)
        c.setFillColor(black)
        self.y -= 20

    def label(self, x: float, y: float, text: str) -> None:
        self.c.setFont("Helvetica", 6.8)
        self.c.setFillColor(GREY)
        self.c.drawString(x, y, text)
        self.c.setFillColor(black)

    def text(self, name: str, label: str, x: float, width: float, **kw: Any) -> None:
        """A labelled single-line text field on the current row."""
        self.label(x, self.y, label)
        self.form.textfield(
            name=name,
            tooltip=label,
            x=x,
            y=self.y - 17,
            width=width,
            height=14,
            fontName="Helvetica",
            fontSize=kw.pop("fontSize", 9),
            borderWidth=0.6,
            borderColor=GREY,
            fillColor=FIELD_BG,
            textColor=black,
            forceBorder=True,
            maxlen=kw.pop("maxlen", None),
            **kw,
        )

    def choice(self, name: str, label: str, x: float, width: float, options: list[str]) -> None:
        """A labelled drop-down on the current row."""
        self.label(x, self.y, label)
        self.form.choice(
            name=name,
            tooltip=label,
            value="(select)",
            options=["(select)", *options],
            x=x,
            y=self.y - 17,
            width=width,
            height=14,
            fontName="Helvetica",
            fontSize=9,
            borderWidth=0.6,
            borderColor=GREY,
            fillColor=FIELD_BG,
            textColor=black,
            forceBorder=True,
        )

    def row(self, height: float = 24) -> None:
        self.y -= height

    def checkbox(self, name: str, label: str, x: float, y: float) -> None:
        """A check box whose on-state is /X, with its label to the right."""
        add = self.c._addAnnotation
        created: list[Any] = []

        def capture(annotation: Any, *args: Any, **kwargs: Any) -> None:
            created.append(annotation)
            add(annotation, *args, **kwargs)

        # reportlab names every check box's on-state /Yes; rename it, as many real forms differ.
        self.c._addAnnotation = capture  # type: ignore[method-assign]
        try:
            self.form.checkbox(
                name=name,
                tooltip=label,
                x=x,
                y=y,
                size=10,
                buttonStyle="cross",
                borderWidth=0.6,
                borderColor=GREY,
                fillColor=white,
                textColor=black,
                fieldFlags="",
            )
        finally:
            self.c._addAnnotation = add  # type: ignore[method-assign]
        for key in "NDR":
            states = created[0].dict["AP"].dict[key].dict
            states[CHECK_ON] = states.pop("Yes")
        self.c.setFont("Helvetica", 8)
        self.c.drawString(x + 14, y + 2, label)

    def radio(self, group: str, value: str, label: str, x: float, y: float) -> None:
        """A radio button; its ring is page content (reportlab draws radio rings off-centre)."""
        self.c.setStrokeColor(GREY)
        self.c.setLineWidth(0.6)
        self.c.circle(x + 5, y + 5, 4.7, stroke=1, fill=0)
        self.form.radio(
            name=group,
            value=value,
            tooltip="Request type",
            x=x,
            y=y,
            size=10,
            buttonStyle="circle",
            shape="circle",
            borderWidth=None,
            borderColor=None,
            fillColor=None,
            textColor=black,
            fieldFlags="noToggleToOff radio",
        )
        self.c.setFont("Helvetica", 8)
        self.c.drawString(x + 14, y + 2, label)


def build(out: Path = OUT) -> Path:
    """Draw the form and write it to out."""
    c = Canvas(str(out), pagesize=letter, invariant=1)
    c.setTitle("Northwind Health Plan - Scalp Cooling Precertification Request")
    c.setAuthor("Northwind Health Plan (fictional)")
    p = FormPage(c)
    p.header()

    p.section("1. REQUEST")
    p.label(LEFT, p.y, "Request type")
    p.radio("request_type", "initial", "Initial request", LEFT, p.y - 15)
    p.radio("request_type", "continuation", "Continuation of therapy", LEFT + 95, p.y - 15)
    p.radio("request_type", "modification", "Change to approved request", LEFT + 215, p.y - 15)
    p.text("request_date", "Date of request (MM/DD/YYYY)", 450, RIGHT - 450)
    p.row()
    p.checkbox(
        "expedited",
        "Expedited review: the standard time frame could seriously jeopardize the member's "
        "life, health or ability to regain function",
        LEFT,
        p.y - 6,
    )
    p.row(20)

    p.section("2. MEMBER")
    p.text("member_name", "Member name (last, first)", LEFT, 200)
    p.text("member_dob", "Date of birth", LEFT + 206, 80)
    p.text("member_id", "Member ID", LEFT + 292, 120)
    p.text("group_number", "Group number", LEFT + 418, RIGHT - LEFT - 418)
    p.row()
    p.text("member_phone", "Member phone", LEFT, 120)
    p.choice("plan_type", "Plan type", LEFT + 126, 150, PLAN_TYPES)
    p.text("member_address", "Member address", LEFT + 282, RIGHT - LEFT - 282)
    p.row(28)

    p.section("3. ORDERING PROVIDER")
    p.text("prescriber_name", "Ordering provider name", LEFT, 200)
    p.text("prescriber_npi", "NPI", LEFT + 206, 90)
    p.text("prescriber_specialty", "Specialty", LEFT + 302, RIGHT - LEFT - 302)
    p.row()
    p.text("prescriber_phone", "Phone", LEFT, 120)
    p.text("prescriber_fax", "Fax", LEFT + 126, 120)
    p.text("contact_name", "Office contact", LEFT + 252, RIGHT - LEFT - 252)
    p.row(28)

    p.section("4. SERVICING SITE")
    p.text("site_name", "Facility name", LEFT, 250)
    p.text("site_npi", "Facility NPI", LEFT + 256, 90)
    p.text("site_tax_id", "Tax ID", LEFT + 352, RIGHT - LEFT - 352)
    p.row()
    p.text("site_address", "Address", LEFT, 300)
    p.text("site_phone", "Phone", LEFT + 306, 110)
    p.text("site_fax", "Fax", LEFT + 422, RIGHT - LEFT - 422)
    p.row(26)
    p.label(LEFT, p.y, "Place of service")
    p.checkbox("pos_office", "Physician office (POS 11)", LEFT + 70, p.y - 4)
    p.checkbox("pos_hospital_outpatient", "Hospital outpatient (POS 19/22)", LEFT + 220, p.y - 4)
    p.row(18)

    p.section("5. CLINICAL INFORMATION")
    p.text("diagnosis_code", "Primary ICD-10-CM code", LEFT, 90)
    p.text("diagnosis_description", "Diagnosis description", LEFT + 96, RIGHT - LEFT - 96)
    p.row()
    p.text("chemo_regimen", "Chemotherapy regimen", LEFT, 250)
    p.text("chemo_start", "First chemotherapy date", LEFT + 256, 100)
    p.text("sessions", "Planned sessions", LEFT + 362, 70)
    p.text("cycle_days", "Cycle length (days)", LEFT + 438, RIGHT - LEFT - 438)
    p.row()
    p.choice("alopecia_risk", "Expected alopecia risk", LEFT, 120, RISK_LEVELS)
    p.text("chemo_agents", "Chemotherapy agents", LEFT + 126, RIGHT - LEFT - 126)
    p.row(28)

    p.section("6. SERVICES REQUESTED")
    columns = [
        ("CPT/HCPCS", 70),
        ("Description", 250),
        ("Units", 50),
        ("From", 80),
        ("Through", RIGHT - LEFT - 450),
    ]
    for line in (1, 2):
        x = LEFT
        for (label, width), key in zip(
            columns, ("code", "desc", "units", "from", "to"), strict=True
        ):
            p.text(f"line{line}_{key}", label if line == 1 else "", x, width - 4, fontSize=0)
            x += width
        p.row(20 if line == 1 else 24)

    p.section("7. CLINICAL SUMMARY AND MEDICAL NECESSITY")
    p.label(LEFT, p.y, "Summarize the treatment plan and why the service is medically necessary")
    p.form.textfield(
        name="clinical_summary",
        tooltip="Clinical summary and medical necessity",
        x=LEFT,
        y=p.y - 78,
        width=RIGHT - LEFT,
        height=74,
        fontName="Helvetica",
        fontSize=0,
        borderWidth=0.6,
        borderColor=GREY,
        fillColor=FIELD_BG,
        textColor=black,
        fieldFlags="multiline",
        forceBorder=True,
        maxlen=None,
    )
    p.row(86)
    p.label(LEFT, p.y, "Attached documentation")
    p.checkbox("att_lmn", "Letter of medical necessity", LEFT + 90, p.y - 4)
    p.checkbox("att_notes", "Oncology notes / treatment plan", LEFT + 220, p.y - 4)
    p.checkbox("att_pathology", "Pathology report", LEFT + 375, p.y - 4)
    p.row(22)

    p.section("8. ATTESTATION")
    p.text("prescriber_signature", "Ordering provider signature", LEFT, 300)
    p.text("signature_date", "Date", LEFT + 306, 100)
    p.row(28)
    c.setFont("Helvetica", 6.5)
    c.setFillColor(GREY)
    c.drawString(
        LEFT,
        p.y,
        "Precertification is not a guarantee of payment. Benefits are subject to eligibility "
        "and plan terms on the date of service. Fictional plan: test document.",
    )
    c.showPage()
    c.save()
    return out


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT))  # noqa: T201
