"""parse_denial on letter texts: labels, distractors, dates, codes, reasons and deadlines."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from formservice.denials import taxonomy
from formservice.denials.parse import parse_date
from formservice.denials.parse import parse_denial as _parse_denial
from tests.helpers.denials import CONTRACT_KEYS


def parse_denial(*args: Any, **kwargs: Any) -> dict[str, Any]:
    """The parser's result as the JSON the API shows (CONTRACT.md §4)."""
    return _parse_denial(*args, **kwargs).to_json()


HEADER = """Northwind Health Plan
PO Box 4410 | Seattle, WA 98101
Customer Service: 1-800-555-0142 | Fax: (206) 555-0199
March 15, 2026
Patient Name: Maria Samplename
Member ID: NWH123456789
Group No.: 884512
Claim No.: 2026031500123
Date of Service: 03/02/2026
Provider: Sampletown Oncology, NPI 1234567893
Service: Scalp cooling, CPT 0662T, 0663T
"""


def parse(text: str, **kwargs: Any) -> dict[str, Any]:
    return parse_denial([(1, text)], **kwargs)


def test_result_has_exactly_the_contract_keys_plus_evidence() -> None:
    result = parse(HEADER + "Scalp cooling is not medically necessary.")
    assert set(result) == CONTRACT_KEYS | {"evidence"}


def test_labelled_facts_and_their_evidence() -> None:
    result = parse(HEADER + "Scalp cooling is not medically necessary.")
    assert result["payer_name"] == "Northwind Health Plan"
    assert result["member_id"] == "NWH123456789"
    assert result["claim_number"] == "2026031500123"
    assert result["patient_name"] == "Maria Samplename"
    assert result["letter_date"] == "2026-03-15"
    assert result["date_of_service"] == "2026-03-02"
    assert result["evidence"]["member_id"] == {
        "page": 1, "text": "Member ID: NWH123456789", "confidence": 0.95,
    }  # fmt: skip
    assert result["evidence"]["claim_number"]["text"] == "Claim No.: 2026031500123"


def test_distractor_numbers_are_not_reported() -> None:
    text = """Fabrikam Health
Fax: (214) 555-0100  Phone: 1-877-555-0123
Group ID No.: 884512   Provider ID #: P100234   Tax ID #: 91-0000001
Patient Account #: 55012   NPI: 1234567893
Springfield, IL 62701
Claim denied: duplicate claim.
"""
    result = parse(text)
    assert result["member_id"] is None
    assert result["claim_number"] is None
    assert result["patient_name"] is None
    assert result["procedure_codes"] == []
    assert result["diagnosis_codes"] == []
    assert result["carc_codes"] == []
    assert result["categories"] == ["duplicate"]


@pytest.mark.parametrize(
    ("line", "field", "value"),
    [
        ("Member ID: NWH123456789", "member_id", "NWH123456789"),
        ("Member ID #: TMA900112233", "member_id", "TMA900112233"),
        ("Subscriber #: CMI-4471-0093", "member_id", "CMI-4471-0093"),
        ("ID No. ADT5566778", "member_id", "ADT5566778"),
        ("Medicaid ID: MC40019283", "member_id", "MC40019283"),
        ("Claim No.: 2026031500123", "claim_number", "2026031500123"),
        ("ICN: 22260410023450", "claim_number", "22260410023450"),
        ("Reference # AD260608331", "claim_number", "AD260608331"),
        ("Claim #: MA26050600417", "claim_number", "MA26050600417"),
        ("Auth No. PA-2026-00417", "authorization_number", "PA-2026-00417"),
        ("DOS: 3/2/26", "date_of_service", "2026-03-02"),
        ("Service Date(s): 04/27/2026 - 04/28/2026", "date_of_service", "2026-04-27"),
        ("Dates of Service: March 2, 2026", "date_of_service", "2026-03-02"),
        ("Notice Date: 2026-03-15", "letter_date", "2026-03-15"),
        ("Remit Date: 15-Mar-2026", "letter_date", "2026-03-15"),
        ("Member Name: SAMPLENAME, MARIA", "patient_name", "Maria Samplename"),
        ("RE: Jordan Fakeperson", "patient_name", "Jordan Fakeperson"),
    ],
)
def test_label_variants(line: str, field: str, value: str) -> None:
    assert parse(line)[field] == value


def test_dos_in_a_table_column() -> None:
    text = "DOS CPT/HCPCS Units Billed Paid Adj\n03/09/2026 0662T 1 1,250.50 0.00 CO-97\n"
    result = parse(text)
    assert result["date_of_service"] == "2026-03-09"
    assert result["procedure_codes"] == ["0662T"]
    assert result["evidence"]["date_of_service"]["text"].startswith("03/09/2026 0662T")


def test_letter_date_is_not_a_date_of_service_or_termination_date() -> None:
    text = "Service Date: 04/06/2026\nCoverage termination date: 01/31/2026\nDate: 04/28/2026\n"
    assert parse(text)["letter_date"] == "2026-04-28"


