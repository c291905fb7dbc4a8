"""The PAP automatic qualifications (either one): household income within 600% of the HHS poverty
guideline, or hardship (the product costs more than half the household income)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any, Literal

from formservice.errors import PapInputError
from formservice.model import Case
from formservice.reimbursement import load_data, poverty
from formservice.reimbursement.money import usd
from formservice.reimbursement.pap_rules.result import RuleResult

__all__ = ["HardshipCost", "check_hardship", "check_income", "config", "empty_fpl"]

_INCOME_RULE = "automatic.income_600_fpl"


@dataclass(frozen=True, slots=True)
class HardshipCost:
    """The cost the hardship test weighs, and which one it is.

    `basis`: "given" (with the request), "out_of_pocket" (the patient's estimated cost from the
    Summary of Benefits) or "product_price" (the hub's price, a setting with its source).
    """

    amount: float
    basis: Literal["given", "out_of_pocket", "product_price"]
    source: str

    @property
    def label(self) -> str:
        """How the decision names the cost."""
        return {
            "given": "cost given with the request",
            "out_of_pocket": "the patient's estimated out-of-pocket cost (Summary of Benefits)",
            "product_price": f"the product price ({self.source})",
        }[self.basis]


def config() -> dict[str, Any]:
    """The PAP parameters of data/pap.yaml (FPL multiple, hardship share, product cost)."""
    data: dict[str, Any] = load_data("pap.yaml")
    return data


def empty_fpl() -> dict[str, Any]:
    """The `fpl` answer with every key present and unknown."""
    keys = (
        "year",
        "region",
        "household_size",
        "guideline",
        "multiple",
        "limit",
        "income",
        "income_field",
        "percent_of_fpl",
        "effective",
        "source",
        "verified",
    )
    return dict.fromkeys(keys)


def check_income(case: Case, application_date: date, fpl: dict[str, Any]) -> RuleResult:
    """Automatic: AGI <= 600% of the HHS guideline in force on the application date.

    Fills `fpl` (see `empty_fpl`) with the guideline, the limit and the income compared.
    """
    multiple = int(config()["fpl_multiple"])
    fpl["multiple"] = multiple
    household = case.patient.household
    size = household.size if household else None
    address = case.patient.address
    if size is None or address is None:
        missing = tuple(
            p
            for p, v in (("patient.household.size", size), ("patient.address.state", address))
            if v is None
        )
        return RuleResult(
            _INCOME_RULE, None, "cannot compute the poverty guideline", missing=missing
        )
    try:
        g = _guideline(application_date, address.state, size)
    except poverty.RegionNotCoveredError as exc:
        return RuleResult(_INCOME_RULE, None, f"{exc}: the hub must assess income manually")
    limit = g.amount * multiple
    fpl.update(
        year=g.year,
        region=g.region,
        household_size=size,
        guideline=g.amount,
        limit=limit,
        effective=g.effective.isoformat(),
        source=g.source,
        verified=g.verified,
    )
    agi = household.adjusted_gross_income if household else None
    gross = household.annual_income if household else None
    place = poverty.region_label(g.region)
    where = f"the {g.year} HHS guideline for {size} in {place} ({usd(g.amount)})"
    numbers: dict[str, Any] = {
        "year": g.year,
        "region": g.region,
        "household_size": size,
        "guideline": g.amount,
        "multiple": multiple,
        "limit": limit,
    }
    if agi is None:
        return _income_without_agi(gross, g, where, numbers, fpl)
    return _income_by_agi(agi, g, where, numbers, fpl)


def _guideline(application_date: date, state: str, size: int) -> poverty.FplGuideline:
    """The guideline in force on the application date (a date before every table is bad input)."""
    try:
        year = poverty.guideline_year(application_date)
    except poverty.NoGuidelineError as exc:
        raise PapInputError("application_date", str(exc)) from exc
    return poverty.guideline(year, state, size)


def percent_of_guideline(income: Any, guideline: Any, limit: Any) -> float:
    """Income as a percent of the guideline, to 0.1, never shown on the wrong side of the limit.

    Plain rounding shows $198,001 against a $198,000 limit as "600.0%", which reads as within
    the limit while the rule says over. Near the limit the percent is rounded away from it (up
    when over, down when within); elsewhere it is rounded half-up as usual.
    """
    exact = Decimal(str(income)) / Decimal(str(guideline)) * 100
    limit_percent = Decimal(str(limit)) / Decimal(str(guideline)) * 100
    shown = exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    over = Decimal(str(income)) > Decimal(str(limit))
    if over and shown <= limit_percent:
        shown = exact.quantize(Decimal("0.1"), rounding=ROUND_CEILING)
    elif not over and shown >= limit_percent and exact < limit_percent:
        shown = exact.quantize(Decimal("0.1"), rounding=ROUND_FLOOR)
    return float(shown)


def _income_without_agi(
    gross: Any,
    g: poverty.FplGuideline,
    where: str,
    numbers: dict[str, Any],
    fpl: dict[str, Any],
) -> RuleResult:
    """No AGI: a gross income under the limit still decides, as AGI cannot exceed it."""
    multiple, limit = numbers["multiple"], numbers["limit"]
    if gross is not None and Decimal(str(gross)) <= limit:
        # AGI is gross income less adjustments: it cannot exceed a gross income under the limit.
        fpl.update(
            income=gross,
            income_field="patient.household.annual_income",
            percent_of_fpl=percent_of_guideline(gross, g.amount, limit),
        )
        return RuleResult(
            _INCOME_RULE,
            True,
            f"AGI not given, but household income {usd(gross)} is within {multiple * 100}% of "
            f"{where} = {usd(limit)}, and AGI cannot exceed it",
            {**numbers, "income": gross, "income_field": "patient.household.annual_income"},
        )
    return RuleResult(
        _INCOME_RULE,
        None,
        f"adjusted gross income not given (limit {usd(limit)})",
        numbers,
        missing=("patient.household.adjusted_gross_income",),
    )


def _income_by_agi(
    agi: Any,
    g: poverty.FplGuideline,
    where: str,
    numbers: dict[str, Any],
    fpl: dict[str, Any],
) -> RuleResult:
    """AGI compared with the limit, and its percent of the guideline."""
    multiple, limit = numbers["multiple"], numbers["limit"]
    percent = percent_of_guideline(agi, g.amount, limit)
    fpl.update(
        income=agi, income_field="patient.household.adjusted_gross_income", percent_of_fpl=percent
    )
    numbers |= {
        "income": agi,
        "income_field": "patient.household.adjusted_gross_income",
        "percent_of_fpl": percent,
    }
    passed = Decimal(str(agi)) <= limit
    verdict = "within" if passed else "over"
    return RuleResult(
        _INCOME_RULE,
        passed,
        f"AGI {usd(agi)} is {percent}% of {where}: {verdict} the {multiple * 100}% limit "
        f"of {usd(limit)}",
        numbers,
    )


def check_hardship(case: Case, cost: HardshipCost | None) -> RuleResult:
    """Automatic: hardship waiver when the cost is more than 50% of household income.

    `cost` is the cost to weigh and which one it is (`HardshipCost`); None when no cost is known
    (no out-of-pocket estimate, no product price configured): the rule cannot decide then.
    """
    rule = "automatic.hardship"
    share = Decimal(str(config()["hardship_share"]))
    numbers: dict[str, Any] = {"share": float(share)}
    if cost is None:
        return RuleResult(
            rule,
            None,
            "no cost to weigh: neither an out-of-pocket estimate (Summary of Benefits) nor the "
            "hub's product price is on file",
            numbers,
            missing=("product_price",),
        )
    numbers |= {"cost": cost.amount, "cost_basis": cost.basis, "cost_source": cost.source}
    household = case.patient.household
    income, income_field = None, None
    if household is not None:
        for name in ("annual_income", "adjusted_gross_income"):
            if getattr(household, name) is not None:
                income, income_field = getattr(household, name), f"patient.household.{name}"
                break
    if income is None:
        return RuleResult(
            rule,
            None,
            "household income not given",
            numbers,
            missing=("patient.household.annual_income",),
        )
    threshold = share * Decimal(str(income))
    numbers |= {"income": income, "income_field": income_field, "threshold": float(threshold)}
    passed = Decimal(str(cost.amount)) > threshold
    relation = "more than" if passed else "not more than"
    return RuleResult(
        rule,
        passed,
        f"{cost.label}, {usd(cost.amount)}, is {relation} {float(share) * 100:g}% of household "
        f"income {usd(income)} ({usd(threshold)})",
        numbers,
    )
