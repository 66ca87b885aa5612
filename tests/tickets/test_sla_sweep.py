"""The SLA sweep: indexed, constant queries, each escalation exactly once."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tickets import services
from tickets.models import Queue, SlaEscalation, SlaTimer, TicketEvent
from tickets.tasks import sla_send_escalations, sla_sweep

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
OPENED = dt.datetime(2026, 6, 2, 10, 0, tzinfo=PARIS)  # Tuesday; P4 first response due 14:00


@pytest.fixture
def contract(acme):
    return factories.ContractFactory(client=acme, start_date=dt.date(2025, 1, 1))


@pytest.fixture
def ticket(acme, acme_user, tech, contract):
    ticket = factories.open_ticket(acme, by=acme_user, at=OPENED)
    return services.ticket_assign(ticket=ticket, assignee=tech, by=tech, at=OPENED)


def levels(ticket, kind="first_response"):
    return sorted(
        SlaEscalation.objects.filter(ticket=ticket, kind=kind).values_list("level", flat=True)
    )


def at(hour, minute=0):
    return dt.datetime(2026, 6, 2, hour, minute, tzinfo=PARIS)


def test_nothing_is_escalated_before_the_warning_instant(ticket):
    assert services.sla_sweep(now=at(12, 59)).escalated == 0
    assert levels(ticket) == []


def test_each_level_is_escalated_once_as_it_is_reached(ticket):
    services.sla_sweep(now=at(13, 0))  # 75 %
    services.sla_sweep(now=at(13, 1))
    assert levels(ticket) == [1]
    services.sla_sweep(now=at(13, 36))  # 90 %
    assert levels(ticket) == [1, 2]
    services.sla_sweep(now=at(14, 0))  # exactly due: not breached yet (t > due)
    assert levels(ticket) == [1, 2]
    services.sla_sweep(now=at(14, 1))
    services.sla_sweep(now=at(15, 0))

    assert levels(ticket) == [1, 2, 3]
    timer = SlaTimer.objects.get(ticket=ticket, kind="first_response")
    assert timer.alerted_level == 3
    assert timer.next_alert_at is None
    sla_events = TicketEvent.objects.filter(ticket=ticket, kind="sla")
    assert [e.data["level"] for e in sla_events.order_by("created_at")] == [1, 2, 3]
    assert not any(e.public for e in sla_events)


def test_a_late_sweep_escalates_the_highest_level_only(ticket):
    services.sla_sweep(now=at(16, 0))

    assert levels(ticket) == [3]


def test_a_sweep_run_twice_with_the_same_clock_escalates_nothing_more(ticket):
    services.sla_sweep(now=at(14, 30))
    SlaTimer.objects.filter(ticket=ticket).update(alerted_level=0)

    services.sla_sweep(now=at(14, 30))  # as if a redelivered task ran on stale state

    assert levels(ticket) == [3]
    assert SlaEscalation.objects.filter(ticket=ticket).count() == 1


def test_a_stopped_timer_is_not_escalated(ticket, tech):
    services.ticket_reply(ticket=ticket, author=tech, body="Hello", at=at(11, 0))

    services.sla_sweep(now=at(15, 0))

    assert levels(ticket) == []


def test_a_paused_resolution_clock_is_not_escalated(ticket, tech):
    services.ticket_change_status(
        ticket=ticket, status="waiting_on_customer", by=tech, at=at(11, 0)
    )

    services.sla_sweep(now=dt.datetime(2026, 6, 20, 12, 0, tzinfo=PARIS))

    assert levels(ticket, "resolution") == []


def test_escalations_are_mailed_to_the_right_people_once(ticket, tech, manager, settings):
    queue = Queue.objects.create(name="Service desk", slug="desk", email="desk@msp.test")
    ticket.queue = queue
    ticket.save(update_fields=["queue"])
    services.sla_refresh(ticket)  # recipients are read at sweep time
    services.sla_sweep(now=at(13, 0))
    services.sla_sweep(now=at(14, 30))

    sent = services.sla_escalations_send(now=at(14, 31))
    again = services.sla_escalations_send(now=at(14, 32))

    assert (sent, again) == (2, 0)
    # The managers hear of the breach from msp_portal.notifications (ticket.sla_breached,
    # tests/notifications), not from the escalation: one message each, not two.
    to = sorted(tuple(sorted(m.to)) for m in mail.outbox)
    assert to == sorted([(tech.email,), (tech.email,), ("desk@msp.test",)])
    breach = next(m for m in mail.outbox if "desk@msp.test" in m.to)
    assert ticket.reference in breach.subject
    assert breach.extra_headers["Auto-Submitted"] == "auto-generated"
    assert SlaEscalation.objects.filter(sent_at__isnull=True).count() == 0


def test_a_failed_send_is_retried_with_the_same_message_id(ticket, monkeypatch):
    services.sla_sweep(now=at(14, 30))
    from django.core.mail.backends.locmem import EmailBackend

    calls = {"n": 0}
    real = EmailBackend.send_messages

    def flaky(self, messages):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionRefusedError("SMTP down")
        return real(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", flaky)

    assert services.sla_escalations_send(now=at(14, 31)) == 0
    escalation = SlaEscalation.objects.get(ticket=ticket)
    assert escalation.attempts == 1 and "SMTP down" in escalation.last_error
    assert services.sla_escalations_send(now=at(14, 32)) == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"].startswith(f"<sla-{escalation.pk}-")


def test_the_sweep_makes_the_same_number_of_queries_for_many_timers(acme, acme_user, contract):
    def sweep_queries(n_tickets: int, now: dt.datetime) -> int:
        for _ in range(n_tickets):
            factories.open_ticket(acme, by=acme_user, at=OPENED)
        with CaptureQueriesContext(connection) as ctx:
            result = services.sla_sweep(now=now)
        assert result.escalated == n_tickets * 2  # first response and resolution
        return len(ctx)

    few = sweep_queries(2, dt.datetime(2026, 7, 1, tzinfo=PARIS))
    many = sweep_queries(25, dt.datetime(2026, 7, 2, tzinfo=PARIS))

    assert many == few


def test_the_tasks_call_the_services(ticket, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: at(14, 30))

    assert sla_sweep.delay().get() == 1
    assert sla_send_escalations.delay().get() == 1


def test_the_timeline_says_which_target_is_at_risk(client, ticket, tech):
    services.sla_sweep(now=at(13, 0))
    client.force_login(tech)

    body = client.get(ticket.get_absolute_url()).content.decode()

    assert "First response: at risk" in body


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_racing_escalate_each_level_once(acme, acme_user, tech):
    """Two workers sweep at the same instant, each in its own connection and transaction."""
    import threading

    from django.db import connection as default_connection
    from django.db import connections

    if default_connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL's row locks")
    factories.ContractFactory(client=acme, start_date=dt.date(2025, 1, 1))
    tickets = [factories.open_ticket(acme, by=acme_user, at=OPENED) for _ in range(30)]
    barrier = threading.Barrier(2)
    results, errors = [], []

    def sweep():
        try:
            barrier.wait(timeout=10)
            results.append(services.sla_sweep(now=at(16, 0)).escalated)
        except Exception as exc:  # reported below, in the test thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert sum(results) == SlaEscalation.objects.count() == len(tickets)
    assert TicketEvent.objects.filter(kind="sla").count() == len(tickets)
