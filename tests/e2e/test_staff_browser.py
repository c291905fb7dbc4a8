"""The staff pages in a real browser: Debian's Chromium driven by Playwright, app on 127.0.0.1.

One journey through the pages a clinic uses: log in (after a failed try), upload a scanned
denial letter, correct a fact, generate the appeal packet and download it (its text checked),
then the facility wall by URL, logout, and the idle timeout. A screenshot of each step goes to
test-artifacts/e2e/ (look at them: they are the proof the pages read well).
"""

from __future__ import annotations

import copy
import io
import json
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from formservice.settings import Settings
from formservice.store.db import transaction, upgrade_database
from formservice.usecases import build_services
from formservice.usecases.accounts import create_user
from tests.conftest import (
    SAMPLES,
    TEST_PASSWORD_HASH,
    denial_case,
    load_sample,
    make_key,
    require_tool,
)
from tests.e2e.conftest import Server, shot

PASSWORD = "e2e staff password"  # noqa: S105  # a test account's password
CLINIC_A = ("ana@clinic-a.example", "1003000126")
CLINIC_B_NPI = "1234567893"
SCAN = SAMPLES / "denials" / "03_ma_cosmetic_scan.pdf"
SCAN_LABEL = json.loads(SCAN.with_suffix(".json").read_text())

pytestmark = [pytest.mark.slow, pytest.mark.libreoffice]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    require_tool("soffice", "apt-get install libreoffice-writer-nogui")
    require_tool("tesseract", "apt-get install tesseract-ocr")
    data_dir = tmp_path_factory.mktemp("e2e") / "var"
    data_dir.mkdir()
    settings = Settings(
        env="test", secret_key="e" * 32, data_dir=data_dir, password_hash_method=TEST_PASSWORD_HASH
    )
    upgrade_database(settings.resolved_database_url)
    services = build_services(settings)
    # The scanned letter (2026-05-06) is appealed in time: before its deadline (2026-07-10).
    services.today = lambda: date(2026, 5, 20)
    with transaction(services.sessions) as session:
        create_user(session, email=CLINIC_A[0], role="clinic_staff", password=PASSWORD,
                    facility_npi=CLINIC_A[1], name="Ana Clinic",
                    hash_method=TEST_PASSWORD_HASH)  # fmt: skip
    try:
        with Server(services) as running:
            yield running
    finally:
        services.close()


@pytest.fixture(scope="module")
def case_ids(server: Server) -> dict[str, str]:
    """A case at clinic A and one at clinic B, filed through the API."""
    client = server.app.test_client()
    headers = {"Authorization": f"Bearer {make_key(server.services, 'hub')}"}
    own = denial_case(SCAN.stem)  # the case the scanned letter belongs to
    other = copy.deepcopy(load_sample())
    other["external_id"] = "HUB-E2E-OTHER"
    other["facility"]["npi"] = CLINIC_B_NPI
    other["patient"]["last_name"] = "Otherclinic"
    ids = {}
    # "ada": the sample case the sample 835 pays (HUB-SAMPLE-0001).
    for name, payload in (("a", own), ("b", other), ("ada", load_sample())):
        response = client.post("/api/v1/cases", json=payload, headers=headers)
        assert response.status_code == 201, response.json
        ids[name] = response.json["id"]
    return ids


