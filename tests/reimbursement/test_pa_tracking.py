"""The PA status machine (one appeal) and follow-up dates."""

from __future__ import annotations

from datetime import date

import pytest

from formservice.model import PA_STATUSES
from formservice.reimbursement import pa_tracking as pa

ALLOWED = {
    ("not_submitted", "not_required"),
    ("not_submitted", "required"),
    ("not_submitted", "submitted"),
    ("not_required", "required"),
    ("required", "submitted"),
    ("required", "not_required"),
    ("submitted", "pending"),
    ("submitted", "approved"),
    ("submitted", "denied"),
    ("pending", "approved"),
    ("pending", "denied"),
    ("denied", "appeal_submitted"),
    ("appeal_submitted", "appeal_approved"),
    ("appeal_submitted", "appeal_denied"),
}


def test_machine_knows_exactly_the_model_statuses():
    assert set(pa.statuses()) == set(PA_STATUSES)
    assert pa.initial_status() == "not_submitted"


@pytest.mark.parametrize("current", PA_STATUSES)
@pytest.mark.parametrize("new", PA_STATUSES)
def test_every_transition(current, new):
    if (current, new) in ALLOWED:
        pa.transition(current, new)
        return
    with pytest.raises(pa.InvalidTransition) as info:
        pa.transition(current, new)
    err = info.value
    assert (err.current, err.new) == (current, new)
    assert set(err.allowed) == {b for a, b in ALLOWED if a == current}
    for name in err.allowed:
        assert name in str(err)


def test_only_one_appeal():
    with pytest.raises(pa.InvalidTransition, match="none \\(final status\\)"):
        pa.transition("appeal_denied", "appeal_submitted")
    # appeal_submitted is reachable only from denied, and never again after it.
    assert [s for s in pa.statuses() if "appeal_submitted" in pa.allowed_transitions(s)] == [
        "denied"
    ]
    seen, frontier = set(), ["appeal_submitted"]
    while frontier:
        for nxt in pa.allowed_transitions(frontier.pop()):
            assert nxt not in {"appeal_submitted", "denied"}
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)


def test_a_full_walk_through_a_denial_and_its_appeal():
    walk = [
        "not_submitted",
        "required",
        "submitted",
        "pending",
        "denied",
        "appeal_submitted",
        "appeal_approved",
    ]
    for current, new in zip(walk, walk[1:], strict=False):
        pa.transition(current, new)


@pytest.mark.parametrize("status", ["sent", "", "APPROVED"])
def test_unknown_status(status):
    with pytest.raises(pa.UnknownPaStatus, match="known: not_submitted"):
        pa.transition("submitted", status)
    with pytest.raises(pa.UnknownPaStatus):
        pa.allowed_transitions(status)


@pytest.mark.parametrize(
    ("status", "turnaround", "due"),
    [
        ("submitted", 15, date(2026, 3, 17)),
        ("pending", 7, date(2026, 3, 9)),
        ("appeal_submitted", 30, date(2026, 4, 1)),
        ("submitted", None, date(2026, 3, 16)),  # hub default: 14 days
        ("submitted", 0, date(2026, 3, 2)),
        ("approved", 15, None),
        ("denied", 15, None),
        ("not_submitted", 15, None),
        ("required", 15, None),
        ("appeal_denied", 15, None),
    ],
)
def test_follow_up_due(status, turnaround, due):
    assert pa.follow_up_due(status, date(2026, 3, 2), turnaround) == due


@pytest.mark.parametrize("turnaround", [-1, True])
def test_turnaround_must_be_a_whole_number_of_days(turnaround):
    with pytest.raises(ValueError, match="turnaround_days"):
        pa.follow_up_due("submitted", date(2026, 3, 2), turnaround)


def test_next_due_date_for_a_pending_pa():
    item = pa.next_due_date("pending", date(2026, 3, 2), turnaround_days=10)
    assert item is not None
    assert (item.due, item.kind) == (date(2026, 3, 12), "follow_up")
    assert "10 days (payer's typical turnaround)" in item.reason


def test_next_due_date_after_a_denial_is_the_appeal_deadline():
    item = pa.next_due_date("denied", date(2026, 3, 15), appeal_deadline=date(2026, 9, 11))
    assert item is not None
    assert (item.due, item.kind) == (date(2026, 9, 11), "appeal_deadline")
    assert pa.next_due_date("denied", date(2026, 3, 15)) is None
    assert pa.next_due_date("approved", date(2026, 3, 15), turnaround_days=5) is None


def test_a_long_due_reason_is_cut_at_a_word_with_an_ellipsis() -> None:
    # The reason column holds MAX_REASON characters; a Medicare Advantage appeal basis (the
    # rule's label and its source) runs past it and was cut mid-word ("... determina").
    from datetime import date

    from formservice.reimbursement.due import MAX_REASON, next_due

    found = next_due(
        "denied", date(2026, 3, 2), plan_type="medicare_advantage", turnaround_days=None
    )
    reason = found.reason or ""
    assert len(reason) <= MAX_REASON
    assert reason.endswith("organization…"), reason  # the last whole word, then the ellipsis
    assert "42 CFR 422.582(b)" in reason  # the basis is kept
