"""The professional claim of a case as an X12 837P (stored case, or a case file for the CLI).

The claim is dated with the service's clock (today at 00:00), and its interchange control number
comes from the case's id, so the same case on the same day gives the same bytes.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, time

from formservice.documents.x12 import Claim837P, render_837p
from formservice.model import Case, Principal
from formservice.store import access
from formservice.store.db import reading
from formservice.store.pa import tracked_case
from formservice.usecases.services import Services

__all__ = ["case_837p", "claim_837p"]


def _control_number(key: str) -> int:
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % 999_999_999 + 1


def claim_837p(services: Services, case: Case, *, key: str | None = None) -> Claim837P:
    """The 837P of a case payload; `ValidationProblem` (422) when the case cannot be billed."""
    created = datetime.combine(services.today(), time(0, 0))
    return render_837p(
        case,
        created=created,
        control_number=_control_number(key or case.external_id),
        charge_master=services.settings.charge_master,
    )


def case_837p(services: Services, principal: Principal, case_id: str) -> tuple[Claim837P, Case]:
    """The 837P of a stored case the caller may see (404 otherwise), and the case."""
    with reading(services.sessions) as session:
        case = tracked_case(access.get_case(session, principal, case_id))
    return claim_837p(services, case, key=case_id), case
