"""The hub's checklists (PA, claim filing, letter of appeal), each item marked from the case.

An item is ``done``, ``missing`` or ``not_applicable``, with a detail that says why, so a clinic
sees what blocks it. Labels and the reason each item exists are data (data/checklists.yaml);
the rules deciding the status are here. ``facts`` is anything with the attributes of
`formservice.documents.render.CaseFacts` (benefits, documents, denial): this module stays pure.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, Protocol

from formservice.model import Benefits, Case, Denial, DenialReason
from formservice.reimbursement import billing, codes, load_data
from formservice.reimbursement.benefits import payer_facts
from formservice.reimbursement.evidence import load_evidence
from formservice.reimbursement.pap_rules import check_prescription, is_valid_npi

__all__ = [
    "ChecklistItem",
    "FactsLike",
    "Status",
    "appeal_checklist",
    "chemo_code",
    "claim_checklist",
    "pa_checklist",
    "summarize",
]

Status = Literal["done", "missing", "not_applicable"]
DONE: Status = "done"
MISSING: Status = "missing"
NA: Status = "not_applicable"
_APPROVED = ("approved", "appeal_approved")
DEFAULT_CHEMO_CODE = "96413"  # model.Treatment: billing assumes 96413 when the case names none


class FactsLike(Protocol):
    """What a checklist reads besides the case (CaseFacts has these)."""

    @property
    def benefits(self) -> Benefits | None: ...

    @property
    def documents(self) -> Collection[str]: ...

    @property
    def denial(self) -> Denial | None: ...


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    """One line of a checklist."""

    id: str
    label: str
    status: Status
    detail: str

    def to_json(self) -> dict[str, str]:
        """Plain JSON-ready dict."""
        return {"id": self.id, "label": self.label, "status": self.status, "detail": self.detail}


Rule = Callable[[Case, FactsLike, date], tuple[Status, str]]


def _labels(kind: str) -> list[dict[str, str]]:
    items: list[dict[str, str]] = load_data("checklists.yaml")[kind]
    return items


def _run(
    kind: str, rules: Mapping[str, Rule], case: Case, facts: FactsLike, today: date
) -> list[ChecklistItem]:
    out = []
    for entry in _labels(kind):
        status, detail = rules[entry["id"]](case, facts, today)
        out.append(ChecklistItem(entry["id"], entry["label"], status, detail))
    return out


def summarize(items: list[ChecklistItem]) -> dict[str, int]:
    """How many items are done, missing and not applicable."""
    counts: dict[str, int] = {DONE: 0, MISSING: 0, NA: 0}
    for item in items:
        counts[item.status] += 1
    return counts


# ---------------------------------------------------------------- shared rules


def _uninsured(case: Case) -> bool:
    return case.coverage.status != "insured"


def _member_id(case: Case, facts: FactsLike, today: date) -> tuple[Status, str]:
    if _uninsured(case):
        return NA, "patient is uninsured"
    if case.coverage.member_id:
        return DONE, f"member ID {case.coverage.member_id}"
    return MISSING, "add coverage.member_id"


def _payer_known(case: Case, facts: FactsLike, today: date) -> tuple[Status, str]:
    if _uninsured(case):
        return NA, "patient is uninsured"
    payer = case.coverage.payer
    if payer is None:
        return MISSING, "add coverage.payer"
    where = (
        "in the hub payer directory"
        if payer_facts(case, facts.benefits).in_directory
        else "not in the hub payer directory: confirm its PA process by phone"
    )
    return DONE, f"{payer.name} ({where})"


def _pa_required(case: Case, facts: FactsLike) -> tuple[bool | None, str]:
    found = payer_facts(case, facts.benefits)
    return found.pa_required, found.pa_required_source


def _pa_requirement_known(case: Case, facts: FactsLike, today: date) -> tuple[Status, str]:
    if _uninsured(case):
        return NA, "patient is uninsured"
    required, source = _pa_required(case, facts)
    if required is None:
        return MISSING, "not known whether the payer requires a PA: run the benefits investigation"
    return DONE, f"PA {'required' if required else 'not required'} (source: {source})"


def _submission_known(case: Case, facts: FactsLike, today: date) -> tuple[Status, str]:
    if _uninsured(case):
        return NA, "patient is uninsured"
    found = payer_facts(case, facts.benefits)
    if found.pa_required is False:
        return NA, "no PA required"
    if not found.channel:
        return (
            MISSING,
            "submission channel unknown: ask the payer during the benefits investigation",
        )
    how = {"fax": found.fax, "portal": found.portal_url, "phone": found.phone}.get(found.channel)
    turnaround = (
        f"; typical turnaround {found.turnaround_days} days ({found.turnaround_source})"
        if found.turnaround_days is not None
        else ""
    )
    return DONE, f"by {found.channel}{f' ({how})' if how else ''}{turnaround}"


def _diagnosis_on_label(case: Case, facts: FactsLike, today: date) -> tuple[Status, str]:
    classes = [codes.classify_diagnosis(d.code) for d in case.diagnoses]
    off = [c for c in classes if c.label == "off_label"]
    if off:
        return MISSING, "; ".join(f"{c.code} is off-label: {c.reason}" for c in off)
    on = [c for c in classes if c.label == "on_label"]
    if on:
        return DONE, f"{on[0].code}: {on[0].reason}"
    narrow = [c for c in classes if c.label == "payer_narrow"]
    if narrow:
        return DONE, f"{narrow[0].code}: {narrow[0].reason} (may fail a narrow payer policy)"
    return MISSING, "no active solid-tumor diagnosis: " + "; ".join(
        f"{c.code}: {c.reason}" for c in classes
    )


def _prescription(case: Case, facts: FactsLike, today: date) -> tuple[Status, str]:
    result = check_prescription(case, today)
    if result.passed:
        return DONE, result.detail
    return MISSING, result.detail


def _treatment_plan(case: Case, facts: FactsLike, today: date) -> tuple[Status, str]:
    t = case.treatment
    needed = [("treatment.start_date", t.start_date), ("treatment.sessions", t.sessions)]
    if t.sessions is None or t.sessions > 1:
        needed.append(("treatment.cycle_length_days", t.cycle_length_days))
    absent = [path for path, value in needed if value is None]
    if absent:
        return MISSING, f"add {', '.join(absent)}"
    cycle = f", every {t.cycle_length_days} days" if t.cycle_length_days else ""
    return DONE, f"{t.sessions} session(s) from {t.start_date.isoformat()}{cycle}"  # type: ignore[union-attr]  # checked above


def _codes_in_effect(case: Case, facts: FactsLike, today: date) -> tuple[Status, str]:
    start = case.treatment.start_date
    if start is None:
        return MISSING, "needs treatment.start_date to check the codes"
    try:
        for code in (billing.INITIAL, billing.SESSION):
            codes.lookup(code, start)
    except codes.CodeNotInEffect as exc:
        return MISSING, str(exc)
    note = "".join(
        f"; note: {row.descriptor}: check whether the payer still accepts 0662T/0663T"
        for row in codes.placeholders_in_effect(start)
    )
    return DONE, f"0662T and 0663T in effect on {start.isoformat()}{note}"


def _document(kind: str, what: str) -> Rule:
    def rule(case: Case, facts: FactsLike, today: date) -> tuple[Status, str]:
        if kind in facts.documents:
            return DONE, f"{what} generated"
        return MISSING, f"generate the {what} (document kind '{kind}')"

    return rule


def _pa_form(case: Case, facts: FactsLike, today: date) -> tuple[Status, str]:
    if _uninsured(case):
        return NA, "patient is uninsured"
    required, _ = _pa_required(case, facts)
    if required is False:
        return NA, "no PA required"
    return _document("pa_form", "PA request form")(case, facts, today)


def _clinical_notes(case: Case, facts: FactsLike, today: date) -> tuple[Status, str]:
    notes = (case.clinical_notes or "").strip()
    if notes:
        return DONE, f"{len(notes)} characters of clinical notes"
    return MISSING, "add clinical_notes (or attach the visit note and treatment plan)"


PA_RULES: dict[str, Rule] = {
    "member_id": _member_id,
    "payer_known": _payer_known,
    "pa_requirement_known": _pa_requirement_known,
    "submission_known": _submission_known,
    "diagnosis_on_label": _diagnosis_on_label,
    "prescription_valid": _prescription,
    "treatment_plan_complete": _treatment_plan,
    "codes_in_effect": _codes_in_effect,
    "lmn_generated": _document("lmn", "Letter of Medical Necessity"),
    "pa_form_generated": _pa_form,
    "clinical_notes": _clinical_notes,
}


def pa_checklist(case: Case, facts: FactsLike, today: date) -> list[ChecklistItem]:
    """The prior-authorization checklist, each item marked from the case and what is on file."""
    return _run("pa", PA_RULES, case, facts, today)


# ---------------------------------------------------------------- claim filing


def _pa_number(case: Case, facts: FactsLike, today: date) -> tuple[Status, str]:
    if _uninsured(case):
        return NA, "patient is uninsured"
    required, source = _pa_required(case, facts)
    number = case.prior_authorization.number
    if required is False:
        return NA, f"no PA required (source: {source})"
    if number:
        return DONE, f"PA number {number} (CMS-1500 item 23)"
    if required is None:
        return MISSING, "PA requirement unknown and no PA number recorded"
    return MISSING, "PA required: record prior_authorization.number before filing the claim"


def _pa_approved(case: Case, facts: FactsLike, today: date) -> tuple[Status, str]:
    if _uninsured(case):
        return NA, "patient is uninsured"
    required, _ = _pa_required(case, facts)
    status = case.prior_authorization.status
    if required is False:
        return NA, "no PA required"
    if status in _APPROVED:
        decided = case.prior_authorization.decided_on
        return DONE, f"PA {status.replace('_', ' ')}" + (
            f" on {decided.isoformat()}" if decided else ""
        )
    return MISSING, f"PA status is {status!r}: wait for approval before billing"


def chemo_code(case: Case) -> str:
    """The chemo-administration code billed beside 0663T (96413 when the case names none)."""
    return case.treatment.chemo_administration_code or DEFAULT_CHEMO_CODE


def _claim_problems(case: Case) -> tuple[list[billing.Problem] | None, str]:
    try:
        lines = billing.build_claim_lines(case, chemo_code=chemo_code(case))
    except billing.ClaimBuildError as exc:
        return None, f"cannot build claim lines: {exc}"
    return billing.validate_claim_lines(lines, case), f"{len(lines)} claim lines"


def _claim_lines_valid(case: Case, facts: FactsLike, today: date) -> tuple[Status, str]:
    problems, summary = _claim_problems(case)
    if problems is None:
        return MISSING, summary
    errors = [p.message for p in problems if p.severity == "error"]
    notes = [p.message for p in problems if p.severity != "error"]
    if errors:
        return MISSING, "; ".join(errors)
    tail = f" (note: {'; '.join(notes)})" if notes else ""
    return DONE, f"{summary}, no errors{tail}"


def _chemo_pairing(case: Case, facts: FactsLike, today: date) -> tuple[Status, str]:
    problems, summary = _claim_problems(case)
    if problems is None:
        return MISSING, summary
    unpaired = [p.message for p in problems if p.code == "0663T_without_chemo_admin"]
    if unpaired:
        return MISSING, "; ".join(unpaired)
    return DONE, f"each 0663T billed with {chemo_code(case)} on the same date of service"


def _place_of_service(case: Case, facts: FactsLike, today: date) -> tuple[Status, str]:
    pos = codes.place_of_service(case.treatment.site_of_care)
    if pos is None:
        return MISSING, "add treatment.site_of_care (physician_office or hospital_outpatient)"
    return DONE, f"place of service {pos[0]} ({pos[1]})"


def _facility_npi(case: Case, facts: FactsLike, today: date) -> tuple[Status, str]:
    npi = case.facility.npi
    if is_valid_npi(npi):
        return DONE, f"NPI {npi}"
    return MISSING, f"facility NPI {npi!r} fails the NPI check"


def _facility_tax_id(case: Case, facts: FactsLike, today: date) -> tuple[Status, str]:
    if case.facility.tax_id:
        return DONE, f"EIN {case.facility.tax_id}"
    return MISSING, "add facility.tax_id (CMS-1500 item 25)"


def _insured_only(rule: Rule) -> Rule:
    def wrapped(case: Case, facts: FactsLike, today: date) -> tuple[Status, str]:
        if _uninsured(case):
            return NA, "patient is uninsured: no claim to an insurer (see the PAP)"
        return rule(case, facts, today)

    return wrapped


CLAIM_RULES: dict[str, Rule] = {
    "member_id": _member_id,
    "payer_known": _payer_known,
    "pa_number_recorded": _pa_number,
    "pa_approved": _pa_approved,
    "diagnosis_on_label": _diagnosis_on_label,
    "codes_in_effect": _codes_in_effect,
    "claim_lines_valid": _insured_only(_claim_lines_valid),
    "chemo_admin_pairing": _insured_only(_chemo_pairing),
    "place_of_service": _place_of_service,
    "facility_npi": _facility_npi,
    "facility_tax_id": _insured_only(_facility_tax_id),
    "lmn_generated": _document("lmn", "Letter of Medical Necessity"),
}


def claim_checklist(case: Case, facts: FactsLike, today: date) -> list[ChecklistItem]:
    """The claim-filing checklist, each item marked from the case and what is on file."""
    return _run("claim", CLAIM_RULES, case, facts, today)


# ---------------------------------------------------------------- letter of appeal


def _norm(text: Any) -> str:
    return "".join(ch for ch in str(text or "") if ch.isalnum()).upper()


def _denial_rule(rule: Callable[[Case, Denial, date], tuple[Status, str]]) -> Rule:
    def wrapped(case: Case, facts: FactsLike, today: date) -> tuple[Status, str]:
        if facts.denial is None:
            return MISSING, "no denial on file: upload the denial letter first"
        return rule(case, facts.denial, today)

    return wrapped


def _denial_on_file(case: Case, denial: Denial, today: date) -> tuple[Status, str]:
    who = denial.payer_name or "the payer"
    when = f"dated {denial.letter_date}" if denial.letter_date else "with no date found"
    extra = " (flagged for review: check the parsed facts)" if denial.needs_review else ""
    return DONE, f"denial letter from {who}, {when}{extra}"


def _deadline(case: Case, denial: Denial, today: date) -> tuple[Status, str]:
    due = denial.appeal_deadline
    if due is None:
        return MISSING, "the denial states no appeal deadline: find it in the plan documents"
    basis = denial.appeal_deadline_basis or "basis not stated"
    left = (due - today).days
    if left < 0:
        return MISSING, f"deadline {due.isoformat()} passed {-left} day(s) ago ({basis})"
    return DONE, f"due {due.isoformat()}, {left} day(s) left ({basis})"


def _claim_number(case: Case, denial: Denial, today: date) -> tuple[Status, str]:
    claim, auth = denial.claim_number, denial.authorization_number
    if claim or auth:
        parts = [f"claim {claim}" if claim else "", f"authorization {auth}" if auth else ""]
        return DONE, ", ".join(p for p in parts if p)
    return MISSING, "the denial states no claim or authorization number: add it to the appeal"


def _member_match(case: Case, denial: Denial, today: date) -> tuple[Status, str]:
    on_letter, on_case = denial.member_id, case.coverage.member_id
    if not on_letter:
        return MISSING, "the denial states no member ID: check it against the case"
    if not on_case:
        return MISSING, f"the case has no member ID (denial says {on_letter})"
    if _norm(on_letter) == _norm(on_case):
        return DONE, f"member ID {on_case} matches"
    return MISSING, f"denial says {on_letter}, the case says {on_case}: wrong patient or plan?"


def _auth_match(case: Case, denial: Denial, today: date) -> tuple[Status, str]:
    on_letter, on_case = denial.authorization_number, case.prior_authorization.number
    if not on_letter:
        return NA, "the denial cites no authorization number"
    if not on_case:
        return MISSING, f"denial cites authorization {on_letter}; record it on the case's PA"
    if _norm(on_letter) == _norm(on_case):
        return DONE, f"authorization {on_case} matches"
    return MISSING, f"denial says {on_letter}, the case's PA number is {on_case}"


def _reason_text(reason: DenialReason) -> str:
    category = (reason.category or "other").replace("_", " ")
    carc = f" (CARC {reason.carc})" if reason.carc else ""
    return f"{category}{carc}"


def _reasons(case: Case, facts: FactsLike, today: date) -> tuple[Status, str]:
    denial = facts.denial
    if denial is None:
        return MISSING, "no denial on file"
    reasons = list(denial.reasons)
    if not reasons:
        reasons = [DenialReason(category=c) for c in denial.categories]
    if not reasons:
        return MISSING, "no denial reason identified: read the letter and record the reason"
    listed = "; ".join(_reason_text(r) for r in reasons)
    if "appeal" in facts.documents:
        return DONE, f"{len(reasons)} reason(s) answered in the appeal letter: {listed}"
    return MISSING, f"{len(reasons)} reason(s) to answer: {listed}"


def _pa_form_for_appeal(case: Case, facts: FactsLike, today: date) -> tuple[Status, str]:
    required, _ = _pa_required(case, facts)
    if required is False and case.prior_authorization.number is None:
        return NA, "no PA required"
    return _document("pa_form", "PA request form")(case, facts, today)


def _denial_copy(case: Case, denial: Denial, today: date) -> tuple[Status, str]:
    pages = denial.pages
    return DONE, f"copy of the denial letter ({pages or '?'} page(s)) from the parsed letter"


def _evidence(case: Case, facts: FactsLike, today: date) -> tuple[Status, str]:
    denial = facts.denial
    if denial is None:
        return MISSING, "no denial on file"
    categories = list(dict.fromkeys(denial.categories))
    library = load_evidence()
    answerable = [c for c in categories if c in library.categories]
    if not answerable:
        return NA, "these reasons are answered with facts (codes, dates, records), not literature"
    uncited = [c for c in answerable if not any(a.cites for a in library.arguments[c])]
    if uncited:
        return MISSING, f"no citation on file for: {', '.join(uncited)}"
    keys = {k for c in answerable for a in library.arguments[c] for k in a.cites}
    return DONE, f"{len(keys)} reference(s) in the evidence library for {', '.join(answerable)}"


APPEAL_RULES: dict[str, Rule] = {
    "denial_on_file": _denial_rule(_denial_on_file),
    "deadline": _denial_rule(_deadline),
    "claim_number": _denial_rule(_claim_number),
    "member_id_match": _denial_rule(_member_match),
    "authorization_match": _denial_rule(_auth_match),
    "reasons": _reasons,
    "appeal_letter": _document("appeal", "letter of appeal"),
    "lmn_generated": _document("lmn", "Letter of Medical Necessity"),
    "pa_form_generated": _pa_form_for_appeal,
    "denial_letter_copy": _denial_rule(_denial_copy),
    "clinical_records": _clinical_notes,
    "evidence_citations": _evidence,
}


def appeal_checklist(case: Case, facts: FactsLike, today: date) -> list[ChecklistItem]:
    """The letter-of-appeal checklist: what the packet must hold, marked from case and denial."""
    return _run("appeal", APPEAL_RULES, case, facts, today)
