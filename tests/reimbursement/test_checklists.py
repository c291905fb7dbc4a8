"""PA, claim and appeal checklists: each item done, missing or not applicable from the case."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest

from formservice.model import Benefits, Case, CaseFacts, Denial
from formservice.reimbursement import load_data
from formservice.reimbursement.checklists import (
    appeal_checklist,
    claim_checklist,
    pa_checklist,
    summarize,
)

TODAY = date(2026, 3, 1)


def Facts(  # noqa: N802  # reads like the CaseFacts it builds
    benefits: dict[str, Any] | None = None,
    documents: frozenset[str] = frozenset(),
    denial: dict[str, Any] | None = None,
) -> CaseFacts:
    """The case facts a checklist reads, from plain JSON (typed at this boundary)."""
    return CaseFacts(
        benefits=None if benefits is None else Benefits.from_json(benefits),
        documents=documents,
        denial=None if denial is None else Denial.from_json(denial),
    )


@dataclass(frozen=True)
class Row:
    item: str
    status: str
    detail: str = ""
    case: dict[str, Any] = field(default_factory=dict)
    facts: CaseFacts = field(default_factory=Facts)


def _insured(make_case: Callable[..., Case], **kw: Any) -> Case:
    return make_case(coverage_status="insured", **kw)


def _status(items: list[Any], item_id: str) -> tuple[str, str]:
    found = next(i for i in items if i.id == item_id)
    return found.status, found.detail


def _with_pa(case: Case, **pa: Any) -> Case:
    return dataclasses.replace(
        case, prior_authorization=dataclasses.replace(case.prior_authorization, **pa)
    )


def test_items_follow_the_data_file_in_order(make_case: Callable[..., Case]) -> None:
    case = _insured(make_case)
    for kind, fn in (
        ("pa", pa_checklist),
        ("claim", claim_checklist),
        ("appeal", appeal_checklist),
    ):
        expected = [e["id"] for e in load_data("checklists.yaml")[kind]]
        items = fn(case, Facts(), TODAY)
        assert [i.id for i in items] == expected
        assert all(i.status in {"done", "missing", "not_applicable"} and i.detail for i in items)
        assert sum(summarize(items).values()) == len(items)


PA_ROWS = [
    Row("member_id", "done", "NWH000000001"),
    Row("member_id", "not_applicable", "uninsured", case={"coverage_status": "uninsured"}),
    Row("payer_known", "done", "in the hub payer directory"),
    # Northwind (NWHP1) requires a PA for scalp cooling in data/payers.yaml.
    Row("pa_requirement_known", "done", "payer directory"),
    Row("submission_known", "done", "portal"),
    Row("diagnosis_on_label", "done", "C50.911"),
    Row("diagnosis_on_label", "missing", "C91.00 is off-label", case={"diagnoses": ("C91.00",)}),
    Row("diagnosis_on_label", "missing", "no active solid-tumor", case={"diagnoses": ("Z85.3",)}),
    Row("prescription_valid", "done", "NPI 1234567893, valid"),
    Row("prescription_valid", "missing", "no dated prescription", case={"rx_date": None}),
    Row(
        "prescription_valid", "missing", "not the case's prescriber", case={"rx_npi": "1003000126"}
    ),
    Row("prescription_valid", "missing", "not a valid NPI", case={"prescriber_npi": "1234567890"}),
    Row("treatment_plan_complete", "done", "6 session(s) from 2026-02-02, every 21 days"),
    Row("treatment_plan_complete", "missing", "the start date", case={"start_date": None}),
    Row(
        "treatment_plan_complete",
        "missing",
        "the cycle length in days",
        case={"cycle_length_days": None},
    ),
    Row(
        "treatment_plan_complete",
        "done",
        "1 session(s)",
        case={"sessions": 1, "cycle_length_days": None},
    ),
    Row("codes_in_effect", "done", "Codes not yet confirmed: 97008 and 97009"),  # 2026 caveat
    Row("codes_in_effect", "done", "2025-06-02", case={"start_date": date(2025, 6, 2)}),
    Row("codes_in_effect", "missing", "2021-07-01", case={"start_date": date(2021, 6, 30)}),
    Row("codes_in_effect", "done", "2021-07-01", case={"start_date": date(2021, 7, 1)}),
    Row("lmn_generated", "missing", "generate the Letter of Medical Necessity"),
    Row("lmn_generated", "done", "generated", facts=Facts(documents=frozenset({"lmn"}))),
    Row("pa_form_generated", "missing", "generate the PA request form"),
    Row(
        "pa_form_generated",
        "not_applicable",
        "no PA required",
        facts=Facts(benefits={"pa_required": False}),
    ),
    Row("clinical_notes", "missing", "add clinical notes"),
]


@pytest.mark.parametrize("row", PA_ROWS, ids=lambda r: f"{r.item}-{r.status}-{r.detail[:20]}")
def test_pa_checklist_rows(make_case: Callable[..., Case], row: Row) -> None:
    case = make_case(**{"coverage_status": "insured", **row.case})
    status, detail = _status(pa_checklist(case, row.facts, TODAY), row.item)
    assert (status, row.detail in detail) == (row.status, True), detail


def test_pa_requirement_sources_in_order(make_case: Callable[..., Case]) -> None:
    """The case's own flag wins, then the benefits investigation, then the payer directory."""
    case = _insured(make_case)
    assert (
        "payer directory" in _status(pa_checklist(case, Facts(), TODAY), "pa_requirement_known")[1]
    )
    facts = Facts(benefits={"pa_required": False})
    assert (
        "not required (source: benefits investigation)"
        in _status(pa_checklist(case, facts, TODAY), "pa_requirement_known")[1]
    )
    flagged = _with_pa(case, required=True)
    assert (
        "required (source: the case)"
        in _status(pa_checklist(flagged, facts, TODAY), "pa_requirement_known")[1]
    )


