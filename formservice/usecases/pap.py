"""Patient Assistance Program: decide eligibility for a case payload (nothing stored)."""

from __future__ import annotations

from datetime import date

from formservice.model import Case
from formservice.reimbursement.pap import PapDecision, decide_pap
from formservice.usecases.services import Services

__all__ = ["check_pap"]


def check_pap(
    services: Services,
    case: Case,
    *,
    application_date: date | None = None,
    cost: float | None = None,
    underinsured: bool | None = None,
    appeal_available: bool | None = None,
) -> PapDecision:
    """The PAP decision with every rule, its result and the numbers used (422 on bad input)."""
    return decide_pap(
        case,
        application_date=application_date,
        cost=cost,
        today=services.today(),
        underinsured=underinsured,
        appeal_available=appeal_available,
        product_price=services.product_price(),
    )
