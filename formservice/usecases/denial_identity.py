"""Whose letter is it: a denial reconciled with a case, and who may attach one that differs.

A difference in the patient's identity (name, member ID, date of birth) refuses the attachment
with 409 (IdentityMismatchError); only a hub user may attach anyway, with a reason that is kept
(and audited by the caller). Other differences are warnings to acknowledge before a packet.
"""

from __future__ import annotations

from typing import Any

from formservice.errors import ForbiddenError, IdentityMismatchError
from formservice.model import Case, Denial, Principal
from formservice.model.reconciliation import Override, Reconciliation
from formservice.reimbursement.reconciliation import reconcile
from formservice.store.models import DenialRow, utcnow

__all__ = [
    "HUB_ROLES",
    "carry_over",
    "check_identity",
    "differences_text",
    "is_hub",
    "reconciliation_of",
    "stored_reconciliation",
]


HUB_ROLES = frozenset({"hub", "hub_admin", "hub_staff"})


def is_hub(principal: Principal) -> bool:
    """Whether the caller works for the hub (an API key or a user that sees every facility)."""
    return principal.role in HUB_ROLES and principal.facility_npi is None


def differences_text(found: Reconciliation) -> str:
    """The identity differences in one sentence (for a 409's detail and the review page)."""
    return "; ".join(
        f"{c.fact.replace('_', ' ')}: the case says {_shown(c.case)}, "
        f"the denial says {_shown(c.denial)}"
        for c in found.identity_differences
    )


def _shown(value: Any) -> str:
    if isinstance(value, tuple | list):
        return ", ".join(value) or "nothing"
    return str(value) if value else "nothing"


def check_identity(
    case: Case, denial: Denial, principal: Principal, override_reason: str | None
) -> Reconciliation:
    """Reconcile a denial with a case; 409 when the patient differs and nobody may override.

    A hub user's `override_reason` lets the letter through (the override is kept with its
    reason); anyone else gets 403 for trying.
    """
    found = reconcile(case, denial)
    if not found.identity_differences:
        return found
    reason = (override_reason or "").strip()
    if not reason:
        raise IdentityMismatchError(
            "the denial does not name this case's patient: " + differences_text(found),
            errors={
                c.fact: [f"The case says {_shown(c.case)}; the denial says {_shown(c.denial)}."]
                for c in found.identity_differences
            },
            reconciliation=found.to_json(),
        )
    if not is_hub(principal):
        raise ForbiddenError(
            "only a hub user may attach a denial that names another patient",
            errors={"override_reason": ["Ask the hub to review this letter."]},
        )
    return found.with_override(Override(principal.label, utcnow().isoformat(), reason[:500]))


def stored_reconciliation(row: DenialRow) -> Reconciliation | None:
    """The reconciliation stored with a denial (whatever case it names), or None."""
    return Reconciliation.from_stored(row.reconciliation) if row.reconciliation else None


def carry_over(before: Reconciliation, found: Reconciliation) -> Reconciliation:
    """Keep an override and an acknowledgement while the differences they covered stand."""
    if before.override and {c.fact for c in found.identity_differences} <= {
        c.fact for c in before.identity_differences
    }:
        found = found.with_override(before.override)
    if before.acknowledged_by and [c.to_json() for c in found.warnings] == [
        c.to_json() for c in before.warnings
    ]:
        found = found.acknowledge(before.acknowledged_by, before.acknowledged_at or "")
    return found


def reconciliation_of(row: DenialRow) -> Reconciliation | None:
    """The stored reconciliation of a denial attached to a case, or None."""
    return stored_reconciliation(row) if row.case_id else None
