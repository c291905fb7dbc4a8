"""First-level appeal deadlines: the one formula, used by the denial parser, PA tracking and the
checklists (rules in ``data/appeal_deadlines.yaml``, DOMAIN.md §5).

A deadline counts ``days`` (or calendar months or years, as a letter may state it: "within six
months", "one year") from the notice date, or from its receipt when the rule (or the letter)
counts from receipt; receipt is presumed ``receipt_presumption_days`` after the notice date where
the rule for that plan type says so (Medicare fee-for-service: 5 days, 42 CFR 405.942(a)), and is
otherwise taken as the notice date itself, which gives the earliest, safe deadline.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from formservice.reimbursement import load_data

__all__ = [
    "AppealDeadline",
    "DeadlineRule",
    "deadline_rule",
    "plan_rule_deadline",
    "plan_types",
    "receipt_presumption",
    "stated_days_deadline",
    "stated_period_deadline",
]

UNITS = ("days", "months", "years")

# The case and the denial JSON say "medicaid" (CONTRACT.md §1); the rule for a Medicaid plan's
# first-level appeal is the managed-care plan appeal (42 CFR 438.402).
_RULE_NAMES = {"medicaid": "medicaid_managed_care"}


@dataclass(frozen=True)
class DeadlineRule:
    """A plan type's first-level appeal window (DOMAIN.md §5)."""

    plan_type: str
    label: str
    days: int
    count_from: str  # notice | receipt
    receipt_presumption_days: int
    source: str
    effective_from: date


@dataclass(frozen=True)
class AppealDeadline:
    """A computed deadline, the days counted, the presumed receipt delay and the rule used."""

    deadline: date
    days: int
    presumed_receipt_days: int
    rule: DeadlineRule | None


@cache
def _rules() -> dict[str, tuple[DeadlineRule, ...]]:
    raw = load_data("appeal_deadlines.yaml")
    out = {}
    for plan, item in raw["plan_types"].items():
        rules = [
            DeadlineRule(
                plan_type=plan,
                label=item["label"],
                days=int(rule["days"]),
                count_from=rule["count_from"],
                receipt_presumption_days=int(rule["receipt_presumption_days"]),
                source=rule["source"],
                effective_from=date.fromisoformat(str(rule["effective_from"])),
            )
            for rule in item["rules"]
        ]
        out[plan] = tuple(sorted(rules, key=lambda r: r.effective_from))
    return out


def deadline_rule(plan_type: str, on: date) -> DeadlineRule | None:
    """The appeal-window rule of a plan type in force on a date, if any."""
    name = _RULE_NAMES.get(plan_type, plan_type)
    rules = [r for r in _rules().get(name, ()) if r.effective_from <= on]
    return rules[-1] if rules else None


def plan_types() -> tuple[str, ...]:
    """Every plan type that has an appeal rule."""
    return tuple(_rules())


def receipt_presumption(plan_type: str | None, notice: date) -> int:
    """Days after the notice date that receipt is presumed, by the plan type's rule (else 0)."""
    rule = deadline_rule(plan_type, notice) if plan_type else None
    return rule.receipt_presumption_days if rule else 0


def stated_days_deadline(
    notice: date, days: int, *, from_receipt: bool, plan_type: str | None
) -> AppealDeadline:
    """The deadline of a letter that states "within N days" of the notice or of its receipt."""
    return stated_period_deadline(
        notice, days, "days", from_receipt=from_receipt, plan_type=plan_type
    )


def stated_period_deadline(
    notice: date, amount: int, unit: str, *, from_receipt: bool, plan_type: str | None
) -> AppealDeadline:
    """The deadline of a letter that states "within N days / months / years" of the notice or
    of its receipt. Months and years are calendar ones (the same day of the month, or the
    month's last day when it has no such day); ``days`` of the result is the days they span."""
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {UNITS}, not {unit!r}")
    presumed = receipt_presumption(plan_type, notice) if from_receipt else 0
    rule = deadline_rule(plan_type, notice) if plan_type else None
    start = notice + timedelta(days=presumed)
    if unit == "days":
        return AppealDeadline(start + timedelta(days=amount), amount, presumed, rule)
    months = amount * (12 if unit == "years" else 1)
    end = _add_months(start, months)
    return AppealDeadline(end, (end - start).days, presumed, rule)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def plan_rule_deadline(plan_type: str | None, notice: date) -> AppealDeadline | None:
    """The deadline the plan type's rule gives for a notice dated `notice`, if there is a rule."""
    rule = deadline_rule(plan_type, notice) if plan_type else None
    if rule is None:
        return None
    presumed = rule.receipt_presumption_days if rule.count_from == "receipt" else 0
    return AppealDeadline(notice + timedelta(days=presumed + rule.days), rule.days, presumed, rule)
