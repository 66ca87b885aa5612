"""CR/LF in names that reach a header: HTTP responses and e-mail.

A name a person types (a ticket subject, a webhook name, a download's file name, a ``next=``
target) must never end one header and start another: the header carries it as data, or the
value is refused. Attachment download names are covered by tests/tickets/test_attachments.py
and CSV export names by tests/core/test_csv.py; this module covers the rest.
"""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes
from html.parser import HTMLParser
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse

from msp_portal.core.csv import csv_response, download_disposition
from msp_portal.webhooks import services as webhook_services
from msp_portal.webhooks.models import Webhook
from tests import factories
from tickets import services

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
OPENED = dt.datetime(2026, 6, 2, 10, 0, tzinfo=PARIS)  # Tuesday; P4 first response due 14:00

CRLF_NAMES = [
    "Printer\r\nBcc: attacker@evil.test",
    "Printer\nBcc: attacker@evil.test",
    "Printer\rBcc: attacker@evil.test",
    "Printer\r\n\r\n<html>body injected</html>",
    "Printer\u2028Bcc: attacker@evil.test",
    "Printer\x85Bcc: attacker@evil.test",
    "=?utf-8?q?Printer=0D=0ABcc=3A_attacker=40evil=2Etest?=",
]

NEXT_TARGETS = [
    "/tickets/\r\nSet-Cookie: sessionid=stolen",
    "/tickets/%0d%0aSet-Cookie:%20sessionid=stolen",
    "/tickets/\nLocation: https://evil.test/",
    "https://evil.test/",
    "//evil.test/",
    "/\\evil.test/",
    "\\\\evil.test",
    "https:evil.test",
    "javascript:alert(1)",
    " //evil.test",
    "\t//evil.test",
    "/%09/evil.test",
    "http://testserver@evil.test/",
]


def assert_single_header_lines(message) -> None:
    """The raw message has no header that the name smuggled in."""
    raw = message.message().as_bytes()
    head = raw.split(b"\n\n", 1)[0]
    parsed = message_from_bytes(raw)
    assert parsed.get_all("Bcc") is None
    assert b"attacker@evil.test" not in b"".join(
        line for line in head.splitlines() if line.lower().startswith(b"bcc")
    )
    assert not any(line.lower().startswith(b"bcc:") for line in head.splitlines())
    assert all(address != "attacker@evil.test" for address in message.recipients())
    assert "\r" not in message.subject and "\n" not in message.subject


# -- e-mail -------------------------------------------------------------------------------------


@pytest.mark.parametrize("subject", CRLF_NAMES)
def test_a_ticket_subject_with_line_breaks_stays_in_the_escalation_subject(
    acme, acme_user, tech, subject
):
    factories.ContractFactory(client=acme, start_date=dt.date(2025, 1, 1))
    ticket = factories.open_ticket(acme, by=acme_user, subject=subject, at=OPENED)
    services.ticket_assign(ticket=ticket, assignee=tech, by=tech, at=OPENED)
    services.sla_sweep(now=dt.datetime(2026, 6, 2, 13, 0, tzinfo=PARIS))

    sent = services.sla_escalations_send(now=dt.datetime(2026, 6, 2, 13, 1, tzinfo=PARIS))

    assert sent == 1
    assert mail.outbox
    for message in mail.outbox:
        assert ticket.reference in message.subject
        assert "Printer" in message.subject
        assert_single_header_lines(message)
        assert message.to == [tech.email]


@pytest.mark.parametrize("name", CRLF_NAMES)
def test_a_webhook_name_with_line_breaks_stays_in_the_disabled_mail_subject(acme, admin_user, name):
    hook = Webhook.objects.create(
        client=acme, name=name, url="https://hooks.example.test/", events=["ticket.opened"]
    )

    webhook_services._mail_admins_disabled(hook.pk)

    [message] = mail.outbox
    assert message.to == [admin_user.email]
    assert "Printer" in message.subject
    assert_single_header_lines(message)


# -- HTTP headers -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [*CRLF_NAMES, "../../etc/passwd\r\n.csv", 'a";b=c\r\n.csv'])
def test_a_download_name_with_line_breaks_is_one_header(name):
    response = csv_response(name, ["a"], [["b"]])
    header = response["Content-Disposition"]

    assert "\r" not in header and "\n" not in header
    assert header.startswith('attachment; filename="')
    assert header.count(";") == 2  # filename= and filename*=, nothing added
    assert "Bcc:" not in header.split("filename*=")[0]
    assert "/" not in header.split('"')[1] and "\\" not in header.split('"')[1]
    assert download_disposition(name).split("filename*=")[1].isascii()


def assert_stays_on_site(response) -> None:
    """The redirect is one clean header to a path of this site, and sets no smuggled cookie."""
    location = response.headers.get("Location", "")
    assert not any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in location), location
    parts = urlsplit(location)
    assert (parts.scheme, parts.netloc) == ("", ""), location
    assert location.startswith("/") and not location.startswith(("//", "/\\")), location
    for name, morsel in response.cookies.items():
        assert name in {"sessionid", "csrftoken", "messages"}, name
        assert "stolen" not in morsel.value


@pytest.mark.parametrize("target", NEXT_TARGETS)
def test_the_login_redirect_stays_on_this_site_and_adds_no_header(client, acme_user, target):
    response = client.post(
        reverse("login"),
        {"username": acme_user.email, "password": factories.PASSWORD, "next": target},
    )

    assert response.status_code == 302
    assert_stays_on_site(response)


@pytest.mark.parametrize("target", NEXT_TARGETS)
def test_a_signed_in_visit_to_the_login_page_stays_on_this_site(client, acme_user, target):
    client.force_login(acme_user)

    response = client.get(reverse("login"), {"next": target})

    assert response.status_code == 302
    assert_stays_on_site(response)


@pytest.mark.parametrize("target", NEXT_TARGETS)
def test_the_logout_redirect_stays_on_this_site(client, acme_user, target):
    client.force_login(acme_user)

    response = client.post(reverse("logout"), {"next": target})

    assert response.status_code == 302
    assert_stays_on_site(response)


@pytest.mark.parametrize("target", NEXT_TARGETS)
def test_the_login_page_keeps_next_inside_its_attribute(client, target):
    parser = _Inputs()
    parser.feed(client.get(reverse("login"), {"next": target}).content.decode())

    # An off-site target is dropped; an on-site one is data inside its attribute, all of it.
    kept = [a for a in parser.inputs if a.get("name") == "next"]
    assert len(kept) <= 1
    for attrs in kept:
        assert set(attrs) == {"type", "name", "value"}
        assert (attrs["type"], attrs["value"]) == ("hidden", target)


class _Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inputs: list[dict] = []

    def handle_starttag(self, tag, attrs):
        if tag == "input":
            self.inputs.append(dict(attrs))


def test_a_check_named_with_line_breaks_redirects_cleanly(client, tech, acme):
    client.force_login(tech)
    url = f"{reverse('monitoring:check_create')}?client={acme.pk}&kind=tcp"
    post = {"name": "SMTP\r\nSet-Cookie: sessionid=stolen", "host": "127.0.0.1", "port": "25",
            "interval_seconds": "60", "retry_interval_seconds": "30", "timeout_seconds": "10",
            "failure_threshold": "3", "recovery_threshold": "2"}  # fmt: skip

    response = client.post(url, post)

    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert_stays_on_site(response)
    for morsel in response.cookies.values():
        assert "stolen" not in morsel.value
