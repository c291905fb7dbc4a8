"""What an appeal argues: a section per denial reason, its evidence, the remedy, enclosures."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from formservice.denials.taxonomy import CATEGORIES
from formservice.model import Case, Denial, PacketContents, PriorAuthorization
from formservice.reimbursement import appeals as _appeals
from formservice.reimbursement.evidence import assemble_evidence
from formservice.reimbursement.evidence_data import load_evidence
from formservice.schemas.case import load_case

REPO = Path(__file__).resolve().parents[2]
APPEALS_DATA = REPO / "formservice" / "reimbursement" / "data" / "appeals.yaml"
DENIALS = sorted((REPO / "samples" / "denials").glob("*.json"))


class _TypedAppeals:
    """The appeals rules, called with denial JSON typed at this boundary as the service does."""

    def __getattr__(self, name: str) -> Any:
        found = getattr(_appeals, name)
        if not callable(found) or isinstance(found, type):
            return found

        def call(*args: Any, **kwargs: Any) -> Any:
            typed = [Denial.from_json(a) if isinstance(a, dict) else a for a in args]
            return found(*typed, **kwargs)

        return call


appeals = _TypedAppeals()


def denial(stem: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((REPO / "samples" / "denials" / f"{stem}.json").read_text())
    return data


def case(stem: str = "01_breast_commercial_office") -> Case:
    return load_case(json.loads((REPO / "samples" / "cases" / f"{stem}.json").read_text()))


def appeals_remedies() -> set[str]:
    return set(yaml.safe_load(APPEALS_DATA.read_text())["remedies"])


def with_pa(base: Case, **pa: Any) -> Case:
    return dataclasses.replace(base, prior_authorization=PriorAuthorization(**pa))


def text_of(argument: _appeals.Argument) -> str:
    return " ".join((argument.heading, *argument.paragraphs, *argument.bullets))


def test_every_contract_category_has_an_appeal_argument() -> None:
    lib = load_evidence()
    for category in CATEGORIES:
        text = lib.appeals[category]
        assert text.heading, category
        assert text.variants[-1].when == "default", category
        assert text.remedy in appeals_remedies(), category


def test_placeholders_in_the_data_are_all_known() -> None:
    facts = appeals._facts(denial("01_erisa_medical_necessity"), case(), load_evidence())
    for text in load_evidence().appeals.values():
        for variant in text.variants:
            for line in (*variant.paragraphs, *variant.bullets, text.heading):
                for name in re.findall(r"\{(\w+)(?::[\w,]+)?\}", line):
                    assert name == "cite" or name in facts, (text.category, name)


@pytest.mark.parametrize("path", DENIALS, ids=[p.stem for p in DENIALS])
def test_one_section_per_reason_category_in_order(path: Path) -> None:
    d = json.loads(path.read_text())
    found = appeals.appeal_arguments(d, case())
    expected = list(dict.fromkeys(r["category"] for r in d["reasons"]))
    assert [a.category for a in found] == expected
    for argument in found:
        mine = [r for r in d["reasons"] if r["category"] == argument.category]
        assert [q.evidence for q in argument.quotes] == [
            " ".join(r["evidence"].split()) for r in mine
        ]
        body = text_of(argument)
        assert "{" not in body
        assert "None" not in body
        assert argument.paragraphs


def test_medical_necessity_cites_the_trials_and_nccn() -> None:
    (arg,) = appeals.appeal_arguments(denial("01_erisa_medical_necessity"), case())
    body = text_of(arg)
    assert "SCALP randomized trial" in body
    assert "50.5%" in body
    assert "category 2A" in body
    assert "NCCN Guidelines for Breast Cancer" in body
    # The numbers are the LMN's: assemble_evidence over the same categories.
    refs = assemble_evidence(appeals.evidence_categories([arg])).references
    assert [r.key for r in refs][:2] == ["nangia_2017_scalp", "rugo_2017_jama"]
    assert "[1]" in body
    assert "[4, 5]" in body


def test_experimental_answer_is_the_fda_clearance_and_guidelines() -> None:
    first, second = appeals.appeal_arguments(denial("02_erisa_experimental_records"), case())
    body = text_of(first)
    assert "K173032" in body
    assert "21 CFR 878.4360" in body
    assert "European Society for Medical Oncology" in body
    assert "not experimental or investigational" in body
    assert second.category == "missing_documentation"
    assert any("Pathology report" in b for b in second.bullets)


def test_cosmetic_wording_in_a_necessity_denial_raises_the_toxicity_argument() -> None:
    (arg,) = appeals.appeal_arguments(denial("03_ma_cosmetic_scan"), case())
    assert arg.category == "medical_necessity"
    assert arg.themes == ("cosmetic",)
    assert "toxicity" in " ".join(arg.paragraphs[-1:])
    assert "lacouture_2021_esmo" in arg.cites


def test_not_covered_is_answered_as_a_treatment_toxicity() -> None:
    (arg,) = appeals.appeal_arguments(denial("07_erisa_exclusion_no_deadline"), case())
    body = text_of(arg)
    assert "toxicity" in body
    assert "not a cosmetic service" in body
    assert arg.themes == ()  # the section already answers the cosmetic theme


def test_safety_wording_raises_the_scalp_metastasis_evidence() -> None:
    d = denial("01_erisa_medical_necessity")
    d["reasons"][0]["evidence"] = "Scalp cooling carries a risk of scalp metastases (CARC 50)."
    (arg,) = appeals.appeal_arguments(d, case())
    assert arg.themes == ("safety",)
    assert "0.61% vs 0.41%" in text_of(arg)
    assert "rugo_2017_metastases" in arg.cites


def test_no_prior_authorization_with_a_pa_on_file_states_it() -> None:
    pa_case = with_pa(
        case(),
        required=True,
        status="approved",
        number="PA-TEST-7781",
        submitted_on=date(2026, 1, 22),
    )
    d = denial("04_medicaid_no_auth")
    (arg,) = appeals.appeal_arguments(d, pa_case)
    body = text_of(arg)
    assert "PA-TEST-7781" in body
    assert "January 22, 2026" in body
    assert "approved" in body
    assert arg.remedy == "pay_claim"
    assert appeals.appeal_remedy(d, pa_case).startswith("overturn the denial and reprocess claim")
    assert "Prior authorization PA-TEST-7781 and its determination" in appeals.appeal_enclosures(
        d, pa_case, [arg]
    )


def test_no_prior_authorization_without_one_asks_for_retro_authorization() -> None:
    d = denial("04_medicaid_no_auth")
    (arg,) = appeals.appeal_arguments(d, case())
    assert "retroactive authorization" in text_of(arg)
    assert "February 2, 2026" in text_of(arg)  # chemotherapy start, from the case
    remedy = appeals.appeal_remedy(d, case())
    assert remedy.startswith("accept this letter as a request for retroactive authorization")
    assert "WCM-26-0049812" in remedy
    # Without the case, the category's own remedy.
    assert appeals.appeal_remedy(d).startswith("accept this letter as a request for retroactive")


def test_a_denied_or_late_pa_is_stated_as_it_is() -> None:
    d = denial("04_medicaid_no_auth")  # date of service February 3, 2026
    denied = with_pa(case(), status="denied", number="PA-D-1", submitted_on=date(2026, 1, 20))
    (arg,) = appeals.appeal_arguments(d, denied)
    assert arg.heading == "Authorization was requested"
    assert "request PA-D-1, submitted on January 20, 2026, was denied" in text_of(arg)
    late = with_pa(case(), status="submitted", number="PA-L-2", submitted_on=date(2026, 2, 10))
    (arg,) = appeals.appeal_arguments(d, late)
    assert "submitted on February 10, 2026, after the date of service" in text_of(arg)
    assert arg.remedy == "retro_authorization"
    assert "Prior authorization PA-L-2 and its determination" in appeals.appeal_enclosures(
        d, late, [arg]
    )


def test_pa_not_required_is_the_reason_given() -> None:
    (arg,) = appeals.appeal_arguments(
        denial("04_medicaid_no_auth"), with_pa(case(), required=False, status="not_required")
    )
    assert "indicated that none was required" in text_of(arg)


def test_authorization_mismatch_names_the_authorization() -> None:
    (arg,) = appeals.appeal_arguments(denial("24_medicaid_auth_exceeded"), case())
    body = text_of(arg)
    assert "PA-77120-B" in body
    assert "extend the authorization" in body


def test_coding_error_lists_the_corrected_codes() -> None:
    d = denial("13_commercial_coding_bundled")
    coding, bundled = appeals.appeal_arguments(d, case())
    bullets = " | ".join(coding.bullets)
    assert "CPT 0662T \u00d7 1 unit, on the first session date (February 2, 2026)" in bullets
    assert "CPT 0663T \u00d7 1 unit per chemotherapy session (6 planned)" in bullets
    assert "CPT 96413" in bullets
    assert "Place of service 11 (Office)" in bullets
    assert "ICD-10-CM C50.911" in bullets
    assert "96409\u201396417" in text_of(coding)
    assert "status indicator S" in text_of(bundled)
    assert appeals.appeal_remedy(d, case()).startswith(
        "reprocess claim C2026062200913 with the corrected coding"
    )


def test_bundled_in_hospital_outpatient_asks_for_0662t_only() -> None:
    d = denial("05_eob_bundled_records")
    only_bundled = {**d, "categories": ["bundled"], "reasons": d["reasons"][1:]}
    (arg,) = appeals.appeal_arguments(only_bundled, case("02_ovarian_medicare_outpatient"))
    assert "reprocess CPT 0662T for separate payment" in text_of(arg)


@pytest.mark.parametrize(
    ("stem", "needle"),
    [
        ("11_eob_timely_filing_scan", "proof of timely filing"),
        ("09_eob_duplicate", "not duplicates"),
        ("14_erisa_eligibility", "re-verify eligibility"),
        ("10_aca_out_of_network", "network adequacy (gap) exception"),
        ("15_eob_frequency_scan", "exception to the session limit"),
        ("16_wrong_payer", "coordination-of-benefits"),
        ("17_eob_other_provider_cert", "reconsider this decision"),
    ],
)
def test_procedural_reasons_get_an_honest_request(stem: str, needle: str) -> None:
    (arg,) = appeals.appeal_arguments(denial(stem), case())
    assert needle in text_of(arg)
    assert arg.cites == ()


def test_pre_service_denial_asks_for_the_authorization() -> None:
    d = denial("27_erisa_preservice_reference")
    assert appeals.is_pre_service(d)
    assert not appeals.is_pre_service(denial("01_erisa_medical_necessity"))
    assert appeals.appeal_remedy(d, case()) == (
        "overturn the adverse determination and approve authorization request 2026-PA-55120 "
        "for CPT 0662T and 0663T"
    )


def test_deadline_sentence_says_which_rule_and_whether_it_was_met() -> None:
    d = denial("01_erisa_medical_necessity")
    timely = appeals.deadline_text(d, date(2026, 4, 1))
    assert timely.startswith("This appeal is timely")
    assert "September 11, 2026" in timely
    assert "within 180 days of the date of this notice" in timely
    late = appeals.deadline_text(d, date(2026, 10, 1))
    assert "good cause" not in late  # no cause given (a hub override): none asked for
    assert "timely" not in late
    late_with_cause = appeals.deadline_text(d, date(2026, 10, 1), late_reason="the fax was lost")
    assert "Good cause for the late filing: the fax was lost." in late_with_cause
    timely_with_cause = appeals.deadline_text(d, date(2026, 4, 1), late_reason="not needed")
    assert "late filing" not in timely_with_cause  # a timely appeal states no good cause
    rule = appeals.deadline_text(denial("07_erisa_exclusion_no_deadline"), date(2026, 2, 1))
    assert "the rule for this plan type: employer group plan (ERISA), 180 days" in rule
    silent = appeals.deadline_text(
        {**d, "appeal_deadline": None, "appeal_deadline_basis": None}, date(2026, 4, 14)
    )
    assert "states no appeal deadline" in silent
    assert "30 days after the date of the notice" in silent
    assert "2560.503-1(h)(3)(i)" in silent


def test_erisa_requests_only_for_erisa_plans() -> None:
    erisa = appeals.erisa_requests(denial("01_erisa_medical_necessity"))
    assert any("2560.503-1(h)(2)(iii)" in p for p in erisa)
    assert any("(g)(1)(v)" in p for p in erisa)
    assert appeals.erisa_requests(denial("04_medicaid_no_auth"), case()) == []
    # A denial that does not say its plan type falls back to the case's.
    erisa_case = case("06_breast_erisa_not_covered")
    assert appeals.erisa_requests(denial("05_eob_bundled_records"), erisa_case)


def test_enclosures_follow_the_reasons() -> None:
    d = denial("02_erisa_experimental_records")
    found = appeals.appeal_enclosures(d, case(), appeals.appeal_arguments(d, case()))
    assert found[0] == "Copy of the denial letter dated April 2, 2026"
    assert "Letter of Medical Necessity from the treating physician" in found
    assert "FDA 510(k) clearance letter for the scalp cooling system" in found
    assert "Pathology report" in found
    assert found[-1] == "Copies of the references cited"
    assert len(found) == len(set(found))
    procedural = denial("11_eob_timely_filing_scan")
    listed = appeals.appeal_enclosures(
        procedural, case(), appeals.appeal_arguments(procedural, case())
    )
    assert "Copies of the references cited" not in listed
    assert any(e.startswith("Proof of timely filing") for e in listed)


def test_a_denial_with_no_reasons_gets_a_reconsideration() -> None:
    (arg,) = appeals.appeal_arguments({"categories": [], "reasons": []}, case())
    assert arg.category == "other"
    assert arg.quotes == ()


def test_a_category_without_a_reason_sentence_still_gets_its_section() -> None:
    d = denial("05_eob_bundled_records")
    found = appeals.appeal_arguments({**d, "reasons": d["reasons"][1:]}, case())
    assert [a.category for a in found] == ["bundled", "missing_documentation"]
    assert found[1].quotes == ()


def test_an_unknown_category_is_answered_as_other_with_its_quote() -> None:
    d = {"reasons": [{"category": "made_up", "carc": "A1", "evidence": "Denied for reasons."}]}
    (arg,) = appeals.appeal_arguments(d, case())
    assert arg.category == "other"
    assert [q.evidence for q in arg.quotes] == ["Denied for reasons."]


def test_a_packets_letter_lists_only_the_packets_parts_and_the_rest_is_to_add() -> None:
    """In a packet the list is the packet's parts after the letter, in its order; what the
    appeal calls for besides becomes "Add before sending: ..." (and the standalone list, the
    same call, is unchanged)."""
    d = denial("02_erisa_experimental_records")
    arguments = appeals.appeal_arguments(d, case())
    standalone = appeals.appeal_enclosures(d, case(), arguments)
    bare = PacketContents()  # LMN and the denial letter only: no notes, no PA form
    found = appeals.appeal_enclosure_list(d, case(), arguments, bare)
    assert found.listed == (
        "Letter of medical necessity from the treating physician",
        "Copy of the denial letter dated April 2, 2026",
    )
    assert appeals.appeal_enclosures(d, case(), arguments, bare) == list(found.listed)
    assert "Pathology report" in standalone
    assert "pathology report" in found.to_add
    assert "FDA 510(k) clearance letter for the scalp cooling system" in found.to_add
    assert found.to_add[-1].startswith("copies of the references cited")
    warnings = appeals.enclosure_warnings(found)
    assert warnings[0].startswith("Add before sending: FDA 510(k) clearance letter")
    # A denial read from an 835 with a PA form sent: the remittance page and the form listed;
    # the determination is still to add.
    pa_case = with_pa(case(), required=True, status="denied", number="PA-9")
    remit = PacketContents(denial_copy="remittance", clinical_notes=True, pa_form=True)
    d = denial("04_medicaid_no_auth")
    found = appeals.appeal_enclosure_list(d, pa_case, appeals.appeal_arguments(d, pa_case), remit)
    assert found.listed == (
        "Letter of medical necessity from the treating physician",
        f"Remittance advice (835) for claim {d['claim_number']}",
        "Clinical notes",
        "Prior authorization request form (PA-9)",
    )
    assert found.to_add == (
        "the chemotherapy treatment plan",
        "the payer's determination on prior authorization PA-9",
    )


def test_the_packets_contents_follow_the_case_and_the_pa_record() -> None:
    d = Denial.from_json(denial("01_erisa_medical_necessity"))
    noteless = dataclasses.replace(case(), clinical_notes="  ")
    assert appeals.packet_contents(noteless, d, ()).parts == ("lmn", "denial_letter")
    sent = ({"status": "submitted", "form": "nwhp_scalp_cooling_precert"},)
    assert appeals.packet_contents(case(), d, sent, remittance=True).parts == (
        "lmn",
        "remittance",
        "clinical_notes",
        "pa_form",
    )
