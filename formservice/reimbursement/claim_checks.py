"""The problems of a set of claim lines, each explained: errors, warnings and review flags.

`validate_claim_lines` checks the codes in effect on each date of service (codes.yaml), the
session codes beside a chemotherapy-administration code once per date, 0662T's frequency by payer
type (and that the sources disagree on it), the minutes 97009 needs, the ABN's option, place of
service and diagnosis pointers, and the diagnoses themselves (on/off label, item 21's twelve).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from formservice.model import Case, CaseFacts
from formservice.reimbursement import codes
from formservice.reimbursement.abn import abn_advice
from formservice.reimbursement.claim_lines import MAX_DIAGNOSES, ClaimLine, diagnosis_letters

__all__ = ["Problem", "validate_claim_lines"]

INITIAL = "0662T"
Severity = Literal["error", "warning", "review"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One explained problem with a set of claim lines."""

    code: str
    severity: Severity
    message: str
    line_index: int | None = None


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


def _check_abn(case: Case, facts: CaseFacts | None) -> list[Problem]:
    """ABN options 2 and 3 mean Medicare is not to be billed (CMS-R-131 options); an ABN the
    rules advise (`abn.abn_advice`) but the case does not record leaves the lines without GA or
    GZ, which is said rather than guessed: a signed ABN on file (GA) or none given (GZ) decides
    who pays a denied claim (SSA §1879)."""
    payer = case.coverage.payer
    if payer is None or payer.plan_type != "medicare_ffs":
        return []
    if case.abn is None:
        advice = abn_advice(case, facts or CaseFacts())
        if not advice.required:
            return []
        return [
            Problem(
                "abn_not_recorded",
                "warning",
                f"{advice.why} The case records no ABN (abn.issued_on), so the scalp-cooling "
                "lines carry neither GA (a signed ABN on file) nor GZ (none given): record "
                "which before billing",
            )
        ]
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


def validate_claim_lines(
    lines: list[ClaimLine], case: Case, facts: CaseFacts | None = None
) -> list[Problem]:
    """Every problem with a set of claim lines, each explained (and its line when it has one).

    ``facts`` (the benefits investigation, documents made) refine the ABN advice; without them
    it is taken from the case alone.
    """
    letters = {letter for letter, _ in diagnosis_letters(case)}
    problems = (
        _check_in_effect(lines)
        + _check_sessions(lines)
        + _check_initial(lines, case)
        + _check_time_units(lines, case)
        + _check_abn(case, facts)
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
