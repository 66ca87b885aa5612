"""The ground the other browser tests stand on: the live server serves the styles and htmx,
and the page fixture notices a script the Content-Security-Policy refuses."""

from __future__ import annotations

import pytest

from tests.browser.helpers import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_styles_and_htmx_load_under_the_csp(page, tech):
    static = []
    page.on(
        "response",
        lambda response: (
            static.append((response.url, response.status)) if "/static/" in response.url else None
        ),
    )
    log_in(page, tech)
    page.goto("/tickets/")

    assert page.evaluate("typeof htmx") == "object"
    # portal.css styles the top bar: without it the bar would be transparent.
    background = page.get_by_role("banner").evaluate("e => getComputedStyle(e).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")
    loaded = {url.rsplit("/static/", 1)[1]: status for url, status in static}
    assert loaded.get("vendor/htmx/htmx.min.js") == 200, loaded
    assert loaded.get("css/portal.css") == 200, loaded
    csp = page.request.get("/tickets/").headers["content-security-policy"]
    assert "'unsafe-inline'" not in csp and "nonce-" in csp


def test_a_script_without_the_nonce_is_refused_and_reported(page, browser_problems, tech):
    log_in(page, tech)
    page.goto("/tickets/")
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.__injected = true";
          document.body.append(script);
        }"""
    )
    assert page.evaluate("window.__injected === undefined"), "the CSP let an inline script run"
    for _ in range(50):  # the report reaches Python with the browser's next messages
        if any("CSP violation: script-src" in problem for problem in browser_problems):
            break
        page.wait_for_timeout(100)
    assert any("CSP violation: script-src" in problem for problem in browser_problems)
    browser_problems.clear()  # reported as it should be: not a failure of this test
