"""Staff ticket pages: list, detail and the actions, each through the services."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories
from tickets import services
from tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(acme, acme_user):
    return factories.open_ticket(acme, by=acme_user, subject="VPN refuses my password")


def url(name, ticket):
    return reverse(f"tickets:{name}", kwargs={"number": ticket.number})


def test_the_list_filters_by_status_and_search(client, tech, ticket, acme, acme_user):
    other = factories.open_ticket(acme, by=acme_user, subject="Printer jam")
    services.ticket_change_status(ticket=other, status="resolved", by=tech)
    client.force_login(tech)

    open_page = client.get(reverse("tickets:list")).content.decode()
    assert "VPN refuses" in open_page and "Printer jam" not in open_page

    resolved = client.get(reverse("tickets:list"), {"status": "resolved"}).content.decode()
    assert "Printer jam" in resolved and "VPN refuses" not in resolved

    by_number = client.get(reverse("tickets:list"), {"q": ticket.reference, "status": "all"})
    assert ticket.reference in by_number.content.decode()
    assert "Printer jam" not in by_number.content.decode()


def test_htmx_gets_only_the_rows_partial(client, tech, ticket):
    client.force_login(tech)

    response = client.get(reverse("tickets:list"), headers={"HX-Request": "true"})

    body = response.content.decode()
    assert 'id="results"' in body and "<html" not in body
    assert "HX-Request" in response["Vary"]


def test_the_ticket_page_shows_the_timeline_with_internal_notes_marked(client, tech, ticket):
    services.ticket_add_note(ticket=ticket, author=tech, body="Reset the token in the console")
    client.force_login(tech)

    body = client.get(ticket.get_absolute_url()).content.decode()

    assert "VPN refuses my password" in body
    assert "Reset the token in the console" in body


def test_a_public_reply_goes_through_the_service(client, tech, ticket):
    client.force_login(tech)

    response = client.post(url("reply", ticket), {"body": "Try again now.", "visibility": "public"})

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.first_responded_at is not None
    assert ticket.events.filter(kind=TicketEvent.Kind.REPLY, body="Try again now.").exists()


def test_an_internal_note_stays_internal(client, tech, ticket):
    client.force_login(tech)

    client.post(url("reply", ticket), {"body": "Check RADIUS logs", "visibility": "internal"})

    note = ticket.events.get(kind=TicketEvent.Kind.NOTE)
    assert note.public is False
    ticket.refresh_from_db()
    assert ticket.first_responded_at is None


def test_an_empty_reply_keeps_the_page_and_says_what_to_fix(client, tech, ticket):
    client.force_login(tech)

    response = client.post(url("reply", ticket), {"body": "", "visibility": "public"})

    assert response.status_code == 200
    assert ticket.events.count() == 1


def test_a_refused_reply_keeps_what_was_typed(client, tech, ticket):
    services.ticket_change_status(ticket=ticket, status="closed", by=tech)
    client.force_login(tech)

    response = client.post(
        url("reply", ticket), {"body": "A long careful answer", "visibility": "public"}
    )

    assert response.status_code == 200
    assert "A long careful answer" in response.content.decode()


def test_status_assignment_and_time_are_recorded(client, tech, ticket):
    client.force_login(tech)

    client.post(url("status", ticket), {"status": "in_progress"})
    client.post(url("assign", ticket), {"assignee": "me"})
    client.post(url("log_time", ticket), {"minutes": "25", "billable": "on", "note": "call"})

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.IN_PROGRESS
    assert ticket.assignee == tech
    assert ticket.time_entries.get().minutes == 25
    assert set(ticket.events.values_list("kind", flat=True)) >= {"status", "assignment", "time"}


def test_bad_minutes_are_refused_with_the_form_kept(client, tech, ticket):
    client.force_login(tech)

    response = client.post(url("log_time", ticket), {"minutes": "0", "note": "keep me"})

    assert response.status_code == 200
    assert "keep me" in response.content.decode()
    assert not ticket.time_entries.exists()


def test_actions_refuse_get(client, tech, ticket):
    client.force_login(tech)

    assert client.get(url("reply", ticket)).status_code == 405


def test_another_clients_staff_cannot_act_on_the_ticket(client, globex, ticket):
    outsider = factories.UserFactory(role="technician", sees_all_clients=False)
    outsider.allowed_clients.set([globex])
    client.force_login(outsider)

    assert client.get(ticket.get_absolute_url()).status_code == 404
    assert client.post(url("status", ticket), {"status": "closed"}).status_code == 404
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW


def test_a_client_user_cannot_use_staff_actions(client, acme_user, ticket):
    client.force_login(acme_user)

    assert (
        client.post(url("reply", ticket), {"body": "x", "visibility": "internal"}).status_code
        == 404
    )
    assert ticket.events.count() == 1
