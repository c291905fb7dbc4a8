"""Which documents apply to a case, and why: the rules of data/applicability.yaml, evaluated.

`plan_for(case, facts)` gives a `Plan`: every document kind (and every payer PA form) that applies,
with the sentence saying why; every one that does not, with the rule id, the sentence and its
source; what to fill in when a fact a rule needs is missing (never a guess); the ABN advice
(`abn.py`) and warnings. `check_document(case, facts, kind, form)` gives the `PlanEntry` that
refuses one document, or None when it applies.

Sources: 28 TAC §19.1810 (Texas standard PA form), CMS Pub. 100-04 ch. 30 (ABN), payers.yaml
(Medicare fee-for-service has no PA for 0662T/0663T), FDA K173032 (solid tumours), each rule's
`source` in the YAML.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from formservice.model import Case, CaseFacts
from formservice.reimbursement import codes, load_data
from formservice.reimbursement.abn import AbnAdvice, abn_advice, effective_plan_type
from formservice.reimbursement.benefits import payer_facts
from formservice.reimbursement.claim_form import facility_claim_rule

__all__ = [
    "Plan",
    "PlanEntry",
    "PlanRule",
    "check_document",
    "known_documents",
    "plan_for",
    "rules",
]


@dataclass(frozen=True, slots=True)
class PlanRule:
    """One rule of applicability.yaml: the documents it can refuse and when."""

    id: str
    when: str
    kinds: tuple[str, ...]
    why: str
    source: str
    forms: tuple[str, ...] = ()
    overridable: bool = False
    params: dict[str, Any] = field(default_factory=dict)

    def covers(self, kind: str, form: str | None) -> bool:
        """Whether the rule speaks about this kind (and form)."""
        return kind in self.kinds and (not self.forms or form in self.forms)


@dataclass(frozen=True, slots=True)
class PlanEntry:
    """A document of the plan: kind, form, why; for one that does not apply, the rule."""

    kind: str
    form: str | None
    why: str
    rule: str | None = None
    source: str | None = None
    overridable: bool = False
    fill_in: tuple[str, ...] = ()
    field: str | None = None  # the case field a refusal points at, when one does

    def to_json(self) -> dict[str, Any]:
        """CONTRACT.md §2 (`kind`, `form`, `why`, and `rule` when it does not apply) + details."""
        out: dict[str, Any] = {"kind": self.kind, "form": self.form, "why": self.why}
        if self.rule is not None:
            out |= {"rule": self.rule, "source": self.source, "overridable": self.overridable}
            if self.fill_in:
                out["fill_in"] = list(self.fill_in)
        return out


@dataclass(frozen=True, slots=True)
class Plan:
    """The documents that apply and those that don't, what to fill in, the ABN advice."""

    applies: list[PlanEntry]
    not_applicable: list[PlanEntry]
    fill_in: dict[str, str]
    abn: AbnAdvice
    warnings: list[str]

    def to_json(self) -> dict[str, Any]:
        """The plan as GET /cases/{id}/plan and `formservice plan` print it."""
        return {
            "applies": [e.to_json() for e in self.applies],
            "not_applicable": [e.to_json() for e in self.not_applicable],
            "fill_in": [{"field": k, "why": v} for k, v in self.fill_in.items()],
            "abn": self.abn.to_json(),
            "warnings": list(self.warnings),
        }


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    data: dict[str, Any] = load_data("applicability.yaml")
    return data


_KEYS = {"id", "when", "kinds", "why", "source", "forms", "overridable"}


@lru_cache(maxsize=1)
def rules() -> tuple[PlanRule, ...]:
    """Every rule of applicability.yaml, in file order (the first that refuses is reported)."""
    return tuple(
        PlanRule(
            id=str(raw["id"]),
            when=str(raw["when"]),
            kinds=tuple(raw["kinds"]),
            why=str(raw["why"]),
            source=str(raw["source"]),
            forms=tuple(raw.get("forms") or ()),
            overridable=bool(raw.get("overridable", False)),
            params={k: v for k, v in raw.items() if k not in _KEYS},
        )
        for raw in _data()["rules"]
    )


def known_documents() -> tuple[tuple[str, str | None, str], ...]:
    """(kind, form, why it applies) for every document of applicability.yaml, in order."""
    return tuple((str(d["kind"]), d.get("form"), str(d["why"])) for d in _data()["documents"])


