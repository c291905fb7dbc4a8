"""Denial letters on the staff pages: upload, review with highlighted sources, correct, packet."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from formservice import create_app
from formservice.settings import Settings
from formservice.store.models import AuditEvent, DenialRow
from formservice.usecases import Services, build_services
from tests.conftest import SAMPLES, require_tool
from tests.web.conftest import StaffBrowser

DENIALS = SAMPLES / "denials"
TEXT_LETTER = DENIALS / "01_erisa_medical_necessity.pdf"  # text layer, confident facts
UNSURE_LETTER = DENIALS / "07_erisa_exclusion_no_deadline.pdf"  # deadline from the plan rule


def _upload(browser: StaffBrowser, path: Path, case_id: str | None = None,
            data: bytes | None = None) -> Any:  # fmt: skip
    fields: dict[str, Any] = {"file": (_stream(data if data is not None else path.read_bytes()),
                                       path.name)}  # fmt: skip
    if case_id:
        fields["case_id"] = case_id
    return browser.post("/denials/new", fields, content_type="multipart/form-data")


def _stream(data: bytes) -> Any:
    return io.BytesIO(data)


def _denial_id(response: Any) -> str:
    assert response.status_code == 303, response.text[:2000]
    match = re.fullmatch(r"/denials/([0-9a-f]{32})", response.headers["Location"])
    assert match, response.headers["Location"]
    return match.group(1)


@pytest.fixture
def make_browser(settings: Settings, users: dict[str, str]) -> Callable[..., StaffBrowser]:
    """A logged-in browser on an app with some settings changed (same database)."""
    made: list[Services] = []

    def make(who: str = "clinic_a", **overrides: Any) -> StaffBrowser:
        svc = build_services(settings.with_overrides(**overrides))
        made.append(svc)
        browser = StaffBrowser(create_app(svc.settings, services=svc).test_client())
        assert browser.login(who).status_code == 303
        return browser

    yield make  # type: ignore[misc]
    for svc in made:
        svc.close()


def test_upload_then_review_shows_facts_beside_the_page_with_their_sentences(
    browser: StaffBrowser, cases: dict[str, str]
) -> None:
    browser.login("clinic_a")
    denial_id = _denial_id(_upload(browser, TEXT_LETTER, cases["letter01"]))
    page = browser.get(f"/denials/{denial_id}")
    assert page.status_code == 200
    html = page.text
    assert f'src="/denials/{denial_id}/pages/1.png"' in html
    assert 'alt="Page 1 of the denial letter"' in html
    # Each fact with the sentence it came from, the value itself highlighted.
    assert "Member ID: <mark>NWH123456789</mark>" in html
    assert "Claim No.: <mark>2026031500123</mark>" in html
    assert "within 180 days of the date of this notice" in html
    assert "medical necessity" in html
    image = browser.get(f"/denials/{denial_id}/pages/1.png")
    assert image.status_code == 200
    assert image.mimetype == "image/png"
    assert image.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert browser.get(f"/denials/{denial_id}/pages/9.png").status_code == 404


def test_unsure_facts_are_open_and_marked_for_checking(
    browser: StaffBrowser, cases: dict[str, str]
) -> None:
    browser.login("clinic_a")
    denial_id = _denial_id(_upload(browser, UNSURE_LETTER))
    html = browser.get(f"/denials/{denial_id}").text
    deadline = html[html.index('id="fact-appeal_deadline-row"') - 40 :]
    deadline = deadline[: deadline.index("</blockquote>")]
    assert "fact-check" in deadline
    assert "check</span>" in deadline
    member = html[html.index('id="fact-member_id-row"') - 40 :]
    member = member[: member.index("</details>")]
    assert "fact-check" not in member  # a confident fact: shown, correctable on demand
    assert "<details>" in member
    # Not linked to a case yet: the page offers the user's cases to link it to.
    assert 'name="case_id"' in html
    assert "Ada Samplecase" in html


def test_a_correction_is_saved_and_marked_as_checked(
    browser: StaffBrowser, client: FlaskClient, cases: dict[str, str], services: Services
) -> None:
    browser.login("clinic_a")
    denial_id = _denial_id(_upload(browser, TEXT_LETTER, cases["letter01"]))
    browser.get(f"/denials/{denial_id}")
    saved = browser.post(
        f"/denials/{denial_id}",
        {"member_id": "NWH999999999", "claim_number": "2026031500123", "checked": "yes"},
    )
    assert saved.status_code == 303
    with services.sessions() as session:
        row = session.get(DenialRow, denial_id)
        assert row is not None
        assert row.result is not None
        assert row.result["member_id"] == "NWH999999999"
        assert row.result["claim_number"] == "2026031500123"  # unchanged: not sent as a fix
        assert row.result["reviewed_fields"] == ["member_id"]
        assert row.result["needs_review"] is False
    html = browser.get(f"/denials/{denial_id}").text
    member = html[html.index('id="fact-member_id-row"') :]
    assert "NWH999999999" in member[: member.index("</details>")]
    assert "checked</span>" in member[: member.index("</details>")]


def test_an_invalid_correction_names_the_field_on_the_page(browser: StaffBrowser) -> None:
    browser.login("clinic_a")
    denial_id = _denial_id(_upload(browser, TEXT_LETTER))
    browser.get(f"/denials/{denial_id}")
    response = browser.post(f"/denials/{denial_id}", {"procedure_codes": "not-a-code"})
    assert response.status_code == 422
    row = response.text[response.text.index('id="fact-procedure_codes-row"') :]
    assert 'aria-invalid="true"' in row[:3000]
    assert 'class="field-error"' in row[:3000]


def test_not_a_pdf_is_a_message_on_the_upload_page(browser: StaffBrowser) -> None:
    browser.login("clinic_a")
    response = _upload(browser, Path("letter.pdf"), data=b"GIF89a not a pdf at all")
    assert response.status_code == 415
    assert response.mimetype == "text/html"
    assert 'role="alert"' in response.text
    assert "must be a PDF" in response.text
    assert "Traceback" not in response.text
    empty = _upload(browser, Path("empty.pdf"), data=b"")
    assert empty.status_code == 422
    assert "empty" in empty.text.lower()


def test_an_unreadable_pdf_is_a_message_not_a_stack_trace(browser: StaffBrowser) -> None:
    browser.login("clinic_a")
    truncated = TEXT_LETTER.read_bytes()[:900]
    response = _upload(browser, Path("broken.pdf"), data=truncated)
    assert 400 <= response.status_code < 500
    assert 'role="alert"' in response.text
    assert "Traceback" not in response.text


def test_an_upload_over_the_limit_is_413_shown_on_the_page(
    make_browser: Callable[..., StaffBrowser],
) -> None:
    small = make_browser(max_upload_bytes=20_000)
    response = _upload(small, TEXT_LETTER, data=b"%PDF-1.7\n" + b"0" * 30_000)
    assert response.status_code == 413
    assert "too large" in response.text
    assert 'role="alert"' in response.text
    # Bigger than the whole request limit: refused before the body is read, same page.
    boundary, body = encode_multipart(
        {
            "csrf_token": small.token,
            "file": FileStorage(
                io.BytesIO(b"%PDF-1.7\n" + b"0" * (2 * 1024 * 1024 + 10)), "big.pdf"
            ),
        }
    )
    huge = small.client.post(
        "/denials/new", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert huge.status_code == 413
    assert "too large" in huge.text
    assert "<h1>Upload a denial letter</h1>" in huge.text


def test_a_big_scan_shows_a_processing_page_that_refreshes(
    make_browser: Callable[..., StaffBrowser],
) -> None:
    slow = make_browser(request_ocr_budget_seconds=0.001)
    denial_id = _denial_id(_upload(slow, DENIALS / "03_ma_cosmetic_scan.pdf"))
    page = slow.get(f"/denials/{denial_id}")
    assert page.status_code == 200
    assert '<meta http-equiv="refresh"' in page.text
    assert "Reading the letter" in page.text


def test_packet_needs_a_case_first(browser: StaffBrowser) -> None:
    browser.login("clinic_a")
    denial_id = _denial_id(_upload(browser, TEXT_LETTER))
    browser.get(f"/denials/{denial_id}")
    response = browser.post(f"/denials/{denial_id}/packet")
    assert response.status_code == 422
    assert "Link the letter to a case first" in response.text


@pytest.mark.libreoffice
def test_link_generate_and_download_the_appeal_packet(
    browser: StaffBrowser, cases: dict[str, str], services: Services, app: Flask
) -> None:
    require_tool("soffice", "apt-get install libreoffice-writer-nogui")
    services.today = lambda: date(2026, 4, 1)  # before the letter's deadline
    browser.login("clinic_a")
    denial_id = _denial_id(_upload(browser, TEXT_LETTER))
    browser.get(f"/denials/{denial_id}")
    # Case "a" is another patient: refused, with the facts side by side.
    refused = browser.post(f"/denials/{denial_id}/attach", {"case_id": cases["a"]})
    assert refused.status_code == 409
    assert "This letter names another patient" in refused.text
    assert "Maria Samplename" in refused.text
    assert "Ada Samplecase" in refused.text
    assert 'name="override_reason"' not in refused.text  # clinic staff cannot override
    attach = browser.post(f"/denials/{denial_id}/attach", {"case_id": cases["letter01"]})
    assert attach.status_code == 303
    html = browser.get(f"/denials/{denial_id}").text
    assert "The letter matches the case" in html
    unchecked = browser.post(f"/denials/{denial_id}/packet")
    assert unchecked.status_code == 422
    assert "I have checked these facts" in unchecked.text
    assert browser.post(f"/denials/{denial_id}", {"checked": "yes"}).status_code == 303
    html = browser.get(f"/denials/{denial_id}").text
    assert re.search(r'id="checked" name="checked" value="yes"\s*checked', html)  # stays ticked
    made = browser.post(f"/denials/{denial_id}/packet")
    assert made.status_code == 303, made.text[:3000]
    document_url = made.headers["Location"]
    document_id = document_url.rsplit("/", 1)[1]
    page = browser.get(document_url)
    assert "Download PDF" in page.text
    # What the letter's argument calls for and the packet cannot hold: to add before sending.
    assert "Add before sending: copies of the references cited" in page.text
    pdf = browser.get(f"/documents/{document_id}/download")
    assert pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    with services.sessions() as session:
        events = session.execute(
            select(
                AuditEvent.action, AuditEvent.case_id, AuditEvent.document_id, AuditEvent.denial_id
            ).where(AuditEvent.actor == "user:ana@clinic-a.example")  # fmt: skip
        ).all()
    assert ("upload_denial", None, None, denial_id) in events
    assert ("attach_denial", cases["letter01"], None, denial_id) in events
    assert ("generate_document", cases["letter01"], document_id, denial_id) in events
    assert ("download_document", cases["letter01"], document_id, None) in events


def test_confirming_the_checked_facts_marks_them_reviewed(browser: StaffBrowser) -> None:
    browser.login("clinic_a")
    denial_id = _denial_id(_upload(browser, UNSURE_LETTER))
    html = browser.get(f"/denials/{denial_id}").text
    deadline = re.search(
        r'id="fact-appeal_deadline" name="appeal_deadline" type="date" value="([^"]*)"', html
    )
    assert deadline is not None
    saved = browser.post(
        f"/denials/{denial_id}", {"appeal_deadline": deadline.group(1), "checked": "yes"}
    )
    assert saved.status_code == 303
    html = browser.get(f"/denials/{denial_id}").text
    row = html[html.index('id="fact-appeal_deadline-row"') - 40 :]
    row = row[: row.index('<div class="field checkbox">')]  # the last fact's block
    assert "fact-check" not in row
    assert "checked</span>" in row
    assert "Entered by user:ana@clinic-a.example" in row


def test_highlight_finds_a_value_split_by_ocr_and_escapes_the_rest() -> None:
    from formservice.web import highlight

    assert str(highlight("Member ID #: * TMA8001 12233", "TMA800112233")) == (
        "Member ID #: * <mark>TMA8001 12233</mark>"
    )
    assert str(highlight("<b>Claim</b> 42", "42")) == "&lt;b&gt;Claim&lt;/b&gt; <mark>42</mark>"
    assert str(highlight("no value here", "X1")) == "no value here"


def test_the_appeal_destination_is_shown_and_its_fax_can_be_corrected(
    browser: StaffBrowser, services: Services
) -> None:
    browser.login("clinic_a")
    denial_id = _denial_id(_upload(browser, TEXT_LETTER))
    html = browser.get(f"/denials/{denial_id}").text
    assert 'id="fact-appeal_to_fax"' in html
    assert "(206) 555-0199" in html
    saved = browser.post(f"/denials/{denial_id}", {"appeal_to_fax": "206-555-0100"})
    assert saved.status_code == 303
    with services.sessions() as session:
        row = session.get(DenialRow, denial_id)
        assert row is not None
        assert row.result is not None
        assert row.result["appeal_to"]["fax"] == "206-555-0100"
        assert row.result["appeal_to"]["address"] == "PO Box 4410, Seattle, WA 98101"  # kept
        assert "appeal_to" in row.result["reviewed_fields"]
        assert "appeal_to" not in row.result["review_fields"]


def test_facts_named_in_review_fields_are_marked_for_checking(
    browser: StaffBrowser, services: Services
) -> None:
    browser.login("clinic_a")
    letter = DENIALS / "05_eob_bundled_records.pdf"  # states no appeal window: deadline unknown
    denial_id = _denial_id(_upload(browser, letter))
    with services.sessions() as session:
        row = session.get(DenialRow, denial_id)
        assert row is not None
        assert row.result is not None
        flagged = row.result["review_fields"]
    assert "appeal_deadline" in flagged
    html = browser.get(f"/denials/{denial_id}").text
    for name in flagged:
        marker = f'id="fact-{name}-row"'
        if marker in html:
            block = html[html.index(marker) - 40 :][:400]
            assert "fact-check" in block, name


def test_a_hub_user_attaches_another_patients_letter_only_with_a_reason(
    browser: StaffBrowser, cases: dict[str, str]
) -> None:
    browser.login("admin")
    denial_id = _denial_id(_upload(browser, TEXT_LETTER))
    refused = browser.post(f"/denials/{denial_id}/attach", {"case_id": cases["a"]})
    assert refused.status_code == 409
    assert 'name="override_reason"' in refused.text  # hub users may override, with a reason
    # Each difference is said once (the message named it, then the per-field notes again).
    assert refused.text.count("the denial says") == 1, refused.text
    attached = browser.post(
        f"/denials/{denial_id}/attach",
        {"case_id": cases["a"], "override_reason": "Married name on the payer's file"},
    )
    assert attached.status_code == 303
    html = browser.get(f"/denials/{denial_id}").text
    assert "despite the difference" in html
    assert "Married name on the payer" in html


@pytest.mark.libreoffice
def test_a_late_packet_needs_its_good_cause_and_says_so(
    browser: StaffBrowser, cases: dict[str, str], services: Services
) -> None:
    require_tool("soffice", "apt-get install libreoffice-writer-nogui")
    services.today = lambda: date(2026, 11, 29)  # the letter's deadline was 2026-09-11
    browser.login("clinic_a")
    denial_id = _denial_id(_upload(browser, TEXT_LETTER, cases["letter01"]))
    assert browser.post(f"/denials/{denial_id}", {"checked": "yes"}).status_code == 303
    html = browser.get(f"/denials/{denial_id}").text
    assert 'name="late_reason"' in html
    refused = browser.post(f"/denials/{denial_id}/packet")
    assert refused.status_code == 422
    assert "September 11, 2026" in refused.text
    made = browser.post(
        f"/denials/{denial_id}/packet", {"late_reason": "The letter was mailed to a closed office."}
    )
    assert made.status_code == 303, made.text[:2000]
    page = browser.get(made.headers["Location"]).text
    assert "passed 79 day(s) ago" in page


def test_packet_warnings_stay_on_the_packets_page_not_the_next_page_opened(
    browser: StaffBrowser, cases: dict[str, str], services: Services
) -> None:
    # Flashed, a warning waited for whichever page came next, possibly another patient's case.
    require_tool("soffice", "apt-get install libreoffice-writer-nogui")
    services.today = lambda: date(2026, 11, 29)
    browser.login("clinic_a")
    denial_id = _denial_id(_upload(browser, TEXT_LETTER, cases["letter01"]))
    assert browser.post(f"/denials/{denial_id}", {"checked": "yes"}).status_code == 303
    made = browser.post(
        f"/denials/{denial_id}/packet", {"late_reason": "The letter was mailed to a closed office."}
    )
    assert made.status_code == 303, made.text[:2000]
    elsewhere = browser.get("/cases").text
    assert "day(s) ago" not in elsewhere
    page = browser.get(made.headers["Location"]).text
    assert "passed 79 day(s) ago" in page
    assert "Check before you send it" in page
    assert "passed 79 day(s) ago" in browser.get(made.headers["Location"]).text  # every visit


def test_uploading_the_same_letter_again_opens_the_earlier_upload(browser: StaffBrowser) -> None:
    browser.login("clinic_a")
    first = _denial_id(_upload(browser, TEXT_LETTER))
    again = _upload(browser, TEXT_LETTER)
    assert _denial_id(again) == first
    page = browser.get(again.headers["Location"]).text
    assert "This letter was already uploaded" in page


def test_a_standalone_appeal_says_what_the_clinic_must_enclose_on_its_page(
    browser: StaffBrowser, client: FlaskClient, cases: dict[str, str], hub_headers: dict[str, str]
) -> None:
    """A letter of appeal made on its own lists what the clinic must put with it: its page says
    so, in words (not the warning's raw record)."""
    browser.login("clinic_a")
    denial_id = _denial_id(_upload(browser, TEXT_LETTER, cases["letter01"]))
    made = client.post(
        f"/api/v1/cases/{cases['letter01']}/documents",
        json={"kind": "appeal", "denial_id": denial_id},
        headers=hub_headers,
    )
    assert made.status_code == 201, made.json
    page = browser.get(f"/documents/{made.json['id']}").text
    assert "This letter lists enclosures that are not attached to it" in page
    assert "Copies of the references cited" in page
    assert "enclosures_to_assemble" not in page
