"""SQL fragments in every search, filter, ordering and paging parameter.

Every list -- staff pages, portal pages, API endpoints -- gets the same hostile values in each
parameter it reads (and in the ones it does not, which must be ignored). What must happen:
200 (the value is ignored, or searched for as plain text) or a 4xx with a message, never a
500; a client user never sees another client's rows; and the tables are all still there.
"""

from __future__ import annotations

import base64

import pytest
from django.core.cache import cache
from django.db import connection
from django.urls import reverse

from clients.models import Asset, Client
from tests import factories
from tests.conftest import MARKER
from tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db

FRAGMENTS = [
    "' OR 1=1 --",
    "' OR '1'='1",
    '" OR ""="',
    "1; DROP TABLE tickets_ticket; --",
    "%' UNION SELECT password FROM accounts_user --",
    "1) OR (1=1",
    "-1 OR 1=1",
    "\\",
    "%",
    "_",
    "\x00",
    "a\x00' OR 1=1 --",
    "T-99999999999999999999999999",
    "99999999999999999999999999",
    "-1",
    "1e308",
    "x" * 5000,
    "é' || (SELECT version()) || '",
]

#: The parameters lists read, and the common ones they do not (which must be ignored).
PARAMS = [
    "q", "search", "order", "sort", "ordering", "state", "status", "client", "kind",
    "priority", "assignee", "sla", "page", "cursor", "page_size", "period", "asset", "site",
    "check", "source", "unassigned", "created_after", "checked_before", "slug", "city",
]  # fmt: skip

#: What the staff and portal list views read (their filter forms, ``page``, ``period``).
PAGE_PARAMS = ["q", "status", "state", "priority", "client", "assignee", "sla", "kind", "page",
               "period"]  # fmt: skip

STAFF_LISTS = [
    "tickets:list",
    "clients:list",
    "clients:asset_list",
    "contracts:list",
    "contracts:sla_overview",
    "monitoring:check_list",
]
PORTAL_LISTS = ["portal:home", "portal:ticket_list", "portal:asset_list"]
API_LISTS = [
    "api:client-list",
    "api:site-list",
    "api:contact-list",
    "api:asset-list",
    "api:contract-list",
    "api:sla-policy-list",
    "api:calendar-list",
    "api:ticket-list",
    "api:check-list",
    "api:check-result-list",
    "api:check-state-change-list",
    "api:maintenance-window-list",
    "api:token-list",
]
TABLES = ["tickets_ticket", "tickets_ticketevent", "clients_client", "clients_asset"]


@pytest.fixture(autouse=True)
def _no_throttle_counts():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def counts(acme_world, globex, globex_user):
    """Both clients' rows, counted before the attack."""
    factories.open_ticket(globex, by=globex_user, subject="Globex printer")
    return snapshot()


def snapshot() -> dict:
    return {
        "tables": set(connection.introspection.table_names()) >= set(TABLES),
        "tickets": Ticket.objects.count(),
        "events": TicketEvent.objects.count(),
        "clients": Client.objects.count(),
        "assets": Asset.objects.count(),
    }


def queries(fragment: str, names: list[str] = PARAMS):
    """One request per parameter in ``names``, and one with every parameter at once."""
    for name in names:
        yield {name: fragment}
    yield dict.fromkeys(PARAMS, fragment)


def assert_answered(response, *, leak: str | None = None) -> None:
    assert response.status_code in (200, 400, 404), (response.status_code, response.content[:300])
    if response.status_code == 400:
        assert response.content  # a message, not an empty page
    if leak is not None:
        assert leak not in response.content.decode(errors="replace")


@pytest.mark.parametrize("fragment", FRAGMENTS, ids=range(len(FRAGMENTS)))
def test_staff_lists_survive_sql_fragments(client, tech, counts, fragment):
    client.force_login(tech)
    for name in STAFF_LISTS:
        for query in queries(fragment, PAGE_PARAMS):
            assert_answered(client.get(reverse(name), query))
        everything = dict.fromkeys(PARAMS, fragment)
        assert_answered(client.get(reverse(name), everything, HTTP_HX_REQUEST="true"))
    assert snapshot() == counts


