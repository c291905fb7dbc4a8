"""Per-process caches of API keys and active templates: how stale they may be, and who clears them.

A process keeps a key's principal and a template's active version for `cache_seconds`; the
process that revokes a key or publishes/activates a template clears its own cache at once, and
another process (here: a second `Services` on the same database) sees the change once its
entries are older than `cache_seconds`.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask

from formservice import create_app
from formservice.settings import Settings
from formservice.store.db import transaction
from formservice.usecases import Services, build_services
from formservice.usecases.keys import create_api_key, revoke_key
from formservice.usecases.templates import activate_template, publish_template
from tests.conftest import load_sample
from tests.regeneration.conftest import changed_lmn

LMN = "letter_of_medical_necessity"


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _client(settings: Settings, clock: Clock) -> tuple[Services, Any]:
    services = build_services(settings)
    services.api_keys.clock = clock
    services.active_templates.clock = clock
    app: Flask = create_app(settings, services=services)
    return services, app.test_client()


def test_a_revoked_key_stops_at_once_here_and_within_the_ttl_elsewhere(
    settings: Settings,
) -> None:
    clock = Clock()
    here, here_client = _client(settings, clock)
    there, there_client = _client(settings, clock)
    try:
        with transaction(here.sessions) as session:
            row, key = create_api_key(session, name="portal", role="hub")
        auth = {"Authorization": f"Bearer {key}"}
        assert here_client.get("/api/v1/cases", headers=auth).status_code == 200
        assert there_client.get("/api/v1/cases", headers=auth).status_code == 200
        assert revoke_key(here, row.id)
        assert here_client.get("/api/v1/cases", headers=auth).status_code == 401
        # The other process still has the key's principal from less than cache_seconds ago.
        assert there_client.get("/api/v1/cases", headers=auth).status_code == 200
        clock.now += settings.cache_seconds + 0.01
        assert there_client.get("/api/v1/cases", headers=auth).status_code == 401
        # A wrong key is never kept: it is refused every time, and a new key works at once.
        wrong = {"Authorization": "Bearer fs_0000_nope"}
        assert there_client.get("/api/v1/cases", headers=wrong).status_code == 401
        with transaction(here.sessions) as session:
            _, fresh = create_api_key(session, name="portal 2", role="hub")
        fresh_auth = {"Authorization": f"Bearer {fresh}"}
        assert there_client.get("/api/v1/cases", headers=fresh_auth).status_code == 200
    finally:
        here.close()
        there.close()


def _template_of(client: Any, auth: dict[str, str]) -> str:
    response = client.post(
        "/api/v1/render/lmn?format=docx", data=json.dumps(load_sample()), headers=auth
    )
    assert response.status_code == 200, response.text
    return str(response.headers["X-Formservice-Template"])


@pytest.mark.parametrize("seconds", [5.0, 0.0])
def test_an_activated_version_is_used_here_at_once_and_elsewhere_within_the_ttl(
    settings: Settings, seconds: float
) -> None:
    settings = settings.with_overrides(cache_seconds=seconds)
    clock = Clock()
    here, here_client = _client(settings, clock)
    there, there_client = _client(settings, clock)
    try:
        with transaction(here.sessions) as session:
            _, key = create_api_key(session, name="portal", role="hub")
        auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        assert _template_of(there_client, auth) == f"{LMN}@1"
        publish_template(here, LMN, changed_lmn())
        assert _template_of(here_client, auth) == f"{LMN}@2"
        stale = _template_of(there_client, auth)
        assert stale == (f"{LMN}@1" if seconds else f"{LMN}@2")
        clock.now += seconds + 0.01
        assert _template_of(there_client, auth) == f"{LMN}@2"
        activate_template(here, LMN, 1)  # a rollback
        assert _template_of(here_client, auth) == f"{LMN}@1"
    finally:
        here.close()
        there.close()
