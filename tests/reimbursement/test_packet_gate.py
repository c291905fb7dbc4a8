"""The appeal packet's gate (issue 13 item 6) and the reconciliation it reads (item 1), pure."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from pathlib import Path

from formservice.model import Case, Denial
from formservice.model.reconciliation import Reconciliation
from formservice.reimbursement.appeals.gate import packet_gate
from formservice.reimbursement.reconciliation import reconcile
from formservice.schemas.case import load_case

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
STEM = "01_erisa_medical_necessity"  # deadline 2026-09-11


def _pair() -> tuple[Case, Denial]:
    case = load_case(json.loads((SAMPLES / "denial_cases" / f"{STEM}.json").read_text()))
    denial = Denial.from_json(json.loads((SAMPLES / "denials" / f"{STEM}.json").read_text()))
    return case, denial


def test_a_matched_pair_in_time_passes() -> None:
    case, denial = _pair()
    gate = packet_gate(case, denial, reconcile(case, denial), today=date(2026, 4, 1))
    assert gate.gaps == {}
    assert gate.warnings == []


def test_a_passed_deadline_needs_a_good_cause_or_a_hub_override() -> None:
    case, denial = _pair()
    found = reconcile(case, denial)
    late = date(2026, 9, 20)
    assert set(packet_gate(case, denial, found, today=late).gaps) == {"late_reason"}
    with_cause = packet_gate(case, denial, found, today=late, late_reason="Mail delay")
    assert with_cause.gaps == {}
    assert "passed 9 day(s) ago" in with_cause.warnings[0]
    assert packet_gate(case, denial, found, today=late, hub_override=True).gaps == {}


def test_identity_and_unacknowledged_differences_are_gaps() -> None:
    case, denial = _pair()
    other = denial.with_changes(member_id="NWH000000000", payer_name="Contoso Mutual Insurance")
    found = reconcile(case, other)
    gaps = packet_gate(case, other, found, today=date(2026, 4, 1)).gaps
    assert set(gaps) == {"reconciliation", "acknowledge_warnings"}
    acknowledged = found.acknowledge("user:ana", "2026-04-01T10:00:00+00:00")
    assert set(packet_gate(case, other, acknowledged, today=date(2026, 4, 1)).gaps) == {
        "reconciliation"
    }
    stored = Reconciliation.from_stored(acknowledged.stored_json())
    assert stored == acknowledged


def test_no_denial_and_no_regimen_are_named_together() -> None:
    case, _ = _pair()
    bare = dataclasses.replace(
        case, treatment=dataclasses.replace(case.treatment, regimen=None, agents=())
    )
    assert set(packet_gate(bare, None, None, today=date(2026, 4, 1)).gaps) == {"denial_id", "lmn"}


def test_dates_outside_the_treatment_differ() -> None:
    case, denial = _pair()
    earlier = denial.with_changes(date_of_service=date(2025, 1, 6))
    check = reconcile(case, earlier).get("dates_of_service")
    assert check.status == "differs"
    assert check.denial == ("2025-01-06",)
