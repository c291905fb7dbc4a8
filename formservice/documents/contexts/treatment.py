"""What is treated and what is asked for: the diagnoses, the chemotherapy course, the service
lines (by the start date's codes: 0662T once and 0663T per session up to 2025; 97008 per session
and 97009 per 30 minutes from 2026) with their descriptors and place of service.

A code not yet confirmed is not flagged here: the payer reads the letter, and what the caveat asks
(check the code against the payer's list before sending) is for the clinic's staff, who get it as
the document's ``codes_not_verified`` warning (documents/render.py), on the staff checklists and on
the document's page. Printed in the letter, it could not be resolved: a letter checked and found
right would still say its codes were unconfirmed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from formservice.documents.contexts.codes import code_descriptor
from formservice.documents.contexts.text import format_date, in_sentence, join_words, plain
from formservice.model import Case, Diagnosis
from formservice.reimbursement import codes as code_table
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


def _codes_asked(case: Case) -> str:
    """The codes a letter asks for, by the start date's crosswalk (codes.yaml): "CPT 0662T once
    and CPT 0663T for each ... session" up to 2025, "CPT 97008 for each ... session" after."""
    on = case.treatment.start_date or code_table.codes_rows()[0].effective_from
    each = _sessions_clause(case.treatment.sessions)
    initial = code_table.code_for("initial", on)
    session = code_table.code_for("session", on)
    continued = code_table.code_for("continued", on)
    parts = []
    if initial is not None and initial.code:
        parts.append(f"CPT {initial.code} once")
    if session is not None and session.code:
        parts.append(f"CPT {session.code} for {each}")
    if continued is not None and continued.code and case.treatment.post_infusion_cooling_minutes:
        parts.append(f"CPT {continued.code} for the cooling time after each infusion")
    return join_words(parts)


def letter_purpose(case: Case, today: date, *, appeal_enclosure: bool = False) -> dict[str, Any]:
    """What the letter asks for, by pathway, and whether the request is retroactive.

    `appeal_enclosure`: the LMN enclosed in an appeal packet documents the medical necessity of
    the claim under appeal; it asks for no prior or retroactive authorization (the appeal letter
    says what is asked) and is never `retroactive`.

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
    asked = _codes_asked(case)
    if appeal_enclosure:
        ask = (
            "document the medical necessity of mechanical scalp cooling with the chemotherapy "
            "I have prescribed, for the claim under appeal"
        )
        start_phrase = f", {'from' if started else 'starting'} {when}" if when else ""
        closing = (
            f"This letter documents the medical necessity of {asked} for the claim under appeal."
        )
        salutation = "Dear Medical Reviewer" if medicare_ffs else "Dear Medical Director"
    else:
        ask, start_phrase, closing, salutation = _pathway_words(
            insured=insured, medicare_ffs=medicare_ffs, started=started, when=when, asked=asked
        )
    return {
        "ask_text": ask,
        "start_phrase": start_phrase,
        "closing_text": closing,
        "salutation": salutation,
        "medicare_ffs": medicare_ffs,
        # An appeal enclosure documents a claim already made: it asks for no authorization.
        "retroactive": not appeal_enclosure and insured and not medicare_ffs and started,
    }


def _pathway_words(
    *, insured: bool, medicare_ffs: bool, started: bool, when: str, asked: str
) -> tuple[str, str, str, str]:
    """A standalone LMN's ask, start phrase, closing and salutation, by pathway."""
    if medicare_ffs:
        ask = (
            "document, for the Medicare claim, the medical necessity of mechanical scalp "
            "cooling with the chemotherapy I have prescribed"
        )
        start_phrase = f", {'from' if started else 'starting'} {when}" if when else ""
        closing = (
            f"This letter supports the claim for {asked}; "
            "Original Medicare requires no prior authorization for them."
        )
        salutation = "Dear Medical Reviewer"
    elif insured and started:
        # The chemotherapy began on that date; the letter does not say scalp cooling was given
        # (the case does not record it), nor that the chemotherapy was prescribed that day.
        ask = (
            "request retroactive authorization and coverage of mechanical scalp cooling with the "
            f"chemotherapy I have prescribed, which began on {when}"
        )
        start_phrase = f", retroactive to {when}"
        # No "scalp cooling works only from the first infusion": an argument for haste, which a
        # request for a course already under way (or over) cannot make.
        closing = f"For these reasons I ask that you authorize, retroactive to {when}, {asked}."
        salutation = "Dear Medical Director"
    elif insured:
        ask = (
            "request prior authorization and coverage of mechanical scalp cooling during the "
            "chemotherapy I have prescribed"
        )
        start_phrase = f", starting {when}" if when else ""
        closing = f"For these reasons I ask that you approve {asked}."
        salutation = "Dear Medical Director"
    else:
        ask = (
            "request approval of mechanical scalp cooling during the chemotherapy I have prescribed"
        )
        start_phrase = f", {'from' if started else 'starting'} {when}" if when else ""
        closing = f"For these reasons I ask that you approve {asked}."
        salutation = "Dear Reviewer"
    return ask, start_phrase, closing, salutation


_BASIS = {
    "initial": "Once, at the first session",
    "session": "Each chemotherapy session, with {chemo}",
    "continued": "Each 30 minutes of cooling after the infusion, with {chemo}",
}


def request_context(case: Case, codes: Mapping[str, Any], pos: str) -> dict[str, Any]:
    """The service lines requested, with the descriptors in force on the start date."""
    sessions = case.treatment.sessions
    when = case.treatment.start_date
    chemo = _code_span(codes["chemo_admin"])
    # No start date: the codes of the first span (0662T/0663T), as the letter always named them.
    on = when or code_table.codes_rows()[0].effective_from
    rows = [
        (role, row.code)
        for role in ("initial", "session", "continued")
        if (row := code_table.code_for(role, on)) is not None and row.code
    ]
    lines = []
    for role, code in rows:
        units = "1" if role == "initial" else ("" if sessions is None else str(sessions))
        if role == "continued":
            minutes = case.treatment.post_infusion_cooling_minutes
            per = code_table.lookup(code, on).unit_minutes or 30
            each = code_table.time_units(minutes, per) if minutes else 0
            if not each:
                continue  # like the claim: no cooling minutes, no time-based line
            units = str(each * sessions) if sessions else ""
        basis = _BASIS[role].format(chemo=chemo)
        lines.append(
            {
                "code": code,
                "description": code_descriptor(codes, code, when),
                "units": units,
                "basis": basis,
            }
        )
    names = [line["code"] for line in lines]
    return {
        "lines": lines,
        "codes_text": "CPT " + " and ".join(names) if names else "",
        # For the letter's summary rows ("CPT 97008 × 6; CPT 97009 × 12").
        "summary_text": "; ".join(
            f"CPT {line['code']} × {line['units']}" if line["units"] else f"CPT {line['code']}"
            for line in lines
        ),
        # Always empty: template versions published before the caveat left the letter still
        # test it, and a missing name would stop them rendering (StrictUndefined).
        "caveat": "",
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
