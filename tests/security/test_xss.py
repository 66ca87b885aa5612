"""Stored and reflected XSS: hostile text typed into every displayed field stays text.

Each payload is written into every user-editable text field a page shows (tickets through the
ticket services, the client's records, contracts, checks and their settings, maintenance
windows, time notes) and echoed through the search box; then the staff and portal pages are
rendered and parsed. What must hold on every page: the escaped payload is there, the raw one is
not, and no element carries a script, an event handler, an ``hx-*`` attribute or a
``javascript:``/``data:`` link that came from the payload.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils.html import escape

from monitoring.models import Check
from tests import factories
from tickets import services

pytestmark = pytest.mark.django_db

#: The attribute values the payloads try to smuggle in; the templates use none of them.
HOSTILE_VALUES = ("alert(", "/admin/", "javascript:", "data:text/html")

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg/onload=alert(1)>",
    "javascript:alert(1)",
    "<svg/onload=alert(1)>",
    "{{7*7}} {% debug %}",
    "</textarea><script>alert(1)</script>",
    '<div hx-get="/admin/" hx-trigger="load" hx-target="body">x</div>',
    '" hx-get="/admin/" hx-trigger="load" x="',
    "<button hx-on:click=\"alert(1)\" hx-on::load='alert(1)'>x</button>",
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="javascript:alert(1)">x</a>',
]


class _Elements(HTMLParser):
    """Every start tag with its attributes, and the text inside <script> elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.script_text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, attrs))
        self._in_script = tag == "script"

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, attrs))

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.script_text.append(data)


def injected(html: str) -> list[str]:
    """What in ``html`` could only have come from a payload that escaped its text node."""
    parser = _Elements()
    parser.feed(html)
    problems = []
    for tag, attrs in parser.elements:
        if tag == "img" and ("src", "x") in attrs:
            problems.append("<img src=x>")
        for name, value in attrs:
            value = (value or "").strip().lower()
            if name.startswith("on") or name.startswith("hx-on"):
                problems.append(f"<{tag} {name}=...>")
            if name.startswith("hx-") and any(bad in value for bad in HOSTILE_VALUES):
                problems.append(f"<{tag} {name}={value!r}>")
            if name in {"href", "src", "action", "formaction", "hx-get", "hx-post"} and (
                value.startswith("javascript:") or value.startswith("data:")
            ):
                problems.append(f"<{tag} {name}={value!r}>")
            if name == "x":
                problems.append(f"<{tag} x=...>: an attribute broke out of its value")
    problems += [f"<script>{text}</script>" for text in parser.script_text if "alert" in text]
    return problems


def assert_inert(html: str, payload: str, *, shown: bool = True) -> None:
    assert injected(html) == []
    if any(c in payload for c in "<>\"'"):
        assert payload not in html
    if shown:
        assert escape(payload) in html or payload.replace("'", "&#x27;") in html


@pytest.fixture(params=PAYLOADS, ids=range(len(PAYLOADS)))
def payload(request) -> str:
    return request.param


@pytest.fixture
def hostile(payload, acme, acme_admin, tech):
    """Acme's records with the payload in every text field a person can type."""
    for person in (acme_admin, tech):
        person.full_name = payload
        person.save(update_fields=["full_name"])
    acme.name = f"Acme {payload}"
    acme.notes = payload
    acme.save(update_fields=["name", "notes"])
    site = factories.SiteFactory(client=acme, name=payload, notes=payload, address=payload)
    contact = factories.ContactFactory(
        client=acme, site=site, first_name=payload, last_name=payload, job_title=payload
    )
    asset = factories.AssetFactory(
        client=acme,
        site=site,
        owner=contact,
        name=payload,
        notes=payload,
        hostname=payload,
        url="javascript:alert(1)",
        serial_number=payload,
        manufacturer=payload,
        model=payload,
        operating_system=payload,
    )
    contract = factories.ContractFactory(client=acme, title=payload, notes=payload)
    ticket = factories.open_ticket(
        acme, by=acme_admin, asset=asset, contact=contact, subject=payload, description=payload
    )
    services.ticket_reply(ticket=ticket, author=tech, body=payload)
    services.ticket_reply(ticket=ticket, author=acme_admin, body=payload)
    services.ticket_add_note(ticket=ticket, author=tech, body=payload)
    services.ticket_log_time(ticket=ticket, technician=tech, minutes=5, note=payload)
    ticket = services.ticket_change_status(
        ticket=ticket, status="waiting_on_customer", by=tech, reason=payload
    )
    check = factories.CheckFactory(
        client=acme,
        asset=asset,
        name=payload,
        kind=Check.Kind.HTTP,
        config={"url": "javascript:alert(1)", "method": "GET", "keyword": payload},
        state="down",
        last_outcome="failure",
        last_message=payload,
    )
    factories.CheckResultFactory(monitor=check, outcome="failure", message=payload)
    window = factories.MaintenanceWindowFactory(client=acme, name=payload, reason=payload)
    window.checks.set([check])
    return {"ticket": ticket, "asset": asset, "contract": contract, "check": check}


