"""The PAP automatic qualifications (either one): household income within 600% of the HHS poverty
guideline, or hardship (the product costs more than half the household income)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from formservice.errors import PapInputError
from formservice.model import Case
from formservice.reimbursement import load_data, poverty
from formservice.reimbursement.money import usd
from formservice.reimbursement.pap_rules.result import RuleResult

__all__ = ["check_hardship", "check_income", "config", "empty_fpl"]

_INCOME_RULE = "automatic.income_600_fpl"


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
            percent_of_fpl=round(gross / g.amount * 100, 1),
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
    percent = round(agi / g.amount * 100, 1)
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


def check_hardship(case: Case, cost: float | None) -> RuleResult:
    """Automatic: hardship waiver when the product cost is more than 50% of household income."""
    rule = "automatic.hardship"
    params = config()
    share = Decimal(str(params["hardship_share"]))
    if cost is None:
        cost_value, cost_source = (
            float(params["product_cost"]["amount"]),
            str(params["product_cost"]["source"]),
        )
    else:
        cost_value, cost_source = float(cost), "given with the request"
    household = case.patient.household
    income, income_field = None, None
    if household is not None:
        for name in ("annual_income", "adjusted_gross_income"):
            if getattr(household, name) is not None:
                income, income_field = getattr(household, name), f"patient.household.{name}"
                break
    numbers: dict[str, Any] = {
        "cost": cost_value,
        "cost_source": cost_source,
        "share": float(share),
    }
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
    passed = Decimal(str(cost_value)) > threshold
    relation = "more than" if passed else "not more than"
    return RuleResult(
        rule,
        passed,
        f"cost {usd(cost_value)} is {relation} {float(share) * 100:g}% of household income "
        f"{usd(income)} ({usd(threshold)})",
        numbers,
    )
