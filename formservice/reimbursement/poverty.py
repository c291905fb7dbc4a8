"""HHS poverty guidelines by year, region and household size, as published (data/fpl.yaml).

Policy: the guideline year in force on a date is the latest year whose effective date is on or
before it. The 48 contiguous states and DC share one table; Alaska and Hawaii have their own;
Puerto Rico, the territories and APO/FPO addresses are not covered by the HHS guidelines.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from formservice.reimbursement import load_data

__all__ = [
    "REGIONS",
    "FplGuideline",
    "NoGuidelineError",
    "RegionNotCoveredError",
    "guideline",
    "guideline_year",
    "region_for_state",
    "region_label",
]

REGIONS = ("contiguous", "alaska", "hawaii")


class NoGuidelineError(ValueError):
    """No poverty-guideline table applies to the requested year or date."""


class RegionNotCoveredError(ValueError):
    """The place is a US address that the HHS poverty guidelines do not cover (or no state)."""


@dataclass(frozen=True, slots=True)
class FplGuideline:
    """One HHS poverty guideline: the amount for a household size in a region and year."""

    year: int
    region: str
    household_size: int
    amount: int
    source: str
    effective: date
    verified: bool = True

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return {
            "year": self.year,
            "region": self.region,
            "household_size": self.household_size,
            "amount": self.amount,
            "source": self.source,
            "effective": self.effective.isoformat(),
            "verified": self.verified,
        }


def _data() -> dict[str, Any]:
    data: dict[str, Any] = load_data("fpl.yaml")
    return data


def _years() -> list[dict[str, Any]]:
    return sorted(_data()["years"], key=lambda y: y["effective"])


def region_label(region: str) -> str:
    """The human name of a guideline region (e.g. 'Alaska')."""
    return str(_data()["regions"][region]["label"])


def region_for_state(state: str) -> str:
    """The guideline region ('contiguous', 'alaska', 'hawaii') of a two-letter US state code."""
    code = (state or "").strip().upper()
    for region, spec in _data()["regions"].items():
        if code in spec["states"]:
            return str(region)
    not_covered = _data()["not_covered"]
    if code in not_covered:
        raise RegionNotCoveredError(
            f"{not_covered[code]} ({code}) is not covered by the HHS poverty guidelines "
            "(they cover the 50 states and DC only)"
        )
    raise RegionNotCoveredError(f"{state!r} is not a US state or DC code")


def guideline_year(on: date) -> int:
    """The guideline year in force on a date (latest effective date on or before it)."""
    in_force = [y for y in _years() if y["effective"] <= on]
    if not in_force:
        earliest = _years()[0]
        raise NoGuidelineError(
            f"no poverty guideline is in effect on {on.isoformat()}: the earliest table here is "
            f"{earliest['year']}, effective {earliest['effective'].isoformat()}"
        )
    return int(in_force[-1]["year"])


def _check_household_size(household_size: int) -> int:
    if isinstance(household_size, bool) or not isinstance(household_size, int):
        raise ValueError(f"household_size must be a whole number, got {household_size!r}")
    if household_size < 1:
        raise ValueError(f"household_size must be at least 1, got {household_size}")
    return household_size


def guideline(year_or_date: int | date, region: str, household_size: int) -> FplGuideline:
    """The poverty guideline for a household; region is a region name or a US state code."""
    size = _check_household_size(household_size)
    year = year_or_date if isinstance(year_or_date, int) else guideline_year(year_or_date)
    entry = next((y for y in _years() if y["year"] == year), None)
    if entry is None:
        known = ", ".join(str(y["year"]) for y in _years())
        raise NoGuidelineError(f"no poverty guideline table for {year} (known years: {known})")
    name = region.strip().lower() if region else ""
    if name not in REGIONS:
        name = region_for_state(region)
    table = entry["tables"][name]
    amount = int(table["base"]) + int(table["increment"]) * (size - 1)
    return FplGuideline(
        year=year,
        region=name,
        household_size=size,
        amount=amount,
        source=str(entry["source"]),
        effective=entry["effective"],
        verified=bool(table.get("verified", False)),
    )
