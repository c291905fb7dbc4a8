"""The 835 reader: denials with evidence from the samples, public examples, and bad input."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from formservice.denials.era import read_remittance
from formservice.denials.x12_check import guide_problems
from formservice.errors import InvalidX12Error
from formservice.model import Denial

REPO = Path(__file__).resolve().parents[2]
ERA = REPO / "samples" / "era"
PUBLIC = REPO / "tests" / "fixtures" / "x12"


def _sample(name: str) -> bytes:
    return (ERA / name).read_bytes()


def test_a_denied_claim_carries_codes_lines_and_evidence_pointing_at_segments() -> None:
    remittance = read_remittance(_sample("01_denial_medical_necessity.835"))
    assert len(remittance.claims) == 1
    (denial,) = remittance.denials
    assert denial.patient_name == "ADA SAMPLECASE"
    assert denial.member_id == "NWH123456789"
    assert denial.payer_name == "NORTHWIND HEALTH PLAN"
    assert denial.claim_number == "2026031500123"
    assert denial.date_of_service == date(2026, 2, 2)
    assert denial.carc_codes == ("50",)
    assert denial.rarc_codes == ("N115",)
    assert denial.categories == ("medical_necessity",)
    assert denial.procedure_codes == ("96413", "0662T", "0663T")
    line = denial.service_lines[1]
    assert (line.code, line.billed, line.paid, line.units) == ("0662T", 1850.5, 0.0, 1)
    assert [(a.group, a.carc, a.amount) for a in line.adjustments] == [("CO", "50", 1850.5)]
    assert all(r.confidence == 1.0 for r in denial.reasons)
    # Evidence names the segment and its position (ISA is 1).
    text = _sample("01_denial_medical_necessity.835").decode().split("~\n")
    for fact in ("claim_number", "member_id", "patient_name", "payer_name", "date_of_service"):
        ev = denial.evidence[fact]
        assert text[ev["segment"] - 1] == ev["text"], fact
    assert denial.evidence["carc_codes"][0]["id"] == "CAS"
    # Round-trips through the stored form.
    assert Denial.from_json(denial.to_json()) == denial


def test_partial_payment_is_a_denial_and_cost_sharing_only_is_not() -> None:
    partial = read_remittance(_sample("02_partial_payment_frequency.835"))
    (denial,) = partial.denials
    assert partial.claims[0].paid == 650.0
    assert denial.categories == ("frequency_limit",)
    assert denial.carc_codes == ("151",)  # CO-45 on the same line stays routine
    assert denial.plan_type == "medicaid"
    assert denial.appeal_deadline is not None
    paid = read_remittance(_sample("03_paid_cost_sharing_only.835"))
    assert len(paid.claims) == 1
    assert paid.denials == ()


def test_a_multi_claim_file_keeps_claims_in_order() -> None:
    remittance = read_remittance(_sample("04_multi_claim.835"))
    assert [c.patient_control_number for c in remittance.claims] == [
        "HUB-2026-000104",
        "HUB-2026-000106",
        "HUB-2026-000102B",
    ]
    assert [c.denied for c in remittance.claims] == [True, True, False]
    no_auth, not_covered = remittance.denials
    assert no_auth.categories == ("no_prior_authorization",)
    assert no_auth.plan_type == "medicare_advantage"
    assert no_auth.rarc_codes == ("M62",)
    assert not_covered.categories == ("not_covered_benefit",)
    assert not_covered.rarc_codes == ("N130",)


@pytest.mark.parametrize("path", sorted(ERA.glob("*.835")), ids=lambda p: p.name)
def test_the_samples_follow_the_835_guide(path: Path) -> None:
    assert guide_problems(path.read_bytes()) == []


@pytest.mark.parametrize(
    ("name", "claims"),
    [
        ("managed-care.835", 2),
        ("medicare-part-a.835", 2),
        ("cob-contractural-adjustment.835", 1),
        ("secondary-payment.835", 2),
        ("tertiary-payment.835", 1),
    ],
)
def test_public_examples_read_with_the_right_claim_count(name: str, claims: int) -> None:
    remittance = read_remittance((PUBLIC / name).read_bytes())
    assert len(remittance.claims) == claims


def test_public_medicare_example_with_only_contractual_pricing_has_no_denial() -> None:
    remittance = read_remittance((PUBLIC / "medicare-part-a.835").read_bytes())
    assert remittance.denials == ()
    assert remittance.payer_name == "INSURANCE COMPANY OF TIMBUCKTU"


def _broken(edit: tuple[str, str]) -> bytes:
    text = _sample("01_denial_medical_necessity.835").decode()
    assert edit[0] in text
    return text.replace(edit[0], edit[1], 1).encode()


@pytest.mark.parametrize(
    ("data", "segment", "position", "words"),
    [
        (b"%PDF-1.7 not a remittance", "ISA", 1, "not an X12 file"),
        (
            _broken(("*00501*000000101", "*00401*000000101")),
            "ISA",
            1,
            "00401",
        ),
        (
            _broken(("*X*005010X221A1", "*X*004010X091A1")),
            "GS",
            2,
            "004010X091A1",
        ),
        (_broken(("SE*29*0001", "SE*28*0001")), "SE", 31, "SE count"),
        (_broken(("IEA*1*000000101", "IEA*1*000000999")), "IEA", 33, "does not match"),
    ],
    ids=["not-x12", "isa-4010", "gs-4010", "se01-count", "isa-iea-control"],
)
def test_bad_input_names_the_segment_and_position(
    data: bytes, segment: str, position: int, words: str
) -> None:
    with pytest.raises(InvalidX12Error) as err:
        read_remittance(data)
    assert (err.value.segment, err.value.position) == (segment, position)
    assert words in err.value.detail
    assert err.value.status == 422


def test_an_empty_transaction_is_refused_at_its_st() -> None:
    text = _sample("01_denial_medical_necessity.835").decode().split("~\n")
    st = text.index("ST*835*0001")
    se = next(i for i, seg in enumerate(text) if seg.startswith("SE*"))
    empty = [*text[: st + 1], "BPR*I*0*C*NON************20260315", "SE*3*0001", *text[se + 1 :]]
    with pytest.raises(InvalidX12Error) as err:
        read_remittance("~\n".join(empty).encode())
    assert (err.value.segment, err.value.position) == ("ST", st + 1)
    assert "no claim" in err.value.detail


def test_a_file_cut_short_names_the_missing_trailer() -> None:
    text = _sample("01_denial_medical_necessity.835").decode()
    cut = text[: text.index("GE*1*101")]
    with pytest.raises(InvalidX12Error) as err:
        read_remittance(cut.encode())
    assert err.value.segment == "GE"
    assert "ends without its GE" in err.value.detail


def test_a_wrong_group_control_number_is_refused_at_the_ge() -> None:
    with pytest.raises(InvalidX12Error) as err:
        read_remittance(_broken(("GE*1*101", "GE*1*102")))
    assert (err.value.segment, err.value.position) == ("GE", 32)
