"""A factory for synthetic cases built straight from formservice.model (no schema, no app)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import pytest

from formservice.model import (
    Address,
    Case,
    Coverage,
    Diagnosis,
    Facility,
    Household,
    Patient,
    Payer,
    Prescriber,
    Prescription,
    PriorAuthorization,
    Treatment,
)

VALID_NPI = "1234567893"  # the CMS example NPI: Luhn-valid with prefix 80840
FACILITY_NPI = "1003000126"
_UNSET: Any = object()


def build_case(
    *,
    state: str = "TX",
    line1: str = "100 Oak Street",
    line2: str | None = None,
    address: Address | None = _UNSET,
    household_size: int | None = 3,
    agi: float | None = 61000,
    annual_income: float | None = 64000,
    household: Household | None = _UNSET,
    coverage_status: str = "uninsured",
    scalp_cooling_covered: bool | None = None,
    pa_status: str = "not_submitted",
    diagnoses: Sequence[str] = ("C50.911",),
    primary: str | None = None,
    buy_and_bill: bool | None = True,
    prescriber_npi: str = VALID_NPI,
    rx_npi: str | None = VALID_NPI,
    rx_date: date | None = date(2026, 1, 20),
    prescription: Prescription | None = _UNSET,
    start_date: date | None = date(2026, 2, 2),
    sessions: int | None = 6,
    cycle_length_days: int | None = 21,
    site_of_care: str | None = "physician_office",
) -> Case:
    """A synthetic, valid case; every keyword changes one thing."""
    if address is _UNSET:
        address = Address(line1=line1, line2=line2, city="Austin", state=state, zip="78702")
    if household is _UNSET:
        household = Household(
            size=household_size, annual_income=annual_income, adjusted_gross_income=agi
        )
    if prescription is _UNSET:
        prescription = Prescription(date=rx_date, prescriber_npi=rx_npi)
    payer = None
    if coverage_status == "insured":
        payer = Payer(name="Northwind Health Plan", payer_id="NWHP1", plan_type="commercial")
    first = primary or diagnoses[0]
    return Case(
        external_id="HUB-TEST-0001",
        facility=Facility(
            name="Testfield Oncology Clinic",
            npi=FACILITY_NPI,
            address=Address(line1="1 Clinic Way", city="Austin", state="TX", zip="78701"),
            buy_and_bill=buy_and_bill,
        ),
        patient=Patient(
            first_name="Testa",
            last_name="Syntheticson",
            date_of_birth=date(1971, 4, 9),
            sex="F",
            address=address,
            household=household,
        ),
        prescriber=Prescriber(
            first_name="Demo", last_name="Prescriber", npi=prescriber_npi, credentials="MD"
        ),
        coverage=Coverage(
            status=coverage_status,  # type: ignore[arg-type]  # tests pass plain strings
            payer=payer,
            member_id="NWH000000001" if payer else None,
            scalp_cooling_covered=scalp_cooling_covered,
        ),
        diagnoses=tuple(Diagnosis(code=c, primary=(c == first)) for c in diagnoses),
        treatment=Treatment(
            regimen="TC (docetaxel + cyclophosphamide)",
            agents=("docetaxel", "cyclophosphamide"),
            start_date=start_date,
            sessions=sessions,
            cycle_length_days=cycle_length_days,
            site_of_care=site_of_care,  # type: ignore[arg-type]  # as above
            alopecia_risk="high",
        ),
        prescription=prescription,
        prior_authorization=PriorAuthorization(status=pa_status),
    )


@pytest.fixture
def make_case() -> Callable[..., Case]:
    """The case factory (see build_case)."""
    return build_case
