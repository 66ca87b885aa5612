"""Stored SLA timers: recomputed with every change, equal to the pure evaluation, versioned."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from contracts.models import SLATarget
from contracts.services import policy_changed
from tests import factories
from tickets import services
from tickets.models import SlaTimer, Ticket
from tickets.services.sla import evaluate_ticket

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")


def paris(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS)


@pytest.fixture
def contract(acme):
    # Mon-Fri 09:00-17:00 Europe/Paris; P1 60/240, P2 120/480, P3 180/720, P4 240/960 minutes.
    return factories.ContractFactory(client=acme, start_date=dt.date(2025, 1, 1))


def timers(ticket: Ticket) -> dict[str, SlaTimer]:
    return {f"{t.kind}{t.cycle or ''}": t for t in SlaTimer.objects.filter(ticket=ticket)}


def assert_stored_equals_pure(ticket: Ticket) -> None:
    ticket.refresh_from_db()
    stored = {(t.kind, t.cycle): t for t in SlaTimer.objects.filter(ticket=ticket)}
    assert stored, "no timer stored"
    now = max(t.computed_at for t in stored.values())
    pure = {(r.kind, r.cycle): r for r in evaluate_ticket(ticket, now=now)}
    assert set(stored) == set(pure)
    for key, result in pure.items():
        timer = stored[key]
        for field in ("state", "due_at", "warning_at", "critical_at", "breached", "breach_at",
                      "stopped_at", "priority", "target_minutes"):  # fmt: skip
            assert getattr(timer, field) == getattr(result, field), (key, field)
        assert timer.outcome == (result.outcome or "")
        assert timer.elapsed_seconds == pytest.approx(result.elapsed_seconds)


def test_opening_a_ticket_starts_its_timers_on_the_contracts_calendar(acme, tech, contract):
    ticket = factories.open_ticket(acme, by=tech, at=paris(2026, 6, 2, 10, 0))  # a Tuesday, P4

    stored = timers(ticket)
    assert ticket.priority == "P4"
    first, resolution = stored["first_response"], stored["resolution"]
    assert first.target_minutes == 240
    assert first.due_at == paris(2026, 6, 2, 14, 0)
    assert first.warning_at == paris(2026, 6, 2, 13, 0)  # 75 % of 4 h
    assert first.critical_at == paris(2026, 6, 2, 13, 36)  # 90 % of 4 h
    # 16 business hours: Tue 10-17 (7 h) + Wed 9-17 (8 h) + Thu 9-10 (1 h).
    assert resolution.due_at == paris(2026, 6, 4, 10, 0)
    assert_stored_equals_pure(ticket)


def test_a_ticket_without_a_contract_has_no_timer(acme, tech):
    ticket = factories.open_ticket(acme, by=tech)

    assert ticket.sla_snapshot is None
    assert not SlaTimer.objects.filter(ticket=ticket).exists()


def test_a_staff_reply_stops_the_first_response_clock(acme, acme_user, tech, contract):
    ticket = factories.open_ticket(acme, by=acme_user, at=paris(2026, 6, 2, 10, 0))

    services.ticket_reply(ticket=ticket, author=tech, body="On it", at=paris(2026, 6, 2, 11, 0))

    first = timers(ticket)["first_response"]
    assert (first.state, first.outcome, first.stopped_at) == (
        "stopped", "met", paris(2026, 6, 2, 11, 0),
    )  # fmt: skip
    assert first.next_alert_at is None
    assert_stored_equals_pure(ticket)


def test_waiting_on_the_customer_pauses_the_resolution_clock(acme, acme_user, tech, contract):
    ticket = factories.open_ticket(acme, by=acme_user, at=paris(2026, 6, 2, 10, 0))
    services.ticket_change_status(
        ticket=ticket, status="waiting_on_customer", by=tech, at=paris(2026, 6, 2, 12, 0)
    )

    resolution = timers(ticket)["resolution"]
    assert resolution.state == "paused"
    assert resolution.due_at is None
    assert resolution.next_alert_at is None

    # The client answers the next day at 10:00: 2 h were used, 14 h remain from then.
    services.ticket_reply(ticket=ticket, author=acme_user, body="Done", at=paris(2026, 6, 3, 10, 0))
    resolution = timers(ticket)["resolution"]
    assert resolution.state == "running"
    assert resolution.due_at == paris(2026, 6, 4, 16, 0)  # Wed 10-17 + Thu 9-16
    assert_stored_equals_pure(ticket)


def test_a_whole_life_keeps_stored_and_pure_timers_equal(acme, acme_user, tech, contract):
    ticket = factories.open_ticket(acme, by=acme_user, at=paris(2026, 6, 1, 16, 0))
    steps = [
        lambda at: services.ticket_reply(ticket=ticket, author=tech, body="Hi", at=at),
        lambda at: services.ticket_change_priority(
            ticket=ticket, impact=1, urgency=1, by=tech, at=at
        ),
        lambda at: services.ticket_change_status(
            ticket=ticket, status="waiting_on_customer", by=tech, at=at
        ),
        lambda at: services.ticket_reply(ticket=ticket, author=acme_user, body="Yes", at=at),
        lambda at: services.ticket_change_status(ticket=ticket, status="resolved", by=tech, at=at),
        lambda at: services.ticket_reply(ticket=ticket, author=acme_user, body="Again", at=at),
        lambda at: services.ticket_change_priority(
            ticket=ticket, impact=3, urgency=3, by=tech, at=at
        ),
        lambda at: services.ticket_change_status(ticket=ticket, status="closed", by=tech, at=at),
    ]
    at = paris(2026, 6, 1, 16, 0)
    for step in steps:
        at += dt.timedelta(hours=7)
        step(at)
        assert_stored_equals_pure(ticket)

    assert {t.state for t in SlaTimer.objects.filter(ticket=ticket)} == {"stopped"}


def test_an_upgrade_past_the_new_target_is_breached_at_the_change(acme, acme_user, tech, contract):
    ticket = factories.open_ticket(acme, by=acme_user, at=paris(2026, 6, 2, 9, 0))
    services.ticket_reply(ticket=ticket, author=tech, body="Hi", at=paris(2026, 6, 2, 9, 30))
    change = paris(2026, 6, 2, 14, 0)  # 5 business hours in; P1 resolution is 4 h

    services.ticket_change_priority(ticket=ticket, impact=1, urgency=1, by=tech, at=change)

    resolution = timers(ticket)["resolution"]
    assert resolution.breached is True
    assert resolution.breach_at == change
    assert_stored_equals_pure(ticket)


def test_running_timers_keep_their_rules_until_an_explicit_rebuild(acme, acme_user, tech, contract):
    ticket = factories.open_ticket(acme, by=acme_user, at=paris(2026, 6, 2, 10, 0))
    old_snapshot = ticket.sla_snapshot_id
    SLATarget.objects.filter(policy=contract.sla_policy, priority="P4").update(
        first_response_minutes=60
    )
    policy_changed(policy=contract.sla_policy)

    services.ticket_add_note(ticket=ticket, author=tech, body="still old rules")
    services.ticket_change_status(ticket=ticket, status="in_progress", by=tech)
    assert timers(ticket)["first_response"].target_minutes == 240

    later = factories.open_ticket(acme, by=acme_user, at=paris(2026, 6, 2, 10, 0))
    assert later.sla_snapshot_id != old_snapshot
    assert timers(later)["first_response"].target_minutes == 60
    assert later.sla_snapshot.policy_version == contract.sla_policy.version + 1

    moved = services.sla_rebuild(tickets=[ticket])

    ticket.refresh_from_db()
    assert moved == 1
    assert ticket.sla_snapshot_id == later.sla_snapshot_id
    assert timers(ticket)["first_response"].target_minutes == 60


def test_tickets_under_the_same_rules_share_one_snapshot(acme, acme_user, contract):
    first = factories.open_ticket(acme, by=acme_user)
    second = factories.open_ticket(acme, by=acme_user)

    assert first.sla_snapshot_id == second.sla_snapshot_id is not None
