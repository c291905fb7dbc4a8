"""A benefits investigation (BI): what the hub learned from the payer, typed.

`schemas.benefits` validates the payload; what it stores is read back with `Benefits.from_json`
and written with `Benefits.to_json` (the same JSON the schema dumps).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Submission:
    """Where and how the provider submits the PA request."""

    channel: str | None = None  # portal | fax | phone | mail
    fax: str | None = None
    portal_url: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class Benefits:
    """The result of the hub's call to the payer. Money in US dollars; None = not stated."""

    # Required in a payload (schemas.benefits); None here only in a partial BI built by a test.
    coverage_active: bool | None = None
    call_date: date | None = None
    plan_type: str | None = None
    network_status: str = "unknown"  # in_network | out_of_network | unknown
    scalp_cooling_covered: bool | None = None
    underinsured: bool | None = None
    deductible: float | None = None
    deductible_met: float | None = None
    coinsurance_percent: float | None = None
    copay: float | None = None
    oop_max: float | None = None
    oop_met: float | None = None
    # Allowed amount per unit, by CPT/HCPCS code, when the payer states it.
    allowed_amounts: Mapping[str, float] | None = field(default=None, compare=False, hash=False)
    pa_required: bool | None = None
    submission: Submission | None = None
    turnaround_days: int | None = None
    reference_number: str | None = None
    representative: str | None = None
    notes: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The stored JSON (dates ISO), key for key what the schema dumps."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, date):
                value = value.isoformat()
            elif isinstance(value, Submission):
                value = {s.name: getattr(value, s.name) for s in fields(value)}
            elif isinstance(value, Mapping):
                value = dict(value)
            out[f.name] = value
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Benefits:
        """A stored (already validated) BI; unknown keys are ignored."""
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        call = data.get("call_date")
        values["call_date"] = None if call is None else date.fromisoformat(str(call))
        submission = data.get("submission")
        values["submission"] = Submission(**submission) if submission else None
        if data.get("allowed_amounts") is not None:
            values["allowed_amounts"] = dict(data["allowed_amounts"])
        return cls(**values)
