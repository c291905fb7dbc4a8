"""One transaction per request: its changes and its audit row are kept together or not at all.

`store.unit_of_work` and the audit hook, on SQLite and on PostgreSQL. The database itself
refuses the audit row (a trigger), so the failure is the real one a full disk or a broken
constraint would give, not a patched function.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy import func, select

from formservice import create_app
from formservice.settings import Settings
from formservice.store.db import reading, transaction
from formservice.store.models import ApiKey, AuditEvent, CaseRow, User
from formservice.store.unit_of_work import (
    close_unit_of_work,
    current_unit,
    on_commit,
    open_unit_of_work,
)
from formservice.usecases import build_services
from formservice.usecases.accounts import create_user
from formservice.usecases.keys import create_api_key
from formservice.usecases.services import Services
from tests.conftest import load_sample, make_key
from tests.web.conftest import PASSWORD, csrf_of


def _refuse(dialect: str, action: str, status: int) -> tuple[str, ...]:
    """Statements that make the database refuse the audit row of `action` answered `status`."""
    if dialect == "sqlite":
        return (
            f"""CREATE TRIGGER refuse_row BEFORE INSERT ON audit_events
            WHEN NEW.action = '{action}' AND NEW.status = {status}
            BEGIN SELECT RAISE(ABORT, 'audit row refused by the test'); END""",
        )
    return (
        f"""CREATE FUNCTION refuse_row() RETURNS trigger AS $$
        BEGIN
          IF NEW.action = '{action}' AND NEW.status = {status} THEN
            RAISE EXCEPTION 'audit row refused by the test';
          END IF;
          RETURN NEW;
        END $$ LANGUAGE plpgsql""",
        """CREATE TRIGGER refuse_row BEFORE INSERT ON audit_events
        FOR EACH ROW EXECUTE FUNCTION refuse_row()""",
    )


def _allow(dialect: str) -> tuple[str, ...]:
    if dialect == "sqlite":
        return ("DROP TRIGGER IF EXISTS refuse_row",)
    return (
        "DROP TRIGGER IF EXISTS refuse_row ON audit_events",
        "DROP FUNCTION IF EXISTS refuse_row()",
    )


@pytest.fixture
def stored(storage_settings: Settings) -> Iterator[Services]:
    services = build_services(storage_settings)
    yield services
    _execute(services, _allow(services.engine.dialect.name))
    services.close()


def _execute(services: Services, statements: tuple[str, ...]) -> None:
    with services.engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)


def _counts(services: Services) -> tuple[int, list[tuple[str, int | None, str | None]]]:
    with services.sessions() as session:
        cases = session.scalar(select(func.count()).select_from(CaseRow)) or 0
        events = [
            (e.action, e.status, e.case_id)
            for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        ]
    return cases, events


def test_a_change_is_kept_only_with_its_audit_row(
    stored: Services, storage_settings: Settings
) -> None:
    dialect = stored.engine.dialect.name
    _execute(stored, _refuse(dialect, "create_case", 201))
    client = create_app(storage_settings, services=stored).test_client()
    auth = {"Authorization": f"Bearer {make_key(stored)}"}

    refused = client.post("/api/v1/cases", json=load_sample(), headers=auth)

    assert refused.status_code == 500
    assert refused.mimetype == "application/problem+json"
    assert "nothing was changed" in refused.json["detail"]
    # The case went with its audit row; the attempt is recorded on its own, as a 500.
    assert _counts(stored) == (0, [("create_case", 500, None)])

    _execute(stored, _allow(dialect))
    created = client.post("/api/v1/cases", json=load_sample(), headers=auth)
    assert created.status_code == 201
    cases, events = _counts(stored)
    assert cases == 1
    assert events[-1] == ("create_case", 201, created.json["id"])


def test_a_failed_logins_count_is_kept_only_with_its_audit_row(
    stored: Services, storage_settings: Settings
) -> None:
    # A staff page: the refusal is a plain page, and the failure counter (written by the login
    # step before it answers 401) is not kept without the row that records the attempt.
    with transaction(stored.sessions) as session:
        create_user(session, email="ana@clinic.example", role="clinic_staff",
                    password=PASSWORD, facility_npi="1003000126",
                    hash_method=stored.settings.password_hash_method)  # fmt: skip
    _execute(stored, _refuse(stored.engine.dialect.name, "failed_login", 401))
    client = create_app(storage_settings, services=stored).test_client()
    token = csrf_of(client.get("/login").text)

    page = client.post("/login", data={"email": "ana@clinic.example", "password": "x" * 12,
                                       "csrf_token": token})  # fmt: skip

    assert page.status_code == 500
    assert page.mimetype == "text/html"
    assert "nothing was changed" in page.text
    with stored.sessions() as session:
        user = session.scalars(select(User)).one()
        assert user.failed_logins == 0
        events = [(e.action, e.status) for e in session.scalars(select(AuditEvent))]
    assert events == [("failed_login", 500)]


def _key_names(services: Services) -> list[str]:
    engine = sa.create_engine(services.engine.url)  # a connection of its own: committed rows only
    try:
        with engine.connect() as conn:
            return list(conn.scalars(select(ApiKey.name).order_by(ApiKey.name)))
    finally:
        engine.dispose()


def _failing_step(services: Services) -> None:
    with transaction(services.sessions) as session:
        create_api_key(session, name="undone", role="hub")
        session.flush()  # written to the database, then undone with its savepoint
        raise RuntimeError("this step fails")


def test_steps_are_savepoints_and_the_request_commits_once(stored: Services) -> None:
    seen_after_commit: list[list[str]] = []
    token = open_unit_of_work(stored.sessions)
    try:
        with transaction(stored.sessions) as session:
            create_api_key(session, name="kept", role="hub")
        with pytest.raises(RuntimeError, match="this step fails"):
            _failing_step(stored)
        with reading(stored.sessions) as session:  # the request sees its own kept write
            assert list(session.scalars(select(ApiKey.name))) == ["kept"]
        on_commit(stored.sessions, lambda: seen_after_commit.append(_key_names(stored)))
        assert _key_names(stored) == []  # nothing is visible before the request commits
        assert seen_after_commit == []
        unit = current_unit(stored.sessions)
        assert unit is not None
        unit.commit()
    finally:
        close_unit_of_work(token)
    assert seen_after_commit == [["kept"]]  # the callback ran after the commit, and saw it
    assert current_unit(stored.sessions) is None
    assert _key_names(stored) == ["kept"]


def test_a_row_changed_while_reading_is_never_written(stored: Services) -> None:
    make_key(stored)
    token = open_unit_of_work(stored.sessions)
    try:
        with reading(stored.sessions) as session:
            key = session.scalars(select(ApiKey)).one()
            key.name = "changed while reading"
            session.scalars(select(ApiKey)).all()  # a query that would autoflush the change
        unit = current_unit(stored.sessions)
        assert unit is not None
        unit.commit()
    finally:
        close_unit_of_work(token)
    assert _key_names(stored) == ["test-hub"]


def test_an_unfinished_request_keeps_nothing(stored: Services) -> None:
    token = open_unit_of_work(stored.sessions)
    try:
        with transaction(stored.sessions) as session:
            create_api_key(session, name="never committed", role="hub")
    finally:
        close_unit_of_work(token)  # the request ended without its commit (the process died...)
    assert _key_names(stored) == []


def test_no_unit_of_work_outlives_its_request(
    client: FlaskClient, auth: dict[str, str], services: Services, case_payload: dict[str, Any]
) -> None:
    assert client.post("/api/v1/cases", json=case_payload, headers=auth).status_code == 201
    assert client.post("/api/v1/cases", json={}, headers=auth).status_code == 422
    # The test client runs requests in this thread: what they opened was closed and reset.
    assert current_unit(services.sessions) is None
    with transaction(services.sessions) as session:  # outside a request: its own transaction
        create_api_key(session, name="after", role="hub")
    assert "after" in _key_names(services)
