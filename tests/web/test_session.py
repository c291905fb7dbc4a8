"""Login, lockout, CSRF, cookie flags, idle timeout and logout on the staff pages."""

from __future__ import annotations

import time

import pytest
from flask import Flask
from sqlalchemy import select

from formservice import create_app
from formservice.settings import DEFAULT_PASSWORD_HASH_METHOD, Settings
from formservice.store.models import AuditEvent, User
from formservice.usecases.accounts import LOGIN_FAILED_MESSAGE
from formservice.usecases.services import Services
from tests.web.conftest import USERS, StaffBrowser, csrf_of


def _user(services: Services, who: str) -> User:
    with services.sessions() as session:
        user = session.scalars(select(User).where(User.email == USERS[who][0])).one()
        session.expunge(user)
        return user


def test_pages_need_a_login(browser: StaffBrowser) -> None:
    response = browser.get("/cases")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/login?next=/cases")


def test_login_then_the_case_list(browser: StaffBrowser) -> None:
    response = browser.login("clinic_a")
    assert response.status_code == 303
    assert response.headers["Location"] == "/cases"
    page = browser.get("/cases")
    assert page.status_code == 200
    assert "<h1>Cases</h1>" in page.text
    assert USERS["clinic_a"][0] in page.text


def test_login_goes_back_to_the_page_asked_for_but_never_off_site(
    browser: StaffBrowser, cases: dict[str, str]
) -> None:
    browser.get("/login")
    asked = f"/cases/{cases['a']}"
    response = browser.client.post(
        "/login",
        data={
            "email": USERS["clinic_a"][0],
            "password": "correct horse battery staple",
            "csrf_token": browser.token,
            "next": asked,
        },
    )
    assert response.headers["Location"] == asked
    browser.token = ""
    assert browser.post("/logout").status_code == 303
    browser.get("/login")
    response = browser.client.post(
        "/login",
        data={
            "email": USERS["clinic_a"][0],
            "password": "correct horse battery staple",
            "csrf_token": browser.token,
            "next": "//evil.example/phish",
        },
    )
    assert response.headers["Location"] == "/cases"


def test_wrong_password_and_unknown_email_get_the_same_generic_message(
    browser: StaffBrowser, services: Services
) -> None:
    wrong = browser.login("clinic_a", password="not the password at all")  # noqa: S106  # test
    browser.get("/login")
    unknown = browser.client.post(
        "/login",
        data={
            "email": "nobody@nowhere.example",
            "password": "whatever-password",
            "csrf_token": browser.token,
        },
    )
    assert wrong.status_code == unknown.status_code == 401
    for response in (wrong, unknown):
        assert LOGIN_FAILED_MESSAGE in response.text
        assert "password is wrong" not in response.text.lower()
        assert "no such user" not in response.text.lower()
    assert _user(services, "clinic_a").failed_logins == 1
    with services.sessions() as session:
        actions = list(session.scalars(select(AuditEvent.actor).where(
            AuditEvent.action == "failed_login")))  # fmt: skip
    assert sorted(actions) == ["user:ana@clinic-a.example", "user:nobody@nowhere.example"]


def test_repeated_failures_lock_the_account_even_for_the_right_password(
    browser: StaffBrowser, services: Services
) -> None:
    limit = services.settings.login_max_failures
    for _ in range(limit):
        response = browser.login("clinic_a", password="wrong-password-123")  # noqa: S106  # test
        assert response.status_code == 401
    assert _user(services, "clinic_a").locked_until is not None
    locked = browser.login("clinic_a")
    assert locked.status_code == 401
    assert LOGIN_FAILED_MESSAGE in locked.text
    assert browser.get("/cases").status_code == 303  # still not logged in


def test_a_post_without_or_with_a_forged_csrf_token_is_a_400_page(
    browser: StaffBrowser, services: Services
) -> None:
    browser.login("clinic_a")
    missing = browser.client.post("/logout")
    forged = browser.client.post("/logout", data={"csrf_token": "forged-" + browser.token[7:]})
    for response in (missing, forged):
        assert response.status_code == 400
        assert response.mimetype == "text/html"
        assert "security token" in response.text
        assert "Traceback" not in response.text
    # The session survived: the forged logout did nothing.
    assert browser.get("/cases").status_code == 200


def test_the_login_form_itself_needs_the_csrf_token(browser: StaffBrowser) -> None:
    response = browser.client.post(
        "/login", data={"email": USERS["clinic_a"][0], "password": "correct horse battery staple"}
    )
    assert response.status_code == 400


def test_session_cookie_flags(browser: StaffBrowser, settings: Settings) -> None:
    response = browser.login("clinic_a")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("formservice_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # test settings: plain http on 127.0.0.1
    production = create_app(
        settings.with_overrides(
            env="production", secret_key="p" * 40, password_hash_method=DEFAULT_PASSWORD_HASH_METHOD
        )
    )
    assert production.config["SESSION_COOKIE_SECURE"] is True


def test_pages_are_not_cached_and_not_framed(browser: StaffBrowser) -> None:
    browser.login("clinic_a")
    response = browser.get("/cases")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_idle_session_goes_back_to_login(
    browser: StaffBrowser, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser.login("clinic_a")
    assert browser.get("/cases").status_code == 200
    idle = services.settings.session_idle_minutes * 60
    later = time.time() + idle + 5
    monkeypatch.setattr("formservice.web.base._clock", lambda: later)
    response = browser.get("/cases")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/login")
    page = browser.get(response.headers["Location"])
    assert "timed out" in page.text
    # A form posted after the timeout also goes to the login page, and changes nothing.
    assert browser.client.post("/logout", data={"csrf_token": "x"}).status_code == 303


def test_activity_keeps_the_session_alive(
    browser: StaffBrowser, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser.login("clinic_a")
    idle = services.settings.session_idle_minutes * 60
    start = time.time()
    for step in (1, 2, 3):  # three requests, each within the idle time of the one before
        moment = start + step * (idle - 30)
        monkeypatch.setattr("formservice.web.base._clock", lambda m=moment: m)
        assert browser.get("/cases").status_code == 200


def test_logout_ends_the_session_and_an_old_cookie_cannot_be_replayed(
    app: Flask, browser: StaffBrowser
) -> None:
    browser.login("clinic_a")
    stolen = browser.client.get_cookie("formservice_session")
    assert stolen is not None
    response = browser.post("/logout")
    assert response.status_code == 303
    assert browser.get("/cases").status_code == 303
    replay = app.test_client()
    replay.set_cookie("formservice_session", stolen.value)
    assert replay.get("/cases").status_code == 303


def test_login_page_has_labels_and_a_heading(browser: StaffBrowser) -> None:
    page = browser.get("/login").text
    assert '<label for="email">' in page
    assert '<label for="password">' in page
    assert "<h1" in page
    assert '<main id="main"' in page
    assert csrf_of(page)


def test_a_browser_login_does_not_authenticate_api_calls(
    browser: StaffBrowser, cases: dict[str, str]
) -> None:
    browser.login("admin")
    assert browser.get(f"/cases/{cases['a']}").status_code == 200
    api = browser.client.get(f"/api/v1/cases/{cases['a']}")
    assert api.status_code == 401
    assert api.mimetype == "application/problem+json"
