"""The case list, the case page, downloads, facility walls and escaping on the staff pages."""

from __future__ import annotations

import copy
import hashlib
import html
import re
from datetime import date

from flask.testing import FlaskClient
from sqlalchemy import select

from formservice.store.db import transaction
from formservice.store.models import AuditEvent, CaseRow, DenialRow
from formservice.store.pa import refresh_next_due
from formservice.usecases.services import Services
from tests.conftest import load_sample, make_key
from tests.helpers.case_list import expected, seed_cases
from tests.web.conftest import FACILITY_A, FACILITY_B, StaffBrowser


def test_a_clinic_sees_only_its_own_cases(browser: StaffBrowser, cases: dict[str, str]) -> None:
    browser.login("clinic_a")
    page = browser.get("/cases").text
    assert "Ada Samplecase" in page
    assert "Othersample" not in page
    assert cases["b"] not in page


def test_hub_staff_see_every_facility(browser: StaffBrowser, cases: dict[str, str]) -> None:
    browser.login("staff")
    page = browser.get("/cases").text
    assert "Ada Samplecase" in page
    assert "Bea Othersample" in page
    assert FACILITY_B in page  # hub users get a facility column


def test_another_facilitys_case_is_404_by_url_in_the_web_and_the_api(
    browser: StaffBrowser, client: FlaskClient, cases: dict[str, str], services: Services
) -> None:
    browser.login("clinic_a")
    response = browser.get(f"/cases/{cases['b']}")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "Othersample" not in response.text
    unknown = browser.get("/cases/0123456789abcdef0123456789abcdef")
    assert unknown.status_code == 404
    assert unknown.text == response.text.replace(cases["b"], "0123456789abcdef0123456789abcdef")
    clinic_key = {"Authorization": f"Bearer {make_key(services, 'clinic', FACILITY_A)}"}
    api = client.get(f"/api/v1/cases/{cases['b']}", headers=clinic_key)
    assert api.status_code == 404
    assert api.mimetype == "application/problem+json"
    assert client.get(f"/api/v1/cases/{cases['a']}", headers=clinic_key).status_code == 200


def test_another_facilitys_document_and_denial_are_404(
    browser: StaffBrowser,
    client: FlaskClient,
    cases: dict[str, str],
    hub_headers: dict[str, str],
    services: Services,
) -> None:
    made = client.post(
        f"/api/v1/cases/{cases['b']}/documents", json={"kind": "lmn"}, headers=hub_headers
    )
    assert made.status_code == 201, made.json
    doc_id = made.json["id"]
    with transaction(services.sessions) as session:
        denial = DenialRow(
            case_id=cases["b"], facility_npi=FACILITY_B, source_sha256="0" * 64, filename="x.pdf"
        )
        session.add(denial)
        session.flush()
        denial_id = denial.id
    browser.login("clinic_a")
    for url in (
        f"/documents/{doc_id}",
        f"/documents/{doc_id}/download",
        f"/denials/{denial_id}",
        f"/denials/{denial_id}/pages/1.png",
    ):
        assert browser.get(url).status_code == 404, url
    assert browser.post(f"/denials/{denial_id}/packet").status_code == 404
    assert browser.post(f"/denials/{denial_id}/attach", {"case_id": cases["a"]}).status_code == 404
    clinic_key = {"Authorization": f"Bearer {make_key(services, 'clinic', FACILITY_A)}"}
    assert client.get(f"/api/v1/documents/{doc_id}/content", headers=clinic_key).status_code == 404
    assert client.get(f"/api/v1/denials/{denial_id}", headers=clinic_key).status_code == 404


def test_case_page_lists_documents_with_downloads_and_checklists(
    browser: StaffBrowser,
    client: FlaskClient,
    cases: dict[str, str],
    hub_headers: dict[str, str],
    services: Services,
) -> None:
    made = client.post(
        f"/api/v1/cases/{cases['a']}/documents", json={"kind": "lmn"}, headers=hub_headers
    ).json
    browser.login("clinic_a")
    page = browser.get(f"/cases/{cases['a']}").text
    assert "<h1>Ada Samplecase</h1>" in page
    assert f'href="/documents/{made["id"]}/download"' in page
    # Its warnings are not printed in the letter: the list points staff to them.
    warnings = made["details"]["warnings"]
    assert warnings
    assert f'<a href="/documents/{made["id"]}">{len(warnings)} to check</a>' in page
    assert "Prior authorization" in page
    assert "Claim" in page
    assert 'class="check-' in page
    download = browser.get(f"/documents/{made['id']}/download")
    assert download.status_code == 200
    assert hashlib.sha256(download.data).hexdigest() == made["sha256"]
    assert "attachment" in download.headers["Content-Disposition"]
    with services.sessions() as session:
        rows = session.execute(
            select(AuditEvent.action, AuditEvent.case_id, AuditEvent.document_id).where(
                AuditEvent.actor == "user:ana@clinic-a.example"
            )
        ).all()
    assert ("view_case", cases["a"], None) in rows
    assert ("download_document", cases["a"], made["id"]) in rows


