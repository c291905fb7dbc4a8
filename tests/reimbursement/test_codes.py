"""Code tables keyed by date of service, and the ICD-10-CM diagnosis classes."""

from __future__ import annotations

from datetime import date

import pytest

from formservice.reimbursement import codes, load_data


@pytest.mark.parametrize(
    ("code", "on"),
    [
        ("0662T", date(2021, 7, 1)),
        ("0663T", date(2021, 7, 1)),
        ("0663t", date(2025, 12, 31)),
        ("97008", date(2026, 1, 1)),
        ("97009", date(2026, 2, 2)),
        ("96413", date(2020, 1, 1)),  # chemo codes predate scalp cooling
    ],
)
def test_lookup_in_effect(code, on):
    row = codes.lookup(code, on)
    assert row.code == code.upper()
    assert row.in_effect(on)
    assert row.descriptor
    assert row.source


@pytest.mark.parametrize("code", ["0662T", "0663T"])
def test_scalp_cooling_codes_before_2021_07_01_are_not_in_effect(code):
    with pytest.raises(codes.CodeNotInEffect, match="2021-06-30") as info:
        codes.lookup(code, date(2021, 6, 30))
    assert isinstance(info.value, ValueError)
    assert info.value.code == code
    assert info.value.date_of_service == date(2021, 6, 30)
    assert "2021-07-01" in str(info.value)


def test_unknown_code_is_refused():
    with pytest.raises(codes.CodeNotInEffect, match="99999 is not a code"):
        codes.lookup("99999", date(2026, 1, 1))


def test_codes_in_effect_before_scalp_cooling_codes_existed_is_an_error():
    with pytest.raises(codes.CodeNotInEffect, match="2021-06-30.*start on 2021-07-01"):
        codes.codes_in_effect(date(2021, 6, 30))


def test_codes_in_effect_2022():
    rows = codes.codes_in_effect(date(2022, 3, 1))
    assert [r.code for r in rows] == [
        "0662T",
        "0663T",
        "96409",
        "96411",
        "96413",
        "96415",
        "96416",
        "96417",
    ]
    assert not any(r.placeholder for r in rows)


def test_2026_codes_replace_0662T_0663T_by_date_of_service_and_are_unverified():
    rows = codes.codes_in_effect(date(2026, 1, 1))
    scalp = [r for r in rows if r.kind.startswith("scalp_cooling")]
    assert [(r.code, r.verified) for r in scalp] == [("97008", False), ("97009", False)]
    assert all("secondary" in r.source for r in scalp)
    with pytest.raises(codes.CodeNotInEffect, match="to 2025-12-31"):
        codes.lookup("0662T", date(2026, 1, 1))
    assert codes.lookup("97009", date(2026, 1, 1)).unit_minutes == 30


@pytest.mark.parametrize(
    ("role", "on", "code", "verified"),
    [
        ("initial", date(2025, 12, 31), "0662T", True),
        ("session", date(2025, 12, 31), "0663T", True),
        ("continued", date(2025, 12, 31), None, None),  # no row: nothing billed
        ("initial", date(2026, 1, 1), None, False),  # no separate 2026 cap-calibration code
        ("session", date(2026, 1, 1), "97008", False),
        ("continued", date(2026, 1, 1), "97009", False),
        ("session", date(2021, 6, 30), None, None),
    ],
)
def test_crosswalk_by_date_of_service(role, on, code, verified):
    row = codes.code_for(role, on)
    assert (row.code if row else None) == code
    assert (row.verified if row else None) == verified
    if row:
        assert row.source


def test_unverified_caveat_names_the_codes_only_when_one_is_unverified():
    assert codes.unverified_caveat({"0662T", "0663T", "96413"}, [date(2025, 6, 2)]) is None
    text = codes.unverified_caveat({"97008", "96413"}, [date(2026, 2, 2)])
    assert text is not None
    assert "97008" in text
    assert "96413" not in text
    assert "not yet confirmed" in text


def test_chemo_admin_codes():
    assert codes.chemo_admin_codes() == {"96409", "96411", "96413", "96415", "96416", "96417"}


@pytest.mark.parametrize(
    ("site", "pos"),
    [("physician_office", "11"), ("hospital_outpatient", "22"), (None, None), ("home", None)],
)
def test_place_of_service(site, pos):
    found = codes.place_of_service(site)
    assert (found[0] if found else None) == pos


@pytest.mark.parametrize(
    ("code", "on", "amount"),
    [
        ("0662T", date(2022, 6, 1), 1850.50),
        ("0662T", date(2024, 6, 1), 1250.50),
        ("0662T", date(2025, 6, 1), 1750.50),
        ("0662T", date(2026, 6, 1), None),  # 2026 rate unknown
        ("0663T", date(2025, 6, 1), None),  # packaged: no reference charge
    ],
)
def test_fee_schedule(code, on, amount):
    fee = codes.fee_for(code, on)
    assert (fee.amount if fee else None) == amount


@pytest.mark.parametrize(
    ("code", "label", "words"),
    [
        ("C50.911", "on_label", "breast"),
        ("c50911", "on_label", "breast"),
        ("C56.1", "on_label", "ovary"),
        ("C57.00", "on_label", "fallopian"),
        ("C48.1", "on_label", "peritoneum"),
        ("C48.0", "payer_narrow", "other solid tumor"),  # retroperitoneum: not in the narrow list
        ("C18.7", "payer_narrow", "may fail payer policy"),
        ("C61", "payer_narrow", "may fail payer policy"),
        ("C34.90", "payer_narrow", "small-cell"),
        ("C79.51", "payer_narrow", "other solid tumor"),
        ("C91.00", "off_label", "hematologic"),
        ("C83.30", "off_label", "hematologic"),
        ("C96.9", "off_label", "hematologic"),
        ("C71.9", "off_label", "CNS"),
        ("C79.31", "off_label", "CNS metastases"),
        ("C02.1", "off_label", "head and neck"),
        ("C32.9", "off_label", "head and neck"),
        ("C43.9", "off_label", "skin"),
        ("C4A.9", "off_label", "skin"),
        ("C44.91", "off_label", "skin"),
        ("D89.1", "off_label", "cryoglobulinemia"),
        ("Z85.3", "history", "history of cancer"),
        ("Z51.11", "unknown", "encounter"),
        ("C80.1", "unknown", "not in the"),
        ("J45.909", "unknown", "not in the"),
        ("banana", "unknown", "format"),
        ("", "unknown", "format"),
    ],
)
def test_classify_diagnosis(code, label, words):
    c = codes.classify_diagnosis(code)
    assert c.label == label
    assert words in c.reason
    assert c.source


def test_every_label_entry_has_a_source_and_a_known_label():
    for entry in load_data("icd10_labels.yaml")["entries"]:
        assert entry["source"]
        assert entry["reason"]
        assert entry["label"] in {"on_label", "off_label", "payer_narrow", "history", "unknown"}
