"""An electronic remittance advice (X12 835) as read: its claims, and the denials among them.

`formservice.denials.era` fills a `Remittance`; every claim payment (CLP loop) is a
`ClaimPayment`, and the denied or partly denied ones carry their `Denial` (CONTRACT.md §4).
Amounts are US dollars; ``segment`` is the 1-based position of the segment in the file
(ISA is 1), which is how the evidence of each fact points into the 835.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from formservice.model.denial import Denial

__all__ = ["ClaimPayment", "Remittance"]


@dataclass(frozen=True)
class ClaimPayment:
    """One claim payment (loop 2100, CLP) of an 835 and, when it was denied, its denial."""

    segment: int
    patient_control_number: str
    status: str
    billed: float
    paid: float
    patient_responsibility: float | None
    claim_number: str | None
    payer_name: str | None
    patient_name: str | None
    member_id: str | None
    date_of_service: date | None
    denial: Denial | None = None

    @property
    def denied(self) -> bool:
        """True when the claim is denied or partly denied (it then has a `Denial`)."""
        return self.denial is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "segment": self.segment,
            "patient_control_number": self.patient_control_number,
            "status": self.status,
            "billed": self.billed,
            "paid": self.paid,
            "patient_responsibility": self.patient_responsibility,
            "claim_number": self.claim_number,
            "payer_name": self.payer_name,
            "patient_name": self.patient_name,
            "member_id": self.member_id,
            "date_of_service": self.date_of_service.isoformat() if self.date_of_service else None,
            "denied": self.denied,
        }


@dataclass(frozen=True)
class Remittance:
    """The facts of one 835 file: who paid whom, when, and each claim payment in file order."""

    payer_name: str | None
    payee_name: str | None
    payee_npi: str | None
    payment_date: date | None
    trace_number: str | None
    total_paid: float | None
    claims: tuple[ClaimPayment, ...]

    @property
    def denials(self) -> tuple[Denial, ...]:
        """The denials of the denied or partly denied claims, in file order."""
        return tuple(c.denial for c in self.claims if c.denial is not None)

    def to_json(self) -> dict[str, Any]:
        """``{"payer_name", ..., "claims": [...], "denials": [denial JSON of §4]}``."""
        return {
            "payer_name": self.payer_name,
            "payee_name": self.payee_name,
            "payee_npi": self.payee_npi,
            "payment_date": self.payment_date.isoformat() if self.payment_date else None,
            "trace_number": self.trace_number,
            "total_paid": self.total_paid,
            "claims": [c.to_json() for c in self.claims],
            "denials": [d.to_json() for d in self.denials],
        }