def test_unknown_payer_leaves_pa_requirement_missing(make_case: Callable[..., Case]) -> None:
    case = _insured(make_case)
    payer = dataclasses.replace(case.coverage.payer, name="Nobody Mutual", payer_id="ZZZZ1")  # type: ignore[arg-type]
    case = dataclasses.replace(case, coverage=dataclasses.replace(case.coverage, payer=payer))
    items = pa_checklist(case, Facts(), TODAY)
    assert _status(items, "pa_requirement_known")[0] == "missing"
    assert _status(items, "submission_known")[0] == "missing"
    assert "not in the hub payer directory" in _status(items, "payer_known")[1]


CLAIM_ROWS = [
    Row("pa_number_recorded", "missing", "record the authorization number"),
    Row(
        "pa_number_recorded",
        "not_applicable",
        "no PA required",
        facts=Facts(benefits={"pa_required": False}),
    ),
    Row("pa_number_recorded", "not_applicable", "uninsured", case={"coverage_status": "uninsured"}),
    Row("pa_approved", "missing", "PA not submitted yet: wait"),
    Row("pa_approved", "missing", "PA denied: wait", case={"pa_status": "denied"}),
    Row("claim_lines_valid", "done", "12 claim lines, no errors"),  # 2026: 96413 + 97008 x 6
    Row("claim_lines_valid", "done", "Codes not yet confirmed: 97008"),
    Row("claim_lines_valid", "done", "13 claim lines", case={"start_date": date(2025, 2, 3)}),
    Row("claim_lines_valid", "missing", "off-label", case={"diagnoses": ("C91.00",)}),
    Row("claim_lines_valid", "missing", "treatment.start_date", case={"start_date": None}),
    Row("claim_lines_valid", "missing", "was in effect", case={"start_date": date(2020, 1, 6)}),
    Row("claim_lines_valid", "missing", "place of service", case={"site_of_care": None}),
    Row("claim_lines_valid", "done", "medical review", case={"sessions": 9}),
    Row("claim_lines_valid", "not_applicable", "PAP", case={"coverage_status": "uninsured"}),
    Row("chemo_admin_pairing", "done", "96413"),
    Row("place_of_service", "done", "place of service 11"),
    Row(
        "place_of_service",
        "done",
        "place of service 22",
        case={"site_of_care": "hospital_outpatient"},
    ),
    Row("place_of_service", "missing", "the site of care", case={"site_of_care": None}),
    Row("facility_npi", "done", "1003000126"),
    Row("facility_tax_id", "missing", "the facility's tax ID"),
]


@pytest.mark.parametrize("row", CLAIM_ROWS, ids=lambda r: f"{r.item}-{r.status}-{r.detail[:20]}")
def test_claim_checklist_rows(make_case: Callable[..., Case], row: Row) -> None:
    case = make_case(**{"coverage_status": "insured", **row.case})
    status, detail = _status(claim_checklist(case, row.facts, TODAY), row.item)
    assert (status, row.detail in detail) == (row.status, True), detail


@pytest.mark.parametrize(
    ("status", "words"), [("approved", "approved"), ("appeal_approved", "approved on appeal")]
)
def test_claim_pa_approved_and_number_done(
    make_case: Callable[..., Case], status: str, words: str
) -> None:
    case = _with_pa(
        _insured(make_case), status=status, number="PA-77", decided_on=date(2026, 1, 30)
    )
    items = claim_checklist(case, Facts(), TODAY)
    assert _status(items, "pa_approved") == ("done", f"PA {words} on 2026-01-30")
    assert _status(items, "pa_number_recorded")[0] == "done"


def test_claim_chemo_code_from_the_case(make_case: Callable[..., Case]) -> None:
    case = _insured(make_case)
    case = dataclasses.replace(
        case, treatment=dataclasses.replace(case.treatment, chemo_administration_code="96409")
    )
    assert "96409" in _status(claim_checklist(case, Facts(), TODAY), "chemo_admin_pairing")[1]
    bad = dataclasses.replace(
        case, treatment=dataclasses.replace(case.treatment, chemo_administration_code="99213")
    )
    status, detail = _status(claim_checklist(bad, Facts(), TODAY), "chemo_admin_pairing")
    assert status == "missing"
    assert "chemo_code" in detail


