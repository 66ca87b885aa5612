"""The engine: leases, fixed-rate schedule, bulk writes, alerts to tickets, outages, heartbeats.

Probes are replaced here by a function returning chosen outcomes, so each rule is tested on
its own; tests/monitoring/test_engine_real.py runs the same engine against real local servers.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from monitoring import engine
from monitoring.models import (
    Check,
    CheckResult,
    CheckStateChange,
    MaintenanceWindow,
    MonitoringOutage,
)
from monitoring.probes import ProbeResult
from msp_portal.core.models import OutboxEvent
from tests import factories
from tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_clients(settings):
    """Alerts are written in the client's language; these tests read them in English."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def _run_on_commit(django_capture_on_commit_callbacks, monkeypatch):
    """Outbox events are dispatched after commit; inside a test's transaction, run them as soon
    as each engine call returns, as the real worker would after its commit."""
    for name in ("batch_run", "heartbeat_record"):
        original = getattr(engine, name)

        def wrapped(*args, _original=original, **kwargs):
            with django_capture_on_commit_callbacks(execute=True):
                return _original(*args, **kwargs)

        monkeypatch.setattr(engine, name, wrapped)


class FakeProbes:
    """Answers each check with the outcome set for it (default success); counts calls."""

    def __init__(self, default="success"):
        self.default = default
        self.outcomes: dict[int, str] = {}
        self.calls: list[list[int]] = []

    def __call__(self, specs, *, concurrency):
        self.calls.append([s.check_id for s in specs])
        return [
            ProbeResult(
                outcome=self.outcomes.get(s.check_id, self.default),
                latency_ms=12.0,
                code="ok" if self.outcomes.get(s.check_id, self.default) == "success" else "x",
                params={},
                data={},
            )
            for s in specs
        ]


def due(check: Check) -> None:
    Check.objects.filter(pk=check.pk).update(next_run_at=timezone.now() - dt.timedelta(seconds=1))


def cycle(probes: FakeProbes, *checks: Check) -> engine.BatchReport:
    """Make the checks due, run one tick and the batches it leased (inline)."""
    for check in checks:
        due(check)
    tokens: list[str] = []
    engine.monitoring_tick(enqueue=tokens.append)
    report = engine.BatchReport()
    for token in tokens:
        r = engine.batch_run(token=token, run=probes)
        report.applied += r.applied
        report.transitions += r.transitions
        report.alerts += r.alerts
        report.held += r.held
    return report


@pytest.fixture
def web(acme):
    asset = factories.AssetFactory(client=acme, name="SRV-WEB01")
    factories.ContractFactory(client=acme)
    return factories.CheckFactory(
        client=acme,
        asset=asset,
        name="Acme website",
        kind=Check.Kind.HTTP,
        config={"url": "http://127.0.0.1:9/"},
        failure_threshold=3,
        recovery_threshold=2,
    )


# -- schedule ------------------------------------------------------------------------------------


def test_checks_spread_over_their_interval_by_id():
    at = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
    slots = {engine.next_slot(at, interval=60, check_id=i).second for i in range(1, 61)}
    assert len(slots) > 40  # not all at :00


def test_fixed_rate_next_run_is_the_scheduled_time_plus_the_interval():
    at = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
    slot = engine.next_slot(at, interval=60, check_id=7)
    nxt = engine.next_run(
        check_id=7, kind="http", scheduled=slot, now=slot + dt.timedelta(seconds=3),
        interval=60, retry_interval=30, failing=False,
    )  # fmt: skip
    assert nxt == slot + dt.timedelta(seconds=60)  # not "now + 60": no drift


def test_a_late_run_skips_missed_slots_but_keeps_its_grid():
    at = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
    slot = engine.next_slot(at, interval=60, check_id=7)
    late = slot + dt.timedelta(seconds=200)
    nxt = engine.next_run(
        check_id=7, kind="http", scheduled=slot, now=late,
        interval=60, retry_interval=30, failing=False,
    )  # fmt: skip
    assert late < nxt <= late + dt.timedelta(seconds=60)
    assert (nxt - slot).total_seconds() % 60 == pytest.approx(0, abs=1e-3)


