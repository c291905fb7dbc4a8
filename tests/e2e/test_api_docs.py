"""/docs in a real browser with no way out: Swagger UI renders every operation offline."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from formservice.settings import Settings
from formservice.usecases import build_services
from tests.e2e.conftest import Server, shot

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("docs") / "var"
    services = build_services(Settings(env="test", secret_key="d" * 32, data_dir=data_dir))
    try:
        with Server(services) as running:
            yield running
    finally:
        services.close()


def test_docs_render_every_operation_without_leaving_the_server(
    browser: Any, server: Server
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    outside: list[str] = []

    def only_this_server(route: Any) -> None:
        # As on a staff network with no internet: anything not served here fails.
        if route.request.url.startswith(server.url + "/"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_this_server)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    try:
        spec = server.app.test_client().get("/openapi.json").json
        operations = sum(
            1
            for item in spec["paths"].values()
            for method in item
            if method in {"get", "post", "put", "patch", "delete"}
        )
        page.goto(f"{server.url}/docs")
        page.wait_for_selector(".opblock", timeout=30_000)
        assert page.locator(".opblock").count() == operations > 20
        assert page.get_by_text("/api/v1/cases/{case_id}/documents").first.is_visible()
        assert page.locator(".info .title").inner_text().startswith("formservice")
        shot(page, "api-docs", readme="api-docs", full_page=False)
    finally:
        context.close()
    assert outside == []  # nothing asked of a CDN, a validator or anyone else
    assert problems == []  # no script error, no Content-Security-Policy violation