@pytest.mark.parametrize("fragment", FRAGMENTS, ids=range(len(FRAGMENTS)))
def test_portal_lists_survive_sql_fragments_and_leak_nothing(client, globex_user, counts, fragment):
    client.force_login(globex_user)
    for name in PORTAL_LISTS:
        for query in queries(fragment, PAGE_PARAMS):
            response = client.get(reverse(name), query)
            assert_answered(response, leak=MARKER)
            assert response.status_code == 200
    assert snapshot() == counts


@pytest.mark.parametrize("fragment", FRAGMENTS, ids=range(len(FRAGMENTS)))
def test_api_lists_survive_sql_fragments_and_leak_nothing(client, globex_user, counts, fragment):
    client.force_login(globex_user)
    for name in API_LISTS:
        for query in queries(fragment):
            response = client.get(reverse(name), query, HTTP_ACCEPT="application/json")
            # 400: a filter refused; 404: a cursor that does not decode; 403: staff only.
            assert response.status_code in (200, 400, 403, 404), (name, query, response.content)
            assert MARKER not in response.content.decode(errors="replace")
            if response.status_code != 200:
                assert response.json()["detail"]  # the API's error body, with a message
    assert snapshot() == counts


@pytest.mark.parametrize("fragment", FRAGMENTS[:8], ids=range(8))
def test_a_forged_cursor_is_refused_not_run(client, globex_user, counts, fragment):
    """A cursor is base64 of ``p=<position>``: a position smuggling SQL must go nowhere."""
    client.force_login(globex_user)
    raw = f"o=0&r=0&p={fragment}".encode()
    cursor = base64.b64encode(raw).decode()
    for name in ("api:ticket-list", "api:asset-list", "api:check-result-list"):
        for ordering in ("", "created_at", "-id", "checked_at"):
            response = client.get(reverse(name), {"cursor": cursor, "ordering": ordering})
            assert response.status_code in (200, 403, 404), response.content[:300]
            assert MARKER not in response.content.decode()
    assert snapshot() == counts


def test_an_api_ordering_on_a_field_not_offered_is_ignored(client, tech, counts):
    """Ordering by a hidden column (a password hash, a token) would leak it by sort order."""
    client.force_login(tech)
    for ordering in ("created_by__password", "client__notes", "contact__user__password", "?"):
        response = client.get(reverse("api:ticket-list"), {"ordering": ordering})
        assert response.status_code in (200, 400)
        default = client.get(reverse("api:ticket-list"))
        if response.status_code == 200:
            assert response.json() == default.json()


def test_a_search_for_a_sql_fragment_finds_the_ticket_that_contains_it(client, tech, acme):
    """The fragment is text to look for, not SQL to run."""
    ticket = factories.open_ticket(acme, by=tech, subject="Quote ' OR 1=1 -- in the subject")
    factories.open_ticket(acme, by=tech, subject="Printer offline")
    client.force_login(tech)

    body = client.get(reverse("tickets:list"), {"q": "' OR 1=1 --"}).content.decode()

    assert ticket.reference in body
    assert "Printer offline" not in body


@pytest.mark.parametrize("number", ["99999999999999999999999", "9223372036854775808"])
def test_ids_beyond_a_bigint_in_the_path_are_a_404(client, tech, globex_user, counts, number):
    client.force_login(tech)
    for url in (f"/tickets/{number}/", f"/assets/{number}/", f"/contracts/{number}/",
                f"/monitoring/checks/{number}/", f"/tickets/attachments/{number}/"):  # fmt: skip
        assert client.get(url).status_code == 404, url
    client.force_login(globex_user)
    for url in (f"/portal/tickets/{number}/", f"/portal/attachments/{number}/"):
        assert client.get(url).status_code == 404, url
    assert client.get(f"/api/v1/tickets/{number}/").status_code in (400, 404)
    assert snapshot() == counts
