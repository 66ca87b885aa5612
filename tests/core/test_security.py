"""Response headers: a nonce-based Content-Security-Policy the pages really comply with, the other
security headers, and a deployment that `check --deploy` finds nothing to say about."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from html import unescape as html_unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import override_settings
from django.urls import reverse

from clients.models import Asset, Client
from contracts.models import Contract
from monitoring.models import Check
from tickets.models import Ticket

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


def csp_directives(response) -> dict[str, list[str]]:
    """The response's Content-Security-Policy as {directive: [sources]}."""
    header = response.headers.get("Content-Security-Policy", "")
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def header_nonce(response) -> str | None:
    match = re.search(r"'nonce-([^']+)'", response.headers.get("Content-Security-Policy", ""))
    return match.group(1) if match else None


class _InlineCodeScanner(HTMLParser):
    """Collect what a strict CSP blocks: inline handlers and styles, un-nonced inline scripts."""

    def __init__(self, nonce: str | None) -> None:
        super().__init__()
        self.nonce = nonce
        self.problems: list[str] = []
        self.script_nonces: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name, value in attrs:
            if name.startswith("on") or name.startswith("hx-on") or name.startswith("data-hx-on"):
                self.problems.append(f"<{tag} {name}=...>: inline event handler")
            elif name == "style":
                self.problems.append(f"<{tag} style=...>: inline style attribute")
            elif name in {"href", "src", "action", "formaction"} and (
                (value or "").strip().lower().startswith("javascript:")
            ):
                self.problems.append(f"<{tag} {name}=javascript:...>")
        if tag == "style":
            self.problems.append("<style> element: inline style")
        if tag == "script":
            self.script_nonces.append(values.get("nonce"))
            src = values.get("src")
            if src is None and values.get("nonce") != self.nonce:
                self.problems.append("inline <script> without the response's nonce")
            if src is not None and not (src.startswith("/") and not src.startswith("//")):
                self.problems.append(f"<script src={src!r}>: not from this site")


def scan(response) -> _InlineCodeScanner:
    scanner = _InlineCodeScanner(header_nonce(response))
    scanner.feed(response.content.decode())
    return scanner


def assert_strict_headers(response) -> None:
    policy = csp_directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"][0] == "'self'"
    assert re.fullmatch(r"'nonce-[A-Za-z0-9+/=_-]{16,}'", policy["script-src"][1])
    assert len(policy["script-src"]) == 2  # no 'unsafe-inline', no 'unsafe-eval', no host
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


# --- Headers on every kind of page ---------------------------------------------------------------


def test_a_staff_page_carries_the_strict_policy_and_security_headers(client, tech):
    client.force_login(tech)

    response = client.get(reverse("tickets:list"))

    assert response.status_code == 200
    assert_strict_headers(response)


def test_a_portal_page_carries_the_strict_policy_and_security_headers(client, acme_user):
    client.force_login(acme_user)

    response = client.get(reverse("portal:home"))

    assert response.status_code == 200
    assert_strict_headers(response)


def test_the_login_page_carries_the_strict_policy_and_security_headers(client):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    assert_strict_headers(response)


def test_an_htmx_partial_carries_the_policy_and_security_headers(client, tech, acme):
    client.force_login(tech)

    response = client.get(reverse("clients:list"), headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert b"<html" not in response.content  # really the partial
    policy = csp_directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in policy.get("script-src", [])
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_hsts_is_sent_over_https_for_a_year_with_subdomains(client):
    response = client.get(reverse("login"), secure=True)

    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_the_page_script_carries_the_nonce_of_its_own_response(client, tech):
    client.force_login(tech)

    first = client.get(reverse("home"))
    second = client.get(reverse("home"))

    nonce = header_nonce(first)
    scripts = scan(first).script_nonces
    assert nonce and scripts  # base.html loads htmx
    assert set(scripts) == {nonce}
    assert header_nonce(second) != nonce  # one per response, never reused


def test_htmx_is_told_not_to_inject_its_indicator_style(client):
    page = client.get(reverse("login")).content.decode()

    config = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", page)
    assert config and '"includeIndicatorStyles": false' in config.group(1)
    assert ".htmx-indicator" in (ROOT / "static" / "css" / "portal.css").read_text()


# --- No inline code the policy would block, on the main routes ----------------------------------


@pytest.fixture
def staff_pages(acme_world) -> list[str]:
    return [
        reverse("home"),
        reverse("tickets:list"),
        reverse("tickets:detail", args=[acme_world[Ticket].number]),
        reverse("clients:list"),
        reverse("clients:detail", args=[acme_world[Client].slug]),
        reverse("clients:asset_list"),
        reverse("clients:asset_detail", args=[acme_world[Asset].pk]),
        reverse("contracts:list"),
        reverse("contracts:detail", args=[acme_world[Contract].pk]),
        reverse("contracts:sla_overview"),
        reverse("monitoring:check_list"),
        reverse("monitoring:check_create"),
        reverse("monitoring:check_detail", args=[acme_world[Check].pk]),
        "/admin/",
        "/admin/tickets/ticket/",
        reverse("account:security"),
        reverse("account:two_factor_setup"),
    ]


def test_no_staff_page_has_inline_code_the_policy_blocks(client, admin_user, staff_pages):
    client.force_login(admin_user)

    for url in staff_pages:
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, headers=headers)
            assert response.status_code == 200, url
            assert scan(response).problems == [], (url, headers)