@pytest.mark.parametrize(
    "text",
    ["2026-03-15", "03/15/2026", "3/15/26", "March 15, 2026", "Mar 15 2026", "Mar. 15th, 2026",
     "15 March 2026", "15-Mar-2026", "03-15-2026", "Sept 15, 2026"],
)  # fmt: skip
def test_date_formats(text: str) -> None:
    expected = date(2026, 9 if "Sep" in text else 3, 15)
    assert parse_date(f"on {text}.") == expected


def test_phone_numbers_and_ids_are_not_dates() -> None:
    assert parse_date("call 1-800-555-0142 or fax 206-555-0199, tax id 91-0000001") is None
    assert parse_date("13/45/2026") is None


def test_codes_cpt_icd_carc_rarc() -> None:
    text = HEADER + (
        "Service: Scalp cooling, CPT 0662T, 0663T with 96413\n"
        "Diagnosis: C50.911, Z51.11\n"
        "03/02/2026 0662T CO-50 N115\n"
        "CO-50 N115: Not deemed a medical necessity; decision based on an LCD.\n"
    )
    result = parse(text)
    assert result["procedure_codes"] == ["0662T", "0663T", "96413"]
    assert result["diagnosis_codes"] == ["C50.911", "Z51.11"]
    assert result["carc_codes"] == ["50"]
    assert result["rarc_codes"] == ["N115"]
    [reason] = result["reasons"]
    assert reason["category"] == "medical_necessity"
    assert reason["carc"] == "50"
    assert reason["evidence"] == (
        "CO-50 N115: Not deemed a medical necessity; decision based on an LCD."
    )


def test_rarc_like_tokens_are_not_diagnoses() -> None:
    result = parse("Procedure code 0662T is inconsistent with the diagnosis billed (CO-11, M76).")
    assert result["diagnosis_codes"] == []
    assert result["rarc_codes"] == ["M76"]
    assert result["categories"] == ["coding_error"]


def test_group_prefixes_are_dropped_and_unknown_carc_is_other() -> None:
    result = parse(HEADER + "PR-204 applies. OA-18 duplicate. CO-B7: provider not certified.\n")
    assert result["carc_codes"] == ["204", "18", "B7"]
    assert result["categories"] == ["not_covered_benefit", "duplicate", "other"]
    other = result["reasons"][2]
    assert other["confidence"] < 0.6
    assert result["needs_review"] is True


def test_several_reasons_from_phrases_each_with_its_sentence() -> None:
    text = HEADER + (
        "We asked for the treatment plan and it was not provided. The medical records were not "
        "received.\nThe service was also provided without prior authorization.\n"
        "The plan considers scalp cooling experimental and investigational.\n"
    )
    result = parse(text)
    assert result["categories"] == [
        "missing_documentation", "no_prior_authorization", "experimental_investigational",
    ]  # fmt: skip
    evidence = {r["category"]: r["evidence"] for r in result["reasons"]}
    assert evidence["no_prior_authorization"] == (
        "The service was also provided without prior authorization."
    )


def test_boilerplate_about_hypothetical_denials_names_no_reason() -> None:
    text = HEADER + (
        "We denied the claim because it is a duplicate claim.\n"
        "If your claim was denied as experimental or investigational, or as not medically "
        "necessary, you may also ask for an external review.\n"
    )
    assert parse(text)["categories"] == ["duplicate"]


def test_deadline_stated_date_wins() -> None:
    text = HEADER + (
        "Denied: not medically necessary.\nYou may appeal within 180 days of the date of this "
        "notice. Your appeal must be received no later than 30-Sep-2026.\n"
    )
    result = parse(text)
    assert result["appeal_deadline"] == "2026-09-30"
    assert result["appeal_days"] is None
    assert result["appeal_deadline_basis"] == "letter states the date: no later than 30-Sep-2026"


def test_deadline_counted_from_the_letter_date() -> None:
    text = HEADER + "Not medically necessary.\nYou may appeal within 180 days of this notice.\n"
    result = parse(text)
    assert result["appeal_deadline"] == "2026-09-11"
    assert result["appeal_days"] == 180
    assert result["appeal_deadline_basis"] == "letter states: within 180 days of this notice"
    assert result["evidence"]["appeal_deadline"]["text"] == (
        "You may appeal within 180 days of this notice."
    )
    assert result["needs_review"] is False


def test_medicare_receipt_presumption_adds_five_days() -> None:
    text = HEADER.replace("Northwind Health Plan", "Litware Medicare Services") + (
        "Medicare Remittance Advice from your Medicare Administrative Contractor.\n"
        "CO-50: not deemed a medical necessity.\n"
        "You may ask for a redetermination within 120 days from the date you receive this notice.\n"
    )
    result = parse(text)
    assert result["plan_type"] == "medicare_ffs"
    assert result["appeal_deadline"] == "2026-07-18"  # 2026-03-15 + 5 + 120
    assert "receipt presumed 5 days" in result["appeal_deadline_basis"]


