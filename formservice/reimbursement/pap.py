"""Patient Assistance Program (PAP) decision: the seed's rules, each checked and explained.

A patient is eligible when every eligibility condition holds (US physical address, on-label
diagnosis, valid prescription, Buy & Bill facility), at least one automatic qualification holds
(AGI <= 600% FPL, or hardship: cost > 50% of household income) and at least one conditional
(coverage) path holds (no insurance, underinsured, scalp cooling not covered, PA finally denied).
Rules are three-valued: True, False or None (cannot tell yet); an undecided answer lists the
fields that would decide it. The rules themselves are in the :mod:`.pap_rules` package.

Errors: `errors.PapInputError` (422), a value no rule can use (negative income, a household of
0); it names the field.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from formservice.model import Case
from formservice.reimbursement import pap_rules as rules
from formservice.reimbursement.pap_rules import (
    HardshipCost,
    PapInputError,
    RuleResult,
    is_physical_address,
    is_valid_npi,
)

__all__ = [
    "HardshipCost",
    "PapDecision",
    "PapInputError",
    "RuleResult",
    "decide_pap",
    "input_limits",
    "is_physical_address",
    "is_valid_npi",
]


@dataclass(frozen=True, slots=True)
class PapDecision:
    """A PAP decision with every rule checked, the FPL numbers and what is missing."""

    eligible: bool | None
    basis: str
    reasons: list[RuleResult]
    fpl: dict[str, Any]
    missing: list[str]
    application_date: date
    application_date_assumed: bool
    decided_by: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The POST /pap/eligibility answer: eligible, basis, reasons, fpl and the details."""
        return {
            "eligible": self.eligible,
            "basis": self.basis,
            "reasons": [r.to_json() for r in self.reasons],
            "fpl": dict(self.fpl),
            "missing": list(self.missing),
            "decided_by": list(self.decided_by),
            "notes": list(self.notes),
            "application_date": self.application_date.isoformat(),
            "application_date_assumed": self.application_date_assumed,
        }


def input_limits() -> dict[str, int]:
    """Largest household size and income the rules accept (the schema should use the same)."""
    return {k: int(v) for k, v in rules.config()["input_limits"].items()}


def _number(value: Any, path: str, *, maximum: float, allow_none: bool = True) -> float | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PapInputError(path, f"must be a number, got {value!r}")
    if not math.isfinite(value) or value < 0:
        raise PapInputError(path, f"must be zero or more, got {value!r}")
    if value > maximum:
        raise PapInputError(
            path, f"{rules.usd(value)} is not a plausible amount (limit {rules.usd(maximum)})"
        )
    return float(value)


def _check_inputs(case: Case, cost: float | None) -> None:
    limits = input_limits()
    household = case.patient.household
    if household is not None:
        size = household.size
        if size is not None and (
            isinstance(size, bool)
            or not isinstance(size, int)
            or not 1 <= size <= limits["max_household_size"]
        ):
            raise PapInputError(
                "patient.household.size",
                f"must be a whole number from 1 to {limits['max_household_size']}, got {size!r}",
            )
        for name in ("annual_income", "adjusted_gross_income"):
            _number(
                getattr(household, name), f"patient.household.{name}", maximum=limits["max_income"]
            )
    if cost is not None:
        _number(cost, "cost", maximum=limits["max_income"])


# ---------------------------------------------------------------- combining


def _all(values: Iterable[bool | None]) -> bool | None:
    vals = list(values)
    return False if False in vals else (None if None in vals else True)


def _any(values: Iterable[bool | None]) -> bool | None:
    vals = list(values)
    return True if True in vals else (None if None in vals else False)


def _basis(eligible: bool | None, deciding: list[RuleResult], missing: list[str]) -> str:
    details = "; ".join(r.detail for r in deciding)
    if eligible:
        return f"Eligible: {details}; every eligibility condition is met."
    if eligible is False:
        return f"Not eligible: {details}."
    if missing:
        return f"Cannot decide yet: {details}. Needed: {', '.join(missing)}."
    return f"Cannot decide: {details}. Manual review needed."


