"""The engine with its real probes against real servers on 127.0.0.1: a check flipping DOWN
opens one ticket, stays one ticket through more failures, and recovery notes it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from monitoring import engine
from monitoring.models import Check, CheckResult
from tests import factories
from tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_clients(settings):
    """Alerts are written in the client's language; these tests read them in English."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def run_cycle(django_capture_on_commit_callbacks, loopback_only):
    """Make the checks due, tick, and run every leased batch with the real probes; outbox
    events are dispatched after each batch's commit, as in production. Nothing may leave
    loopback."""

    def run(*checks: Check) -> engine.BatchReport:
        Check.objects.filter(pk__in=[c.pk for c in checks]).update(
            next_run_at=timezone.now() - dt.timedelta(seconds=1)
        )
        tokens: list[str] = []
        engine.monitoring_tick(enqueue=tokens.append)
        report = engine.BatchReport()
        for token in tokens:
            with django_capture_on_commit_callbacks(execute=True):
                r = engine.batch_run(token=token)
            report.applied += r.applied
        for check in checks:
            check.refresh_from_db()
        return report

    return run


def test_an_http_check_goes_down_opens_one_ticket_and_recovers(acme, http_target, run_cycle):
    factories.ContractFactory(client=acme)
    asset = factories.AssetFactory(client=acme, name="SRV-WEB01")
    check = factories.CheckFactory(
        client=acme,
        asset=asset,
        kind=Check.Kind.HTTP,
        config={"url": http_target.url, "keyword": "Status"},
        failure_threshold=2,
        recovery_threshold=2,
        timeout_seconds=2,
        resolve_ticket_on_recovery=True,
    )
    run_cycle(check)
    assert check.state == "up"
    assert http_target.requests == 1

    http_target.mode = "error"
    run_cycle(check)
    assert check.state == "up"  # one failure is not an outage
    run_cycle(check)
    assert check.state == "down"
    ticket = Ticket.objects.get(source=Ticket.Source.MONITORING)
    assert ticket.asset == asset and ticket.contract is not None
    assert "500" in ticket.description

    for _ in range(3):
        run_cycle(check)
    assert Ticket.objects.filter(source=Ticket.Source.MONITORING).count() == 1

    http_target.mode = "ok"
    run_cycle(check), run_cycle(check)
    assert check.state == "up"
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED
    assert ticket.events.filter(kind=TicketEvent.Kind.MONITORING, body__startswith="Recovered")
    assert CheckResult.objects.filter(monitor=check).count() == 8
    assert http_target.requests == 8


def test_a_hanging_server_is_a_failure_within_the_timeout(acme, make_http_target, run_cycle):
    target = make_http_target(mode="hang")
    check = factories.CheckFactory(
        client=acme, kind=Check.Kind.HTTP, config={"url": target.url}, timeout_seconds=1
    )
    started = timezone.now()
    run_cycle(check)
    assert (timezone.now() - started).total_seconds() < 5
    result = CheckResult.objects.get(monitor=check)
    assert result.outcome == "failure" and result.data["code"] == "timeout"


def test_a_certificate_near_expiry_shows_degraded_without_a_ticket(
    acme, make_tls_target, run_cycle
):
    target = make_tls_target(15)
    check = factories.CheckFactory(
        client=acme,
        kind=Check.Kind.TLS,
        config={"host": "127.0.0.1", "port": target.port, "verify": False, "warning_days": 21},
    )
    run_cycle(check)
    assert check.state == "degraded"
    result = CheckResult.objects.get(monitor=check)
    assert result.data["days_left"] in (14, 15)
    assert not Ticket.objects.exists()


def test_a_closed_port_goes_down_and_many_checks_run_in_one_batch(
    acme, tcp_target, closed_tcp_port, run_cycle
):
    open_checks = factories.CheckFactory.create_batch(
        40, client=acme, kind=Check.Kind.TCP, config={"host": "127.0.0.1", "port": tcp_target.port}
    )
    closed = factories.CheckFactory(
        client=acme,
        kind=Check.Kind.TCP,
        config={"host": "127.0.0.1", "port": closed_tcp_port},
        failure_threshold=1,
    )
    report = run_cycle(*open_checks, closed)
    assert report.applied == 41
    assert closed.state == "down"
    assert Check.objects.filter(state="up").count() == 40
    assert Ticket.objects.filter(source=Ticket.Source.MONITORING).count() == 1


def test_a_refused_metadata_target_never_receives_a_packet(acme, run_cycle):
    check = factories.CheckFactory(
        client=acme, kind=Check.Kind.HTTP, config={"url": "http://169.254.169.254/latest/"}
    )
    run_cycle(check)  # loopback_only fails the test if anything is sent there
    result = CheckResult.objects.get(monitor=check)
    assert result.outcome in ("failure", "error")
    assert result.data["code"] == "refused_address"
