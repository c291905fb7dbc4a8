"""Claim lines for scalp cooling from the treatment plan, their charges, and their validation.

Codes come from the dated crosswalk (`codes.code_for`): up to 2025-12-31, 0662T once (first
session date) and 0663T on every session date; from 2026-01-01, 97008 on every session date and
97009 (30-minute units of cooling after the infusion, from
``treatment.post_infusion_cooling_minutes``), both reported by secondary sources only
(``verified: false``). Every scalp-cooling line sits beside a chemotherapy-administration code
(96409-96417) on the same date.

Charges (24F) come from the facility's charge master (`ChargeMaster`, a YAML file), never from a
payment rate; units x the unit charge. Original Medicare lines carry GA (ABN on file) or GZ (ABN
indicated, none given) when the case has an ``abn`` (Noridian 'Modifier GA/GZ'; CMS Pub. 100-04
ch. 30 §50). Place of service comes from the site of care: 11 for a physician office, 22 for
hospital outpatient; a hospital outpatient service is billed by the hospital on its facility
claim (UB-04/837I), so `facility_claim_rule` refuses the CMS-1500 there.

The per-payer-type CMS-1500 items (10a-c, 11, 12, 13, 27, 31 ...) are data in
``data/claim_items.yaml`` and are resolved by `claim_items`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from string import ascii_uppercase
from typing import Any, Literal

import yaml

from formservice.errors import ChargeMasterError, ClaimBuildError
from formservice.model import Case
from formservice.reimbursement import codes, load_data

__all__ = [
    "MAX_DIAGNOSES",
    "MAX_POINTERS",
    "ChargeMaster",
    "ClaimBuildError",
    "ClaimItem",
    "ClaimLine",
    "Problem",
    "build_claim_lines",
    "claim_items",
    "codes_caveat",
    "diagnosis_letters",
    "facility_claim_rule",
    "load_charge_master",
    "plan_session_dates",
    "validate_claim_lines",
]

INITIAL, SESSION = "0662T", "0663T"
MAX_DIAGNOSES = 12  # CMS-1500 item 21 has slots A-L
MAX_POINTERS = 4  # CMS-1500 item 24E takes up to four pointers per line
Severity = Literal["error", "warning", "review"]


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


@dataclass(frozen=True, slots=True)
class Problem:
    """One explained problem with a set of claim lines."""

    code: str
    severity: Severity
    message: str
    line_index: int | None = None


@dataclass(frozen=True, slots=True)
class ChargeMaster:
    """A facility's charges per code and date of service (US dollars per unit).

    Loaded from YAML by `load_charge_master`: ``{name, source, charges: [{code, amount,
    effective_from, effective_to}]}``.
    """

    name: str
    path: str
    rows: tuple[tuple[str, float, date, date | None], ...]

    def unit_charge(self, code: str, on: date) -> float | None:
        """The charge of one unit of a code on a date of service, or None when not listed."""
        for row_code, amount, start, end in self.rows:
            if row_code == code and start <= on and (end is None or on <= end):
                return amount
        return None


def load_charge_master(path: Path | str) -> ChargeMaster:
    """Read a charge master YAML file; ChargeMasterError (500) names the file and the problem."""
    return _load_charge_master(
        str(path), Path(path).stat().st_mtime_ns if Path(path).is_file() else 0
    )


@lru_cache(maxsize=8)
def _load_charge_master(path: str, _mtime_ns: int) -> ChargeMaster:
    file = Path(path)
    if not file.is_file():
        raise ChargeMasterError(f"charge master {path} does not exist (FORMSERVICE_CHARGE_MASTER)")
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
        rows = tuple(
            (
                str(r["code"]).upper(),
                float(r["amount"]),
                r["effective_from"],
                r.get("effective_to"),
            )
            for r in raw["charges"]
        )
    except (yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise ChargeMasterError(
            f"charge master {path} is not a mapping with charges: "
            f"[{{code, amount, effective_from, effective_to}}] ({exc})"
        ) from exc
    bad = [r[0] for r in rows if not isinstance(r[2], date) or r[1] < 0]
    if bad:
        raise ChargeMasterError(
            f"charge master {path}: rows for {', '.join(bad)} need a date effective_from and an "
            "amount of 0 or more"
        )
    return ChargeMaster(name=str(raw.get("name") or file.name), path=path, rows=rows)


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


@dataclass(frozen=True, slots=True)
class ClaimItem:
    """One CMS-1500 item's rule for a payer type: what goes in it and the source that says so."""

    item: str
    title: str
    fill: str  # blank | insured | none | no | yes | sof | group | payer
    source: str