@pytest.mark.parametrize(
    ("signal", "plan_type", "deadline", "days"),
    [
        ("This employer-sponsored group health plan is governed by ERISA.", "erisa",
         "2026-09-11", 180),
        ("NOTICE OF DENIAL OF PAYMENT from your Medicare Advantage plan.", "medicare_advantage",
         "2026-05-19", 65),
        ("Your Medicaid managed care plan has made this decision.", "medicaid",
         "2026-05-14", 60),
    ],
)  # fmt: skip
def test_plan_rule_when_the_letter_states_no_deadline(
    signal: str, plan_type: str, deadline: str, days: int
) -> None:
    result = parse(HEADER + signal + "\nScalp cooling is not medically necessary.\n")
    assert result["plan_type"] == plan_type
    assert result["appeal_deadline"] == deadline
    assert result["appeal_days"] == days
    assert result["appeal_deadline_basis"].startswith("plan rule: ")
    assert result["needs_review"] is False


def test_decision_times_and_fair_hearing_windows_are_not_the_appeal_window() -> None:
    text = HEADER + (
        "Not medically necessary.\nWe will decide your appeal within 30 days.\n"
        "After you appeal to the plan, you may ask for a State fair hearing within 120 days.\n"
        "You must ask for an appeal within 60 days from the date on this notice.\n"
    )
    result = parse(text)
    assert result["appeal_days"] == 60
    assert result["appeal_deadline"] == "2026-05-14"


def test_no_deadline_and_no_plan_type_needs_review() -> None:
    result = parse(HEADER + "CO-97: included in the payment for another service.\n")
    assert result["categories"] == ["bundled"]
    assert result["appeal_deadline"] is None
    assert result["appeal_deadline_basis"] is None
    assert result["needs_review"] is True


@pytest.mark.parametrize("pages", [[], [(1, "")], [(1, "Lorem ipsum dolor sit amet 42.")]])
def test_nothing_recognisable_gives_empty_result_for_review(pages: list[tuple[int, str]]) -> None:
    result = parse_denial(pages)
    assert result["needs_review"] is True
    for key in CONTRACT_KEYS - {"text_source", "pages", "needs_review", "review_fields"}:
        assert result[key] in (None, []), key
    # Every fact an appeal needs is missing, and named for the reviewer.
    assert {"payer_name", "member_id", "patient_name", "date_of_service", "procedure_codes",
            "appeal_deadline"} <= set(result["review_fields"])  # fmt: skip
    assert set(result["evidence"]) <= {"review"}


def test_ocr_pages_lower_confidence_and_report_source() -> None:
    result = parse_denial([(1, "Member ID: NWH123456789", "ocr")])
    assert result["text_source"] == "ocr"
    assert result["evidence"]["member_id"]["confidence"] == pytest.approx(0.95 * 0.9, abs=0.01)


def test_ocr_split_id_is_joined() -> None:
    result = parse_denial([(1, "Claim #: MA2605060041 7\nClaim Number: €2026030300455", "ocr")])
    assert result["claim_number"] == "MA26050600417"


def test_today_flags_a_letter_dated_in_the_future_and_a_past_deadline() -> None:
    text = HEADER + "Not medically necessary.\nYou may appeal within 180 days of this notice.\n"
    assert parse(text, today=date(2026, 3, 1))["needs_review"] is True
    later = parse(text, today=date(2026, 12, 1))
    assert later["needs_review"] is False
    assert later["evidence"]["appeal_deadline"]["passed"] is True


def test_every_domain_carc_maps_to_a_contract_category() -> None:
    domain = {
        "4": "coding_error", "11": "coding_error", "15": "authorization_mismatch",
        "16": "missing_documentation", "18": "duplicate", "27": "eligibility",
        "29": "timely_filing", "39": "no_prior_authorization", "50": "medical_necessity",
        "55": "experimental_investigational", "56": "experimental_investigational",
        "96": "not_covered_benefit", "97": "bundled", "109": "wrong_payer",
        "151": "frequency_limit", "167": "not_covered_benefit", "197": "no_prior_authorization",
        "198": "authorization_mismatch", "204": "not_covered_benefit",
        "226": "missing_documentation", "252": "missing_documentation", "234": "bundled",
        "242": "out_of_network", "243": "out_of_network", "284": "authorization_mismatch",
        "296": "authorization_mismatch",
    }  # fmt: skip
    for code, category in domain.items():
        meaning = taxonomy.carc_meaning(code)
        assert meaning is not None, code
        assert meaning.category == category, code
    rules, _ = taxonomy.phrase_rules()
    assert {r.category for r in rules} <= set(taxonomy.CATEGORIES)


def test_deadline_rules_are_keyed_by_effective_date() -> None:
    rule = taxonomy.deadline_rule("medicare_ffs", date(2026, 1, 1))
    assert rule is not None
    assert (rule.days, rule.receipt_presumption_days) == (120, 5)
    assert taxonomy.deadline_rule("medicare_advantage", date(2010, 1, 1)) is None
    assert set(taxonomy.plan_types()) >= {
        "erisa", "medicare_ffs", "medicare_advantage", "medicaid_managed_care",
    }  # fmt: skip


def test_a_claim_named_as_the_duplicated_one_is_not_this_claim() -> None:
    result = parse("Claim denied: this is a duplicate of claim FH2605010118.")
    assert result["claim_number"] is None
    assert result["categories"] == ["duplicate"]
