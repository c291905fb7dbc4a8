"""Prior-authorization status machine and follow-up dates (data/pa_statuses.yaml).

Errors::

    ValueError
    └── UnknownPaStatus     a status that is not in the machine
    errors.InvalidTransition (409)  a move the machine does not allow (names the allowed ones)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from formservice.errors import InvalidTransition
from formservice.reimbursement import load_data

__all__ = [
    "DueItem",
    "InvalidTransition",
    "UnknownPaStatus",
    "allowed_transitions",
    "follow_up_due",
    "initial_status",
    "next_due_date",
    "status_label",
    "statuses",
    "transition",
]


class UnknownPaStatus(ValueError):
    """A PA status name the machine does not know."""


@dataclass(frozen=True, slots=True)
class DueItem:
    """The next dated action on a PA and why it is due."""

    due: date
    kind: str  # "follow_up" | "appeal_deadline"
    reason: str


def _data() -> dict[str, Any]:
    data: dict[str, Any] = load_data("pa_statuses.yaml")
    return data


def statuses() -> tuple[str, ...]:
    """Every PA status, initial first."""
    return tuple(_data()["statuses"])


def status_label(status: str) -> str:
    """A PA status in plain words for people ("not submitted yet"); unknown ones as given."""
    entry = _data()["statuses"].get(status)
    return str(entry["label"]) if entry else status.replace("_", " ")


def initial_status() -> str:
    """The status of a case with no PA activity ('not_submitted')."""
    return str(_data()["initial"])


def _known(status: str) -> str:
    if status not in _data()["statuses"]:
        raise UnknownPaStatus(
            f"unknown prior authorization status {status!r}; known: {', '.join(statuses())}"
        )
    return status


def allowed_transitions(current: str) -> tuple[str, ...]:
    """The statuses a PA may move to from ``current``."""
    return tuple(_data()["statuses"][_known(current)]["to"])


def transition(current: str, new: str) -> None:
    """Check a status change; raise InvalidTransition (naming the allowed moves) if not allowed."""
    _known(new)
    allowed = allowed_transitions(current)
    if new not in allowed:
        raise InvalidTransition(current, new, allowed)


def _turnaround(turnaround_days: int | None) -> tuple[int, str]:
    if turnaround_days is None:
        return int(_data()["default_turnaround_days"]), "hub default turnaround"
    if isinstance(turnaround_days, bool) or turnaround_days < 0:
        raise ValueError(f"turnaround_days must be a whole number >= 0, got {turnaround_days!r}")
    return turnaround_days, "payer's typical turnaround"


def follow_up_due(status: str, status_date: date, turnaround_days: int | None) -> date | None:
    """When to chase the payer: status date + turnaround for statuses awaiting the payer."""
    if _known(status) not in _data()["awaiting_payer"]:
        return None
    days, _ = _turnaround(turnaround_days)
    return status_date + timedelta(days=days)


def next_due_date(
    status: str,
    status_date: date,
    *,
    turnaround_days: int | None = None,
    appeal_deadline: date | None = None,
) -> DueItem | None:
    """The next dated action on a PA: a payer follow-up, or the appeal deadline after a denial.

    The appeal deadline comes from the denial (letter date or plan rules); without one a denied
    PA has no due date here.
    """
    if _known(status) == "denied":
        if appeal_deadline is None:
            return None
        return DueItem(
            due=appeal_deadline,
            kind="appeal_deadline",
            reason=f"PA denied on {status_date.isoformat()}: the one appeal is due by "
            f"{appeal_deadline.isoformat()}",
        )
    due = follow_up_due(status, status_date, turnaround_days)
    if due is None:
        return None
    days, basis = _turnaround(turnaround_days)
    return DueItem(
        due=due,
        kind="follow_up",
        reason=f"{status} on {status_date.isoformat()} + {days} days ({basis}): "
        "follow up with the payer",
    )
