"""Issue 14 items 2 and 9: the Medicare fee-for-service pathway, and letters dated after the
planned start of treatment (retroactive requests, with a warning)."""

from __future__ import annotations

import dataclasses
from datetime import date

from formservice.documents.docx.ooxml import document_text
from formservice.model import CaseFacts, DocumentRequest
from formservice.reimbursement.checklists import claim_checklist, pa_checklist
from formservice.schemas.case import load_case
from formservice.usecases.documents import render_for_case
from formservice.usecases.services import Services
from tests.conftest import load_sample
from tests.documents.pdf_checks import read_values

BEFORE_START = date(2026, 1, 20)  # sample 01 starts on 2026-02-02
SECTION_VI = "SECTION VI  CLINICAL DOCUMENTATION SEE INSTRUCTIONS PAGE SECTION VI"


def _lmn(services: Services, sample: str, on: date, **coverage: object) -> tuple[str, dict]:  # type: ignore[type-arg]
    case = load_case(load_sample(sample))
    if coverage:
        case = dataclasses.replace(case, coverage=dataclasses.replace(case.coverage, **coverage))
    made = render_for_case(services, case, DocumentRequest("lmn"), letter_date=on)
    return " ".join(document_text(made.data).split()), made.details


def test_original_medicare_lmn_documents_necessity_for_the_claim(services: Services) -> None:
    text, _ = _lmn(services, "02_ovarian_medicare_outpatient", BEFORE_START)
    assert "document, for the Medicare claim, the medical necessity" in text
    assert "Original Medicare requires no prior authorization" in text
    assert "prior authorization and coverage" not in text
    assert "request retroactive authorization" not in text


def test_original_medicare_checklists_never_wait_for_an_approval() -> None:
    case = load_case(load_sample("02_ovarian_medicare_outpatient"))
    case = dataclasses.replace(  # even with no payer the directory knows
        case,
        coverage=dataclasses.replace(
            case.coverage,
            payer=dataclasses.replace(case.coverage.payer, name="Some MAC", payer_id=None),
        ),
    )
    claim = {i.id: i for i in claim_checklist(case, CaseFacts(), BEFORE_START)}
    assert claim["pa_approved"].status == "not_applicable"
    assert claim["pa_number_recorded"].status == "not_applicable"
    assert "wait" not in claim["pa_approved"].detail
    pa = {i.id: i for i in pa_checklist(case, CaseFacts(), BEFORE_START)}
    assert pa["pa_form_generated"].status == "not_applicable"
    assert "Original Medicare" in pa["pa_requirement_known"].detail


def test_a_letter_dated_after_the_start_asks_for_retroactive_authorization(
    services: Services,
) -> None:
    text, details = _lmn(services, "01_breast_commercial_office", date(2026, 3, 1))
    assert "request retroactive authorization and coverage" in text
    assert "retroactive to February 2, 2026" in text
    assert "works only from the first infusion" not in text  # no haste for a course under way
    assert "starting February 2, 2026" not in text
    assert "retroactive_request" in [w["code"] for w in details["warnings"]]
    # Dated before the start: a prior authorization, no warning.
    text, details = _lmn(services, "01_breast_commercial_office", BEFORE_START)
    assert "request prior authorization and coverage" in text
    assert "starting February 2, 2026" in text
    assert "retroactive" not in text
    assert "retroactive_request" not in [w["code"] for w in details.get("warnings", [])]


def test_a_retroactive_letter_does_not_say_cooling_was_given_or_when_it_was_prescribed(
    services: Services,
) -> None:
    # The case records when the chemotherapy began, not whether scalp cooling was given, and
    # the start date is not the day it was prescribed.
    text, _ = _lmn(services, "01_breast_commercial_office", date(2026, 3, 1))
    assert "with the chemotherapy I have prescribed, which began on February 2, 2026" in text
    assert "which began with the chemotherapy" not in text
    assert "prescribed on February 2" not in text


def test_a_pa_form_dated_after_the_start_warns_as_its_letter_does(services: Services) -> None:
    case = load_case(load_sample("01_breast_commercial_office"))
    ask = DocumentRequest("pa_form", form="tx_nofr001")
    late = render_for_case(services, case, ask, letter_date=date(2026, 3, 1))
    codes = [w["code"] for w in late.details["warnings"]]
    assert "retroactive_request" in codes
    assert "codes_not_verified" in codes  # the form's other warnings are kept beside it
    assert "enclosures_to_assemble" in codes  # Section VI says the LMN is enclosed
    # The form frames the request as its LMN does: retroactive, from a start already past.
    section_vi = read_values(late.data)[SECTION_VI]
    assert "Retroactive request: authorization is requested from the start of treatment on " in (
        section_vi
    )
    assert "which began on 02/02/2026" in section_vi
    early = render_for_case(services, case, ask, letter_date=BEFORE_START)
    assert "retroactive_request" not in [w["code"] for w in early.details.get("warnings", [])]
    assert "Retroactive" not in read_values(early.data)[SECTION_VI]


def test_a_standalone_lmn_names_the_enclosures_staff_must_gather(services: Services) -> None:
    # The letter ends "Enclosures: treatment plan; office note; pathology report; FDA letter":
    # nothing the service makes, so staff are told to gather them before it is sent.
    _, details = _lmn(services, "01_breast_commercial_office", BEFORE_START)
    (found,) = [w for w in details["warnings"] if w["code"] == "enclosures_to_assemble"]
    assert "Pathology report confirming the diagnosis" in found["message"]
    assert "appeal packet" not in found["message"]  # that advice is the letter of appeal's


def test_the_pa_checklist_says_a_late_request_is_retroactive() -> None:
    case = load_case(load_sample("01_breast_commercial_office"))  # starts 2026-02-02, no PA yet
    late = {i.id: i for i in pa_checklist(case, CaseFacts(), date(2026, 3, 1))}
    assert "the request is retroactive" in late["treatment_plan_complete"].detail
    early = {i.id: i for i in pa_checklist(case, CaseFacts(), BEFORE_START)}
    assert "retroactive" not in early["treatment_plan_complete"].detail
