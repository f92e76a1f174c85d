"""Fixtures for the browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

The live server runs in a thread of the test process and shares its in-memory SQLite database
(pytest-django's `live_server`, with django.contrib.staticfiles serving CSS and
static/vendor/htmx.min.js). Tests build their data with tests/factories.py and log in through
the real login form.

Without Chromium, Playwright or axe-core (`make assets`) the tests are skipped, except in CI
(CI=true), where the browser suite must run and a missing piece fails it.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.cache import cache

from tests.browser.checks import AXE_SCRIPT, ROOT
from tests.database import audit_log_empty_for_flush
from tests.factories import City, build_city

PASSWORD = "correct-horse-battery"
HTMX_SCRIPT = ROOT / "static" / "vendor" / "htmx.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP_VIEWPORT = {"width": 1280, "height": 800}


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _unavailable(reason: str) -> None:
    if _in_ci():
        pytest.fail(f"{reason}; CI must run the browser suite", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's Chromium, with axe-core and htmx in place; skips (fails in CI) when something is missing."""
    executable = shutil.which("chromium")
    if executable is None:
        _unavailable("Chromium not found: install Debian's `chromium` package")
    if not AXE_SCRIPT.exists() or not HTMX_SCRIPT.exists():
        _unavailable("axe-core or htmx missing: run `make assets`")
    if importlib.util.find_spec("playwright") is None:
        _unavailable("playwright is not installed: run `make venv`")
    return str(executable)


@dataclass
class Workspace:
    """The live site, its test city and a browser to open it in as any of the city's users.

    The browser starts with the first page a test opens, after the test has built its data:
    Playwright's sync API keeps its event loop marked as running in this thread while the browser
    is open, so Django would refuse ORM calls from test code as "async", and the services' realtime
    events (async_to_sync) could not be sent. Test code reads the database after that point, with
    DJANGO_ALLOW_ASYNC_UNSAFE set for as long as the browser runs: the loop is idle whenever test
    code runs. The pages' own writes happen in the live server's thread, which has no loop.
    """

    base_url: str
    executable: str
    city: City
    errors: list[str] = field(default_factory=list)
    _contexts: list[Any] = field(default_factory=list)
    _playwright: Any = None
    _browser: Any = None
    _environment: pytest.MonkeyPatch = field(default_factory=pytest.MonkeyPatch)

    def url(self, path: str, *, language: str = "en") -> str:
        """`path` without the language prefix, e.g. `/staff/`; Finnish has no prefix."""
        prefix = "" if language == "fi" else f"/{language}"
        return f"{self.base_url}{prefix}{path}"

    def _started_browser(self) -> Any:
        if self._browser is None:
            from playwright.sync_api import sync_playwright

            self._environment.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
            self._playwright = sync_playwright().start()
            self._browser = self._playwright.chromium.launch(
                executable_path=self.executable, headless=True, args=CHROMIUM_ARGS
            )
        return self._browser

    def new_page(self, *, language: str = "en") -> Any:
        """A page in a new browser context (its own cookies), at a desktop size, logged out."""
        context = self._started_browser().new_context(
            viewport=DESKTOP_VIEWPORT, locale={"fi": "fi-FI"}.get(language, "en-GB"), timezone_id="Europe/Helsinki"
        )
        context.set_default_timeout(10_000)
        # The live server shares one SQLite connection between threads; keep the browser's own
        # favicon request from reaching it while test code reads the database.
        context.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=""))
        # Nothing leaves the machine: a request to anywhere but the live server is refused and reported.
        context.route(lambda url: not url.startswith(self.base_url), self._refuse_outside_request)
        self._contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: {error}"))
        page.on("response", self._check_asset)
        return page

    def _refuse_outside_request(self, route: Any) -> None:
        self.errors.append(f"request outside the live server: {route.request.url}")
        route.abort()

    def _check_asset(self, response: Any) -> None:
        # Pages answer 4xx on purpose (errors are part of the tour); their CSS and scripts never should.
        if response.status >= 400 and response.request.resource_type in {"stylesheet", "script", "font", "image"}:
            self.errors.append(f"{response.url} answered {response.status}")

    def log_in(self, user: str, *, language: str = "en") -> Any:
        """A fresh browser context logged in as `city.users[user]` through the login form, on the home page."""
        page = self.new_page(language=language)
        page.goto(self.url("/accounts/login/", language=language))
        page.locator("#id_username").fill(self.city.users[user].username)
        page.locator("#id_password").fill(PASSWORD)
        with page.expect_navigation():
            page.locator("#id_password").press("Enter")
        assert page.url.endswith("/staff/"), f"logging in as {user} ended on {page.url}"
        return page

    def close(self) -> None:
        for context in self._contexts:
            context.close()
        if self._browser is not None:
            self._browser.close()
            self._playwright.stop()
        self._environment.undo()


@pytest.fixture
def _audit_log_emptied_before_flush(transactional_db: None) -> Iterator[None]:
    """Let the transactional test's closing flush succeed on SQLite.

    The live server needs committed data, so these tests are transactional and the database is
    flushed after each one; on SQLite that is a DELETE, which the audit log's append-only triggers
    refuse (PostgreSQL flushes with TRUNCATE, which row triggers do not see). Set up after the
    database fixture, this is torn down before its flush: it empties the log with the triggers
    dropped and puts them back exactly as the migration creates them.
    """
    yield
    audit_log_empty_for_flush()


@pytest.fixture
def workspace(chromium: str, live_server: Any, _audit_log_emptied_before_flush: None) -> Iterator[Workspace]:
    # The login rate limit counts in the process-wide local-memory cache, which the live server shares.
    cache.clear()
    site = Workspace(base_url=live_server.url, executable=chromium, city=build_city())
    try:
        yield site
    finally:
        site.close()
    assert not site.errors, "errors in the browser:\n" + "\n".join(site.errors)


def submit(page: Any, button: Any) -> None:
    """Click a submit button and wait for the page it leads to."""
    with page.expect_navigation():
        button.click()
