"""The values the appeal text's ``{placeholders}`` stand for, each with a sensible text when the
denial and the case are silent (evidence.yaml and appeals.yaml write the words)."""

from __future__ import annotations

from collections.abc import Sequence

from formservice.model import Case, Denial
from formservice.reimbursement import codes
from formservice.reimbursement.appeals.dates import format_date
from formservice.reimbursement.claim_lines import diagnosis_letters
from formservice.reimbursement.evidence import guidelines_for
from formservice.reimbursement.evidence_library import EvidenceLibrary

__all__ = ["DEFAULT_CODES", "codes_text", "pa_number", "placeholder_facts"]

_PA_STATUS_TEXT = {
    "submitted": "submitted",
    "pending": "pending",
    "approved": "approved",
    "denied": "denied",
    "appeal_submitted": "under appeal",
    "appeal_approved": "approved on appeal",
    "appeal_denied": "denied on appeal",
}
DEFAULT_CODES = ("0662T", "0663T")


def pa_number(denial: Denial, case: Case) -> str:
    """The PA number: the case's own, else the authorization the denial cites ('' if neither)."""
    return case.prior_authorization.number or str(denial.authorization_number or "")


def codes_text(items: Sequence[str]) -> str:
    """Procedure codes as a sentence names them: 'CPT 0662T and 0663T'."""
    items = [i for i in items if i]
    if not items:
        return ""
    if len(items) == 1:
        return f"CPT {items[0]}"
    return "CPT " + ", ".join(items[:-1]) + " and " + items[-1]


def _course(case: Case) -> str:
    """The regimen and its sessions, without repeating what the regimen name already says."""
    t = case.treatment
    regimen = t.regimen or ""
    named = regimen.lower()
    if not regimen:
        regimen = " and ".join(t.agents) if len(t.agents) <= 2 else ", ".join(t.agents)
    elif t.agents and "(" not in regimen and not all(a.lower() in named for a in t.agents):
        regimen = f"{regimen} ({', '.join(t.agents)})"
    parts = [regimen or "chemotherapy"]
    if t.sessions:
        plan = f"{t.sessions} session" + "s" * (t.sessions != 1)
        if t.cycle_length_days and "every" not in named:
            plan += f" every {t.cycle_length_days} days"
        parts.append(plan)
    return ", ".join(parts)


def _nccn(case: Case, lib: EvidenceLibrary) -> str:
    applies = guidelines_for((d.code for d in case.diagnoses), library=lib)
    if applies:
        names = " and ".join(
            g.guideline.replace(
                "NCCN Clinical Practice Guidelines in Oncology (NCCN Guidelines) for ",
                "NCCN Guidelines for ",
            )
            + f" (since {g.since_version})"
            for g in applies
        )
        return (
            f"The {names}, which cover this diagnosis, list scalp cooling as a category "
            f"{applies[0].category} recommendation: uniform NCCN consensus that the "
            "intervention is appropriate."
        )
    cats = sorted({g.category for g in lib.guidelines})
    return (
        "The National Comprehensive Cancer Network lists scalp cooling as a category "
        f"{'/'.join(cats)} recommendation for patients receiving chemotherapy for breast and "
        "ovarian cancer."
    )


def placeholder_facts(denial: Denial, case: Case, lib: EvidenceLibrary) -> dict[str, str]:
    """The values placeholders stand for, each with a sensible text when unknown."""
    t, pa = case.treatment, case.prior_authorization
    payer = case.coverage.payer
    primary = case.primary_diagnosis
    description = primary.description or ""
    if len(description) > 1 and description[0].isupper() and not description[1].isupper():
        description = description[0].lower() + description[1:]
    pos = codes.place_of_service(t.site_of_care)
    chemo = sorted(codes.chemo_admin_codes())
    clearance = lib.clearances[0]
    dos = format_date(denial.date_of_service) or format_date(t.start_date)
    claim = str(denial.claim_number or "")
    return {
        "patient": case.patient.full_name,
        "payer": str(denial.payer_name or (payer.name if payer else "") or "the plan"),
        "member_id": str(denial.member_id or case.coverage.member_id or "on file"),
        "claim": claim or "for these services",
        "reference": str(denial.authorization_number or claim or pa.number or ""),
        "dos": dos or "the date of service",
        "codes": codes_text(list(denial.procedure_codes or DEFAULT_CODES)),
        "diagnosis": f"{description} (ICD-10-CM {primary.code})"
        if description
        else f"ICD-10-CM {primary.code}",
        "icd10": ", ".join(code for _, code in diagnosis_letters(case)),
        "course": _course(case),
        "regimen": t.regimen or "chemotherapy",
        "start_clause": f" on {format_date(t.start_date)}" if t.start_date else "",
        "first_date": f" ({format_date(t.start_date)})" if t.start_date else "",
        "sessions_text": f"{t.sessions} planned" if t.sessions else "every planned session",
        "facility": case.facility.name,
        "facility_npi": case.facility.npi,
        "prescriber": case.prescriber.full_name,
        "prescriber_npi": case.prescriber.npi,
        "pa_number": pa_number(denial, case) or "on file",
        "pa_submitted": format_date(pa.submitted_on) or "the date on the enclosed request",
        "pa_status": _PA_STATUS_TEXT.get(pa.status, "on file"),
        "chemo_codes": f"{chemo[0]}\u2013{chemo[-1]}" if len(chemo) > 2 else " or ".join(chemo),
        "chemo_code": t.chemo_administration_code or "96413",
        "pos": pos[0] if pos else "as billed",
        "pos_label": pos[1].split(" (")[0] if pos else "site of care",
        "fda_device": clearance.device,
        "fda_manufacturer": clearance.manufacturer,
        "fda_submission": clearance.submission,
        "fda_number": clearance.number,
        "fda_date": format_date(clearance.decision_date),
        "fda_regulation": clearance.regulation,
        "fda_product_code": clearance.product_code,
        "fda_class": clearance.device_class,
        "fda_indication": clearance.indication,
        "nccn": _nccn(case, lib),
    }
