"""The payer directory (data/payers.yaml): PA requirement, where to submit, fax, turnaround."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from formservice.reimbursement import load_data

__all__ = ["PayerInfo", "find_payer", "list_payers"]


@dataclass(frozen=True, slots=True)
class PayerInfo:
    """One payer of the directory."""

    name: str
    payer_id: str
    plan_types: tuple[str, ...]
    pa_required_for_scalp_cooling: bool | None
    submission_channel: str
    pa_fax: str | None
    appeals_fax: str | None
    phone: str | None
    turnaround_days: int
    portal_url: str | None = None


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


@lru_cache(maxsize=1)
def list_payers() -> tuple[PayerInfo, ...]:
    """Every payer of the directory, in file order."""
    return tuple(
        PayerInfo(
            name=str(raw["name"]),
            payer_id=str(raw["payer_id"]),
            plan_types=tuple(raw.get("plan_types") or ()),
            pa_required_for_scalp_cooling=raw.get("pa_required_for_scalp_cooling"),
            submission_channel=str(raw["submission_channel"]),
            pa_fax=raw.get("pa_fax"),
            appeals_fax=raw.get("appeals_fax"),
            phone=raw.get("phone"),
            turnaround_days=int(raw["turnaround_days"]),
            portal_url=raw.get("portal_url"),
        )
        for raw in load_data("payers.yaml")["payers"]
    )


def find_payer(name: str | None = None, payer_id: str | None = None) -> PayerInfo | None:
    """A payer by payer ID (preferred) or by name, ignoring case and spacing; None if unknown."""
    if payer_id:
        wanted = payer_id.strip().upper()
        for payer in list_payers():
            if payer.payer_id.upper() == wanted:
                return payer
    if name:
        wanted = _normal(name)
        for payer in list_payers():
            if _normal(payer.name) == wanted:
                return payer
    return None
