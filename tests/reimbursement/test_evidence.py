"""The evidence library: every citation sourced, arguments mapped to denial categories."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from formservice.reimbursement.evidence import assemble_evidence, guidelines_for, load_evidence

DATA = Path(__file__).resolve().parents[2] / "formservice/reimbursement/data/evidence.yaml"


def test_library_loads_once_with_sourced_entries() -> None:
    lib = load_evidence()
    assert load_evidence() is lib
    assert len(lib.references) == 7
    for ref in lib.references:
        assert (ref.doi or "").startswith("10."), ref.key
        assert ref.source, ref.key
        assert ref.finding, ref.key
        assert ref.citation.endswith(f"doi:{ref.doi}")
    nangia = lib.reference("nangia_2017_scalp")
    assert nangia.citation.startswith("Nangia J, Wang T, Osborne C, et al. Effect of a scalp")
    assert "JAMA. 2017;317(6):596-605." in nangia.citation


def test_fda_clearance_and_nccn_facts() -> None:
    lib = load_evidence()
    (clearance,) = lib.clearances
    assert (clearance.number, clearance.product_code, clearance.regulation) == (
        "K173032",
        "PMC",
        "21 CFR 878.4360",
    )
    assert clearance.indication == (
        "to reduce the likelihood of chemotherapy-induced alopecia in cancer patients with "
        "solid tumors"
    )
    assert [(g.category, g.since_version) for g in lib.guidelines] == [
        ("2A", "Version 1.2019"),
        ("2A", "Version 1.2020"),
    ]
    assert [g.key for g in guidelines_for(["C56.1"])] == ["nccn_ovarian"]
    assert guidelines_for(["C61"]) == ()


def test_no_asco_or_ons_endorsement_is_claimed() -> None:
    text = DATA.read_text()
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    assert re.search(r"\b(ASCO|ONS|Oncology Nursing Society)\b", body) is None


@pytest.mark.parametrize(
    ("category", "expected"),
    [
        ("safety", {"rugo_2017_metastases"}),
        ("cosmetic", {"lacouture_2021_esmo", "lemieux_2008_qol", "vandenhurk_2010_wellbeing"}),
        (
            "medical_necessity",
            {
                "nangia_2017_scalp",
                "rugo_2017_jama",
                "bajpai_2020_rct",
                "lemieux_2008_qol",
                "vandenhurk_2010_wellbeing",
            },
        ),
    ],
)
def test_arguments_answer_their_denial_category(category: str, expected: set[str]) -> None:
    found = assemble_evidence([category])
    assert {r.key for r in found.references} == expected


def test_experimental_denials_get_the_fda_clearance_argument() -> None:
    found = assemble_evidence(["experimental_investigational"])
    assert any("FDA-cleared" in a.point for a in found.arguments)
    assert found.references[0].key == "nangia_2017_scalp"


def test_unknown_category_is_an_error() -> None:
    with pytest.raises(KeyError, match="timely_filing"):
        assemble_evidence(["timely_filing"])
