"""Fixtures for the staff pages: users of two facilities and a hub admin, a logged-in client."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from formservice.store.db import transaction
from formservice.usecases.accounts import create_user
from formservice.usecases.services import Services
from tests.conftest import denial_case, load_sample, make_key

PASSWORD = "correct horse battery staple"  # noqa: S105  # a test account's password
FACILITY_A = "1003000126"  # the samples' facility
FACILITY_B = "1234567893"  # another valid NPI: a second clinic
USERS = {
    "clinic_a": ("ana@clinic-a.example", "clinic_staff", FACILITY_A),
    "clinic_b": ("bo@clinic-b.example", "clinic_staff", FACILITY_B),
    "admin": ("hub.admin@hub.example", "hub_admin", None),
    "staff": ("hub.staff@hub.example", "hub_staff", None),
}


def csrf_of(html: str) -> str:
    """The CSRF token in a page's forms."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


class StaffBrowser:
    """A test client that logs in and posts forms with the page's CSRF token."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.token = ""

    def get(self, url: str, **kwargs: Any) -> TestResponse:
        response = self.client.get(url, **kwargs)
        if response.mimetype == "text/html" and 'name="csrf_token"' in response.text:
            self.token = csrf_of(response.text)
        return response

    def login(self, who: str, password: str = PASSWORD) -> TestResponse:
        self.get("/login")
        response = self.client.post(
            "/login",
            data={"email": USERS[who][0], "password": password, "csrf_token": self.token},
        )
        if response.status_code == 303:
            self.token = ""  # a login starts a new session with a new token
        return response

    def post(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> TestResponse:
        if not self.token:
            self.get("/cases")
        return self.client.post(url, data={"csrf_token": self.token, **(data or {})}, **kwargs)


@pytest.fixture
def users(services: Services) -> dict[str, str]:
    """The four users (role → user id)."""
    ids = {}
    with transaction(services.sessions) as session:
        for key, (email, role, facility) in USERS.items():
            user = create_user(
                session,
                email=email,
                role=role,
                password=PASSWORD,
                facility_npi=facility,
                name=key.replace("_", " ").title(),
                hash_method=services.settings.password_hash_method,
            )
            ids[key] = user.id
    return ids


@pytest.fixture
def hub_headers(services: Services) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_key(services, 'hub')}"}


def other_facility_case(external_id: str = "HUB-OTHER-0001") -> dict[str, Any]:
    """The first sample case, filed by the second clinic."""
    payload = copy.deepcopy(load_sample())
    payload["external_id"] = external_id
    payload["facility"]["npi"] = FACILITY_B
    payload["facility"]["name"] = "Second Clinic (SAMPLE)"
    payload["patient"]["first_name"] = "Bea"
    payload["patient"]["last_name"] = "Othersample"
    return payload


@pytest.fixture
def cases(client: FlaskClient, hub_headers: dict[str, str]) -> dict[str, str]:
    """One case at each facility (name → case id), and at facility A the case sample letter 01
    belongs to ("letter01"; case "a" is another patient with the same member ID)."""
    ids = {}
    pairs = (
        ("a", load_sample()),
        ("b", other_facility_case()),
        ("letter01", denial_case("01_erisa_medical_necessity")),
    )
    for name, payload in pairs:
        response = client.post("/api/v1/cases", json=payload, headers=hub_headers)
        assert response.status_code == 201, response.json
        ids[name] = response.json["id"]
    return ids


@pytest.fixture
def browser(app: Flask, users: dict[str, str]) -> StaffBrowser:
    return StaffBrowser(app.test_client())