def claim_items(plan_type: str | None) -> dict[str, ClaimItem]:
    """The CMS-1500 item rules (data/claim_items.yaml) for a payer type, by item number.

    Original Medicare: CMS Pub. 100-04 ch. 26 §10.2-10.4; the rest: the NUCC 1500 manual.
    """
    data = load_data("claim_items.yaml")
    rule_set = str(data["rule_sets"].get(plan_type or "", "nucc"))
    return {
        str(number): ClaimItem(
            item=str(number),
            title=str(raw["title"]),
            fill=str(raw[rule_set]["fill"]),
            source=str(raw[rule_set]["source"]),
        )
        for number, raw in data["items"].items()
    }


def codes_caveat(case: Case) -> str | None:
    """The caveat every document printing this case's scalp-cooling codes shows, or None.

    The codes are those the crosswalk gives for the planned session dates (or the start date
    alone when the plan has no dates); a caveat when any of them is not verified.
    """
    try:
        dates = plan_session_dates(case)
    except ClaimBuildError:
        dates = [case.treatment.start_date] if case.treatment.start_date else []
    found = {
        row.code
        for on in dates
        for role in ("initial", "session", "continued")
        if (row := codes.code_for(role, on)) is not None and row.code
    }
    return codes.unverified_caveat(frozenset(found), dates)


def facility_claim_rule(case: Case) -> str | None:
    """Why a CMS-1500 must not be made for this case (the hospital's facility claim), or None."""
    if case.treatment.site_of_care != "hospital_outpatient":
        return None
    rule: dict[str, Any] = load_data("claim_items.yaml")["facility_claim"]
    return str(rule["message"]) + f" ({rule['source']})"


def _check_in_effect(lines: list[ClaimLine]) -> list[Problem]:
    problems = []
    for on in sorted({ln.date_of_service for ln in lines}):
        if codes.code_for("session", on) is None:
            try:
                codes.codes_in_effect(on)
            except codes.CodeNotInEffect as exc:
                problems.append(Problem("code_not_in_effect", "error", str(exc)))
    for i, ln in enumerate(lines):
        try:
            codes.lookup(ln.code, ln.date_of_service)
        except codes.CodeNotInEffect as exc:
            problems.append(Problem("code_not_in_effect", "error", str(exc), i))
    return problems


def _session_codes() -> frozenset[str]:
    """Codes billed once per chemotherapy session beside a chemo code (0663T, 97008)."""
    return frozenset(
        r.code for r in codes.codes_rows() if r.kind == "scalp_cooling_session" and r.code
    )


def _check_sessions(lines: list[ClaimLine]) -> list[Problem]:
    chemo = codes.chemo_admin_codes()
    session_codes = _session_codes()
    paired = frozenset(
        r.code for r in codes.codes_rows() if r.requires_same_day == codes.CHEMO_ADMIN and r.code
    )
    chemo_dates = {ln.date_of_service for ln in lines if ln.code in chemo}
    listed = ", ".join(sorted(chemo))
    problems: list[Problem] = []
    seen: set[date] = set()
    for i, ln in enumerate(lines):
        on = ln.date_of_service.isoformat()
        if ln.code in paired and ln.date_of_service not in chemo_dates:
            message = f"{ln.code} on {on} has no chemo-administration code ({listed}) on that date"
            problems.append(Problem("0663T_without_chemo_admin", "error", message, i))
        if ln.code not in session_codes:
            continue
        if ln.date_of_service in seen:
            message = f"{ln.code} is billed twice on {on}: it is billed once per session"
            problems.append(Problem("0663T_repeated_same_date", "error", message, i))
        seen.add(ln.date_of_service)
    limit = int(codes.rules()["medical_review_after_sessions"])
    if len(seen) > limit:
        source = codes.rules()["medical_review_source"]
        message = (
            f"{len(seen)} scalp-cooling sessions: more than {limit} may trigger medical review "
            f"({source})"
        )
        problems.append(Problem("sessions_over_review_limit", "review", message))
    return problems


_FREQUENCY_WORDS = {
    "once_per_patient": "once per patient",
    "once_per_course": "once per course of chemotherapy",
}


def _check_initial(lines: list[ClaimLine], case: Case) -> list[Problem]:
    """0662T: once (per patient or per course, by payer type), and a warning that the sources
    disagree on which (codes.yaml ``frequency_0662T``)."""
    indexes = [i for i, ln in enumerate(lines) if ln.code == INITIAL]
    if not indexes:
        return []
    payer = case.coverage.payer
    rule = codes.frequency_0662T(payer.plan_type if payer else None)
    problems = []
    for i in indexes[1:]:
        first = indexes[0]
        message = (
            f"0662T may be billed {_FREQUENCY_WORDS[rule.rule]}; already on line {first + 1} "
            f"({lines[first].date_of_service.isoformat()})"
        )
        problems.append(Problem("0662T_repeated", "error", message, i))
    if rule.sources_disagree:
        message = (
            f"0662T frequency: billed {_FREQUENCY_WORDS[rule.rule]} for this payer type "
            f"({rule.source}); another source says {_FREQUENCY_WORDS[rule.other_rule]} "
            f"({rule.other_source}). If 0662T was billed for an earlier course, check the "
            "payer's policy before billing it again"
        )
        problems.append(Problem("0662T_frequency_sources_disagree", "warning", message))
    return problems


