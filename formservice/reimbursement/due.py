"""The next date someone must act on a case, and the order of the due list: computed here once.

Two kinds of dates are due:

* ``appeal``: the first-level appeal deadline of a denial (the deadline the latest attached denial
  letter states or implies, else the plan type's rule counted from the PA denial), or, for a
  denied PA with no letter yet, the denial date itself ("attach the letter to learn the deadline");
* ``follow_up``: the date to chase the payer about a PA awaiting its decision (status date plus
  the payer's turnaround, `pa_tracking`).

The due list puts appeal deadlines first (a missed one loses the appeal), then follow-ups, each by
date; cases with nothing due come last. The API and the staff pages both read this order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from formservice.reimbursement import pa_tracking
from formservice.reimbursement.deadlines import plan_rule_deadline

__all__ = [
    "APPEAL",
    "DUE_RANKS",
    "FOLLOW_UP",
    "NOTHING_DUE_RANK",
    "NO_DUE_DATE",
    "NextDue",
    "due_order_key",
    "due_rank",
    "next_due",
]

DueKind = Literal["appeal", "follow_up"]
APPEAL: DueKind = "appeal"
FOLLOW_UP: DueKind = "follow_up"
MAX_REASON = 200  # the column's width
# The due list's order as data: appeal deadlines, then follow-ups, then cases with nothing due;
# within each, by date (none: after every date), then by external_id. `due_order_key` reads these,
# and so does the SQL the store orders and pages the list with (`store.models.due_order_sql`).
DUE_RANKS: dict[str, int] = {APPEAL: 0, FOLLOW_UP: 1}
NOTHING_DUE_RANK = 2
NO_DUE_DATE = date.max
# Once the appeal is filed, the letter's deadline is met: what is due is the payer's answer.
_APPEALED = frozenset({"appeal_submitted", "appeal_approved", "appeal_denied"})


@dataclass(frozen=True)
class NextDue:
    """The next due date of a case, why, and whether it is an appeal deadline."""

    due: date | None = None
    reason: str | None = None
    kind: DueKind | None = None


def _appeal_deadline(
    status_on: date, letter_deadline: date | None, plan_type: str | None
) -> tuple[date | None, str]:
    if letter_deadline is not None:
        return letter_deadline, "denial letter on file"
    ruled = plan_rule_deadline(plan_type, status_on)
    if ruled is None or ruled.rule is None:
        return None, ""
    rule = ruled.rule
    return ruled.deadline, f"{rule.label}: {rule.days} days ({rule.source})"


def next_due(
    status: str,
    status_on: date | None,
    *,
    plan_type: str | None,
    turnaround_days: int | None,
    letter_deadline: date | None = None,
) -> NextDue:
    """The next due date for a PA in `status` since `status_on`.

    `letter_deadline` is the appeal deadline of the latest denial letter attached to the case.
    A letter that denies a claim while the PA itself is not denied still makes its appeal
    deadline the next thing due, until an appeal is recorded.
    """
    if status in _APPEALED:
        letter_deadline = None
    if status_on is None:
        if letter_deadline is not None:
            return NextDue(letter_deadline, "Appeal deadline (denial letter)", APPEAL)
        return NextDue()
    if status == "denied":
        deadline, basis = _appeal_deadline(status_on, letter_deadline, plan_type)
        if deadline is None:
            return NextDue(
                status_on,
                f"PA denied on {status_on.isoformat()}: attach the denial letter to learn the "
                "appeal deadline",
                APPEAL,
            )
        item = pa_tracking.next_due_date(status, status_on, appeal_deadline=deadline)
        assert item is not None  # noqa: S101  # a denied PA with a deadline always has one
        return NextDue(item.due, _fit(f"{item.reason} ({basis})"), APPEAL)
    if letter_deadline is not None:
        return NextDue(letter_deadline, "Appeal deadline (denial letter)", APPEAL)
    item = pa_tracking.next_due_date(status, status_on, turnaround_days=turnaround_days)
    if item is None:
        return NextDue()
    return NextDue(item.due, _fit(item.reason), FOLLOW_UP)


def _fit(reason: str) -> str:
    """`reason` within the column's `MAX_REASON` characters: cut at the last whole word, with an
    ellipsis, never mid-word ("... the organization determina")."""
    if len(reason) <= MAX_REASON:
        return reason
    cut = reason[: MAX_REASON - 1].rsplit(" ", 1)[0].rstrip(" ,;:(")
    return cut + "…"


def due_rank(kind: str | None) -> int:
    """Where a kind of due date stands in the due list (0 first)."""
    return DUE_RANKS.get(kind, NOTHING_DUE_RANK) if kind is not None else NOTHING_DUE_RANK


def due_order_key(
    kind: str | None, due: date | None, external_id: str, case_id: str = ""
) -> tuple[int, date, str, str]:
    """Sort key of the due list: appeal deadlines, then follow-ups, then the rest; by date.

    Then by external_id, and last by the case's own id: external ids are unique per facility
    only, so a list of several facilities needs the id to be a total order (keyset paging).
    """
    return (due_rank(kind), due or NO_DUE_DATE, external_id, case_id)
