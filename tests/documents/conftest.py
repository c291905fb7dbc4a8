"""Fixtures for the document tests: synthetic cases built directly from formservice.model."""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from formservice.documents.convert import LibreOfficeConverter
from formservice.model import (
    Address,
    Case,
    Coverage,
    Diagnosis,
    Facility,
    Patient,
    Payer,
    Prescriber,
    Treatment,
)

REPO = Path(__file__).resolve().parents[2]
LMN_TEMPLATE = REPO / "templates" / "docx" / "letter_of_medical_necessity.docx"
SOFFICE_HINT = "install with: make test (apt-get install libreoffice-writer-nogui)"


def base_case() -> Case:
    """A complete synthetic breast-cancer case (names are obviously synthetic)."""
    return Case(
        external_id="TEST-DOCS-0001",
        facility=Facility(
            name="Testville Oncology Clinic",
            npi="1003000126",
            tax_id="12-3456789",
            address=Address(
                line1="1 Synthetic Way", line2="Suite 9", city="Austin", state="TX", zip="78701"
            ),
            phone="512-555-0100",
            fax="512-555-0101",
        ),
        patient=Patient(
            first_name="Testa", last_name="Fixture", date_of_birth=date(1970, 3, 4), sex="F"
        ),
        prescriber=Prescriber(
            first_name="Doc",
            last_name="Example",
            npi="1234567893",
            credentials="MD",
            specialty="Medical Oncology",
            phone="512-555-0110",
            fax="512-555-0111",
        ),
        coverage=Coverage(
            status="insured",
            payer=Payer(name="Northwind Test Health", fax="800-555-0198", plan_type="commercial"),
            member_id="NWT000111",
            group_number="GRP-1",
        ),
        diagnoses=(
            Diagnosis(
                code="C50.911",
                description="Malignant neoplasm of unspecified site of right female breast",
                primary=True,
            ),
        ),
        treatment=Treatment(
            regimen="TC",
            agents=("docetaxel", "cyclophosphamide"),
            start_date=date(2026, 2, 2),
            sessions=6,
            cycle_length_days=21,
            site_of_care="physician_office",
            alopecia_risk="high",
        ),
    )


@pytest.fixture
def make_case() -> Callable[..., Case]:
    """Build a case from the base one; keyword arguments replace patient fields."""

    def build(**patient: Any) -> Case:
        case = base_case()
        return dataclasses.replace(case, patient=dataclasses.replace(case.patient, **patient))

    return build


@pytest.fixture
def soffice() -> str:
    """The soffice path; fails in CI and skips locally when LibreOffice is missing."""
    path = shutil.which("soffice")
    if path is None:
        message = f"LibreOffice (soffice) not found; {SOFFICE_HINT}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture
def lmn_template() -> Path:
    """The shipped letter of medical necessity template."""
    return LMN_TEMPLATE


@pytest.fixture
def libreoffice(soffice: str, shared_converter: LibreOfficeConverter) -> LibreOfficeConverter:
    """The session's warm LibreOffice (fails in CI, skips locally, when it is not installed)."""
    return shared_converter


def convert_batch(
    converter: LibreOfficeConverter, docs: dict[str, bytes], workdir: Path
) -> dict[str, Path]:
    """Each DOCX converted as the service converts it (the warm converter), as workdir/pdf/*.pdf.

    The cold one-shot path (``soffice --convert-to pdf``) has its own tests in test_convert.py;
    starting a fresh LibreOffice and profile here cost more than the conversions themselves.
    """
    outdir = workdir / "pdf"
    outdir.mkdir(parents=True)
    paths = {}
    for name, data in sorted(docs.items()):
        paths[name] = outdir / f"{name}.pdf"
        paths[name].write_bytes(converter.convert(data))
    return paths
