"""The PAP rules one by one: each takes the case and returns a RuleResult that explains itself.

:mod:`formservice.reimbursement.pap` combines them into a decision.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from formservice.errors import PapInputError
from formservice.model import Address, Case
from formservice.reimbursement import codes, load_data, poverty

__all__ = [
    "PapInputError",
    "RuleResult",
    "check_address",
    "check_buy_and_bill",
    "check_coverage_paths",
    "check_diagnosis",
    "check_hardship",
    "check_income",
    "check_prescription",
    "config",
    "empty_fpl",
    "is_physical_address",
    "is_valid_npi",
    "usd",
]


@dataclass(frozen=True, slots=True)
class RuleResult:
    """The outcome of one PAP rule: passed (or None), why, and the numbers used."""

    rule: str
    passed: bool | None
    detail: str
    numbers: dict[str, Any] = field(default_factory=dict)
    missing: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return {
            "rule": self.rule,
            "passed": self.passed,
            "detail": self.detail,
            "numbers": dict(self.numbers),
            "missing": list(self.missing),
        }


def config() -> dict[str, Any]:
    """The PAP parameters of data/pap.yaml (FPL multiple, hardship share, product cost)."""
    data: dict[str, Any] = load_data("pap.yaml")
    return data


def usd(value: float | Decimal) -> str:
    """Dollars as text: $61,000 or $1,750.50."""
    amount = float(value)
    return f"${amount:,.0f}" if amount == int(amount) else f"${amount:,.2f}"


# ---------------------------------------------------------------- small checks


def is_valid_npi(npi: str | None) -> bool:
    """Whether an NPI is 10 digits with a valid Luhn check digit over '80840' + the NPI."""
    if not npi or len(npi) != 10 or not npi.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed("80840" + npi)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


# Mail-only delivery points: PO boxes, private mailboxes, general delivery.
_POSTAL_ONLY = re.compile(
    r"\b(?:p\.?\s*o\.?\s*(?:box|drawer)|post\s*office\s*(?:box|drawer)|pob|pmb|general\s+delivery)\b"
    r"|^\s*box\s*#?\s*\d",
    re.IGNORECASE,
)
_STREET = re.compile(r"^\s*\d+[a-z]?\s+\S", re.IGNORECASE)


def is_physical_address(address: Address) -> bool:
    """False when the address is only a PO box (or other mail-only point), True otherwise."""
    line1 = address.line1 or ""
    if not line1.strip():
        return False
    if not _POSTAL_ONLY.search(line1):
        return True
    # "PO Box 12" on line 1 still counts when line 2 gives a street address.
    line2 = address.line2 or ""
    return bool(_STREET.match(line2)) and not _POSTAL_ONLY.search(line2)


# ---------------------------------------------------------------- eligibility conditions


def check_address(case: Case) -> RuleResult:
    """Condition: the patient lives in the US at a physical address (a PO box alone is not)."""
    rule = "condition.us_physical_address"
    address = case.patient.address
    if address is None:
        return RuleResult(rule, None, "no patient address given", missing=("patient.address",))
    fpl = load_data("fpl.yaml")
    us_codes = {s for spec in fpl["regions"].values() for s in spec["states"]} | set(
        fpl["not_covered"]
    )
    state = (address.state or "").strip().upper()
    if state not in us_codes:
        return RuleResult(
            rule, False, f"state {address.state!r} is not a US state, DC or territory"
        )
    if not is_physical_address(address):
        return RuleResult(
            rule,
            False,
            f"'{address.line1}' is a PO box or mail-only address; a physical US address "
            "is required",
        )
    return RuleResult(rule, True, f"physical US address in {state}")


def check_diagnosis(case: Case) -> RuleResult:
    """Condition: an on-label (solid tumor) diagnosis, and no off-label one."""
    rule = "condition.on_label_diagnosis"
    classes = [codes.classify_diagnosis(d.code) for d in case.diagnoses]
    numbers = {"diagnoses": {c.code: c.label for c in classes}}
    off = [c for c in classes if c.label == "off_label"]
    on = [c for c in classes if c.label in ("on_label", "payer_narrow")]
    if off:
        return RuleResult(rule, False, "; ".join(f"{c.code}: {c.reason}" for c in off), numbers)
    if on:
        best = next((c for c in on if c.label == "on_label"), on[0])
        return RuleResult(rule, True, f"{best.code}: {best.reason}", numbers)
    history = [c for c in classes if c.label == "history"]
    if history:
        return RuleResult(rule, False, "; ".join(f"{c.code}: {c.reason}" for c in history), numbers)
    return RuleResult(
        rule,
        None,
        "no diagnosis the on-label table recognises: "
        + "; ".join(f"{c.code}: {c.reason}" for c in classes),
        numbers,
        missing=("diagnoses",),
    )


def check_prescription(case: Case, today: date) -> RuleResult:
    """Condition: a dated prescription from the case's prescriber, whose NPI is valid."""
    rule = "condition.valid_prescription"
    rx = case.prescription
    if rx is None or rx.date is None:
        return RuleResult(
            rule, None, "no dated prescription on the case", missing=("prescription.date",)
        )
    npi = case.prescriber.npi
    if not is_valid_npi(npi):
        return RuleResult(
            rule, False, f"prescriber NPI {npi!r} is not a valid NPI (10 digits, Luhn check)"
        )
    if rx.prescriber_npi and rx.prescriber_npi != npi:
        return RuleResult(
            rule,
            False,
            f"prescription is from NPI {rx.prescriber_npi}, not the case's prescriber ({npi})",
        )
    if rx.date > today:
        return RuleResult(
            rule, False, f"prescription is dated in the future ({rx.date.isoformat()})"
        )
    return RuleResult(
        rule,
        True,
        f"prescription dated {rx.date.isoformat()} by {case.prescriber.full_name} "
        f"(NPI {npi}, valid)",
    )


