"""The benchmark load generator: small runs whose rows must agree with each other."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Max
from django.utils import timezone

from clients.models import Client
from msp_portal.accounts.models import User
from msp_portal.core.demo.load import EMAIL_DOMAIN, SLUG_PREFIX, load_generate
from tickets import services
from tickets.models import SlaTimer, Ticket, TicketEvent, TicketSequence, TimeEntry
from tickets.services.sla import sla_summary

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 18, 15, 30, tzinfo=dt.UTC)
OPEN = ("new", "open", "in_progress", "waiting_on_customer", "waiting_on_third_party")


@pytest.fixture
def generated(db):
    return load_generate(
        clients=3, tickets=300, technicians=4, days=60, seed=7, now=NOW, log=lambda m: None
    )


def test_generation_writes_the_asked_counts(generated):
    assert generated.counts["clients"] == 3
    assert generated.counts["users"] == 5  # four technicians and a manager
    assert generated.counts["tickets"] == 300
    assert generated.counts["SLA timers"] == 600
    assert TicketEvent.objects.filter(kind="created").count() == 300
    assert generated.counts["ticket events"] > 3 * 300
    assert generated.counts["time entries"] > 0
    assert not Ticket.objects.exclude(client__slug__startswith=SLUG_PREFIX).exists()


def test_each_ticket_stores_the_summary_of_its_timers(generated):
    timers: dict[int, list[SlaTimer]] = {}
    for timer in SlaTimer.objects.all():
        timers.setdefault(timer.ticket_id, []).append(timer)
    for ticket in Ticket.objects.all():
        assert {t.kind for t in timers[ticket.pk]} == {"first_response", "resolution"}
        assert (ticket.sla_rank, ticket.sla_due_at) == sla_summary(timers[ticket.pk], NOW)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL stored document")
def test_each_ticket_has_the_search_document_its_triggers_would_have_written(generated):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE search_document IS NULL), count(*) FILTER ("
            "  WHERE search_document IS DISTINCT FROM"
            "  tickets_search_document(id, subject, description)) FROM tickets_ticket"
        )
        assert cursor.fetchone() == (0, 0)


def test_statuses_agree_with_timestamps_and_timers(generated):
    for ticket in Ticket.objects.prefetch_related("sla_timers"):
        timers = {t.kind: t for t in ticket.sla_timers.all()}
        assert ticket.created_at <= ticket.updated_at <= NOW
        if ticket.status == "closed":
            assert ticket.resolved_at and ticket.closed_at and ticket.resolved_at < ticket.closed_at
        elif ticket.status == "resolved":
            assert ticket.resolved_at and ticket.closed_at is None
        else:
            assert ticket.status in OPEN
            assert ticket.resolved_at is None and ticket.closed_at is None
            assert timers["resolution"].state in ("running", "paused")
        assert (ticket.status == "new") == (ticket.first_responded_at is None)
        if ticket.resolved_at:
            assert timers["resolution"].state == "stopped"
            assert timers["resolution"].stopped_at == ticket.resolved_at
            assert timers["resolution"].outcome in ("met", "breached")
        if ticket.first_responded_at:
            assert timers["first_response"].stopped_at == ticket.first_responded_at
        if ticket.status == "waiting_on_customer":
            assert timers["resolution"].state == "paused"
        for timer in timers.values():
            assert timer.breached == (timer.outcome == "breached" or (
                timer.state != "stopped" and timer.breach_at is not None))  # fmt: skip
    events = TicketEvent.objects.filter(created_at__gt=NOW)
    assert not events.exists()


def test_distributions_look_like_a_service_desk(generated):
    tickets = Ticket.objects.all()
    open_count = tickets.exclude(status__in=["resolved", "closed"]).count()
    assert 0 < open_count < 300 * 0.25
    priorities = dict(tickets.values_list("priority").annotate(n=Count("pk")))
    assert priorities["P3"] > priorities["P4"] > priorities["P2"]
    assert {s for (s,) in tickets.values_list("source").distinct()} >= {"portal", "email"}
    met = SlaTimer.objects.filter(outcome="met").count()
    assert met / SlaTimer.objects.exclude(outcome="").count() > 0.75
    assert TimeEntry.objects.filter(billable=True).count() > TimeEntry.objects.count() / 2


def test_numbers_are_unique_and_the_sequence_is_above_them(generated):
    numbers = list(Ticket.objects.values_list("number", flat=True))
    assert len(set(numbers)) == len(numbers)
    assert TicketSequence.objects.get(name="ticket").last_value >= max(numbers)


def test_a_ticket_opened_after_the_load_gets_a_new_number(generated, acme):
    highest = Ticket.objects.aggregate(n=Max("number"))["n"]
    ticket = services.ticket_open(client=acme, subject="After the load", source="staff")
    assert ticket.number > highest


def test_reset_removes_only_generated_data(acme):
    other = services.ticket_open(client=acme, subject="Real work", source="staff")
    out = StringIO()
    call_command("generate_load", clients=2, tickets=50, technicians=2, days=30, seed=3, stdout=out)
    assert Ticket.objects.filter(client__slug__startswith=SLUG_PREFIX).count() == 50
    call_command(
        "generate_load", clients=2, tickets=40, technicians=2, days=30, reset=True, stdout=out
    )
    assert Ticket.objects.filter(client__slug__startswith=SLUG_PREFIX).count() == 40
    assert Client.objects.filter(slug__startswith=SLUG_PREFIX).count() == 2
    assert User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").count() == 3
    assert Ticket.objects.filter(pk=other.pk).exists()
    assert TicketEvent.objects.filter(ticket=other).exists()
    assert Client.objects.filter(pk=acme.pk).exists()
    assert "Load generated" in out.getvalue()
    assert timezone.now() > NOW
