"""Whether an appeal packet may be made now: what is missing or late (refused, 422) and what the
staff should still know (warnings returned with the packet).

Pure: the case, the denial and its reconciliation in; `PacketGate` out. The deadline is the
first-level deadline the denial states or computes (`reimbursement.deadlines`); a late appeal
goes out only with its good cause (printed in the letter) or a hub user's override.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from formservice.model import Case, Denial
from formservice.model.reconciliation import Reconciliation
from formservice.reimbursement.appeals.dates import format_date
from formservice.reimbursement.appeals.route import appeal_route

__all__ = ["PacketGate", "packet_gate"]

_LABELS = {
    "patient_name": "patient name",
    "date_of_birth": "date of birth",
    "member_id": "member ID",
    "payer": "payer",
    "dates_of_service": "dates of service",
    "diagnosis_codes": "diagnosis codes",
    "procedure_codes": "procedure codes",
}
SOON_DAYS = 7


@dataclass(frozen=True)
class PacketGate:
    """``gaps``: field → what is missing or late (any gap refuses the packet); ``warnings``."""

    gaps: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.gaps


def _value(value: object) -> str:
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value) or "nothing"
    return str(value) if value else "nothing"


def packet_gate(
    case: Case,
    denial: Denial | None,
    reconciliation: Reconciliation | None,
    *,
    today: date,
    late_reason: str | None = None,
    hub_override: bool = False,
) -> PacketGate:
    """The gaps and warnings of an appeal packet for `case` answering `denial` on `today`."""
    gaps: dict[str, list[str]] = {}
    warnings: list[str] = []
    if denial is None:
        gaps["denial_id"] = ["No denial letter: upload it and attach it to the case."]
    t = case.treatment
    if not (t.regimen or t.agents):
        gaps["lmn"] = [
            "The letter of medical necessity needs the chemotherapy regimen "
            "(treatment.regimen or treatment.agents)."
        ]
    if denial is None:
        return PacketGate(gaps, warnings)
    if reconciliation is not None:
        _check_reconciliation(reconciliation, gaps, warnings)
    route = appeal_route(case, denial)
    if not route.fax:
        warnings.append(
            "Neither the letter nor the payer directory gives an appeal fax: mail the packet "
            f"to {route.address or route.name}, or call the payer for the fax."
        )
    elif route.source != "letter":
        warnings.append(
            f"The letter states no appeal fax: {route.fax} is from the {route.source} record."
        )
    if denial.review_fields:
        names = ", ".join(f.replace("_", " ") for f in denial.review_fields)
        gaps["review_fields"] = [f"Check these facts against the letter first: {names}."]
    _check_deadline(denial.appeal_deadline, today, late_reason, hub_override, gaps, warnings)
    return PacketGate(gaps, warnings)


def _check_reconciliation(
    reconciliation: Reconciliation, gaps: dict[str, list[str]], warnings: list[str]
) -> None:
    """Identity facts that differ (unless overridden), warnings not acknowledged, facts the
    letter does not state."""
    differs = reconciliation.identity_differences
    if differs and reconciliation.override is None:
        gaps["reconciliation"] = [
            f"The letter's {_LABELS[c.fact]} ({_value(c.denial)}) differs from the case's "
            f"({_value(c.case)})."
            for c in differs
        ]
    if not reconciliation.acknowledged:
        gaps["acknowledge_warnings"] = [
            f"Acknowledge: the letter's {_LABELS[c.fact]} ({_value(c.denial)}) differs from "
            f"the case's ({_value(c.case)})."
            for c in reconciliation.warnings
        ]
    warnings.extend(
        f"The letter does not state the {_LABELS[c.fact]}: checked against the case only."
        for c in reconciliation.checks
        if c.status == "absent" and c.fact in ("patient_name", "member_id", "payer")
    )


def _check_deadline(
    deadline: date | None,
    today: date,
    late_reason: str | None,
    hub_override: bool,
    gaps: dict[str, list[str]],
    warnings: list[str],
) -> None:
    """No deadline, a passed one (good cause, a hub override, or a gap) or a near one."""
    if deadline is None:
        warnings.append(
            "No first-level appeal deadline was found or computed: check the plan documents."
        )
    elif deadline < today:
        late = (today - deadline).days
        if late_reason and late_reason.strip():
            warnings.append(
                f"The deadline, {format_date(deadline)}, passed {late} day(s) ago: the letter "
                "asks the payer to accept it for the good cause given."
            )
        elif hub_override:
            warnings.append(
                f"The deadline, {format_date(deadline)}, passed {late} day(s) ago: sent late "
                "on a hub user's override."
            )
        else:
            gaps["late_reason"] = [
                f"The first-level appeal deadline, {format_date(deadline)}, passed {late} "
                "day(s) ago: give late_reason (the good cause, printed in the letter) or ask "
                "the hub to override."
            ]
    elif (deadline - today).days <= SOON_DAYS:
        warnings.append(
            f"The deadline is {format_date(deadline)}: fax the packet today and keep the "
            "confirmation."
        )
