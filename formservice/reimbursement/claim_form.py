"""What the CMS-1500 holds by payer type, and when it must not be made at all.

The per-payer-type CMS-1500 items (10a-c, 11, 12, 13, 27, 31 ...) are data in
``data/claim_items.yaml`` (Original Medicare: CMS Pub. 100-04 ch. 26 §10.2-10.4; the rest: the
NUCC 1500 manual), resolved by `claim_items`. A hospital outpatient service is billed by the
hospital on its facility claim (UB-04/837I), so `facility_claim_rule` refuses the CMS-1500 there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from formservice.model import Case
from formservice.reimbursement import load_data

__all__ = ["ClaimItem", "claim_items", "facility_claim_rule"]


@dataclass(frozen=True, slots=True)
class ClaimItem:
    """One CMS-1500 item's rule for a payer type: what goes in it and the source that says so."""

    item: str
    title: str
    fill: str  # blank | insured | none | no | yes | sof | group | payer
    source: str


def claim_items(plan_type: str | None) -> dict[str, ClaimItem]:
    """The CMS-1500 item rules (data/claim_items.yaml) for a payer type, by item number.

    Original Medicare: CMS Pub. 100-04 ch. 26 §10.2-10.4; the rest: the NUCC 1500 manual.
    """
    data = load_data("claim_items.yaml")
    rule_set = str(data["rule_sets"].get(plan_type or "", "nucc"))
    return {
        str(number): ClaimItem(
            item=str(number),
            title=str(raw["title"]),
            fill=str(raw[rule_set]["fill"]),
            source=str(raw[rule_set]["source"]),
        )
        for number, raw in data["items"].items()
    }


def facility_claim_rule(case: Case) -> str | None:
    """Why a CMS-1500 must not be made for this case (the hospital's facility claim), or None."""
    if case.treatment.site_of_care != "hospital_outpatient":
        return None
    rule: dict[str, Any] = load_data("claim_items.yaml")["facility_claim"]
    return str(rule["message"]) + f" ({rule['source']})"