def test_no_portal_page_has_inline_code_the_policy_blocks(client, acme_world, acme_user):
    ticket = acme_world[Ticket]
    client.force_login(acme_user)

    for url in (
        reverse("portal:home"),
        reverse("portal:ticket_list"),
        reverse("portal:ticket_detail", args=[ticket.number]),
        reverse("portal:asset_list"),
        reverse("account:security"),
        reverse("account:two_factor_setup"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert scan(response).problems == [], url


def test_the_scanner_catches_what_the_policy_would_block(client, tech):
    """The page scan above can fail: inline handlers, styles and bare scripts are reported."""
    client.force_login(tech)
    response = client.get(reverse("home"))
    nonce = header_nonce(response)
    scanner = _InlineCodeScanner(nonce)

    scanner.feed(
        '<a href="javascript:x()">a</a><button onclick="x()">b</button><div hx-on:click="x()">'
        f'<p style="color:red">c</p><style>p{{}}</style><script>x()</script>'
        f'<script nonce="{nonce}">ok()</script><script src="https://cdn.example/x.js"></script>'
    )

    assert len(scanner.problems) == 7


# --- The API docs: a policy of their own, assets from this site only ----------------------------


def test_the_api_docs_load_everything_from_this_site_under_a_strict_script_policy(client, tech):
    client.force_login(tech)

    page = client.get("/api/docs/")

    assert page.status_code == 200
    policy = csp_directives(page)
    assert policy["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-eval'" not in policy["script-src"]
    assert "'unsafe-inline'" in policy["style-src"]  # Swagger UI's own styling, this page only
    html = page.content.decode()
    sources = re.findall(r"<script[^>]*\ssrc=\"([^\"]+)\"", html)
    assert sources and all(src.startswith("/") and not src.startswith("//") for src in sources)
    assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", html)  # no inline script at all
    for src in (html_unescape(src) for src in sources):
        if src.startswith(settings.STATIC_URL):
            # collectstatic does not run in tests: the finders show the file is shipped
            assert finders.find(src.removeprefix(settings.STATIC_URL)), src
        else:  # the start-up script, served by the view itself instead of inline
            script = client.get(src)
            assert script.status_code == 200, src
            assert script["Content-Type"].startswith("application/javascript")
            assert b"SwaggerUIBundle" in script.content
    # the other pages keep the strict style policy
    assert csp_directives(client.get(reverse("home")))["style-src"] == ["'self'"]


# --- Deployment checks ----------------------------------------------------------------------------


def deploy_check(tmp_path, **env) -> subprocess.CompletedProcess:
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "DEBUG", "SECRET_KEY", "HTTPS"}
        and not k.startswith("SECURE_")
    }
    environ.update(
        {
            "VAR_DIR": str(tmp_path),
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "portal.example.com",
            "DJANGO_SETTINGS_MODULE": "msp_portal.settings",
            **env,
        }
    )
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={k: v for k, v in environ.items() if v is not None},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    """Run in a process of its own: the point is what the environment turns into."""
    result = deploy_check(tmp_path, HTTPS="1")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_when_https_is_not_switched_on(tmp_path):
    result = deploy_check(tmp_path, HTTPS=None)

    assert result.returncode != 0
    assert "security.W008" in result.stderr  # SECURE_SSL_REDIRECT
    assert "security.W012" in result.stderr  # SESSION_COOKIE_SECURE


@override_settings(SECURE_SSL_REDIRECT=True)
def test_with_https_plain_http_is_redirected_except_the_health_check(client):
    assert client.get(reverse("login")).status_code == 301
    assert client.get(reverse("health")).status_code != 301
