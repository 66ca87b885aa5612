"""Real Chromium against a live server: one browser for these tests, a fresh context per test.

The browser is Debian's Chromium (/usr/bin/chromium), never a Playwright download. Outside CI a
machine without it skips these tests and says why; in CI (CI set) a missing Chromium fails them.
Every test fails on a JavaScript error or a Content-Security-Policy violation: the site runs a
strict nonce-based CSP and htmx has to work under it.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"
#: Milliseconds a locator waits for an element or a state before the test fails.
TIMEOUT_MS = 10_000
expect.set_options(timeout=TIMEOUT_MS)

#: The browser itself reports CSP violations on the console; this makes sure each one is also
#: reported with its directive, whatever the browser's wording.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  const blocked = event.blockedURI || "inline";
  console.error(`CSP violation: ${event.violatedDirective} blocked ${blocked}`);
});
"""


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures know whether the test failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="package")
def browser():
    """Debian's Chromium, headless, shared by the tests of this package.

    Package scope, not session scope, on purpose: between two calls, Playwright's sync API
    leaves its asyncio loop marked as running in the main thread. Kept for the whole session,
    it would make ``asyncio.run()`` fail in the monitoring tests that run after these ones and
    Django refuse every ORM call. So the browser stops when this package's tests are done, and
    only while it runs does Django allow ORM calls with that loop marked: they happen in the
    test's greenlet while the loop waits, never concurrently with it.
    """
    if not CHROMIUM.exists():
        if _in_ci():
            pytest.fail(f"Chromium not found at {CHROMIUM}: CI must install Debian's chromium")
        pytest.skip(
            f"Chromium not found at {CHROMIUM}: "
            "install Debian's chromium package to run the browser tests"
        )
    from playwright.sync_api import sync_playwright

    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = previous


def _failure_dir() -> Path:
    return Path(os.environ.get("VAR_DIR") or tempfile.gettempdir()) / "browser-failures"


@pytest.fixture
def browser_problems() -> list[str]:
    """What went wrong in the page (JavaScript errors, CSP violations, server errors); the
    ``page`` fixture fails the test when anything is left in it at the end."""
    return []


@pytest.fixture
def page(browser, live_server, settings, request, browser_problems):
    """A page in a fresh English context on the live server; fails the test on any JavaScript
    error, CSP violation or failed resource, and leaves a screenshot when the test failed."""
    settings.LANGUAGE_CODE = "en"  # the live server runs in a thread of this process
    context = browser.new_context(
        base_url=live_server.url,
        locale="en-GB",
        timezone_id=settings.TIME_ZONE,
        viewport={"width": 1400, "height": 1000},
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(CSP_LISTENER)
    problems = browser_problems

    def on_console(message) -> None:
        where = message.location.get("url", "")
        # The site has no favicon; the browser's request for one is no error of the page.
        if message.type == "error" and not where.endswith("/favicon.ico"):
            problems.append(f"console error: {message.text}" + (f" ({where})" if where else ""))

    tab = context.new_page()
    tab.on("console", on_console)
    tab.on("pageerror", lambda error: problems.append(f"uncaught JavaScript error: {error}"))
    tab.on(
        "response",
        lambda response: (
            problems.append(f"HTTP {response.status} for {response.url}")
            if response.status >= 500
            else None
        ),
    )
    yield tab

    failed = any(
        getattr(request.node, f"rep_{when}", None) is not None
        and getattr(request.node, f"rep_{when}").failed
        for when in ("setup", "call")
    )
    if failed or problems:
        folder = _failure_dir()
        folder.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        path = folder / f"{name}.png"
        try:
            tab.screenshot(path=str(path), full_page=True)
            print(f"\nScreenshot of the failed browser test: {path}")
        except Exception as exc:  # the page may be gone; the failure itself matters more
            print(f"\nNo screenshot ({exc})")
    context.close()
    if problems:
        pytest.fail("The browser reported problems:\n" + "\n".join(problems), pytrace=False)
