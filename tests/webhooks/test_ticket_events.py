"""What ticket changes publish to the outbox: one event per change, the SLA breach once."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from msp_portal.core.models import OutboxEvent
from tests import factories
from tickets import services
from tickets.models import Queue, SlaTimer

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
OPENED = dt.datetime(2026, 6, 2, 10, 0, tzinfo=PARIS)


def updates(ticket) -> list[dict]:
    events = OutboxEvent.objects.filter(topic="ticket.updated").order_by("pk")
    return [e.payload for e in events if e.payload["ticket"]["id"] == ticket.pk]


def test_each_change_publishes_one_update_with_what_changed(acme, acme_user, tech, manager):
    ticket = factories.open_ticket(acme, by=acme_user, subject="VPN down")
    queue = Queue.objects.create(name="Network", slug="network")

    services.ticket_reply(ticket=ticket, author=tech, body="Looking into it")
    services.ticket_assign(ticket=ticket, assignee=tech, by=manager)
    services.ticket_change_priority(ticket=ticket, impact=1, urgency=1, by=tech)
    services.ticket_change_status(ticket=ticket, status="in_progress", by=tech)
    services.ticket_update(ticket=ticket, by=tech, subject="VPN down for all", queue=queue)
    services.ticket_add_note(ticket=ticket, author=tech, body="internal")  # not published
    services.ticket_change_status(ticket=ticket, status="in_progress", by=tech)  # no change

    changes = [p["changes"] for p in updates(ticket)]
    assert changes == [
        {
            "reply": {
                "event_id": changes[0]["reply"]["event_id"],
                "from_client": False,
                "author": "tech@msp.test",
                "body": "Looking into it",
            },
            "status": {"from": "new", "to": "open"},
        },
        {"assignee": {"from": None, "to": "tech@msp.test"}},
        {"priority": {"from": "P4", "to": "P1"}, "impact": 1, "urgency": 1},
        {"status": {"from": "open", "to": "in_progress"}},
        {
            "subject": {"from": "VPN down", "to": "VPN down for all"},
            "queue": {"from": "", "to": "Network"},
        },
    ]
    last = updates(ticket)[-1]
    assert last["actor"] == "tech@msp.test"
    assert last["ticket"]["subject"] == "VPN down for all"
    assert last["ticket"]["priority"] == "P1"
    assert last["ticket"]["assignee"] == "tech@msp.test"
    keys = OutboxEvent.objects.filter(topic="ticket.updated").values_list(
        "idempotency_key", flat=True
    )
    assert len(set(keys)) == 5
    assert all(k.startswith(f"ticket.updated:{ticket.pk}:") for k in keys)
    assert set(OutboxEvent.objects.values_list("client_id", flat=True)) == {acme.pk}


def test_a_reply_publishes_with_one_insert_and_no_extra_read(acme, acme_user, tech):
    ticket = factories.open_ticket(acme, by=acme_user)

    with CaptureQueriesContext(connection) as ctx:
        services.ticket_reply(ticket=ticket, author=tech, body="On it")

    outbox = [q["sql"] for q in ctx.captured_queries if "core_outboxevent" in q["sql"]]
    assert len(outbox) == 1 and outbox[0].startswith("INSERT")
    assert not any('FROM "clients_client"' in q["sql"] for q in ctx.captured_queries)


def test_the_sweep_publishes_a_breach_once_per_timer(acme, acme_user, tech):
    factories.ContractFactory(client=acme, start_date=dt.date(2025, 1, 1))
    ticket = factories.open_ticket(acme, by=acme_user, at=OPENED)
    late = dt.datetime(2026, 6, 2, 16, 0, tzinfo=PARIS)  # first response breached (due 14:00)

    services.sla_sweep(now=dt.datetime(2026, 6, 2, 13, 0, tzinfo=PARIS))  # warning only
    assert not OutboxEvent.objects.filter(topic="ticket.sla_breached").exists()
    services.sla_sweep(now=late)
    SlaTimer.objects.filter(ticket=ticket).update(alerted_level=0)  # as if racing a stale sweep
    services.sla_sweep(now=late)

    [event] = OutboxEvent.objects.filter(topic="ticket.sla_breached")
    assert event.idempotency_key == f"ticket.sla_breached:{ticket.pk}:first_response:0:3"
    assert event.client_id == acme.pk
    assert event.payload["sla"]["timer"] == "first_response"
    assert event.payload["ticket"]["reference"] == ticket.reference
    assert event.payload["ticket"]["client"]["slug"] == "acme"
    assert dt.datetime.fromisoformat(event.payload["sla"]["due_at"]) == OPENED.replace(hour=14)
