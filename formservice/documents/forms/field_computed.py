"""Computed values a field map can name: today, the service lines, address lines, Section VI text.

A map entry `computed: cpt_lines[1].end_date` calls the `cpt_lines` function below with the case,
today's date and the claim lines, then follows `[1].end_date` into its result.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import date, timedelta
from typing import Any

from formservice.documents.contexts.treatment import letter_purpose
from formservice.model import Case
from formservice.reimbursement import codes
from formservice.reimbursement.claim_form import claim_items


@dataclass(frozen=True, slots=True)
class CptLine:
    """A requested service line derived from the treatment plan."""

    code: str
    description: str
    units: int
    start_date: date | None
    end_date: date | None
    diagnosis_code: str
    diagnosis_description: str


CLAIM_LINE_ATTRS = (
    "date_of_service",
    "place_of_service",
    "cpt",
    "modifiers",
    "diagnosis_pointer",
    "charges",
    "units",
    "rendering_npi",
)


def _cpt_lines(case: Case, today: date, claim_lines: Sequence[Any]) -> list[CptLine]:
    """The scalp-cooling service lines a PA request names, by the start date's codes (codes.yaml
    crosswalk): up to 2025, 0662T x1 and 0663T per session; from 2026, 97008 per session and,
    only when the case gives the minutes of cooling after the infusion, 97009 in 30-minute units
    (as the LMN and the claim: a line without a quantity is not asked for). Each described by its
    code's own short descriptor, so the form and the LMN describe a code alike."""
    treatment = case.treatment
    start = treatment.start_date
    sessions = treatment.sessions or 1
    end = course_end(case)
    dx = case.primary_diagnosis
    on = start or today
    out = []
    for role in ("initial", "session", "continued"):
        row = codes.code_for(role, on)
        if row is None or row.code is None:
            continue
        if role == "initial":
            units, last = 1, start
        elif role == "session":
            units, last = sessions, end
        else:
            minutes = treatment.post_infusion_cooling_minutes
            per = codes.lookup(row.code, on).unit_minutes or 30
            units = sessions * codes.time_units(minutes, per) if minutes else 0
            last = end
            if not units:
                continue
        label = f"{units} unit" + ("s" if units != 1 else "")
        out.append(
            CptLine(
                row.code,
                f"{_short_descriptor(row.code, on)}, {label}",
                units,
                start,
                last,
                dx.code,
                dx.description or "",
            )
        )
    return out


def _short_descriptor(code: str, on: date) -> str:
    row = codes.lookup(code, on)
    return row.short or row.descriptor


def course_end(case: Case) -> date | None:
    """The last planned session: start + cycle length x (sessions - 1)."""
    t = case.treatment
    if t.start_date is None:
        return None
    if not t.sessions or not t.cycle_length_days:
        return t.start_date
    return t.start_date + timedelta(days=t.cycle_length_days * (t.sessions - 1))


def _address_line(address: Any) -> str | None:
    if address is None:
        return None
    street = ", ".join(p for p in (address.line1, address.line2) if p)
    return f"{street}, {address.city}, {address.state} {address.zip}"


def _clinical_documentation(case: Case, today: date, claim_lines: Sequence[Any]) -> str:
    """Section VI text: what is requested, why, and that the LMN is enclosed."""
    t, dx = case.treatment, case.primary_diagnosis
    requested = ", ".join(
        f"{line.code} x{line.units}" if line.units else line.code
        for line in _cpt_lines(case, today, claim_lines)
    )
    parts = [
        f"Request: scalp cooling (CPT {requested}) to reduce the likelihood of "
        "chemotherapy-induced alopecia."
    ]
    parts.append(f"Diagnosis: {dx.code}" + (f" {dx.description}." if dx.description else "."))
    plan = []
    if t.regimen:
        plan.append(f"regimen {t.regimen}")
    if t.sessions:
        plan.append(f"{t.sessions} sessions")
    if t.cycle_length_days:
        plan.append(f"every {t.cycle_length_days} days")
    retroactive = letter_purpose(case, today)["retroactive"]
    if t.start_date:
        began = "which began on" if retroactive else "starting"
        plan.append(f"{began} {t.start_date.strftime('%m/%d/%Y')}")
    if plan:
        parts.append("Chemotherapy plan: " + ", ".join(plan) + ".")
    if retroactive and t.start_date:
        # The enclosed LMN asks for retroactive authorization (the same rule, letter_purpose):
        # the form says so too, or the two frame one request differently.
        parts.append(
            "Retroactive request: authorization is requested from the start of treatment on "
            f"{t.start_date.strftime('%m/%d/%Y')}."
        )
    if t.alopecia_risk:
        parts.append(f"Alopecia risk with this regimen: {t.alopecia_risk}.")
    parts.append(
        # "from", not "signed by": the form is made before the letter is signed.
        f"Enclosed: Letter of Medical Necessity from {case.prescriber.full_name} "
        f"(NPI {case.prescriber.npi}) with supporting clinical documentation."
    )
    # No note on a code not yet confirmed: the payer reads Section VI, and the caveat asks the
    # clinic to check the code; staff get it as the form's `codes_not_verified` warning.
    return " ".join(parts)