def _check_time_units(lines: list[ClaimLine], case: Case) -> list[Problem]:
    """97009 needs the minutes of cooling after the infusion: without them it is not billed."""
    dates = sorted({ln.date_of_service for ln in lines})
    wanted = [d for d in dates if (row := codes.code_for("continued", d)) and row.code]
    minutes = case.treatment.post_infusion_cooling_minutes
    if not wanted or minutes:
        return []
    code = codes.code_for("continued", wanted[0])
    what = "not given" if minutes is None else "0"  # words only: documents quote this
    return [
        Problem(
            "cooling_minutes_missing",
            "warning",
            f"{code.code if code else 'the add-on'} (each 30 minutes of cooling after the "
            f"infusion) is not billed: the minutes of cooling after each infusion are {what} "
            "(post-infusion cooling minutes in the case)",
        )
    ]


def _check_abn(case: Case) -> list[Problem]:
    """ABN options 2 and 3 mean Medicare is not to be billed (CMS-R-131 options)."""
    payer = case.coverage.payer
    if case.abn is None or payer is None or payer.plan_type != "medicare_ffs":
        return []
    if case.abn.option in (2, 3):
        what = {2: "not to bill Medicare", 3: "not to receive the service"}[case.abn.option]
        return [
            Problem(
                "abn_option_not_billable",
                "error",
                f"the ABN (CMS-R-131) records option {case.abn.option}: the patient chose "
                f"{what}, so no Medicare claim is made",
            )
        ]
    return []


def _check_fields(lines: list[ClaimLine], letters: set[str]) -> list[Problem]:
    problems = []
    for i, ln in enumerate(lines):
        if ln.place_of_service is None:
            message = "no place of service: treatment.site_of_care is not known"
            problems.append(Problem("place_of_service_missing", "error", message, i))
        if not ln.diagnosis_pointers or any(p not in letters for p in ln.diagnosis_pointers):
            message = (
                f"diagnosis pointer {ln.diagnosis_pointers!r} does not match item 21 "
                f"({''.join(sorted(letters))})"
            )
            problems.append(Problem("diagnosis_pointer_invalid", "error", message, i))
    return problems


def _diagnosis_problems(case: Case) -> list[Problem]:
    problems: list[Problem] = []
    classes = [codes.classify_diagnosis(d.code) for d in case.diagnoses]
    for c in classes:
        if not codes.is_valid_icd10_format(c.code):
            problems.append(Problem("diagnosis_code_invalid", "error", c.reason))
        elif c.label == "off_label":
            problems.append(Problem("off_label_diagnosis", "error", f"{c.code}: {c.reason}"))
        elif c.label == "history":
            problems.append(Problem("history_diagnosis", "warning", f"{c.code}: {c.reason}"))
        elif c.label == "payer_narrow":
            problems.append(Problem("payer_narrow_diagnosis", "warning", f"{c.code}: {c.reason}"))
    if not any(c.label in ("on_label", "payer_narrow") for c in classes):
        problems.append(
            Problem(
                "no_on_label_diagnosis",
                "error",
                "no active solid-tumor diagnosis: scalp cooling is cleared for solid tumors",
            )
        )
    if len(case.diagnoses) > MAX_DIAGNOSES:
        problems.append(
            Problem(
                "too_many_diagnoses",
                "warning",
                f"{len(case.diagnoses)} diagnoses: only the first {MAX_DIAGNOSES} fit "
                "item 21 (A-L)",
            )
        )
    return problems


def validate_claim_lines(lines: list[ClaimLine], case: Case) -> list[Problem]:
    """Every problem with a set of claim lines, each explained (and its line when it has one)."""
    letters = {letter for letter, _ in diagnosis_letters(case)}
    problems = (
        _check_in_effect(lines)
        + _check_sessions(lines)
        + _check_initial(lines, case)
        + _check_time_units(lines, case)
        + _check_abn(case)
        + _check_fields(lines, letters)
        + _diagnosis_problems(case)
    )
    if case.treatment.site_of_care == "hospital_outpatient":
        problems.append(
            Problem(
                "place_of_service_assumed",
                "warning",
                "hospital outpatient billed as place of service 22 (on-campus); use 19 if the "
                "department is off-campus",
            )
        )
    dates = sorted({ln.date_of_service for ln in lines})
    caveat = codes.unverified_caveat({ln.code for ln in lines}, dates)
    if caveat:
        problems.append(Problem("codes_not_verified", "warning", caveat))
    return problems
