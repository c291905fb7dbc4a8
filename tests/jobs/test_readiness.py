"""Issue 15 item 6, readiness: a broker that is down is reported, and queued work fails fast.

Before: with a wrong Redis URL `/healthz` answered 200 and nothing else told, a scan upload was a
500 that left a `processing` row and its blob, and `POST /regenerations` a 500 that left a
`running` run. Now `/readyz` names the broker (503), and both refuse with a 503 problem before
writing anything. Real Redis: a port nothing listens on, and the machine's server.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from formservice import create_app
from formservice.settings import Settings
from formservice.store.db import transaction, upgrade_database
from formservice.store.models import DenialRow, RegenerationItem, RegenerationRun
from formservice.usecases import Services, build_services
from formservice.usecases.accounts import create_user
from formservice.usecases.templates import publish_template
from tests.conftest import REPO, make_key, real_redis, require_tool
from tests.regeneration.conftest import LMN, changed_lmn, seed_letters
from tests.servers import throwaway_postgres
from tests.web.conftest import PASSWORD, USERS, StaffBrowser

WRONG_REDIS = "redis://127.0.0.1:1/0"  # port 1: nothing listens there
SCAN = REPO / "samples/denials/03_ma_cosmetic_scan.pdf"


@pytest.fixture
def broken(settings: Settings) -> Iterator[tuple[Services, FlaskClient]]:
    """The app with a Redis URL nothing answers at; scans always go to the queue."""
    wrong = settings.with_overrides(redis_url=WRONG_REDIS, request_ocr_budget_seconds=0.5)
    services = build_services(wrong)
    try:
        yield services, create_app(wrong, services=services).test_client()
    finally:
        services.close()


def _count(services: Services, model: type) -> int:
    with services.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_item6_liveness_stays_up_and_readiness_names_the_broker(
    broken: tuple[Services, FlaskClient],
) -> None:
    _, client = broken
    assert client.get("/healthz").status_code == 200  # the process is up
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json
    assert body["status"] == "unavailable"
    assert set(body["checks"]) == {"database", "queue", "converter"}
    assert body["checks"]["queue"]["ok"] is False
    assert "127.0.0.1:1" in body["checks"]["queue"]["reason"]
    assert body["checks"]["database"] == {"ok": True, "reason": None}
    assert body["checks"]["converter"] == {"ok": True, "reason": None}
    assert response.headers["Cache-Control"] == "no-store"


def test_item6_scan_upload_fails_fast_with_503_and_leaves_nothing(
    broken: tuple[Services, FlaskClient],
) -> None:
    require_tool("tesseract", "apt-get install tesseract-ocr")
    services, client = broken
    auth = {"Authorization": f"Bearer {make_key(services)}"}
    blobs_before = services.blobs.count()
    with SCAN.open("rb") as fh:
        response = client.post(
            "/api/v1/denials",
            data={"file": (fh, SCAN.name, "application/pdf")},
            headers=auth,
            content_type="multipart/form-data",
        )
    assert response.status_code == 503, response.json
    assert response.mimetype == "application/problem+json"
    assert response.json["type"].endswith("/queue-unavailable")
    assert _count(services, DenialRow) == 0  # no `processing` row
    assert services.blobs.count() == blobs_before  # and no blob


def test_item6_regeneration_fails_fast_with_503_and_leaves_no_run(
    broken: tuple[Services, FlaskClient],
) -> None:
    services, client = broken
    seed_letters(services, 2)
    publish_template(services, LMN, changed_lmn())
    ops = {"Authorization": f"Bearer {make_key(services, 'ops')}"}
    # A dry run needs no queue: it still answers.
    assert (
        client.post("/api/v1/regenerations", json={"template": LMN, "dry_run": True}, headers=ops)
    ).json["count"] == 2
    response = client.post("/api/v1/regenerations", json={"template": LMN}, headers=ops)
    assert response.status_code == 503, response.json
    assert response.mimetype == "application/problem+json"
    assert response.json["type"].endswith("/queue-unavailable")
    assert _count(services, RegenerationRun) == 0  # no `running` run
    assert _count(services, RegenerationItem) == 0


@pytest.mark.parametrize("queue", ["redis", "sqlite"])
def test_item6_ready_when_every_dependency_answers(settings: Settings, queue: str) -> None:
    ready = settings.with_overrides(redis_url=real_redis() if queue == "redis" else "")
    services = build_services(ready)
    try:
        response = create_app(ready, services=services).test_client().get("/readyz")
        assert response.status_code == 200, response.json
        assert response.json["status"] == "ready"
        assert all(c == {"ok": True, "reason": None} for c in response.json["checks"].values())
    finally:
        services.close()


def test_item6_readiness_names_a_missing_converter(settings: Settings) -> None:
    missing = settings.with_overrides(soffice_path="/nonexistent/soffice")
    services = build_services(missing)
    try:
        response = create_app(missing, services=services).test_client().get("/readyz")
        assert response.status_code == 503
        assert response.json["checks"]["converter"]["ok"] is False
        assert "LibreOffice" in response.json["checks"]["converter"]["reason"]
        assert response.json["checks"]["queue"]["ok"] is True
    finally:
        services.close()


def test_item6_staff_page_upload_fails_fast_and_leaves_nothing(
    broken: tuple[Services, FlaskClient],
) -> None:
    require_tool("tesseract", "apt-get install tesseract-ocr")
    services, client = broken
    email, role, facility = USERS["clinic_a"]
    with transaction(services.sessions) as session:
        create_user(
            session,
            email=email,
            role=role,
            password=PASSWORD,
            facility_npi=facility,
            hash_method=services.settings.password_hash_method,
        )
    browser = StaffBrowser(client)
    assert browser.login("clinic_a").status_code == 303
    blobs_before = services.blobs.count()
    response = browser.post(
        "/denials/new",
        {"file": (io.BytesIO(SCAN.read_bytes()), SCAN.name)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 503
    assert "text/html" in response.content_type  # a page for a person, not a stack trace
    assert _count(services, DenialRow) == 0
    assert services.blobs.count() == blobs_before


def test_item6_readiness_names_a_database_that_went_away(settings: Settings) -> None:
    with throwaway_postgres() as url:
        upgrade_database(url)
        on_postgres = settings.with_overrides(database_url=url)
        services = build_services(on_postgres)
        client = create_app(on_postgres, services=services).test_client()
        assert client.get("/readyz").status_code == 200
    try:
        # The database was dropped (its connections ended): the process lives, it is not ready.
        assert client.get("/healthz").status_code == 200
        response = client.get("/readyz")
        assert response.status_code == 503
        database = response.json["checks"]["database"]
        assert database["ok"] is False
        assert database["reason"]
        assert response.json["checks"]["queue"]["ok"] is True
    finally:
        services.close()
