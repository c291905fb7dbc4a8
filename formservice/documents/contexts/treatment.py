"""What is treated and what is asked for: the diagnoses, the chemotherapy course, the service
lines (0662T once, 0663T per session) with their descriptors and place of service."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from formservice.documents.contexts.codes import code_descriptor
from formservice.documents.contexts.text import format_date, in_sentence, join_words, plain
from formservice.model import Case, Diagnosis

__all__ = ["diagnosis_context", "request_context", "treatment_context"]

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
