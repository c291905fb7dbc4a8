"""The parties a letter names: the facility (letterhead), patient, prescriber, coverage, payer."""

from __future__ import annotations

from datetime import date
from typing import Any

from formservice.documents.contexts.text import address_lines, format_date, plain
from formservice.model import Case

__all__ = [
    "PLAN_LABELS",
    "coverage_context",
    "facility_context",
    "patient_context",
    "payer_context",
    "prescriber_context",
]

PLAN_LABELS = {
    "commercial": "Commercial",
    "erisa": "Employer-sponsored (ERISA)",
    "medicare_ffs": "Medicare (fee-for-service)",
    "medicare_advantage": "Medicare Advantage",
    "medicaid": "Medicaid",
    "aca_individual": "ACA individual market",
    "other": "Other",
}
_SEX_LABELS = {"F": "Female", "M": "Male", "X": "X", "U": "Unknown"}
_ATTENTION = "Attn: Utilization Review / Prior Authorization"


def facility_context(case: Case) -> dict[str, Any]:
    """The facility: its identifiers, address and the letterhead lines."""
    f = case.facility
    address = address_lines(f.address)
    contact = [
        part
        for part in (
            f"Phone {f.phone}" if f.phone else "",
            f"Fax {f.fax}" if f.fax else "",
            f"NPI {f.npi}",
        )
        if part
    ]
    return {
        "name": f.name,
        "npi": f.npi,
        "tax_id": plain(f.tax_id),
        "phone": plain(f.phone),
        "fax": plain(f.fax),
        "address_lines": address,
        "address": ", ".join(address),
        "contact_line": " | ".join(contact),
        "letterhead_lines": [
            f.name,
            *([", ".join(address)] if address else []),
            " | ".join(contact),
        ],
    }


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def patient_context(case: Case, today: date) -> dict[str, Any]:
    """The patient: names, date of birth and age on the letter's date, contact."""
    p = case.patient
    return {
        "full_name": p.full_name,
        "first_name": p.first_name,
        "last_name": p.last_name,
        "date_of_birth": format_date(p.date_of_birth),
        "date_of_birth_iso": p.date_of_birth.isoformat(),
        "age": _age(p.date_of_birth, today),
        "sex": plain(p.sex),
        "sex_label": _SEX_LABELS.get(p.sex or "", ""),
        "phone": plain(p.phone),
        "address_lines": address_lines(p.address),
    }


def prescriber_context(case: Case) -> dict[str, str]:
    """The prescriber: names, credentials, NPI and contact."""
    p = case.prescriber
    return {
        "full_name": p.full_name,
        "name": f"{p.first_name} {p.last_name}",
        "first_name": p.first_name,
        "last_name": p.last_name,
        "credentials": plain(p.credentials),
        "npi": p.npi,
        "specialty": plain(p.specialty),
        "phone": plain(p.phone),
        "fax": plain(p.fax),
    }


def coverage_context(case: Case) -> dict[str, Any]:
    """The coverage: status, member and group numbers, plan type and its label."""
    c = case.coverage
    plan = c.payer.plan_type if c.payer else None
    return {
        "status": c.status,
        "insured": c.status == "insured",
        "member_id": plain(c.member_id),
        "group_number": plain(c.group_number),
        "plan_type": plain(plan),
        "plan_type_label": PLAN_LABELS.get(plan or "", ""),
    }


def payer_context(case: Case) -> dict[str, str]:
    """The payer a letter is addressed to (every value "" when the patient has none)."""
    payer = case.coverage.payer
    if payer is None:
        return {"name": "", "payer_id": "", "phone": "", "fax": "", "attention": ""}
    return {
        "name": payer.name,
        "payer_id": plain(payer.payer_id),
        "phone": plain(payer.phone),
        "fax": plain(payer.fax),
        "attention": _ATTENTION,
    }
