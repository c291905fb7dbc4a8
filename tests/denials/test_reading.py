"""The kinds of fault issue #12 names, each on a small letter: layout, labels, codes, deadlines,
plan types, where to appeal, and the facts a person must check."""

from __future__ import annotations

from datetime import date
from typing import Any

from formservice.denials.layout import PageLayout, build_lines
from formservice.denials.parse import parse_denial as _parse_denial
from formservice.denials.words import Word
from formservice.model.denial import Denial


def parse(text: str, **kwargs: Any) -> dict[str, Any]:
    return _parse_denial([(1, text)], **kwargs).to_json()


CLAIM = """Northwind Health Plan
PO Box 4410 | Seattle, WA 98101
Date: 03/15/2026
Patient: Maria Samplename
Claim No.: 2026031500123   DOS: 03/02/2026
Service: Scalp cooling, CPT 0662T
"""


def test_member_id_labels_of_other_payers() -> None:
    assert parse("Policy Number: 111222333444")["member_id"] == "111222333444"
    assert parse("NAME DOE, JANE MID 1EG4TE5MK73 ACNT 12345 ICN 0226031600456")["member_id"] == (
        "1EG4TE5MK73"
    )
    assert parse("Member Number: UL*1234")["member_id"] == "UL*1234"
    assert parse("RECIPIENT ID: *****62910")["member_id"] == "*****62910"
    assert parse("Member ID    SBH 6620 1187 03")["member_id"] == "SBH 6620 1187 03"


def test_claim_labels_of_other_payers() -> None:
    assert parse("CLM#:PLH-0118-449302")["claim_number"] == "PLH-0118-449302"
    assert parse("TCN:    26040-0031-7788-0")["claim_number"] == "26040-0031-7788-0"
    assert parse("Claim Control Number: OV2511800274")["claim_number"] == "OV2511800274"


def test_a_label_over_its_value_in_a_column() -> None:
    text = "Patient Name:            Date of Service:\nLOPEZ, ANA M              08/11/2025\n"
    result = parse(text)
    assert result["patient_name"] == "Ana M Lopez"
    assert result["date_of_service"] == "2025-08-11"


def test_two_letterhead_columns_are_not_one_payer() -> None:
    text = (
        "MEDICARE                         MEDICARE\nPART B                           REMITTANCE\n"
    )
    assert parse(text + "DATE: 03/16/2026\n")["payer_name"] == "MEDICARE PART B"


def test_a_rarc_after_a_carc_and_prose_codes() -> None:
    result = parse(CLAIM + "The add-on was denied: CARC 97 N122.\n")
    assert (result["carc_codes"], result["rarc_codes"]) == (["97"], ["N122"])
    prose = parse(CLAIM + "Denied: claim adjustment reason code 197 applies.\n")
    assert prose["carc_codes"] == ["197"]
    assert prose["categories"] == ["no_prior_authorization"]


def test_group_codes_with_a_space_or_without_a_hyphen() -> None:
    assert parse(CLAIM + "Reason: CO 197.\n")["carc_codes"] == ["197"]
    assert parse(CLAIM + "Reason: PR96.\n")["carc_codes"] == ["96"]


def test_non_covered_by_medicare_is_a_category() -> None:
    text = CLAIM + "The chair (HCPCS code E2040) is non-covered by Medicare.\n"
    assert parse(text)["categories"] == ["not_covered_benefit"]


def test_routine_codes_are_adjustments_not_reasons() -> None:
    text = CLAIM + (
        "DOS CPT Units Billed Allowed Paid Adj Adj Amt\n"
        "03/02/2026 96413 1 500.00 300.00 260.00 CO-45 200.00\n"
        "                                         PR-2 40.00\n"
        "03/02/2026 0663T 1 450.00 0.00 0.00 CO-50 450.00\n"
    )
    result = parse(text)
    assert result["carc_codes"] == ["50"]
    assert result["categories"] == ["medical_necessity"]
    assert result["procedure_codes"] == ["96413", "0663T"]  # chemo administration included
    assert {(a["group"], a["carc"], a["amount"]) for a in result["adjustments"]} == {
        ("CO", "45", 200.0),
        ("PR", "2", 40.0),
    }
    first = result["service_lines"][0]
    assert (first["billed"], first["allowed"], first["paid"], first["units"]) == (500, 300, 260, 1)


