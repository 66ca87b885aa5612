"""Resolved tickets nobody answered are closed after TICKETS_AUTO_CLOSE_DAYS; others stay."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from msp_portal.core.models import OutboxEvent
from tests import factories
from tickets import services, tasks
from tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def resolved(acme, tech, *, days_ago: float) -> Ticket:
    ticket = factories.open_ticket(acme, by=tech, subject=f"Resolved {days_ago} days ago")
    return services.ticket_change_status(
        ticket=ticket,
        status=Ticket.Status.RESOLVED,
        by=tech,
        at=NOW - dt.timedelta(days=days_ago),
    )


def test_only_tickets_resolved_past_the_cutoff_are_closed(acme, tech):
    old = resolved(acme, tech, days_ago=3.5)
    recent = resolved(acme, tech, days_ago=2.5)
    still_open = factories.open_ticket(acme, by=tech)

    assert services.tickets_auto_close(days=3, now=NOW) == 1

    old.refresh_from_db()
    recent.refresh_from_db()
    still_open.refresh_from_db()
    assert old.status == Ticket.Status.CLOSED and old.closed_at == NOW
    assert old.resolved_at == NOW - dt.timedelta(days=3.5)  # the resolution keeps its instant
    assert recent.status == Ticket.Status.RESOLVED
    assert still_open.status == Ticket.Status.NEW
    event = old.events.filter(kind=TicketEvent.Kind.STATUS).latest("created_at")
    assert event.data == {"from": "resolved", "to": "closed", "cause": "auto_closed"}
    assert event.author is None
    assert OutboxEvent.objects.filter(
        topic="ticket.updated", payload__changes__status__to="closed"
    ).exists()


def test_a_ticket_the_client_answered_is_not_closed(acme, acme_admin, tech):
    ticket = resolved(acme, tech, days_ago=5)
    services.ticket_reply(ticket=ticket, body="Still broken", author=acme_admin)

    assert services.tickets_auto_close(days=3, now=NOW) == 0
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN


def test_zero_days_turns_it_off_and_a_second_run_closes_nothing_more(acme, tech):
    resolved(acme, tech, days_ago=30)
    assert services.tickets_auto_close(days=0, now=NOW) == 0
    assert services.tickets_auto_close(days=3, now=NOW) == 1
    assert services.tickets_auto_close(days=3, now=NOW) == 0


def test_the_task_reads_the_setting(acme, tech, settings):
    ticket = resolved(acme, tech, days_ago=2)
    settings.TICKETS_AUTO_CLOSE_DAYS = 3
    assert tasks.tickets_auto_close() == 0
    settings.TICKETS_AUTO_CLOSE_DAYS = 1
    assert tasks.tickets_auto_close() == 1
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED


def test_the_client_can_still_reopen_within_the_portal_window_and_sees_why_it_closed(
    client, acme, acme_user, tech, settings
):
    settings.LANGUAGE_CODE = "en"
    settings.PORTAL_REOPEN_DAYS = 7
    ticket = resolved(acme, tech, days_ago=4)
    ticket.contact = acme_user.contact
    ticket.save(update_fields=["contact"])
    services.tickets_auto_close(days=3)
    client.force_login(acme_user)

    page = client.get(reverse("portal:ticket_detail", args=[ticket.number]))
    assert "closed automatically: no answer since the resolution" in page.content.decode()

    response = client.post(
        reverse("portal:ticket_reopen", args=[ticket.number]), {"reason": "It broke again"}
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN


def test_another_clients_ticket_page_does_not_show_it(client, acme, tech, globex_user):
    ticket = resolved(acme, tech, days_ago=4)
    services.tickets_auto_close(days=3)
    client.force_login(globex_user)
    assert client.get(reverse("portal:ticket_detail", args=[ticket.number])).status_code == 404
