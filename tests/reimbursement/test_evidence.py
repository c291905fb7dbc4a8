"""The evidence library: every citation sourced, arguments mapped to denial categories."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from formservice.reimbursement.evidence import assemble_evidence, guidelines_for, site_evidence
from formservice.reimbursement.evidence_data import load_evidence

DATA = Path(__file__).resolve().parents[2] / "formservice/reimbursement/data/evidence.yaml"


def test_library_loads_once_with_sourced_entries() -> None:
    lib = load_evidence()
    assert load_evidence() is lib
    assert len(lib.references) == 10
    for ref in lib.references:
        # A DOI, or (where none was verified) the PubMed Central record the finding comes from.
        assert (ref.doi or "").startswith("10.") or "PMC" in ref.source, ref.key
        assert ref.source, ref.key
        assert ref.finding, ref.key
        if ref.doi:
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


@pytest.mark.parametrize(
    ("code", "site", "specific", "keys"),
    [
        ("C50.911", "breast", True, {"nangia_2017_scalp", "rugo_2017_jama", "bajpai_2020_rct"}),
        ("C56.9", "ovarian", True, {"mitric_2021_gynecologic"}),
        ("C18.7", "colorectal", False, {"betticher_2013_docetaxel", "brook_2024_registry"}),
        ("C61", "prostate", False, {"betticher_2013_docetaxel", "brook_2024_registry"}),
        ("C34.90", "solid_tumour", False, {"betticher_2013_docetaxel", "brook_2024_registry"}),
    ],
)
def test_evidence_by_site_never_offers_breast_trials_as_another_sites(
    code: str, site: str, specific: bool, keys: set[str]
) -> None:
    found = site_evidence(code)
    assert (found.site.site, found.specific) == (site, specific)
    cited = {r.key for r in found.references}
    assert keys <= cited
    if site != "breast":
        assert not any("breast" in r.sites for r in found.references)
    if not specific:
        assert f"specific to {found.site.label if site != 'solid_tumour' else 'this'}" in found.note
    for ref in found.references:  # every trial names its device, or says it is not named
        assert ref.device_text.startswith(("device: ", "device not named"))


def test_each_trial_names_its_device() -> None:
    lib = load_evidence()
    assert lib.reference("rugo_2017_jama").device_text == "device: DigniCap"
    assert lib.reference("nangia_2017_scalp").device_text == "device: Paxman"
    assert lib.reference("mitric_2021_gynecologic").device_text == "device: DigniCap"