def test_commercial_products_are_a_plan_type_and_medicaid_is_medicaid() -> None:
    assert parse(CLAIM + "Plan type   Commercial EPO\n")["plan_type"] == "commercial"
    assert parse(CLAIM + "PPO Plus (commercial) statement.\n")["plan_type"] == "commercial"
    medicaid = parse(CLAIM + "A Medicaid managed care plan.\n")
    assert medicaid["plan_type"] == "medicaid"
    assert parse(CLAIM)["plan_type"] is None


def test_deadlines_in_months_and_years_and_only_the_first_level() -> None:
    months = parse(
        CLAIM + "You may request reconsideration within six (6) months of this notice.\n"
    )
    assert months["appeal_deadline"] == "2026-09-15"
    years = parse(CLAIM + "YOU HAVE ONE (1) YEAR FROM THE DATE OF THIS NOTICE TO APPEAL.\n")
    assert years["appeal_deadline"] == "2027-03-15"
    later = parse(
        CLAIM + "You may file an internal appeal within 180 days of the date of this letter. "
        "You must ask for an external review within four (4) months after our final internal "
        "decision.\n"
    )
    assert later["appeal_deadline"] == "2026-09-11"


def test_where_to_send_an_appeal() -> None:
    text = CLAIM + (
        "Send appeals to: Northwind Health Plan, Appeals Unit, PO Box 4499, Seattle, WA 98101. "
        "Fax 206-555-0199.\n"
    )
    assert parse(text)["appeal_to"] == {
        "name": "Northwind Health Plan, Appeals Unit",
        "address": "PO Box 4499, Seattle, WA 98101",
        "fax": "206-555-0199",
        "phone": None,
        "portal": None,
    }
    assert parse(CLAIM)["appeal_to"] is None


def _ocr_page(words: list[tuple[str, float]]) -> PageLayout:
    placed = []
    x = 72.0
    for text, conf in words:
        placed.append(Word(text, x, 100.0, x + 7 * len(text), 110.0, 10.0, conf))
        x += 7 * len(text) + 5
    return PageLayout(1, build_lines(placed, 1, ocr=True), source="ocr")


def test_an_unsure_ocr_word_is_named_for_review_never_silent() -> None:
    # Issue #12: OCR read TMA800112233 for TMA900112233 at 0.85 and it reached an appeal.
    page = _ocr_page([("Member", 0.96), ("ID:", 0.95), ("TMA800112233", 0.85)])
    result = _parse_denial([page]).to_json()
    assert result["member_id"] == "TMA800112233"
    assert "member_id" in result["review_fields"]
    assert result["needs_review"] is True
    sure = _parse_denial([_ocr_page([("Member", 0.96), ("ID:", 0.95), ("TMA900112233", 0.96)])])
    assert "member_id" not in sure.review_fields


def test_missing_appeal_facts_are_named() -> None:
    result = parse("Northwind Health Plan\nScalp cooling is not medically necessary.\n")
    for name in ("member_id", "patient_name", "claim_number", "date_of_service",
                 "procedure_codes", "appeal_deadline"):  # fmt: skip
        assert name in result["review_fields"], name


def test_the_denial_json_round_trips_with_the_new_parts() -> None:
    text = CLAIM + (
        "DOS CPT Units Billed Allowed Paid Adj Adj Amt\n"
        "03/02/2026 0663T 1 450.00 0.00 0.00 CO-50 450.00\n"
        "Send appeals to: Northwind Health Plan, Appeals Unit, PO Box 4499, Seattle, WA 98101.\n"
    )
    parsed = _parse_denial([(1, text)], today=date(2026, 4, 1))
    again = Denial.from_json(parsed.to_json())
    assert again == parsed
    assert again.service_lines[0].adjustments[0].carc == "50"
    assert again.appeal_to is not None
    assert again.appeal_to.address == "PO Box 4499, Seattle, WA 98101"
    assert set(parsed.facts_json()) >= {
        "review_fields",
        "service_lines",
        "adjustments",
        "appeal_to",
    }
