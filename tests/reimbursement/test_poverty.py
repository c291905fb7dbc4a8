"""HHS poverty guidelines: amounts, regions, the year switch and refusals."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import pytest

from formservice.reimbursement import load_data, poverty


@pytest.mark.parametrize(
    ("year_or_date", "region", "size", "amount", "region_name"),
    [
        (2026, "contiguous", 4, 33000, "contiguous"),  # DOMAIN.md §2 check value
        (2026, "TX", 1, 15960, "contiguous"),
        (2026, "DC", 9, 15960 + 8 * 5680, "contiguous"),
        (2026, "ak", 1, 19950, "alaska"),
        (2026, "AK", 4, 19950 + 3 * 7100, "alaska"),
        (2026, "HI", 1, 18360, "hawaii"),
        (2026, "hawaii", 4, 18360 + 3 * 6530, "hawaii"),
        (2025, "CA", 1, 15650, "contiguous"),
        (2025, "NY", 4, 32150, "contiguous"),
        (2025, "contiguous", 8, 54150, "contiguous"),
        (2025, "AK", 1, 19550, "alaska"),
        (2025, "HI", 9, 17990 + 8 * 6330, "hawaii"),
        (date(2026, 1, 13), "TX", 4, 33000, "contiguous"),
        (date(2026, 1, 12), "TX", 4, 32150, "contiguous"),
    ],
)
def test_guideline_amounts(year_or_date, region, size, amount, region_name):
    g = poverty.guideline(year_or_date, region, size)
    assert (g.amount, g.region, g.household_size) == (amount, region_name, size)
    assert "Federal Register" in g.source


def test_600_percent_of_2026_household_of_4_is_198000():
    g = poverty.guideline(2026, "contiguous", 4)
    assert g.amount * load_data("pap.yaml")["fpl_multiple"] == 198000


@pytest.mark.parametrize(
    ("on", "year"),
    [
        (date(2025, 1, 15), 2025),  # 2025 effective date itself
        (date(2025, 12, 31), 2025),
        (date(2026, 1, 12), 2025),  # day before the 2026 effective date
        (date(2026, 1, 13), 2026),  # 91 FR 1797 effective date
        (date(2027, 6, 1), 2026),  # latest table stays in force until a newer one is added
    ],
)
def test_guideline_year_switches_on_effective_date(on, year):
    assert poverty.guideline_year(on) == year
    assert poverty.guideline(on, "TX", 2).year == year


def test_before_earliest_table_is_a_clear_error():
    with pytest.raises(poverty.NoGuidelineError, match="2025-01-14") as info:
        poverty.guideline(date(2025, 1, 14), "TX", 2)
    assert isinstance(info.value, ValueError)
    assert "2025-01-15" in str(info.value)


def test_unknown_year_names_known_years():
    with pytest.raises(poverty.NoGuidelineError, match=r"2019.*2025, 2026"):
        poverty.guideline(2019, "TX", 2)


@pytest.mark.parametrize(
    ("state", "words"),
    [("PR", "Puerto Rico"), ("GU", "Guam"), ("AE", "Armed Forces"), ("ZZ", "not a US state")],
)
def test_places_outside_the_guidelines(state, words):
    with pytest.raises(poverty.RegionNotCoveredError, match=words):
        poverty.guideline(2026, state, 2)


@pytest.mark.parametrize("size", [0, -1, True, 2.5, None])
def test_household_size_must_be_a_whole_number_from_1(size):
    with pytest.raises(ValueError, match="household_size"):
        poverty.guideline(2026, "TX", size)


def test_any_household_size_is_computed():
    assert poverty.guideline(2026, "TX", 20).amount == 15960 + 19 * 5680


def test_region_tables_cover_48_states_dc_alaska_hawaii_once_each():
    regions = load_data("fpl.yaml")["regions"]
    contiguous = regions["contiguous"]["states"]
    assert len(contiguous) == 49
    assert len(set(contiguous)) == 49
    assert "DC" in contiguous
    assert "AK" not in contiguous
    assert "HI" not in contiguous
    assert regions["alaska"]["states"] == ["AK"]
    assert regions["hawaii"]["states"] == ["HI"]


def test_every_year_has_source_effective_date_and_three_regions():
    for entry in load_data("fpl.yaml")["years"]:
        assert isinstance(entry["effective"], date)
        assert entry["source"]
        assert set(entry["tables"]) == set(poverty.REGIONS)


def test_data_is_not_read_at_import():
    code = (
        "import formservice.reimbursement.pap, formservice.reimbursement.claim_lines, "
        "formservice.reimbursement.claim_checks, formservice.reimbursement.claim_form, "
        "formservice.reimbursement.charge_master, "
        "formservice.reimbursement.pa_tracking, formservice.reimbursement.payers\n"
        "from formservice.reimbursement import load_data\n"
        "print(load_data.cache_info().currsize)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"
