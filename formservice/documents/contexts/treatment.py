"""What is treated and what is asked for: the diagnoses, the chemotherapy course, the service
lines (0662T once, 0663T per session) with their descriptors and place of service."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from formservice.documents.contexts.codes import code_descriptor
from formservice.documents.contexts.text import format_date, in_sentence, join_words, plain
from formservice.model import Case, Diagnosis
from formservice.reimbursement.abn import effective_plan_type

__all__ = ["diagnosis_context", "letter_purpose", "request_context", "treatment_context"]

_SITE_LABELS = {
    "physician_office": "Physician office",
    "hospital_outpatient": "Hospital outpatient department",
}
_POS_LABELS = {
    "11": "Office",
    "19": "Off-campus outpatient hospital",
    "22": "On-campus outpatient hospital",
}
_RISK_TEXT = {
    "high": "high: complete or near-complete hair loss is expected with this regimen",
    "moderate": "moderate: substantial hair loss is expected with this regimen",
    "low": "low, but hair loss remains a recognised toxicity of this regimen",
}


def diagnosis_context(d: Diagnosis) -> dict[str, Any]:
    """One diagnosis: code, description (also as a sentence writes it), and both together."""
    description = plain(d.description)
    return {
        "code": d.code,
        "description": description,
        "description_in_sentence": in_sentence(description) or d.code,
        "text": f"{d.code} – {description}" if description else d.code,
        "primary": d.primary,
    }


def _regimen_text(regimen: str, agents: Sequence[str]) -> str:
    """The regimen, with its agents in parentheses unless the regimen name already lists them."""
    named = regimen.lower()
    agents_text = join_words(list(agents))
    if not regimen:
        return agents_text or "chemotherapy"
    if not agents or all(a.lower() in named for a in agents):
        return regimen
    return f"{regimen} ({agents_text})"


def treatment_context(case: Case, pos: str) -> dict[str, Any]:
    """The chemotherapy course, its schedule, site of care and alopecia risk."""
    t = case.treatment
    sessions = t.sessions
    return {
        "regimen": plain(t.regimen),
        "regimen_text": _regimen_text(plain(t.regimen), t.agents),
        "agents": list(t.agents),
        "agents_text": join_words(list(t.agents)),
        "start_date": format_date(t.start_date),
        "sessions": "" if sessions is None else sessions,
        "sessions_text": "" if sessions is None else f"{sessions} session" + "s" * (sessions != 1),
        "cycle_length_days": plain(t.cycle_length_days),
        "schedule_text": f"every {t.cycle_length_days} days" if t.cycle_length_days else "",
        "site_of_care": plain(t.site_of_care),
        "site_of_care_label": _SITE_LABELS.get(t.site_of_care or "", ""),
        "place_of_service": pos,
        "place_of_service_label": _POS_LABELS.get(pos, ""),
        "alopecia_risk": plain(t.alopecia_risk),
        "alopecia_risk_text": _RISK_TEXT.get(t.alopecia_risk or "", ""),
    }


def _sessions_clause(sessions: int | None) -> str:
    if sessions:
        return f"each of the {sessions} planned chemotherapy sessions"
    return "each planned chemotherapy session"


def letter_purpose(case: Case, today: date) -> dict[str, Any]:
    """What the letter asks for, by pathway, and whether the request is retroactive.

    Pathways: prior authorization (a payer that may require it); Original Medicare, which has no
    prior authorization for 0662T/0663T (payers.yaml), so the letter documents medical necessity
    for the claim; an uninsured patient (approval, e.g. for the PAP). A letter dated after the
    planned start asks for retroactive authorization of the sessions from that date, and says
    why (`retroactive`, and a warning in the document's details).
    """
    insured = case.coverage.status == "insured"
    plan_type, _ = effective_plan_type(case, None)
    medicare_ffs = insured and plan_type == "medicare_ffs"
    start = case.treatment.start_date
    started = start is not None and start < today
    when = format_date(start)
    each = _sessions_clause(case.treatment.sessions)
    if medicare_ffs:
        ask = (
            "document, for the Medicare claim, the medical necessity of mechanical scalp "
            "cooling with the chemotherapy I have prescribed"
        )
        start_phrase = f", {'from' if started else 'starting'} {when}" if when else ""
        closing = (
            f"This letter supports the claim for CPT 0662T once and CPT 0663T for {each}; "
            "Original Medicare requires no prior authorization for them."
        )
        salutation = "Dear Medical Reviewer"
    elif insured and started:
        ask = (
            "request retroactive authorization and coverage of mechanical scalp cooling, which "
            f"began with the chemotherapy I have prescribed on {when}"
        )
        start_phrase = f", retroactive to {when}"
        closing = (
            f"For these reasons I ask that you authorize, retroactive to {when}, CPT 0662T "
            f"once and CPT 0663T for {each}: scalp cooling works only from the first infusion."
        )
        salutation = "Dear Medical Director"
    elif insured:
        ask = (
            "request prior authorization and coverage of mechanical scalp cooling during the "
            "chemotherapy I have prescribed"
        )
        start_phrase = f", starting {when}" if when else ""
        closing = (
            f"For these reasons I ask that you approve CPT 0662T once and CPT 0663T for {each}."
        )
        salutation = "Dear Medical Director"
    else:
        ask = (
            "request approval of mechanical scalp cooling during the chemotherapy I have prescribed"
        )
        start_phrase = f", {'from' if started else 'starting'} {when}" if when else ""
        closing = (
            f"For these reasons I ask that you approve CPT 0662T once and CPT 0663T for {each}."
        )
        salutation = "Dear Reviewer"
    return {
        "ask_text": ask,
        "start_phrase": start_phrase,
        "closing_text": closing,
        "salutation": salutation,
        "medicare_ffs": medicare_ffs,
        "retroactive": insured and not medicare_ffs and started,
    }


def request_context(case: Case, codes: Mapping[str, Any], pos: str) -> dict[str, Any]:
    """The service lines requested, with the descriptors in force on the start date."""
    sessions = case.treatment.sessions
    when = case.treatment.start_date
    initial = code_descriptor(codes, "0662T", when)
    session = code_descriptor(codes, "0663T", when)
    lines = [
        {
            "code": "0662T",
            "description": initial,
            "units": "1",
            "basis": "Once, at the first session",
        },
        {
            "code": "0663T",
            "description": session,
            "units": "" if sessions is None else str(sessions),
            "basis": f"Each chemotherapy session, with {_code_span(codes['chemo_admin'])}",
        },
    ]
    return {
        "lines": lines,
        "codes_text": "CPT 0662T and 0663T",
        "sessions": "" if sessions is None else sessions,
        "place_of_service": pos,
        "place_of_service_label": _POS_LABELS.get(pos, ""),
        "chemo_admin_codes": ", ".join(codes["chemo_admin"]),
    }


def _code_span(codes: Sequence[str]) -> str:
    """Chemo-administration codes as a short span: '96409-96417' when sorted numbers."""
    if len(codes) > 2:
        ordered = sorted(codes)
        return f"{ordered[0]}\u2013{ordered[-1]}"
    return " or ".join(codes)