# ---------------------------------------------------------------- conditions
# Each answers: does the rule refuse the document for this case? True (refuses), False (does
# not), or the fields whose absence keeps it from deciding.

Verdict = bool | tuple[str, ...]
Condition = Callable[[PlanRule, Case, CaseFacts], Verdict]


def _uninsured(rule: PlanRule, case: Case, facts: CaseFacts) -> Verdict:
    return case.coverage.status != "insured"


def _plan_type_in(rule: PlanRule, case: Case, facts: CaseFacts) -> Verdict:
    if case.coverage.status != "insured":
        return False
    plan_type, _ = effective_plan_type(case, facts.benefits)
    if plan_type is None:
        return ("coverage.payer.plan_type",)
    return plan_type in rule.params["plan_types"]


def _pa_not_required(rule: PlanRule, case: Case, facts: CaseFacts) -> Verdict:
    if case.coverage.status != "insured":
        return False
    return payer_facts(case, facts.benefits).pa_required is False


def _state(case: Case) -> str | None:
    for address in (case.patient.address, case.facility.address):
        if address is not None and address.state:
            return address.state.strip().upper()
    return None


def _outside_jurisdiction(rule: PlanRule, case: Case, facts: CaseFacts) -> Verdict:
    if case.coverage.status != "insured":
        return False
    plan_type, _ = effective_plan_type(case, facts.benefits)
    if plan_type is not None and plan_type not in rule.params["plan_types"]:
        return True  # federal or self-funded plans are outside any state's form rule
    state = _state(case)
    missing = tuple(
        f
        for f, v in (("coverage.payer.plan_type", plan_type), ("patient.address.state", state))
        if v is None
    )
    if state is not None and state not in rule.params["states"]:
        return True
    return missing or False


