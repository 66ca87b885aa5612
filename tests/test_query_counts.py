"""List pages make a constant number of queries, whatever the number of rows shown."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories
from tickets import services

pytestmark = pytest.mark.django_db

STAFF_PAGES = [
    ("home", {}),
    ("tickets:list", {"status": "all"}),
    ("clients:list", {}),
    ("clients:asset_list", {}),
    ("contracts:list", {}),
    ("monitoring:check_list", {}),
]
PORTAL_PAGES = [("portal:home", {}), ("portal:ticket_list", {}), ("portal:asset_list", {})]


def add_rows(client_obj, requester, tech, n):
    for i in range(n):
        ticket = factories.open_ticket(client_obj, by=requester, subject=f"Row {i}")
        services.ticket_assign(ticket=ticket, assignee=tech, by=tech)
        asset = factories.AssetFactory(client=client_obj)
        factories.CheckFactory(client=client_obj, asset=asset)
        factories.ContractFactory(client=client_obj)
        factories.ClientFactory()


def queries(client, name, params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse(name), params)
    assert response.status_code == 200
    return len(ctx)


@pytest.mark.parametrize(("name", "params"), STAFF_PAGES)
def test_staff_list_pages_do_not_grow_with_rows(client, acme, acme_user, tech, name, params):
    client.force_login(tech)
    add_rows(acme, acme_user, tech, 2)
    few = queries(client, name, params)
    add_rows(acme, acme_user, tech, 12)

    assert queries(client, name, params) == few
    assert few <= 12


@pytest.mark.parametrize(("name", "params"), PORTAL_PAGES)
def test_portal_pages_do_not_grow_with_rows(client, acme, acme_admin, tech, name, params):
    client.force_login(acme_admin)
    add_rows(acme, acme_admin, tech, 2)
    few = queries(client, name, params)
    add_rows(acme, acme_admin, tech, 12)

    assert queries(client, name, params) == few
    assert few <= 14


def test_a_ticket_page_does_not_grow_with_its_timeline(client, acme, acme_user, tech):
    client.force_login(tech)
    ticket = factories.open_ticket(acme, by=acme_user)
    url = ticket.get_absolute_url()

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx)

    few = count()
    for i in range(10):
        services.ticket_reply(ticket=ticket, author=tech, body=f"Reply {i}")
        services.ticket_add_note(ticket=ticket, author=tech, body=f"Note {i}")
        services.ticket_log_time(ticket=ticket, technician=tech, minutes=5)

    assert count() == few
