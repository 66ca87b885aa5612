"""Operational tasks, run inline."""

from __future__ import annotations

import pytest
from django.utils import timezone

from msp_portal.celery import app
from msp_portal.core.models import WorkerHeartbeat
from msp_portal.core.tasks import worker_heartbeat

pytestmark = pytest.mark.django_db


def test_the_heartbeat_task_records_the_worker_once_per_name():
    worker_heartbeat.delay()
    first = WorkerHeartbeat.objects.get(name="worker").beat_at
    worker_heartbeat.delay()

    beat = WorkerHeartbeat.objects.get(name="worker")
    assert beat.beat_at >= first
    assert (timezone.now() - beat.beat_at).total_seconds() < 60


def test_every_beat_entry_names_a_registered_task_and_expires_before_its_next_run():
    app.loader.import_default_modules()
    for name, entry in app.conf.beat_schedule.items():
        assert entry["task"] in app.tasks, name
        assert entry["options"]["expires"] < float(entry["schedule"]), name


def test_the_dispatch_task_records_a_failing_event_and_sends_the_others(monkeypatch):
    from msp_portal.core import outbox
    from msp_portal.core.models import OutboxEvent
    from msp_portal.core.tasks import outbox_dispatch_batch

    def consumer(*, event):
        if event.idempotency_key == "bad":
            raise TimeoutError("receiver timed out")

    monkeypatch.setattr(outbox, "_consumers", {"c": consumer})
    ids = [outbox.outbox_publish(topic="t", payload={}, key=k) for k in ("bad", "good")]

    assert outbox_dispatch_batch.delay(ids).get() == 1

    bad, good = (OutboxEvent.objects.get(pk=pk) for pk in ids)
    assert (bad.attempts, bad.last_error, bad.dispatched_at) == (
        1,
        "TimeoutError: receiver timed out",
        None,
    )
    assert good.dispatched_at is not None and good.attempts == 0
