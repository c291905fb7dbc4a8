"""Benefits investigation: record what the payer said, read it back with the estimate it gives."""

from __future__ import annotations

from typing import Any

from formservice.errors import NotFoundError
from formservice.model import Benefits, Principal
from formservice.reimbursement.benefits import estimate_patient_cost, payer_facts
from formservice.store import access
from formservice.store.db import reading, transaction
from formservice.store.models import CaseRow
from formservice.store.pa import refresh_next_due, tracked_case
from formservice.usecases.services import Services

__all__ = ["benefits_view", "read_benefits", "record_benefits"]


def benefits_view(row: CaseRow) -> dict[str, Any]:
    """A case's stored BI with the cost estimate and payer facts made from it."""
    case = tracked_case(row)
    benefits = Benefits.from_json(row.benefits) if row.benefits else None
    return {
        "case_id": row.id,
        "benefits": row.benefits or {},
        "estimate": estimate_patient_cost(case, benefits).to_json() if benefits else {},
        "payer": payer_facts(case, benefits).to_json(),
    }


def read_benefits(services: Services, principal: Principal, case_id: str) -> dict[str, Any]:
    """The case's benefits investigation; 404 when there is none on file."""
    with reading(services.sessions) as session:
        row = access.get_case(session, principal, case_id)
        if row.benefits is None:
            raise NotFoundError(f"no benefits investigation on file for case {case_id}")
        return benefits_view(row)


def record_benefits(
    services: Services, principal: Principal, case_id: str, benefits: Benefits
) -> dict[str, Any]:
    """Store (replace) a case's benefits investigation; the follow-up date may move with it."""
    with transaction(services.sessions) as session:
        row = access.get_case(session, principal, case_id)
        row.benefits = benefits.to_json()
        # The BI may state the payer's turnaround: follow-up dates depend on it.
        refresh_next_due(session, row)
        return benefits_view(row)