def _login(page: Any, server: Server, password: str = PASSWORD) -> None:
    page.goto(f"{server.url}/login")
    page.get_by_label("Email").fill(CLINIC_A[0])
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_upload_review_correct_and_download_the_appeal_packet(
    page: Any, server: Server, case_ids: dict[str, str]
) -> None:
    page.goto(f"{server.url}/cases")
    assert "/login" in page.url  # not logged in: sent to the login page
    shot(page, "01-login", readme="login")
    _login(page, server, password="not the right one")  # noqa: S106  # a wrong password
    alert = page.get_by_role("alert")
    assert "email or password is not right" in alert.inner_text()
    shot(page, "02-login-failed")

    _login(page, server)
    page.wait_for_url(f"{server.url}/cases")
    assert page.get_by_role("heading", name="Cases").is_visible()
    assert page.get_by_role("link", name=SCAN_LABEL["patient_name"]).is_visible()
    assert page.get_by_text("Otherclinic").count() == 0
    shot(page, "03-cases", readme="cases")

    page.get_by_role("link", name="Upload a denial letter").first.click()
    page.get_by_label("Denial letter").set_input_files(str(SCAN))
    page.get_by_label("Case (optional)").select_option(case_ids["a"])
    assert "Selected: 03_ma_cosmetic_scan.pdf" in page.locator("#file-chosen").inner_text()
    shot(page, "04-upload", readme="upload")
    page.get_by_role("button", name="Upload and read").click()
    page.wait_for_url("**/denials/*")
    assert page.get_by_role("heading", name="Review the denial letter").is_visible()
    assert page.get_by_role("img", name="Page 1 of the denial letter").is_visible()
    page.wait_for_function(  # the page image really renders (a PNG from the stored letter)
        "() => { const i = document.querySelector('.letter img');"
        " return i && i.complete && i.naturalWidth > 500; }"
    )
    assert page.locator("mark").count() >= 3  # values highlighted in their sentences
    shot(page, "05-review", readme="review")

    # Correct the member id (fax OCR may misread it) and add the authorization number.
    member = page.locator("#fact-member_id")
    if not member.is_visible():
        page.locator("#fact-member_id-row summary").click()
    member.fill(SCAN_LABEL["member_id"])
    authorization = page.locator("#fact-authorization_number")
    if not authorization.is_visible():
        page.locator("#fact-authorization_number-row summary").click()
    authorization.fill("PA-E2E-7781")
    page.get_by_label("I have checked these facts against the letter").check()
    page.get_by_role("button", name="Save corrections").click()
    page.wait_for_load_state()
    status = page.get_by_role("status").first.inner_text()
    assert "Saved" in status
    row = page.locator("#fact-authorization_number-row")
    assert "PA-E2E-7781" in row.inner_text()
    assert "checked" in row.inner_text().lower()
    shot(page, "06-corrected")

    page.get_by_role("button", name="Generate the appeal packet").click()
    page.wait_for_url("**/documents/*", timeout=120_000)
    assert page.get_by_role(
        "heading", name=f"Appeal packet for {SCAN_LABEL['patient_name']}"
    ).is_visible()
    shot(page, "07-packet-ready", readme="packet")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    data = Path(download.path()).read_bytes()
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(p.extract_text() or "" for p in reader.pages)
    assert SCAN_LABEL["patient_name"] in text
    assert "checklist" not in text.lower()
    assert SCAN_LABEL["member_id"] in text  # the corrected value, not the OCR reading
    assert SCAN_LABEL["claim_number"] in text
    assert f"Page 1 of {len(reader.pages)}" in text

    page.goto(f"{server.url}/cases/{case_ids['a']}")
    assert page.get_by_role("heading", name="Documents").is_visible()
    assert page.get_by_role("link", name="Download PDF of the appeal packet").is_visible()
    assert page.get_by_role("heading", name="Letter of appeal").is_visible()
    shot(page, "08-case", readme="case")

    page.set_viewport_size({"width": 820, "height": 1180})  # a tablet, portrait
    page.goto(f"{server.url}/cases")
    shot(page, "09-cases-tablet")


def test_another_facilitys_case_by_url_is_not_found(
    page: Any, server: Server, case_ids: dict[str, str]
) -> None:
    _login(page, server)
    page.wait_for_url(f"{server.url}/cases")
    response = page.goto(f"{server.url}/cases/{case_ids['b']}")
    assert response is not None
    assert response.status == 404
    assert page.get_by_role("heading", name="Not found").is_visible()
    assert "Otherclinic" not in page.content()
    shot(page, "10-other-facility-404")


def test_logout_and_idle_timeout_send_back_to_login(
    page: Any, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    _login(page, server)
    page.wait_for_url(f"{server.url}/cases")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login")
    assert "You are logged out" in page.get_by_role("status").inner_text()
    shot(page, "11-logged-out")
    page.goto(f"{server.url}/cases")
    assert "/login" in page.url

    _login(page, server)
    page.wait_for_url(f"{server.url}/cases")
    idle = server.services.settings.session_idle_minutes * 60
    later = time.time() + idle + 5
    # The server runs in this process: move its clock past the idle time.
    monkeypatch.setattr("formservice.web.base._clock", lambda: later)
    page.reload()
    assert "/login" in page.url
    assert "timed out" in page.get_by_role("status").inner_text()
    shot(page, "12-timed-out")


def test_upload_an_835_and_open_a_denied_claim(
    page: Any, server: Server, case_ids: dict[str, str]
) -> None:
    _login(page, server)
    page.wait_for_url(f"{server.url}/cases")
    page.get_by_role("link", name="Upload an 835").click()
    page.get_by_label("835 file").set_input_files(
        str(SAMPLES / "era" / "01_denial_medical_necessity.835")
    )
    page.get_by_role("button", name="Upload and read").click()
    page.wait_for_url("**/remittances/*")
    table = page.locator("#denied-claims")
    assert "ADA SAMPLECASE" in table.inner_text()
    assert table.get_by_role("link", name="HUB-SAMPLE-0001").is_visible()  # its matched case
    shot(page, "08-remittance", readme="remittance")
    table.get_by_role("link", name="Review").click()
    page.wait_for_url("**/denials/*")
    assert page.get_by_role("heading", name="The remittance (835)").is_visible()
    assert "CAS*CO*50*1850.50" in page.locator(".letter").inner_text()
    shot(page, "09-remittance-review")