def _norm(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


def _payer_not(rule: PlanRule, case: Case, facts: CaseFacts) -> Verdict:
    payer = case.coverage.payer
    if case.coverage.status != "insured":
        return True
    if payer is None:
        return ("coverage.payer",)
    ids = {str(i).upper() for i in rule.params.get("payer_ids", ())}
    names = {_norm(n) for n in rule.params.get("payer_names", ())}
    same = (payer.payer_id or "").strip().upper() in ids or _norm(payer.name) in names
    return not same


def _off_label(rule: PlanRule, case: Case, facts: CaseFacts) -> Verdict:
    return any(codes.classify_diagnosis(d.code).label == "off_label" for d in case.diagnoses)


def _abn_not_medicare_ffs(rule: PlanRule, case: Case, facts: CaseFacts) -> Verdict:
    if case.coverage.status != "insured":
        return True
    plan_type, _ = effective_plan_type(case, facts.benefits)
    if plan_type is None:
        return ("coverage.payer.plan_type",)
    return plan_type != "medicare_ffs"


def _abn_coverage_expected(rule: PlanRule, case: Case, facts: CaseFacts) -> Verdict:
    return abn_advice(case, facts).required is False


def _needs_denial(rule: PlanRule, case: Case, facts: CaseFacts) -> Verdict:
    return facts.denial is None


def _needs_benefits(rule: PlanRule, case: Case, facts: CaseFacts) -> Verdict:
    return facts.benefits is None


def _codes_detail(case: Case) -> str:
    """Why no code applies on the start date, as codes.py says it (with the first code date)."""
    try:
        codes.codes_in_effect(case.treatment.start_date or date.min)
    except codes.CodeNotInEffect as exc:
        return str(exc)
    return ""


def _facility_claim(rule: PlanRule, case: Case, facts: CaseFacts) -> Verdict:
    # The same test the claim itself refuses on (claim_form.facility_claim_rule), so the plan
    # never lists a CMS-1500 that would then be a 422.
    return facility_claim_rule(case) is not None


def _before_codes(rule: PlanRule, case: Case, facts: CaseFacts) -> Verdict:
    start = case.treatment.start_date
    if start is None:
        return False  # the checklists ask for it; nothing here depends on a guess
    try:
        codes.codes_in_effect(start)
    except codes.CodeNotInEffect:
        return True
    return False


CONDITIONS: dict[str, Condition] = {
    "uninsured": _uninsured,
    "plan_type_in": _plan_type_in,
    "pa_not_required": _pa_not_required,
    "outside_jurisdiction": _outside_jurisdiction,
    "payer_not": _payer_not,
    "off_label": _off_label,
    "abn_not_medicare_ffs": _abn_not_medicare_ffs,
    "abn_coverage_expected": _abn_coverage_expected,
    "needs_denial": _needs_denial,
    "needs_benefits": _needs_benefits,
    "before_codes": _before_codes,
    "facility_claim": _facility_claim,
}


def _fill_in_text() -> dict[str, str]:
    return {str(k): str(v) for k, v in _data()["fill_in"].items()}


def check_document(
    case: Case, facts: CaseFacts, kind: str, form: str | None = None
) -> PlanEntry | None:
    """The entry refusing one document (the first rule that refuses it), or None if it applies.

    A rule that cannot decide for want of a fact refuses too, naming the fields to fill in
    (`PlanEntry.fill_in`): the document is not made on a guess.
    """
    undecided: PlanEntry | None = None
    for rule in rules():
        if not rule.covers(kind, form):
            continue
        verdict = CONDITIONS[rule.when](rule, case, facts)
        if verdict is True:
            why = rule.why
            if rule.when == "before_codes":
                why = f"{why} ({_codes_detail(case)})"
            return PlanEntry(
                kind,
                form,
                why,
                rule.id,
                rule.source,
                rule.overridable,
                field=rule.params.get("field"),
            )
        if isinstance(verdict, tuple) and verdict and undecided is None:
            wanted = _fill_in_text()
            asks = " ".join(wanted.get(f, f"Fill in {f}.") for f in verdict)
            undecided = PlanEntry(
                kind,
                form,
                f"Cannot tell yet whether this applies. {asks}",
                f"{rule.id}.undecided",
                rule.source,
                False,
                verdict,
            )
    return undecided


def plan_for(case: Case, facts: CaseFacts, today: date) -> Plan:
    """Every document of applicability.yaml, sorted into applies and not_applicable, with why."""
    applies: list[PlanEntry] = []
    refused: list[PlanEntry] = []
    fill: dict[str, str] = {}
    wanted = _fill_in_text()
    for kind, form, why in known_documents():
        entry = check_document(case, facts, kind, form)
        if entry is None:
            applies.append(PlanEntry(kind, form, _why_applies(kind, why, case, facts)))
            continue
        refused.append(entry)
        for f in entry.fill_in:
            fill[f] = wanted.get(f, f"Fill in {f}.")
    insured = case.coverage.status == "insured"
    payer = case.coverage.payer
    if insured and payer is None:
        fill.setdefault("coverage.payer", wanted["coverage.payer"])
    if insured and effective_plan_type(case, facts.benefits)[0] is None:
        fill.setdefault("coverage.payer.plan_type", wanted["coverage.payer.plan_type"])
    warnings = _warnings(case, facts, today)
    return Plan(applies, refused, fill, abn_advice(case, facts), warnings)


def _why_applies(kind: str, why: str, case: Case, facts: CaseFacts) -> str:
    """The applies sentence, sharpened for the Medicare fee-for-service pathway."""
    plan_type, _ = effective_plan_type(case, facts.benefits)
    if plan_type == "medicare_ffs" and kind == "lmn":
        return (
            "Original Medicare has no prior authorization: the letter documents medical "
            "necessity for the claim and is kept in the record."
        )
    if kind == "pa_checklist":
        found = payer_facts(case, facts.benefits)
        if found.pa_required is None:
            return "Whether the payer requires prior authorization is not known yet: ask it."
    return why


def _warnings(case: Case, facts: CaseFacts, today: date) -> list[str]:
    out = []
    start = case.treatment.start_date
    if start is not None and start < today and case.coverage.status == "insured":
        status = case.prior_authorization.status
        if status in ("not_submitted", "required"):
            out.append(
                f"Treatment started on {start.isoformat()}, before today and with no "
                "authorization requested: any request is now retroactive."
            )
    advice = abn_advice(case, facts)
    if advice.required and not advice.issued:
        out.append("Give the patient an ABN (CMS-R-131) before the first session.")
    return out