def test_staff_pages_show_hostile_text_as_text(client, tech, acme, hostile, payload):
    client.force_login(tech)
    ticket, check = hostile["ticket"], hostile["check"]
    pages = [
        reverse("tickets:list") + "?status=all",
        ticket.get_absolute_url(),
        acme.get_absolute_url(),
        reverse("clients:list"),
        reverse("clients:asset_list"),
        hostile["asset"].get_absolute_url(),
        reverse("contracts:list"),
        hostile["contract"].get_absolute_url(),
        reverse("monitoring:check_list"),
        check.get_absolute_url(),
        reverse("monitoring:check_edit", args=[check.pk]),
        reverse("monitoring:maintenance_list", args=[acme.slug]),
        reverse("home"),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_inert(response.content.decode(), payload)


def test_the_ticket_detail_renders_every_event_body_escaped(client, tech, hostile, payload):
    client.force_login(tech)

    body = client.get(hostile["ticket"].get_absolute_url()).content.decode()

    # description, two replies, the note and the time entry note: five times at least
    assert body.count(escape(payload)) >= 5 or body.count(payload.replace("'", "&#x27;")) >= 5
    assert_inert(body, payload)


def test_portal_pages_show_hostile_text_as_text(client, acme_admin, hostile, payload):
    client.force_login(acme_admin)
    pages = [
        reverse("portal:home"),
        reverse("portal:ticket_list") + "?state=all",
        hostile["ticket"].get_portal_url(),
        reverse("portal:asset_list"),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_inert(response.content.decode(), payload)


@pytest.mark.parametrize(
    "name",
    [
        "tickets:list",
        "clients:list",
        "clients:asset_list",
        "contracts:list",
        "monitoring:check_list",
    ],
)
def test_the_search_box_echoes_a_hostile_query_as_text(client, tech, acme, name, payload):
    client.force_login(tech)

    for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
        response = client.get(reverse(name), {"q": payload}, **headers)

        assert response.status_code == 200
        # The full page shows the query in the search box; the htmx rows fragment need not.
        assert_inert(response.content.decode(), payload, shown=not headers)


@pytest.mark.parametrize("param", ["state", "page", "client", "status", "kind", "period"])
def test_other_query_parameters_are_never_echoed_raw(client, tech, acme, hostile, param, payload):
    client.force_login(tech)
    pages = [
        reverse("tickets:list"),
        reverse("monitoring:check_list"),
        hostile["check"].get_absolute_url(),
    ]
    for url in pages:
        response = client.get(url, {param: payload})
        assert response.status_code == 200, url
        assert_inert(response.content.decode(), payload, shown=False)


@pytest.mark.parametrize("payload", ["javascript:alert(1)"])
def test_a_typed_javascript_url_is_never_a_link(client, tech, acme_admin, hostile):
    client.force_login(tech)
    for url in (hostile["asset"].get_absolute_url(), hostile["check"].get_absolute_url()):
        body = client.get(url).content.decode()
        assert "javascript:alert(1)" in body  # shown, as text
        assert injected(body) == []
    client.force_login(acme_admin)
    body = client.get(reverse("portal:asset_list")).content.decode()
    assert injected(body) == []


def test_staff_forms_keep_a_hostile_value_inside_its_attribute(client, tech, acme, payload):
    """A refused form shows what was typed again: inside value="", escaped."""
    client.force_login(tech)
    url = f"{reverse('monitoring:check_create')}?client={acme.pk}&kind=http"
    post = {"name": payload, "url": payload, "method": "GET", "keyword": payload,
            "interval_seconds": "60", "retry_interval_seconds": "30", "timeout_seconds": "10",
            "failure_threshold": "3", "recovery_threshold": "2"}  # fmt: skip

    response = client.post(url, post)

    assert response.status_code == 200
    assert not Check.objects.exists()
    assert_inert(response.content.decode(), payload)


def test_a_hostile_reply_posted_through_the_portal_is_stored_verbatim_and_shown_escaped(
    client, acme_admin, tech, payload
):
    acme_ticket = factories.open_ticket(acme_admin.client, by=acme_admin, subject="Printer")
    client.force_login(acme_admin)

    response = client.post(reverse("portal:reply", args=[acme_ticket.number]), {"body": payload})

    assert response.status_code == 302
    assert acme_ticket.events.filter(body=payload.strip()).exists()
    client.force_login(tech)
    body = client.get(acme_ticket.get_absolute_url()).content.decode()
    assert_inert(body, payload)


def test_the_message_after_a_save_shows_a_hostile_name_as_text(client, tech, acme, payload):
    client.force_login(tech)
    url = f"{reverse('monitoring:check_create')}?client={acme.pk}&kind=tcp"
    post = {"name": payload, "host": "127.0.0.1", "port": "25", "interval_seconds": "60",
            "retry_interval_seconds": "30", "timeout_seconds": "10", "failure_threshold": "3",
            "recovery_threshold": "2"}  # fmt: skip

    response = client.post(url, post, follow=True)

    assert response.redirect_chain
    assert Check.objects.get().name == payload.strip()
    assert_inert(response.content.decode(), payload)


def test_an_assignment_message_shows_a_hostile_name_as_text(client, tech, acme, acme_user, payload):
    colleague = factories.UserFactory(email="bob@msp.test", role="technician", full_name=payload)
    ticket = factories.open_ticket(acme, by=acme_user, subject="Printer")
    client.force_login(tech)

    response = client.post(
        reverse("tickets:assign", args=[ticket.number]), {"assignee": colleague.pk}, follow=True
    )

    ticket.refresh_from_db()
    assert ticket.assignee == colleague
    assert_inert(response.content.decode(), payload)


def test_the_browsable_api_shows_hostile_text_as_text(client, tech, acme, hostile, payload):
    """DRF's HTML renderer turns links in the JSON into anchors: none may carry the payload."""
    client.force_login(tech)
    ticket = hostile["ticket"]
    for url in (
        reverse("api:ticket-list"),
        reverse("api:ticket-detail", args=[ticket.number]),
        reverse("api:ticket-events", args=[ticket.number]),
        reverse("api:check-list"),
        reverse("api:asset-list") + "?ordering=" + payload.replace("&", ""),
    ):
        response = client.get(url, HTTP_ACCEPT="text/html")
        assert response.status_code == 200, url
        assert response["Content-Type"].startswith("text/html")
        assert_inert(response.content.decode(), payload, shown=False)


@pytest.mark.parametrize(
    "payload",
    ['http://x.test/"onmouseover="alert(1)', "https://x.test/<script>alert(1)</script>",
     "www.x.test/'onfocus='alert(1)' autofocus='"],
)  # fmt: skip
def test_the_browsable_api_turns_no_hostile_url_into_a_live_attribute(
    client, tech, acme, acme_user, payload
):
    factories.open_ticket(acme, by=acme_user, subject=payload, description=payload)
    client.force_login(tech)

    response = client.get(reverse("api:ticket-list"), HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert injected(response.content.decode()) == []
