"""Claim lines for scalp cooling from the treatment plan, with their charges and modifiers.

Codes come from the dated crosswalk (`codes.code_for`): up to 2025-12-31, 0662T once (first
session date) and 0663T on every session date; from 2026-01-01, 97008 on every session date and
97009 (30-minute units of cooling after the infusion, from
``treatment.post_infusion_cooling_minutes``), both reported by secondary sources only
(``verified: false``). Every scalp-cooling line sits beside a chemotherapy-administration code
(96409-96417) on the same date.

Charges (24F) come from the facility's charge master (`charge_master.ChargeMaster`), never from
a payment rate; units x the unit charge. Original Medicare lines carry GA (ABN on file) or GZ
(ABN indicated, none given) when the case has an ``abn`` (Noridian 'Modifier GA/GZ'; CMS Pub.
100-04 ch. 30 §50). Place of service comes from the site of care: 11 for a physician office, 22
for hospital outpatient (a hospital outpatient service is billed on the hospital's facility
claim: `claim_form.facility_claim_rule`). The problems of a set of lines are found by
`claim_checks.validate_claim_lines`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from string import ascii_uppercase

from formservice.errors import ClaimBuildError
from formservice.model import Case
from formservice.reimbursement import codes
from formservice.reimbursement.charge_master import ChargeMaster

__all__ = [
    "MAX_DIAGNOSES",
    "MAX_POINTERS",
    "ClaimLine",
    "build_claim_lines",
    "codes_caveat",
    "diagnosis_letters",
    "plan_session_dates",
]

MAX_DIAGNOSES = 12  # CMS-1500 item 21 has slots A-L
MAX_POINTERS = 4  # CMS-1500 item 24E takes up to four pointers per line


@dataclass(frozen=True, slots=True)
class ClaimLine:
    """One professional service line: CMS-1500 item 24, X12 837P loop 2400 (SV1, DTP*472).

    - ``date_of_service``: 24A (from = to: one date per line).
    - ``place_of_service``: 24B, CMS place-of-service code ("11" office); None when unknown.
    - ``code``: 24D CPT/HCPCS code; ``modifiers``: 24D modifiers in order, at most four (e.g.
      ("GA",)).
    - ``diagnosis_pointers``: 24E letters of item 21, primary first, e.g. "AB" (837P SV107
      takes them as 1-4).
    - ``charge``: 24F / SV102, US dollars for the whole line (unit charge x units), from the
      charge master; None when no charge master was given or it has no row (the claim form
      refuses such a line with a 422).
    - ``units``: 24G / SV104 service units (time-based codes: 30-minute units).
    - ``description``, ``charge_source``, ``note``: for people (checklists, warnings).
    """

    date_of_service: date
    code: str
    units: int
    place_of_service: str | None
    diagnosis_pointers: str
    charge: float | None
    modifiers: tuple[str, ...] = ()
    charge_source: str | None = None
    description: str = ""
    note: str | None = None


def plan_session_dates(case: Case) -> list[date]:
    """Session dates from the plan: start_date + cycle_length_days x i, for each session."""
    t = case.treatment
    if t.start_date is None:
        raise ClaimBuildError("treatment.start_date", "needed to date the claim lines")
    if t.sessions is None or t.sessions < 1:
        raise ClaimBuildError("treatment.sessions", f"must be 1 or more, got {t.sessions!r}")
    if t.sessions > 1 and (t.cycle_length_days is None or t.cycle_length_days < 1):
        raise ClaimBuildError(
            "treatment.cycle_length_days", "needed to date sessions after the first"
        )
    step = t.cycle_length_days or 0
    return [t.start_date + timedelta(days=step * i) for i in range(t.sessions)]


def diagnosis_letters(case: Case) -> list[tuple[str, str]]:
    """Item 21 of the claim: (letter, code) pairs, primary diagnosis first, at most 12 (A-L)."""
    primary = case.primary_diagnosis
    ordered = [primary] + [d for d in case.diagnoses if d is not primary]
    return [(ascii_uppercase[i], d.code) for i, d in enumerate(ordered[:MAX_DIAGNOSES])]


def _abn_modifiers(case: Case) -> tuple[str, ...]:
    """GA when a signed ABN is on file, GZ when one was indicated but not given (Original
    Medicare only; Noridian 'Modifier GA' / 'Modifier GZ'; never both on one line)."""
    payer = case.coverage.payer
    if case.abn is None or payer is None or payer.plan_type != "medicare_ffs":
        return ()
    return ("GA",) if case.abn.issued_on is not None else ("GZ",)


@dataclass(frozen=True, slots=True)
class _LineContext:
    pos: tuple[str, str] | None
    pointers: str
    note: str | None
    charges: ChargeMaster | None
    abn_modifiers: tuple[str, ...]


def _line(code: str, on: date, units: int, ctx: _LineContext, *, scalp: bool) -> ClaimLine:
    unit = ctx.charges.unit_charge(code, on) if ctx.charges else None
    return ClaimLine(
        date_of_service=on,
        code=code,
        units=units,
        place_of_service=ctx.pos[0] if ctx.pos else None,
        diagnosis_pointers=ctx.pointers,
        charge=round(unit * units, 2) if unit is not None else None,
        modifiers=ctx.abn_modifiers if scalp else (),
        charge_source=ctx.charges.name if unit is not None and ctx.charges else None,
        description=codes.descriptor(code) or "",
        note=ctx.note,
    )


def build_claim_lines(
    case: Case,
    *,
    session_dates: list[date] | None = None,
    chemo_code: str = "96413",
    charge_master: ChargeMaster | None = None,
) -> list[ClaimLine]:
    """Claim lines in date order: per session the chemo code, then the scalp-cooling codes the
    crosswalk gives for that date (0662T on the first date only, 0663T; or 97008, 97009).

    ClaimBuildError (422) names the case field lines cannot do without.
    """
    if chemo_code not in codes.chemo_admin_codes():
        allowed = ", ".join(sorted(codes.chemo_admin_codes()))
        raise ClaimBuildError("chemo_code", f"{chemo_code!r} is not one of {allowed}")
    if not case.diagnoses:
        raise ClaimBuildError("diagnoses", "at least one diagnosis is needed")
    dates = sorted(session_dates) if session_dates is not None else plan_session_dates(case)
    pos = codes.place_of_service(case.treatment.site_of_care)
    note = None
    if case.treatment.site_of_care == "hospital_outpatient" and pos is not None:
        note = f"place of service {pos[0]} assumed: {pos[1]}"
    ctx = _LineContext(
        pos=pos,
        pointers="".join(letter for letter, _ in diagnosis_letters(case)[:MAX_POINTERS]),
        note=note,
        charges=charge_master,
        abn_modifiers=_abn_modifiers(case),
    )
    minutes = case.treatment.post_infusion_cooling_minutes
    lines: list[ClaimLine] = []
    initial_billed = False
    for on in dates:
        lines.append(_line(chemo_code, on, 1, ctx, scalp=False))
        initial = codes.code_for("initial", on)
        if initial is not None and initial.code and not initial_billed:
            lines.append(_line(initial.code, on, 1, ctx, scalp=True))
            initial_billed = True
        session = codes.code_for("session", on)
        if session is not None and session.code:
            lines.append(_line(session.code, on, 1, ctx, scalp=True))
        continued = codes.code_for("continued", on)
        if continued is not None and continued.code and minutes:
            row = codes.lookup(continued.code, on)
            units = codes.time_units(minutes, row.unit_minutes or 30)
            if units > 0:
                lines.append(_line(continued.code, on, units, ctx, scalp=True))
    return lines


def codes_caveat(case: Case) -> str | None:
    """The caveat every document printing this case's scalp-cooling codes shows, or None.

    The codes are those the crosswalk gives for the planned session dates (or the start date
    alone when the plan has no dates); a caveat when any of them is not verified.
    """
    try:
        dates = plan_session_dates(case)
    except ClaimBuildError:
        dates = [case.treatment.start_date] if case.treatment.start_date else []
    # 97009 (continued cooling) is billed only with the minutes of cooling after the infusion.
    roles: tuple[str, ...] = ("initial", "session", "continued")
    if not case.treatment.post_infusion_cooling_minutes:
        roles = ("initial", "session")
    found = {
        row.code
        for on in dates
        for role in roles
        if (row := codes.code_for(role, on)) is not None and row.code
    }
    return codes.unverified_caveat(frozenset(found), dates)
