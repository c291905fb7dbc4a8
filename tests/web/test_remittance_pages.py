"""Staff pages for 835s: upload → denied claims with their cases → review → appeal packet."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from formservice.usecases import Services
from tests.conftest import SAMPLES, require_tool
from tests.web.conftest import StaffBrowser

ERA = SAMPLES / "era"


def _upload(browser: StaffBrowser, name: str, data: bytes | None = None) -> object:
    body = data if data is not None else (ERA / name).read_bytes()
    browser.get("/remittances/new")
    return browser.post(
        "/remittances/new",
        {"file": (io.BytesIO(body), name)},
        content_type="multipart/form-data",
    )


def _denial_ids(html: str) -> list[str]:
    return re.findall(r'href="/denials/([0-9a-f]{32})"', html)


def test_upload_lists_denied_claims_with_their_case_and_opens_review(
    browser: StaffBrowser, cases: dict[str, str]
) -> None:
    browser.login("clinic_a")
    response = _upload(browser, "01_denial_medical_necessity.835")
    assert response.status_code == 303
    page = browser.get(response.headers["Location"])
    assert page.status_code == 200
    assert "ADA SAMPLECASE" in page.text
    assert f'href="/cases/{cases["a"]}"' in page.text  # matched to the clinic's case
    assert "medical necessity (CARC 50)" in page.text
    (denial_id,) = _denial_ids(page.text)
    review = browser.get(f"/denials/{denial_id}")
    assert review.status_code == 200
    assert "The remittance (835)" in review.text
    assert "CAS*CO*50*1850.50" in review.text
    assert "/pages/" not in review.text  # no page images: the source is not a PDF
    # Another clinic cannot see it.
    browser.login("clinic_b")
    assert browser.get(response.headers["Location"]).status_code == 404


def test_unmatched_claims_say_so_and_a_paid_file_has_none(
    browser: StaffBrowser, cases: dict[str, str]
) -> None:
    browser.login("staff")
    multi = browser.get(_upload(browser, "04_multi_claim.835").headers["Location"])
    assert multi.text.count("unmatched") == 2
    paid = _upload(browser, "03_paid_cost_sharing_only.835")
    assert paid.status_code == 200
    assert "No denied claim in this remittance (1 claim" in paid.text


def test_a_broken_835_is_refused_on_the_page_naming_the_segment(
    browser: StaffBrowser, services: Services
) -> None:
    browser.login("clinic_a")
    text = (ERA / "01_denial_medical_necessity.835").read_text()
    response = _upload(browser, "bad.835", text.replace("SE*29*0001", "SE*9*0001").encode())
    assert response.status_code == 422
    assert "segment 31 (SE)" in response.text


@pytest.mark.libreoffice
def test_an_835_denial_makes_an_appeal_packet_with_its_remittance(
    browser: StaffBrowser, cases: dict[str, str]
) -> None:
    require_tool("soffice", "apt-get install libreoffice-writer-nogui")
    browser.login("clinic_a")
    listing = browser.get(_upload(browser, "01_denial_medical_necessity.835").headers["Location"])
    (denial_id,) = _denial_ids(listing.text)
    browser.get(f"/denials/{denial_id}")
    unchecked = browser.post(f"/denials/{denial_id}/packet")
    assert unchecked.status_code == 422  # the facts are checked first (issue 13 item 6)
    assert "The letter matches the case" in unchecked.text  # reconciled when matched
    assert browser.post(f"/denials/{denial_id}", {"checked": "yes"}).status_code == 303
    made = browser.post(f"/denials/{denial_id}/packet")
    assert made.status_code == 303, made.text[:2000]
    document_id = made.headers["Location"].rsplit("/", 1)[1]
    pdf = browser.get(f"/documents/{document_id}/download")
    assert pdf.data.startswith(b"%PDF")
    text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Remittance advice (X12 835) for this claim" in text
    assert "2026031500123" in text
    # The letter encloses the remittance page, not a denial letter the packet does not hold.
    flat = " ".join(text.split())
    assert "Remittance advice (835) for claim 2026031500123" in flat
    assert "Copy of the denial letter" not in flat


def test_the_case_page_offers_its_837p(browser: StaffBrowser, cases: dict[str, str]) -> None:
    browser.login("clinic_a")
    page = browser.get(f"/cases/{cases['a']}")
    assert f'href="/cases/{cases["a"]}/claim.837"' in page.text
    claim = browser.get(f"/cases/{cases['a']}/claim.837")
    assert claim.status_code == 200
    assert claim.mimetype == "application/edi-x12"
    assert claim.data.startswith(b"ISA*00*")
    browser.login("clinic_b")
    assert browser.get(f"/cases/{cases['a']}/claim.837").status_code == 404
