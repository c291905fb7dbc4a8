"""An appeal names and asks for only the denied or partly denied lines (`appealed_lines`): a line
an 835 reports as paid with routine adjustments only is not appealed again."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from formservice.denials.era import read_remittance
from formservice.model import Case, Denial
from formservice.model.denial_parts import Adjustment, ServiceLine
from formservice.reimbursement import appeals
from formservice.reimbursement.appealed_lines import appealed_codes
from formservice.reimbursement.reconciliation import agreed_denial
from formservice.schemas.case import load_case

REPO = Path(__file__).resolve().parents[2]
DOS = date(2026, 3, 2)


def _case_01() -> Case:
    return load_case(
        json.loads((REPO / "samples" / "cases" / "01_breast_commercial_office.json").read_text())
    )


def _two_lines(chemo: ServiceLine) -> Denial:
    return Denial(
        text_source="x12",
        claim_number="CLM-TEST-0001",
        date_of_service=DOS,
        procedure_codes=("96413", "0662T"),
        carc_codes=("197",),
        service_lines=(
            chemo,
            ServiceLine(
                date_of_service=DOS,
                code="0662T",
                units=1,
                billed=900.0,
                paid=0.0,
                adjustments=(Adjustment("CO", "197", 900.0),),
            ),
        ),
    )


def test_a_paid_line_with_only_routine_adjustments_is_not_appealed() -> None:
    paid = ServiceLine(
        date_of_service=DOS,
        code="96413",
        units=1,
        billed=400.0,
        allowed=250.0,
        paid=250.0,
        adjustments=(Adjustment("CO", "45", 150.0),),
    )
    denial = _two_lines(paid)
    assert appealed_codes(denial) == ("0662T",)
    case = _case_01()
    agreed = agreed_denial(case, denial)
    assert agreed.procedure_codes == ("0662T",)
    remedy = appeals.appeal_remedy(agreed, case)
    assert "0662T" in remedy
    assert "96413" not in remedy


def test_a_partly_denied_line_is_appealed() -> None:
    partly = ServiceLine(
        date_of_service=DOS,
        code="96413",
        billed=400.0,
        paid=100.0,
        adjustments=(Adjustment("CO", "45", 150.0), Adjustment("CO", "50", 150.0)),
    )
    assert appealed_codes(_two_lines(partly)) == ("96413", "0662T")


def test_a_line_with_no_paid_amount_is_appealed() -> None:
    unknown = ServiceLine(code="96413", adjustments=(Adjustment("CO", "45", 150.0),))
    assert appealed_codes(_two_lines(unknown)) == ("96413", "0662T")


def test_without_service_lines_the_letters_codes_stay() -> None:
    letter = Denial(procedure_codes=("0662T", "0663T"), carc_codes=("50",))
    assert appealed_codes(letter) == ("0662T", "0663T")
    assert agreed_denial(_case_01(), letter).procedure_codes == ("0662T", "0663T")


def test_the_835_sample_appeals_only_the_denied_line() -> None:
    remittance = read_remittance((REPO / "samples" / "era" / "04_multi_claim.835").read_bytes())
    mockwell = next(d for d in remittance.denials if "MOCKWELL" in str(d.patient_name))
    assert mockwell.procedure_codes == ("96413", "0662T")  # as the 835 bills them
    assert appealed_codes(mockwell) == ("0662T",)