def check_buy_and_bill(case: Case) -> RuleResult:
    """Condition: the facility is contracted under Buy & Bill."""
    rule = "condition.buy_and_bill_facility"
    flag = case.facility.buy_and_bill
    if flag is None:
        return RuleResult(
            rule,
            None,
            "not known whether the facility is contracted under Buy & Bill",
            missing=("facility.buy_and_bill",),
        )
    if not flag:
        return RuleResult(
            rule,
            False,
            f"{case.facility.name} is not contracted under Buy & Bill; the PAP is only for "
            "such facilities",
        )
    return RuleResult(rule, True, f"{case.facility.name} is contracted under Buy & Bill")


# ---------------------------------------------------------------- automatic qualification


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
    """Automatic: AGI <= 600% of the HHS guideline in force on the application date."""
    rule = "automatic.income_600_fpl"
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
        return RuleResult(rule, None, "cannot compute the poverty guideline", missing=missing)
    try:
        year = poverty.guideline_year(application_date)
    except poverty.NoGuidelineError as exc:
        raise PapInputError("application_date", str(exc)) from exc
    try:
        g = poverty.guideline(year, address.state, size)
    except poverty.RegionNotCoveredError as exc:
        return RuleResult(rule, None, f"{exc}: the hub must assess income manually")
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
        if gross is not None and Decimal(str(gross)) <= limit:
            # AGI is gross income less adjustments: it cannot exceed a gross income under the limit.
            fpl.update(
                income=gross,
                income_field="patient.household.annual_income",
                percent_of_fpl=round(gross / g.amount * 100, 1),
            )
            return RuleResult(
                rule,
                True,
                f"AGI not given, but household income {usd(gross)} is within {multiple * 100}% of "
                f"{where} = {usd(limit)}, and AGI cannot exceed it",
                {**numbers, "income": gross, "income_field": "patient.household.annual_income"},
            )
        return RuleResult(
            rule,
            None,
            f"adjusted gross income not given (limit {usd(limit)})",
            numbers,
            missing=("patient.household.adjusted_gross_income",),
        )
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
        rule,
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


# ---------------------------------------------------------------- conditional (coverage) paths


def check_coverage_paths(
    case: Case, underinsured: bool | None, appeal_available: bool | None
) -> list[RuleResult]:
    """Conditional: the four coverage situations of the seed, each checked."""
    insured = case.coverage.status == "insured"
    covered = case.coverage.scalp_cooling_covered
    status = case.prior_authorization.status
    results = [
        RuleResult(
            "conditional.no_insurance",
            not insured,
            "patient has no health insurance" if not insured else "patient is insured",
        ),
    ]
    if not insured:
        results.append(
            RuleResult("conditional.underinsured", False, "not insured (see no_insurance)")
        )
    elif underinsured is None:
        results.append(
            RuleResult(
                "conditional.underinsured",
                None,
                "whether the coverage is enough is not known (benefits investigation)",
                missing=("benefits_investigation.underinsured",),
            )
        )
    else:
        results.append(
            RuleResult(
                "conditional.underinsured",
                underinsured,
                "benefits investigation: coverage is not enough"
                if underinsured
                else "benefits investigation: coverage is enough",
            )
        )
    if not insured:
        results.append(
            RuleResult("conditional.not_covered", False, "not insured (see no_insurance)")
        )
    elif covered is None:
        results.append(
            RuleResult(
                "conditional.not_covered",
                None,
                "not known whether the plan covers scalp cooling",
                missing=("coverage.scalp_cooling_covered",),
            )
        )
    else:
        results.append(
            RuleResult(
                "conditional.not_covered",
                not covered,
                "insured, but the plan does not cover scalp cooling"
                if not covered
                else "the plan covers scalp cooling",
            )
        )
    rule = "conditional.pa_denied_final"
    if status == "appeal_denied":
        results.append(RuleResult(rule, True, "PA denied and the first appeal denied"))
    elif status == "denied" and appeal_available is True:
        results.append(RuleResult(rule, False, "PA denied but the one appeal is still available"))
    elif status == "denied":
        results.append(RuleResult(rule, True, "PA denied with no appeal available or on file"))
    else:
        results.append(RuleResult(rule, False, f"PA status is {status!r}, not a final denial"))
    return results