def _sex_label(case: Case, today: date, claim_lines: Sequence[Any]) -> str | None:
    return {"F": "Female", "M": "Male", "X": "Other", "U": "Unknown"}.get(case.patient.sex or "")


def _claim_total(case: Case, today: date, claim_lines: Sequence[Any]) -> float | None:
    charges = [line.charges for line in claim_lines if getattr(line, "charges", None) is not None]
    return round(sum(charges), 2) if charges else None


def _claim_items(case: Case, today: date, claim_lines: Sequence[Any]) -> dict[str, Any]:
    """The CMS-1500 items whose content depends on the payer type (claim_form.claim_items), as
    field-ready values: None leaves the item blank, "NO"/"YES" tick a box."""
    payer = case.coverage.payer
    rules = claim_items(payer.plan_type if payer else None)
    p = case.patient
    address = p.address

    def fill(item: str, value: Any) -> Any:
        return value if rules[item].fill not in ("blank",) else None

    def tick(item: str) -> str | None:
        return {"no": "NO", "yes": "YES"}.get(rules[item].fill)

    def sof(item: str, text: str) -> str | None:
        return text if rules[item].fill == "sof" else None

    signed = today.strftime("%m/%d/%Y")
    return {
        "insured_name": fill("4", f"{p.last_name}, {p.first_name}"),
        "relationship": fill("6", "S"),
        "insured_street": fill("7", address.line1 if address else None),
        "insured_city": fill("7", address.city if address else None),
        "insured_state": fill("7", address.state if address else None),
        "insured_zip": fill("7", address.zip if address else None),
        "insured_phone": fill("7", p.phone),
        "employment": tick("10a"),
        "auto_accident": tick("10b"),
        "other_accident": tick("10c"),
        "policy_group": "NONE"
        if rules["11"].fill == "none"
        else fill("11", case.coverage.group_number),
        "insured_birth_date": fill("11a", p.date_of_birth),
        "insured_sex": fill("11a", {"M": "MALE", "F": "FEMALE"}.get(p.sex or "")),
        "plan_name": fill("11c", payer.name if payer else None),
        "other_plan": tick("11d"),
        "patient_signature": sof("12", "SIGNATURE ON FILE"),
        "patient_signature_date": signed if rules["12"].fill == "sof" else None,
        "insured_signature": sof("13", "SIGNATURE ON FILE"),
        "accept_assignment": tick("27"),
        "physician_signature": sof("31", "SOF"),
        "physician_signature_date": signed if rules["31"].fill == "sof" else None,
    }


ComputeFn = Callable[[Case, date, Sequence[Any]], Any]
COMPUTED: dict[str, tuple[ComputeFn, tuple[str, ...] | None]] = {
    "today": (lambda c, today, cl: today, None),
    "patient.name_last_first": (
        lambda c, t, cl: f"{c.patient.last_name}, {c.patient.first_name}",
        None,
    ),
    "patient.address_line": (lambda c, t, cl: _address_line(c.patient.address), None),
    "patient.sex_label": (_sex_label, None),
    "facility.address_line": (lambda c, t, cl: _address_line(c.facility.address), None),
    "facility.city_state_zip": (
        lambda c, t, cl: (
            f"{c.facility.address.city}, {c.facility.address.state} {c.facility.address.zip}"
            if c.facility.address
            else None
        ),
        None,
    ),
    "treatment.end_date": (lambda c, t, cl: course_end(c), None),
    "clinical_documentation": (_clinical_documentation, None),
    "diagnosis_codes": (lambda c, t, cl: [d.code for d in c.diagnoses], ()),
    "cpt_lines": (_cpt_lines, tuple(f.name for f in fields(CptLine))),
    "claim_lines": (lambda c, t, cl: list(cl), CLAIM_LINE_ATTRS),
    "claim_total": (_claim_total, None),
    "claim_items": (_claim_items, ()),
}