def test_a_failing_check_is_retried_sooner():
    now = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
    nxt = engine.next_run(
        check_id=7, kind="http", scheduled=now, now=now,
        interval=300, retry_interval=30, failing=True,
    )  # fmt: skip
    assert nxt == now + dt.timedelta(seconds=30)


# -- leases --------------------------------------------------------------------------------------


def test_claim_takes_only_enabled_due_unleased_checks(acme):
    ready = factories.CheckFactory(client=acme)
    later = factories.CheckFactory(client=acme, next_run_at=timezone.now() + dt.timedelta(hours=1))
    paused = factories.CheckFactory(client=acme, enabled=False)
    due(ready), due(paused)
    token, count = engine.checks_claim(limit=100)
    assert count == 1
    assert set(Check.objects.filter(lease_token=token).values_list("pk", flat=True)) == {ready.pk}
    # Leased: a second claim does not take it again.
    assert engine.checks_claim(limit=100) is None
    later.refresh_from_db()
    assert later.lease_token == ""


def test_an_expired_lease_is_taken_again(acme):
    check = factories.CheckFactory(client=acme)
    due(check)
    first, _ = engine.checks_claim(limit=10)
    Check.objects.filter(pk=check.pk).update(
        lease_expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    second, count = engine.checks_claim(limit=10)
    assert count == 1 and second != first
    # The first batch's task, arriving late, finds nothing to take.
    probes = FakeProbes()
    assert engine.batch_run(token=first, run=probes).taken == 0
    assert probes.calls == []
    assert engine.batch_run(token=second, run=probes).applied == 1


def test_a_duplicate_task_for_the_same_batch_runs_nothing(web):
    due(web)
    tokens = []
    engine.monitoring_tick(enqueue=tokens.append)
    probes = FakeProbes()
    assert engine.batch_run(token=tokens[0], run=probes).applied == 1
    assert engine.batch_run(token=tokens[0], run=probes).applied == 0
    assert len(probes.calls) == 1
    assert CheckResult.objects.filter(monitor=web).count() == 1


def test_a_result_is_dropped_when_the_lease_was_lost_during_the_run(web):
    due(web)
    tokens = []
    engine.monitoring_tick(enqueue=tokens.append)

    def paused_meanwhile(specs, *, concurrency):
        # A person pauses the check while its probe is in flight.
        Check.objects.filter(pk=web.pk).update(lease_token="", enabled=False, state="paused")
        return FakeProbes("failure")(specs, concurrency=concurrency)

    report = engine.batch_run(token=tokens[0], run=paused_meanwhile)
    assert report.taken == 1 and report.applied == 0
    web.refresh_from_db()
    assert web.state == "paused"
    assert not CheckResult.objects.filter(monitor=web).exists()


def test_the_tick_claims_in_batches(acme, settings):
    settings.MONITORING_BATCH_SIZE = 4
    checks = factories.CheckFactory.create_batch(10, client=acme)
    for c in checks:
        due(c)
    tokens = []
    assert engine.monitoring_tick(enqueue=tokens.append) == 10
    assert len(tokens) == 3
    probes = FakeProbes()
    for token in tokens:
        engine.batch_run(token=token, run=probes)
    assert sorted(len(c) for c in probes.calls) == [2, 4, 4]
    assert CheckResult.objects.count() == 10
    assert not Check.objects.exclude(lease_token="").exists()


def test_the_tick_stops_claiming_when_too_many_checks_are_in_flight(acme, settings, monkeypatch):
    settings.MONITORING_BATCH_SIZE = 2
    monkeypatch.setattr(engine, "MAX_IN_FLIGHT_BATCHES", 2)
    for c in factories.CheckFactory.create_batch(9, client=acme):
        due(c)
    tokens = []
    assert engine.monitoring_tick(enqueue=tokens.append) == 4
    assert engine.monitoring_tick(enqueue=tokens.append) == 0  # nothing finished yet


def test_a_batch_writes_results_and_states_in_a_bounded_number_of_queries(
    acme, globex, django_assert_max_num_queries, settings
):
    settings.MONITORING_BATCH_SIZE = 500
    for client in (acme, globex):
        for c in factories.CheckFactory.create_batch(30, client=client):
            due(c)
    tokens = []
    engine.monitoring_tick(enqueue=tokens.append)
    with django_assert_max_num_queries(16):
        report = engine.batch_run(token=tokens[0], run=FakeProbes())
    assert report.applied == 60
    assert CheckResult.objects.count() == 60
    assert set(Check.objects.values_list("state", flat=True)) == {"up"}
    assert CheckStateChange.objects.filter(to_state="up").count() == 60


def test_a_result_keeps_its_schedule_and_the_check_its_next_slot(web):
    scheduled = timezone.now() - dt.timedelta(seconds=2)
    Check.objects.filter(pk=web.pk).update(next_run_at=scheduled)
    tokens = []
    engine.monitoring_tick(enqueue=tokens.append)
    engine.batch_run(token=tokens[0], run=FakeProbes())
    web.refresh_from_db()
    result = CheckResult.objects.get(monitor=web)
    assert result.scheduled_at == scheduled
    assert result.checked_at >= scheduled
    assert web.next_run_at > timezone.now()
    assert web.last_outcome == "success" and web.last_latency_ms == 12.0
    assert web.lease_token == "" and web.lease_expires_at is None


# -- alerts become tickets -----------------------------------------------------------------------


def monitoring_tickets(check):
    return Ticket.objects.filter(source=Ticket.Source.MONITORING, asset=check.asset)


def test_down_opens_exactly_one_ticket_and_further_failures_do_not_open_more(web):
    probes = FakeProbes()
    cycle(probes, web)
    probes.outcomes[web.pk] = "failure"
    cycle(probes, web), cycle(probes, web)
    assert not monitoring_tickets(web).exists()  # two failures: not down yet
    cycle(probes, web)
    web.refresh_from_db()
    assert web.state == "down"
    ticket = monitoring_tickets(web).get()
    assert web.open_ticket == ticket
    assert ticket.client == web.client and ticket.contract is not None  # the SLA clock runs
    assert ticket.sla_snapshot is not None
    for _ in range(5):
        cycle(probes, web)
    assert monitoring_tickets(web).count() == 1
    assert OutboxEvent.objects.filter(topic="check.state_changed").count() == 1


def test_still_down_annotates_the_ticket_after_an_hour(web):
    probes = FakeProbes("failure")
    for _ in range(3):
        cycle(probes, web)
    ticket = monitoring_tickets(web).get()
    Check.objects.filter(pk=web.pk).update(last_alert_at=timezone.now() - dt.timedelta(hours=2))
    cycle(probes, web)
    event = ticket.events.filter(kind=TicketEvent.Kind.MONITORING).get()
    assert "Still down" in event.body and event.public is False
    assert monitoring_tickets(web).count() == 1


def test_recovery_notes_the_downtime_and_resolves_when_the_check_says_so(web):
    Check.objects.filter(pk=web.pk).update(resolve_ticket_on_recovery=True)
    probes = FakeProbes("failure")
    for _ in range(3):
        cycle(probes, web)
    ticket = monitoring_tickets(web).get()
    Check.objects.filter(pk=web.pk).update(
        state_changed_at=timezone.now() - dt.timedelta(minutes=42)
    )
    probes.default = "success"
    cycle(probes, web)
    assert not ticket.events.filter(kind=TicketEvent.Kind.MONITORING).exists()  # one success
    cycle(probes, web)
    web.refresh_from_db()
    assert web.state == "up"
    note = ticket.events.filter(kind=TicketEvent.Kind.MONITORING).get()
    assert note.body.startswith("Recovered after 42")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED


def test_recovery_without_auto_resolve_leaves_the_ticket_to_a_person(web):
    probes = FakeProbes("failure")
    for _ in range(3):
        cycle(probes, web)
    probes.default = "success"
    cycle(probes, web), cycle(probes, web)
    ticket = monitoring_tickets(web).get()
    assert ticket.status == Ticket.Status.NEW
    assert ticket.events.filter(kind=TicketEvent.Kind.MONITORING, body__startswith="Recovered")


def test_a_new_outage_after_the_ticket_was_resolved_opens_a_new_ticket(web):
    Check.objects.filter(pk=web.pk).update(resolve_ticket_on_recovery=True)
    probes = FakeProbes("failure")
    for _ in range(3):
        cycle(probes, web)
    probes.default = "success"
    cycle(probes, web), cycle(probes, web)
    probes.default = "failure"
    for _ in range(3):
        cycle(probes, web)
    assert monitoring_tickets(web).count() == 2


def test_down_again_while_the_ticket_is_still_open_annotates_it(web):
    probes = FakeProbes("failure")
    for _ in range(3):
        cycle(probes, web)
    probes.default = "success"
    cycle(probes, web), cycle(probes, web)
    probes.default = "failure"
    for _ in range(3):
        cycle(probes, web)
    ticket = monitoring_tickets(web).get()
    events = ticket.events.filter(kind=TicketEvent.Kind.MONITORING)
    bodies = list(events.values_list("body", flat=True))
    assert any("failed 3 times" in b for b in bodies)


def test_the_ticket_subject_is_in_the_clients_language(web):
    type(web.client).objects.filter(pk=web.client_id).update(language="fr")
    probes = FakeProbes("failure")
    for _ in range(3):
        cycle(probes, web)
    ticket = monitoring_tickets(web).get()
    assert ticket.subject == "Acme website est en panne"


# -- maintenance ---------------------------------------------------------------------------------


def test_a_maintenance_window_mutes_alerts_and_shows(web):
    window = factories.MaintenanceWindowFactory(
        client=web.client,
        starts_at=timezone.now() - dt.timedelta(minutes=5),
        ends_at=timezone.now() + dt.timedelta(hours=1),
        recurrence=MaintenanceWindow.Recurrence.NONE,
    )
    window.checks.add(web)
    probes = FakeProbes("failure")
    for _ in range(5):
        cycle(probes, web)
    web.refresh_from_db()
    assert web.state == "maintenance"
    assert not monitoring_tickets(web).exists()
    change = CheckStateChange.objects.get(monitor=web)
    assert change.to_state == "maintenance" and "Patch night" in change.reason
    # The window ends: the check goes down at once (it has been failing all along).
    MaintenanceWindow.objects.filter(pk=window.pk).update(
        ends_at=timezone.now() - dt.timedelta(seconds=1),
        starts_at=timezone.now() - dt.timedelta(hours=1),
    )
    cycle(probes, web)
    web.refresh_from_db()
    assert web.state == "down"
    assert monitoring_tickets(web).count() == 1


def test_a_window_for_other_checks_of_the_client_does_not_mute_this_one(web):
    other = factories.CheckFactory(client=web.client)
    window = factories.MaintenanceWindowFactory(
        client=web.client,
        starts_at=timezone.now() - dt.timedelta(minutes=5),
        ends_at=timezone.now() + dt.timedelta(hours=1),
    )
    window.checks.add(other)
    probes = FakeProbes("failure")
    for _ in range(3):
        cycle(probes, web)
    web.refresh_from_db()
    assert web.state == "down"


# -- the monitoring host's own network -----------------------------------------------------------


def test_when_most_unrelated_clients_fail_at_once_down_is_held_and_one_outage_raised(web):
    clients = [factories.ClientFactory() for _ in range(5)]
    checks = [factories.CheckFactory(client=c) for c in clients]
    probes = FakeProbes()
    cycle(probes, *checks)
    probes.default = "failure"
    for _ in range(4):
        report = cycle(probes, *checks)
    assert report.held == 5
    states = Check.objects.filter(pk__in=[c.pk for c in checks]).values_list("state", flat=True)
    assert set(states) == {"up"}
    assert not Ticket.objects.filter(source=Ticket.Source.MONITORING).exists()
    outage = MonitoringOutage.objects.get()
    assert outage.is_open and outage.clients_failing == 5 and outage.held_transitions >= 5
    assert OutboxEvent.objects.filter(topic="monitoring.outage").count() == 1
    # The network is back: the outage ends, and a check still failing goes down on its own.
    probes.default = "success"
    probes.outcomes[checks[0].pk] = "failure"
    cycle(probes, *checks)
    outage.refresh_from_db()
    assert not outage.is_open and outage.ended_at
    checks[0].refresh_from_db()
    assert checks[0].state == "down"
    assert Ticket.objects.filter(source=Ticket.Source.MONITORING).count() == 1


def test_failures_of_one_client_alone_are_not_an_outage(acme):
    checks = factories.CheckFactory.create_batch(6, client=acme)
    probes = FakeProbes("failure")
    for _ in range(3):
        cycle(probes, *checks)
    assert not MonitoringOutage.objects.exists()
    assert Check.objects.filter(state="down").count() == 6


# -- heartbeats ----------------------------------------------------------------------------------


@pytest.fixture
def backup(acme):
    return factories.CheckFactory(
        client=acme,
        name="Nightly backup",
        kind=Check.Kind.HEARTBEAT,
        config={},
        interval_seconds=24 * 3600,
        grace_seconds=3600,
    )


def test_a_new_heartbeat_check_waits_a_period_and_its_grace_for_its_first_ping(backup):
    cycle(FakeProbes("failure"), backup)
    backup.refresh_from_db()
    assert backup.state == "unknown"
    assert not CheckResult.objects.filter(monitor=backup).exists()
    expected = backup.created_at + dt.timedelta(hours=25)
    assert abs((backup.next_run_at - expected).total_seconds()) < 1
    assert backup.lease_token == ""


def test_a_ping_moves_the_deadline_and_a_missed_one_opens_a_ticket(backup):
    engine.heartbeat_record(token=backup.heartbeat_token)
    backup.refresh_from_db()
    assert backup.state == "up"
    assert backup.next_run_at > timezone.now() + dt.timedelta(hours=24, minutes=59)
    # The deadline passes with no ping: one missed run is enough (the grace was the margin).
    Check.objects.filter(pk=backup.pk).update(last_run_at=timezone.now() - dt.timedelta(days=2))
    cycle(FakeProbes("failure"), backup)
    backup.refresh_from_db()
    assert backup.state == "down"
    assert Ticket.objects.filter(source=Ticket.Source.MONITORING, client=backup.client).count() == 1


def test_a_failure_ping_is_down_at_once_and_a_late_ping_recovers(backup):
    engine.heartbeat_record(token=backup.heartbeat_token, ok=False, message="exit code 2")
    backup.refresh_from_db()
    assert backup.state == "down"
    ticket = Ticket.objects.get(source=Ticket.Source.MONITORING)
    assert "exit code 2" in ticket.description
    engine.heartbeat_record(token=backup.heartbeat_token)
    backup.refresh_from_db()
    assert backup.state == "up"


def test_a_ping_clears_the_lease_of_a_run_that_claimed_the_missed_deadline(backup):
    engine.heartbeat_record(token=backup.heartbeat_token)
    due(backup)
    tokens = []
    engine.monitoring_tick(enqueue=tokens.append)

    def ping_arrives_meanwhile(specs, *, concurrency):
        engine.heartbeat_record(token=backup.heartbeat_token)
        return FakeProbes("failure")(specs, concurrency=concurrency)

    engine.batch_run(token=tokens[0], run=ping_arrives_meanwhile)
    backup.refresh_from_db()
    assert backup.state == "up"
    assert list(CheckResult.objects.filter(monitor=backup).values_list("outcome", flat=True)) == [
        "success",
        "success",
    ]


def test_unknown_heartbeat_token_records_nothing(backup):
    assert engine.heartbeat_record(token="nope") is None