def _denial(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "payer_name": "Northwind Health Plan",
        "member_id": "NWH000000001",
        "claim_number": "2026031500123",
        "authorization_number": None,
        "letter_date": "2026-02-15",
        "appeal_deadline": "2026-08-14",
        "appeal_deadline_basis": "letter states: within 180 days",
        "categories": ["medical_necessity"],
        "reasons": [{"category": "medical_necessity", "carc": "50"}],
        "pages": 2,
        "needs_review": False,
    }
    return {**base, **changes}


APPEAL_ROWS = [
    Row("denial_on_file", "missing", "upload the denial letter", facts=Facts()),
    Row("denial_on_file", "done", "dated 2026-02-15", facts=Facts(denial=_denial())),
    Row("deadline", "done", "due 2026-08-14, 166 day(s) left", facts=Facts(denial=_denial())),
    # Boundary: due today is still open; one day earlier has passed.
    Row(
        "deadline",
        "done",
        "0 day(s) left",
        facts=Facts(denial=_denial(appeal_deadline="2026-03-01")),
    ),
    Row(
        "deadline",
        "missing",
        "passed 1 day(s) ago",
        facts=Facts(denial=_denial(appeal_deadline="2026-02-28")),
    ),
    Row(
        "deadline",
        "missing",
        "states no appeal deadline",
        facts=Facts(denial=_denial(appeal_deadline=None)),
    ),
    Row("claim_number", "done", "claim 2026031500123", facts=Facts(denial=_denial())),
    Row("claim_number", "missing", "no claim", facts=Facts(denial=_denial(claim_number=None))),
    Row(
        "member_id_match", "done", "matches", facts=Facts(denial=_denial(member_id="nwh-000000001"))
    ),
    Row(
        "member_id_match", "missing", "wrong patient", facts=Facts(denial=_denial(member_id="NWH9"))
    ),
    Row(
        "member_id_match",
        "missing",
        "states no member ID",
        facts=Facts(denial=_denial(member_id=None)),
    ),
    Row(
        "authorization_match",
        "not_applicable",
        "cites no authorization",
        facts=Facts(denial=_denial()),
    ),
    Row(
        "authorization_match",
        "missing",
        "record it",
        facts=Facts(denial=_denial(authorization_number="A1")),
    ),
    Row(
        "reasons",
        "missing",
        "1 reason(s) to answer: medical necessity (CARC 50)",
        facts=Facts(denial=_denial()),
    ),
    Row(
        "reasons",
        "done",
        "2 reason(s) answered",
        facts=Facts(
            denial=_denial(
                reasons=[
                    {"category": "medical_necessity", "carc": "50"},
                    {"category": "no_prior_authorization", "carc": "197"},
                ]
            ),
            documents=frozenset({"appeal"}),
        ),
    ),
    Row(
        "reasons",
        "missing",
        "no denial reason identified",
        facts=Facts(denial=_denial(reasons=[], categories=[])),
    ),
    Row("appeal_letter", "missing", "generate the letter of appeal", facts=Facts(denial=_denial())),
    Row(
        "appeal_letter",
        "done",
        "generated",
        facts=Facts(denial=_denial(), documents=frozenset({"appeal"})),
    ),
    Row("denial_letter_copy", "done", "2 page(s)", facts=Facts(denial=_denial())),
    Row("evidence_citations", "done", "for medical necessity", facts=Facts(denial=_denial())),
    Row(
        "evidence_citations",
        "not_applicable",
        "answered with facts",
        facts=Facts(denial=_denial(categories=["coding_error", "duplicate"])),
    ),
    Row("clinical_records", "missing", "add clinical notes", facts=Facts(denial=_denial())),
]


@pytest.mark.parametrize("row", APPEAL_ROWS, ids=lambda r: f"{r.item}-{r.status}-{r.detail[:20]}")
def test_appeal_checklist_rows(make_case: Callable[..., Case], row: Row) -> None:
    case = make_case(**{"coverage_status": "insured", **row.case})
    status, detail = _status(appeal_checklist(case, row.facts, TODAY), row.item)
    assert (status, row.detail in detail) == (row.status, True), detail


def test_appeal_authorization_matches_tracked_pa(make_case: Callable[..., Case]) -> None:
    case = _with_pa(_insured(make_case), number="PA-2026-0042", status="denied")
    facts = Facts(denial=_denial(authorization_number="PA 2026 0042"))
    assert _status(appeal_checklist(case, facts, TODAY), "authorization_match")[0] == "done"


def test_complete_case_has_nothing_missing_in_pa_checklist(make_case: Callable[..., Case]) -> None:
    case = dataclasses.replace(_insured(make_case), clinical_notes="Stage II; TC x 6.")
    facts = Facts(documents=frozenset({"lmn", "pa_form"}))
    assert summarize(pa_checklist(case, facts, TODAY))["missing"] == 0


def test_pa_form_not_applicable_for_uninsured(make_case: Callable[..., Case]) -> None:
    items = pa_checklist(make_case(coverage_status="uninsured"), Facts(), TODAY)
    assert _status(items, "pa_form_generated")[0] == "not_applicable"
    assert _status(items, "pa_requirement_known")[0] == "not_applicable"
