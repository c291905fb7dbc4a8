"""The fictional payer directory."""

from __future__ import annotations

import pytest

from formservice.model import PLAN_TYPES
from formservice.reimbursement.payers import find_payer, list_payers


@pytest.mark.parametrize(
    ("kwargs", "payer_id"),
    [
        ({"payer_id": "NWHP1"}, "NWHP1"),
        ({"payer_id": " nwhp1 "}, "NWHP1"),
        ({"name": "  northwind   HEALTH plan"}, "NWHP1"),
        ({"name": "Fabrikam Medicare Advantage"}, "FBMA7"),
        ({"payer_id": "NOPE", "name": "Contoso Mutual Insurance"}, "CNTSO"),
        ({"payer_id": "NOPE"}, None),
        ({"name": "Unknown Health"}, None),
        ({}, None),
    ],
)
def test_find_payer(kwargs, payer_id):
    found = find_payer(**kwargs)
    assert (found.payer_id if found else None) == payer_id


def test_directory_entries_are_complete_and_fictional():
    payers = list_payers()
    assert len(payers) >= 5
    assert len({p.payer_id for p in payers}) == len(payers)
    for p in payers:
        assert set(p.plan_types) <= set(PLAN_TYPES)
        assert p.submission_channel in {"portal", "fax", "phone", "mail"}
        assert p.turnaround_days > 0
        assert p.pa_required_for_scalp_cooling in (True, False, None)
        for number in (p.phone, p.pa_fax, p.appeals_fax):
            assert number is None or "-555-01" in number  # fiction-reserved numbers only


def test_northwind_needs_a_pa_by_portal():
    p = find_payer(payer_id="NWHP1")
    assert p is not None
    assert (p.pa_required_for_scalp_cooling, p.submission_channel, p.turnaround_days) == (
        True,
        "portal",
        15,
    )
