"""Review of "one transaction per request" (465ece2): what a request promises must still hold.

Each test names what the client was told and checks that it is what the service then did.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import request
from flask.testing import FlaskClient

from formservice import create_app
from formservice.settings import Settings
from formservice.store.db import transaction
from formservice.store.models import RegenerationItem, RegenerationRun
from formservice.usecases import Services, build_services
from formservice.usecases.accounts import create_user
from formservice.usecases.templates import publish_template
from tests.conftest import denial_case, empty_postgres, load_sample, make_key
from tests.documents.test_packet import DENIAL as PACKET_DENIAL
from tests.documents.test_packet import IN_TIME, STEM
from tests.helpers.denials import DENIAL
from tests.jobs.test_readiness import _count
from tests.regeneration.conftest import LMN, changed_lmn, seed_letters
from tests.web.conftest import PASSWORD, USERS, StaffBrowser

WRONG_REDIS = "redis://127.0.0.1:1/0"  # port 1: nothing listens there


@pytest.fixture
def broker_gone(settings: Settings) -> Iterator[tuple[Services, FlaskClient]]:
    """The broker answered the readiness check, then went away before the send: a Redis URL
    nothing answers at, with the check (a separate probe) passing."""
    wrong = settings.with_overrides(redis_url=WRONG_REDIS)
    services = build_services(wrong)
    services.jobs.check = lambda timeout=2.0: None  # type: ignore[method-assign]
    try:
        yield services, create_app(wrong, services=services).test_client()
    finally:
        services.close()


def test_a_regeneration_answered_202_still_exists_when_the_broker_fails_at_the_send(
    broker_gone: tuple[Services, FlaskClient],
) -> None:
    # Before 465ece2 the client got a 503 and no run was left. Now the send is deferred to the
    # commit, so the client is told 202 with a run id; `enqueue_run` says the run then stays
    # `running` for the reaper. It must exist: the client polls it by that id.
    services, client = broker_gone
    seed_letters(services, 2)
    publish_template(services, LMN, changed_lmn())
    ops = {"Authorization": f"Bearer {make_key(services, 'ops')}"}

    started = client.post("/api/v1/regenerations", json={"template": LMN}, headers=ops)

    if started.status_code == 503:  # refused: nothing is left `running` (as before 465ece2)
        assert _count(services, RegenerationRun) == 0
        return
    assert started.status_code == 202, started.json
    polled = client.get(f"/api/v1/regenerations/{started.json['id']}", headers=ops)
    assert polled.status_code == 200, polled.json  # the run the client was given
    assert _count(services, RegenerationItem) == 2  # pending, for the reaper to queue


@pytest.fixture
def on_postgres(settings: Settings, postgres_url: str) -> Iterator[Services]:
    """The service on PostgreSQL (its tables emptied afterwards by `empty_postgres`)."""
    pg = settings.with_overrides(database_url=postgres_url)
    services = build_services(pg)
    try:
        yield services
    finally:
        services.close()
        empty_postgres(postgres_url)


def test_two_requests_on_one_letter_do_not_deadlock_on_postgres(on_postgres: Services) -> None:
    # B corrects a letter (its row is locked until B commits, now at the end of the request);
    # A, a hub user, attaches the same letter with an identity override: `attach_denial` appends
    # the override's audit row (taking the audit chain's lock, held until A commits) and then
    # updates the letter's row, so it waits for B. B's own audit row then waits for the chain's
    # lock A holds. Before 465ece2 B had committed its correction before taking that lock.
    services = on_postgres
    hub = {"Authorization": f"Bearer {make_key(services)}"}
    setup = create_app(services.settings, services=services).test_client()
    case_id = setup.post("/api/v1/cases", json=load_sample(), headers=hub).json["id"]
    upload = setup.post(
        "/api/v1/denials",
        data={"file": (io.BytesIO(DENIAL.read_bytes()), DENIAL.name)},
        headers=hub,
        content_type="multipart/form-data",
    )
    assert upload.status_code == 201, upload.json
    denial_id = upload.json["id"]

    b_wrote, a_waits = threading.Event(), threading.Event()
    app = create_app(services.settings, services=services)

    @app.after_request
    def _b_is_slow_to_finish(response: Any) -> Any:
        # Registered after the audit hook, so it runs before it: B has written, not committed.
        if request.method == "PATCH":
            b_wrote.set()
            a_waits.wait(10)
            time.sleep(0.5)  # A is now blocked on the letter's row, holding the chain's lock
        return response

    answers: dict[str, int] = {}

    def b() -> None:
        answers["B"] = (
            app.test_client()
            .patch(f"/api/v1/denials/{denial_id}", json={"member_id": "NWH123456789"}, headers=hub)
            .status_code
        )

    def a() -> None:
        assert b_wrote.wait(10)
        threading.Timer(0.5, a_waits.set).start()
        answers["A"] = (
            app.test_client()
            .post(
                f"/api/v1/cases/{case_id}/denials",
                json={"denial_id": denial_id, "override_reason": "legal name changed"},
                headers=hub,
            )
            .status_code
        )

    threads = [threading.Thread(target=b), threading.Thread(target=a)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert answers == {"A": 200, "B": 200}


def test_a_slow_render_does_not_stall_every_other_request_on_sqlite(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The packet with `acknowledge_warnings` records the acknowledgement and renders
    # (LibreOffice: seconds, up to `render_timeout_seconds` = 60 s). A request's first write
    # takes SQLite's write lock until the request ends, and every audited request, a plain GET
    # too, needs that lock for its audit row: if the acknowledgement were written before the
    # render, every other request would wait for the whole render (and fail with "database is
    # locked" after busy_timeout = 30 s). Here the render is made 3 s slower.
    from formservice.usecases import packets

    services.today = lambda: IN_TIME  # within the sample letter's appeal window
    app = create_app(services.settings, services=services)
    hub = {"Authorization": f"Bearer {make_key(services)}"}
    client = app.test_client()
    case_id = client.post("/api/v1/cases", json=denial_case(STEM), headers=hub).json["id"]
    uploaded = client.post(
        "/api/v1/denials",
        data={
            "file": (io.BytesIO(PACKET_DENIAL.read_bytes()), PACKET_DENIAL.name),
            "case_id": case_id,
        },
        headers=hub,
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 201, uploaded.json
    denial_id = uploaded.json["id"]
    slow = 3.0
    render = packets.render_stored_case
    rendering = threading.Event()

    def slow_render(*args: Any, **kwargs: Any) -> Any:
        rendering.set()
        time.sleep(slow)
        return render(*args, **kwargs)

    monkeypatch.setattr(packets, "render_stored_case", slow_render)
    body = {"kind": "appeal_packet", "denial_id": denial_id, "acknowledge_warnings": True}
    answers: list[int] = []
    packet = threading.Thread(
        target=lambda: answers.append(
            app.test_client()
            .post(f"/api/v1/cases/{case_id}/documents", json=body, headers=hub)
            .status_code
        )
    )
    packet.start()
    try:
        assert rendering.wait(30), answers
        began = time.monotonic()
        seen = app.test_client().get(f"/api/v1/cases/{case_id}", headers=hub)
        took = time.monotonic() - began
    finally:
        packet.join(60)
    assert seen.status_code == 200
    assert took < slow / 2, f"a GET waited {took:.1f} s for another request's render"
    assert answers == [201]


def test_a_login_answered_not_saved_does_not_leave_a_session(
    services: Services,
) -> None:
    # When the request's COMMIT is refused the client is told "nothing was changed" (500), and
    # the login's own audit row (`login`, 303) was not kept. The session cookie the view set
    # must not survive on that 500: it would be a working login the trail never recorded.
    from tests.test_request_transaction import _allow, _execute, _refuse

    email, role, facility = USERS["clinic_a"]
    with transaction(services.sessions) as session:
        create_user(session, email=email, role=role, password=PASSWORD, facility_npi=facility,
                    hash_method=services.settings.password_hash_method)  # fmt: skip
    _execute(services, _refuse("sqlite", "login", 303))
    try:
        browser = StaffBrowser(create_app(services.settings, services=services).test_client())
        refused = browser.login("clinic_a")
        assert refused.status_code == 500
        assert "nothing was changed" in refused.text
        page = browser.client.get("/cases")
    finally:
        _execute(services, _allow("sqlite"))
    assert page.status_code in (302, 303), "logged in by a login that was not saved"
