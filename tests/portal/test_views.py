"""The client portal: one company, public timeline only, replies through the services."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories
from tickets import services
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(acme, acme_user):
    return factories.open_ticket(acme, by=acme_user, subject="Outlook keeps asking for password")


def test_the_portal_home_shows_the_company_and_its_open_tickets(client, acme_user, ticket):
    client.force_login(acme_user)

    body = client.get(reverse("portal:home")).content.decode()

    assert "Acme Industries" in body
    assert "Outlook keeps asking" in body


def test_the_ticket_page_shows_replies_but_never_internal_notes(client, acme_user, tech, ticket):
    services.ticket_reply(ticket=ticket, author=tech, body="Please restart Outlook.")
    services.ticket_add_note(ticket=ticket, author=tech, body="User is VIP, handle with care")
    services.ticket_log_time(ticket=ticket, technician=tech, minutes=5, note="remote fix")
    client.force_login(acme_user)

    body = client.get(ticket.get_portal_url()).content.decode()

    assert "Please restart Outlook." in body
    assert "VIP" not in body
    assert "remote fix" not in body


def test_a_client_reply_reopens_a_ticket_waiting_on_them(client, acme_user, tech, ticket):
    services.ticket_change_status(ticket=ticket, status="waiting_on_customer", by=tech)
    client.force_login(acme_user)

    response = client.post(
        reverse("portal:reply", kwargs={"number": ticket.number}), {"body": "Done, still broken"}
    )

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert ticket.events.filter(actor="client", body="Done, still broken").exists()


def test_a_closed_ticket_takes_no_reply(client, acme_user, tech, ticket):
    services.ticket_change_status(ticket=ticket, status="closed", by=tech)
    client.force_login(acme_user)

    response = client.post(
        reverse("portal:reply", kwargs={"number": ticket.number}), {"body": "Hello?"}
    )

    assert response.status_code == 200
    assert "Hello?" in response.content.decode()  # kept for the person to copy
    assert not ticket.events.filter(body="Hello?").exists()


def test_a_client_user_does_not_see_a_colleagues_ticket_but_their_admin_does(
    client, acme, acme_user, acme_admin, tech
):
    colleague = factories.ContactFactory(client=acme)
    theirs = factories.open_ticket(acme, by=tech, contact=colleague, subject="Colleague's laptop")

    client.force_login(acme_user)
    assert client.get(theirs.get_portal_url()).status_code == 404
    assert "Colleague's laptop" not in client.get(reverse("portal:ticket_list")).content.decode()

    client.force_login(acme_admin)
    assert client.get(theirs.get_portal_url()).status_code == 200


def test_another_company_gets_404_on_the_ticket(client, globex_user, ticket):
    client.force_login(globex_user)

    assert client.get(ticket.get_portal_url()).status_code == 404
    response = client.post(reverse("portal:reply", kwargs={"number": ticket.number}), {"body": "x"})
    assert response.status_code == 404
    assert ticket.events.count() == 1


def test_staff_are_sent_to_their_own_home(client, tech):
    client.force_login(tech)

    response = client.get(reverse("portal:home"))

    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_the_portal_asset_list_shows_only_the_companys_assets(client, acme, globex, acme_user):
    factories.AssetFactory(client=acme, name="ACME-LAPTOP-7")
    factories.AssetFactory(client=globex, name="GLOBEX-SRV-1")
    client.force_login(acme_user)

    body = client.get(reverse("portal:asset_list")).content.decode()

    assert "ACME-LAPTOP-7" in body and "GLOBEX-SRV-1" not in body
