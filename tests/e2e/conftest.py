"""What the browser tests share: Debian's Chromium driven by Playwright, the app on 127.0.0.1.

Screenshots of each step go to test-artifacts/e2e/ (look at them). The README's walkthrough
pictures in docs/img/ are taken by the same tests: run them with
``FORMSERVICE_DOCS_SCREENSHOTS=1`` (`make screenshots`) to refresh the committed PNGs.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from formservice import create_app
from formservice.usecases import Services
from tests.conftest import IN_CI, REPO

CHROMIUM = os.environ.get("FORMSERVICE_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = REPO / "test-artifacts" / "e2e"
DOCS_IMG = REPO / "docs" / "img"
REFRESH_DOCS_IMG = os.environ.get("FORMSERVICE_DOCS_SCREENSHOTS") == "1"


def chromium_path() -> str:
    """Debian's chromium; missing → fail in CI, skip locally naming the install."""
    path = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    if path is None:
        message = "chromium is not installed; install with: apt-get install chromium"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


class Server:
    """The app served by waitress on 127.0.0.1 in a background thread."""

    def __init__(self, services: Services) -> None:
        import waitress

        self.services = services
        self.app = create_app(services.settings, services=services)
        self.server: Any = waitress.create_server(
            self.app, host="127.0.0.1", port=0, threads=4, ident="e2e"
        )
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.close()
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(60_000)  # OCR and the packet take a few seconds on a busy machine
    yield page
    context.close()


def shot(page: Any, name: str, *, readme: str | None = None, full_page: bool = True) -> None:
    """Screenshot the page into test-artifacts/e2e/NAME.png (and docs/img/README.png on request)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_function("() => Array.from(document.images).every(i => i.complete)")
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)
    if readme and REFRESH_DOCS_IMG:
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ARTIFACTS / f"{name}.png", DOCS_IMG / f"{readme}.png")
