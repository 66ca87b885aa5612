"""The portal's Celery app, as the fault tests start it in subprocesses (``-A
tests.integration.fault_app``): the same app, with test-only knobs read from the environment.

- ``FAULT_BEAT_LEASE_SECONDS``: a short beat lease, so that a takeover fits in a test;
- ``FAULT_WORKER_LOST_WAIT``: seconds the worker waits before it declares a killed child's
  task lost (Celery's default, 10 s, would dominate the test);
- ``FAULT_SLOW_CONSUMER=<file>``: one more outbox consumer that appends its process id to the
  file and then sleeps ``FAULT_SLOW_SECONDS`` (default 4), so that a test can kill the worker
  child in the middle of a dispatch.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import django

from msp_portal.celery import app

django.setup()

from django.conf import settings  # noqa: E402

from msp_portal.core.outbox import outbox_register_consumer  # noqa: E402

__all__ = ["app"]

if os.environ.get("FAULT_BEAT_LEASE_SECONDS"):
    settings.BEAT_LEASE_SECONDS = float(os.environ["FAULT_BEAT_LEASE_SECONDS"])

if os.environ.get("FAULT_WORKER_LOST_WAIT"):
    app.conf.worker_lost_wait = float(os.environ["FAULT_WORKER_LOST_WAIT"])


def _slow_consumer(*, event) -> None:
    """Registered last: the real consumers have written their rows when it starts sleeping."""
    with Path(os.environ["FAULT_SLOW_CONSUMER"]).open("a") as marker:
        marker.write(f"{os.getpid()} {event.pk}\n")
    time.sleep(float(os.environ.get("FAULT_SLOW_SECONDS", "4")))


if os.environ.get("FAULT_SLOW_CONSUMER"):
    outbox_register_consumer("fault-slow", _slow_consumer)