def decide_pap(
    case: Case,
    *,
    application_date: date | None,
    cost: float | None = None,
    today: date,
    underinsured: bool | None = None,
    appeal_available: bool | None = None,
    out_of_pocket: float | None = None,
    product_price: tuple[float, str] | None = None,
) -> PapDecision:
    """Decide PAP eligibility for a case, listing every rule checked and the numbers used.

    The hardship test weighs, in this order (pap.yaml `hardship_cost_order`): ``cost`` given with
    the request; ``out_of_pocket``, the insured patient's estimated cost from the Summary of
    Benefits; ``product_price``, the hub's price and its source (setting
    FORMSERVICE_PAP_PRODUCT_PRICE). With none it cannot decide (never a payer's payment rate).
    ``underinsured`` is the benefits investigation's verdict when known; ``appeal_available``
    says whether the one appeal of a denied PA is still open (None: the hub gives one, so it is;
    False: no appeal is available, and the denial is final).
    """
    _check_inputs(case, cost)
    assumed = application_date is None
    applied = today if application_date is None else application_date
    notes = []
    if assumed:
        notes.append(
            f"No application date given: used today's date ({today.isoformat()}) "
            "to choose the poverty guideline year."
        )
    fpl = rules.empty_fpl()
    conditions = [
        rules.check_address(case),
        rules.check_diagnosis(case),
        rules.check_adult(case, applied),
        rules.check_prescription(case, today),
        rules.check_buy_and_bill(case),
    ]
    weighed = _hardship_cost(case, cost, out_of_pocket, product_price)
    automatic = [rules.check_income(case, applied, fpl), rules.check_hardship(case, weighed)]
    conditional = rules.check_coverage_paths(case, underinsured, appeal_available)
    eligible, deciding = _combine(conditions, automatic, conditional)
    missing = (
        list(dict.fromkeys(m for r in deciding for m in r.missing)) if eligible is None else []
    )
    basis = _basis(eligible, deciding, missing)
    if assumed:
        basis += f" (Application date assumed to be today, {today.isoformat()}.)"
    return PapDecision(
        eligible=eligible,
        basis=basis,
        reasons=conditions + automatic + conditional,
        fpl=fpl,
        missing=missing,
        application_date=applied,
        application_date_assumed=assumed,
        decided_by=[r.rule for r in deciding],
        notes=notes,
    )


def _hardship_cost(
    case: Case,
    cost: float | None,
    out_of_pocket: float | None,
    product_price: tuple[float, str] | None,
) -> HardshipCost | None:
    """The cost the hardship test weighs, first known of pap.yaml's `hardship_cost_order`."""
    known: dict[str, HardshipCost | None] = {
        "given": None if cost is None else HardshipCost(float(cost), "given", "the request"),
        "out_of_pocket": None
        if out_of_pocket is None or case.coverage.status != "insured"
        else HardshipCost(float(out_of_pocket), "out_of_pocket", "Summary of Benefits estimate"),
        "product_price": None
        if product_price is None
        else HardshipCost(float(product_price[0]), "product_price", product_price[1]),
    }
    for basis in rules.config()["hardship_cost_order"]:
        if known[basis] is not None:
            return known[basis]
    return None


def _combine(
    conditions: list[RuleResult], automatic: list[RuleResult], conditional: list[RuleResult]
) -> tuple[bool | None, list[RuleResult]]:
    """Eligible when all conditions, any automatic and any conditional rule pass; and the rules
    that decided it (those that passed, failed or could not tell, as the outcome was)."""
    groups = [
        (conditions, _all(r.passed for r in conditions), "all"),
        (automatic, _any(r.passed for r in automatic), "any"),
        (conditional, _any(r.passed for r in conditional), "any"),
    ]
    eligible = _all(g[1] for g in groups)
    deciding: list[RuleResult] = []
    for group, outcome, mode in groups:
        if eligible is True:
            # Conditions all passed; name the automatic and conditional rules that passed.
            deciding += [r for r in group if r.passed] if mode == "any" else []
        elif eligible is False and outcome is False:
            deciding += [r for r in group if r.passed is False]
        elif eligible is None and outcome is None:
            deciding += [r for r in group if r.passed is None]
    return eligible, deciding
