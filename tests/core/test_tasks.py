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
