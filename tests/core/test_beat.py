"""The beat lease: one scheduler sends, the others stand by and take over when it stops."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from msp_portal.celery import app
from msp_portal.core import beat
from msp_portal.core.models import BeatLease

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 6, 2, 10, 0, tzinfo=dt.UTC)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def test_the_first_beat_takes_the_lease_and_a_second_is_refused():
    assert beat.beat_lease_take(holder="a", seconds=30, now=at(0)) is True
    assert beat.beat_lease_take(holder="b", seconds=30, now=at(1)) is False

    lease = BeatLease.objects.get()
    assert (lease.name, lease.holder, lease.expires_at) == (beat.LEASE_NAME, "a", at(30))


def test_the_holder_renews_its_lease_and_keeps_it():
    beat.beat_lease_take(holder="a", seconds=30, now=at(0))

    assert beat.beat_lease_take(holder="a", seconds=30, now=at(20)) is True
    assert beat.beat_lease_take(holder="b", seconds=30, now=at(40)) is False  # renewed to 50

    assert BeatLease.objects.get().expires_at == at(50)


def test_another_beat_takes_over_an_expired_lease_and_the_old_holder_stands_by():
    beat.beat_lease_take(holder="a", seconds=30, now=at(0))

    assert beat.beat_lease_take(holder="b", seconds=30, now=at(31)) is True
    assert beat.beat_lease_take(holder="a", seconds=30, now=at(32)) is False  # woke up too late

    assert BeatLease.objects.get().holder == "b"


def test_a_released_lease_is_taken_at_once():
    beat.beat_lease_take(holder="a", seconds=30)

    assert beat.beat_lease_release(holder="b") is False  # not b's to release
    assert beat.beat_lease_release(holder="a") is True
    assert beat.beat_lease_take(holder="b", seconds=30) is True


def test_leases_of_different_names_are_independent():
    assert beat.beat_lease_take(holder="a", seconds=30, name="one") is True
    assert beat.beat_lease_take(holder="b", seconds=30, name="two") is True


@pytest.fixture
def schedulers(tmp_path, monkeypatch):
    """Two schedulers in one process, as two beats would be; what they send is recorded."""
    sent: dict[str, list[str]] = {"first": [], "second": []}
    # It would close the test's transaction-wrapped connection; a real beat has its own.
    monkeypatch.setattr(beat, "close_old_connections", lambda: None)

    def make(name):
        scheduler = beat.LeasedScheduler(app=app, schedule_filename=str(tmp_path / name))
        scheduler.holder = f"{name}-holder"
        scheduler.apply_async = lambda entry, **kwargs: sent[name].append(entry.name)
        for entry in scheduler.schedule.values():  # everything is overdue
            entry.last_run_at = timezone.now() - dt.timedelta(days=1)
        scheduler.populate_heap()
        return scheduler

    made = [make("first"), make("second")]
    yield made, sent
    for scheduler in made:
        scheduler.close()


def test_only_the_scheduler_holding_the_lease_sends(schedulers, settings):
    settings.BEAT_LEASE_SECONDS = 9
    (first, second), sent = schedulers

    for _ in range(3):
        first.tick()
        assert second.tick() == 3.0  # standing by: back in a third of the lease

    assert len(sent["first"]) == 3 and sent["second"] == []
    assert BeatLease.objects.get().holder == "first-holder"
    assert (first.holding, second.holding) == (True, False)


def test_a_standby_scheduler_takes_over_when_the_holder_stops(schedulers):
    (first, second), sent = schedulers
    first.tick()
    second.tick()

    first.close()  # a clean stop releases the lease
    second.tick()

    assert BeatLease.objects.get().holder == "second-holder"
    assert len(sent["second"]) == 1


def test_a_scheduler_never_sleeps_past_a_third_of_the_lease(schedulers, settings):
    settings.BEAT_LEASE_SECONDS = 3
    (first, _), _sent = schedulers
    for entry in first.schedule.values():
        entry.last_run_at = timezone.now()
    first.populate_heap()

    assert first.tick() <= 1.0


def test_the_celery_app_uses_the_leased_scheduler():
    assert app.conf.beat_scheduler == "msp_portal.core.beat:LeasedScheduler"
