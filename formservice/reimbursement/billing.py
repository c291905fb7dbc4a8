"""Claim lines for scalp cooling from the treatment plan, and their validation.

0662T is billed once, on the first session date; 0663T on every session date, beside a
chemotherapy-administration code (96409-96417) on the same date. Place of service comes from
the site of care: 11 for a physician office, 22 for hospital outpatient (the case has no
on/off-campus flag, so off-campus 19 is never guessed: the line says so).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from string import ascii_uppercase
from typing import Literal

from formservice.errors import ClaimBuildError
from formservice.model import Case
from formservice.reimbursement import codes

__all__ = [
    "MAX_DIAGNOSES",
    "MAX_POINTERS",
    "ClaimBuildError",
    "ClaimLine",
    "Problem",
    "build_claim_lines",
    "diagnosis_letters",
    "plan_session_dates",
    "validate_claim_lines",
]

INITIAL, SESSION = "0662T", "0663T"
MAX_DIAGNOSES = 12  # CMS-1500 item 21 has slots A-L
MAX_POINTERS = 4  # CMS-1500 item 24E takes up to four pointers per line
Severity = Literal["error", "warning", "review"]


@dataclass(frozen=True, slots=True)
class ClaimLine:
    """One service line of a claim (CMS-1500 item 24)."""

    date_of_service: date
    code: str
    units: int
    place_of_service: str | None
    diagnosis_pointers: str  # letters of item 21, e.g. "AB"
    charge: float
    charge_known: bool  # False: no fee-schedule entry, charge is 0 and must be filled in
    charge_source: str | None
    description: str
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Problem:
    """One explained problem with a set of claim lines."""

    code: str
    severity: Severity
    message: str
    line_index: int | None = None


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


def _line(
    code: str, on: date, pos: tuple[str, str] | None, pointers: str, note: str | None
) -> ClaimLine:
    fee = codes.fee_for(code, on)
    return ClaimLine(
        date_of_service=on,
        code=code,
        units=1,
        place_of_service=pos[0] if pos else None,
        diagnosis_pointers=pointers,
        charge=fee.amount if fee else 0.0,
        charge_known=fee is not None,
        charge_source=fee.source if fee else None,
        description=codes.descriptor(code) or "",
        note=note,
    )


def build_claim_lines(
    case: Case, *, session_dates: list[date] | None = None, chemo_code: str = "96413"
) -> list[ClaimLine]:
    """Claim lines in date order: per session the chemo code, 0662T (first date only), 0663T."""
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
    pointers = "".join(letter for letter, _ in diagnosis_letters(case)[:MAX_POINTERS])
    lines: list[ClaimLine] = []
    for i, on in enumerate(dates):
        lines.append(_line(chemo_code, on, pos, pointers, note))
        if i == 0:
            lines.append(_line(INITIAL, on, pos, pointers, note))
        lines.append(_line(SESSION, on, pos, pointers, note))
    return lines


def _check_in_effect(lines: list[ClaimLine]) -> list[Problem]:
    problems = []
    for i, ln in enumerate(lines):
        try:
            codes.lookup(ln.code, ln.date_of_service)
        except codes.CodeNotInEffect as exc:
            problems.append(Problem("code_not_in_effect", "error", str(exc), i))
    return problems


def _check_sessions(lines: list[ClaimLine]) -> list[Problem]:
    chemo = codes.chemo_admin_codes()
    chemo_dates = {ln.date_of_service for ln in lines if ln.code in chemo}
    listed = ", ".join(sorted(chemo))
    problems: list[Problem] = []
    seen: set[date] = set()
    for i, ln in enumerate(lines):
        if ln.code != SESSION:
            continue
        on = ln.date_of_service.isoformat()
        if ln.date_of_service not in chemo_dates:
            message = f"0663T on {on} has no chemo-administration code ({listed}) on that date"
            problems.append(Problem("0663T_without_chemo_admin", "error", message, i))
        if ln.date_of_service in seen:
            message = f"0663T is billed twice on {on}: it is billed once per session"
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


def _check_initial(lines: list[ClaimLine]) -> list[Problem]:
    indexes = [i for i, ln in enumerate(lines) if ln.code == INITIAL]
    problems = []
    for i in indexes[1:]:
        first = indexes[0]
        message = (
            f"0662T may be billed once per patient; already on line {first + 1} "
            f"({lines[first].date_of_service.isoformat()})"
        )
        problems.append(Problem("0662T_repeated", "error", message, i))
    return problems


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
        + _check_initial(lines)
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
    announced = {
        r.descriptor for ln in lines for r in codes.placeholders_in_effect(ln.date_of_service)
    }
    for text in sorted(announced):
        problems.append(
            Problem(
                "category_i_codes_pending",
                "warning",
                f"{text}: check whether the payer still accepts 0662T/0663T for these dates",
            )
        )
    return problems