def test_case_list_puts_appeal_deadlines_first(
    browser: StaffBrowser, client: FlaskClient, hub_headers: dict[str, str], services: Services
) -> None:
    ids = []
    for n in range(3):
        payload = copy.deepcopy(load_sample())
        payload["external_id"] = f"HUB-ORDER-{n}"
        payload["patient"]["last_name"] = f"Order{n}"
        ids.append(client.post("/api/v1/cases", json=payload, headers=hub_headers).json["id"])
    with transaction(services.sessions) as session:
        # Case 0: a PA follow-up soonest; case 1: an appeal deadline later; case 2: nothing due.
        row0 = session.get(CaseRow, ids[0])
        assert row0 is not None
        row0.next_due, row0.next_due_reason = date(2026, 12, 1), "PA follow-up"
        row0.next_due_kind = "follow_up"
        session.add(
            DenialRow(
                case_id=ids[1],
                facility_npi=FACILITY_A,
                source_sha256="1" * 64,
                filename="denial.pdf",
                appeal_deadline=date(2027, 3, 1),
            )
        )
        session.flush()
        row1 = session.get(CaseRow, ids[1])
        assert row1 is not None
        refresh_next_due(session, row1)  # what attaching the letter does
    browser.login("clinic_a")
    page = browser.get("/cases").text
    order = [page.index(f"Order{n}") for n in range(3)]
    assert order[1] < order[0] < order[2]
    assert "2027-03-01" in page
    assert "Appeal deadline (denial letter)" in page


def test_script_in_a_patient_name_is_shown_escaped(
    browser: StaffBrowser, client: FlaskClient, hub_headers: dict[str, str]
) -> None:
    payload = copy.deepcopy(load_sample())
    payload["external_id"] = "HUB-XSS-0001"
    payload["patient"]["first_name"] = "<script>alert('x')</script>"
    payload["patient"]["last_name"] = 'O"Brien<img src=x onerror=alert(1)>'
    response = client.post("/api/v1/cases", json=payload, headers=hub_headers)
    assert response.status_code == 201, response.json
    browser.login("clinic_a")
    for url in ("/cases", f"/cases/{response.json['id']}"):
        page = browser.get(url).text
        assert "<script>alert" not in page
        assert "<img src=x" not in page
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
        assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_audit_page_is_for_hub_admins_only(browser: StaffBrowser, cases: dict[str, str]) -> None:
    browser.login("clinic_a")
    browser.get(f"/cases/{cases['a']}")
    assert browser.get("/audit").status_code == 404
    browser.token = ""
    browser.post("/logout")
    browser.login("admin")
    page = browser.get(f"/audit?case_id={cases['a']}&action=view_case")
    assert page.status_code == 200
    assert "user:ana@clinic-a.example" in page.text
    assert browser.get("/audit?since=yesterday").status_code == 422


def test_the_case_list_pages_and_never_cuts_off_an_urgent_case(
    browser: StaffBrowser, services: Services
) -> None:
    """More cases than a page: each page in due order, every appeal deadline on the first pages,
    and the next-page links reach every case exactly once."""
    rows = seed_cases(services, n=260)
    browser.login("staff")
    served: list[str] = []
    url: str | None = "/cases"
    while url:
        page = browser.get(url)
        assert page.status_code == 200
        served += re.findall(r"<td>(LIST-[0-9-]+)</td>", page.text)
        found = re.search(r'rel="next" href="([^"]+)"', page.text)
        url = html.unescape(found.group(1)) if found else None
    assert served == expected(rows)
    appeals = sum(1 for r in rows if r["next_due_kind"] == "appeal")
    assert all(r["next_due_kind"] == "appeal" for r in rows if r["external_id"] in served[:appeals])
    first = browser.get("/cases").text
    assert "Case N" in first  # the patient's name, read for the rows shown
    assert browser.get("/cases?cursor=garbage").status_code == 422
