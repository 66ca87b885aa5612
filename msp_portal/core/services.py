"""Operational services."""

from __future__ import annotations

import socket

from django.utils import timezone

from .models import WorkerHeartbeat


def heartbeat_record(*, name: str = "worker", hostname: str | None = None) -> WorkerHeartbeat:
    """Record that a worker is alive now (idempotent: one row per name)."""
    beat, _ = WorkerHeartbeat.objects.update_or_create(
        name=name,
        defaults={"beat_at": timezone.now(), "hostname": hostname or socket.gethostname()},
    )
    return beat
