"""One beat sends the periodic tasks, however many are started.

``celery beat`` keeps its schedule in a local file, so two of them -- on two hosts, or a second
``make run`` by mistake -- would each send every periodic task. :class:`LeasedScheduler` (the
configured ``beat_scheduler``, see msp_portal/celery.py) sends only while it holds a lease: one
:class:`~msp_portal.core.models.BeatLease` row, taken or renewed by a conditional UPDATE that
succeeds only when the lease has expired or is already ours. The holder renews it at every tick
(at least every third of the lease); a beat that does not hold it sends nothing, logs once that
it is standing by, and takes over when the holder stops renewing: at once when the holder stops
cleanly (it releases the lease), one lease period after it died.

``BEAT_LEASE_SECONDS`` (setting, default 30) is that period; expiry is judged by each beat's
clock, so hosts running beat keep their clocks synchronised (NTP), as any cluster must. Works on
SQLite and PostgreSQL alike: nothing but UPDATE and INSERT on a unique name.

This is the first line of defence only. The periodic tasks that matter are idempotent anyway --
the monitoring tick claims due checks with SKIP LOCKED and a lease, the SLA sweep and escalations
write unique rows, the outbox dispatches each key once, webhook deliveries are claimed by a
conditional UPDATE -- so even a duplicate tick (a lease that expired during a long pause of its
holder) does no harm.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import secrets
import socket

from celery.beat import PersistentScheduler
from django.conf import settings
from django.db import DatabaseError, IntegrityError, close_old_connections, transaction
from django.db.models import Q
from django.utils import timezone

from .models import BeatLease

logger = logging.getLogger(__name__)

LEASE_NAME = "celery-beat"
#: How long a lease lasts without renewal (overridden by settings.BEAT_LEASE_SECONDS).
LEASE_SECONDS = 30


def beat_lease_seconds() -> float:
    """The lease period, in seconds (at least one)."""
    return max(1.0, float(getattr(settings, "BEAT_LEASE_SECONDS", LEASE_SECONDS)))


def beat_lease_take(
    *, holder: str, seconds: float, name: str = LEASE_NAME, now: dt.datetime | None = None
) -> bool:
    """Take or renew the lease for ``seconds``; True if ``holder`` now holds it.

    One conditional UPDATE that changes the row only when it has expired or is already ours;
    the first beat ever inserts it, and of two racing inserts the unique name keeps one.
    """
    now = now or timezone.now()
    expires_at = now + dt.timedelta(seconds=seconds)
    if (
        BeatLease.objects.filter(Q(expires_at__lt=now) | Q(holder=holder), name=name).update(
            holder=holder, expires_at=expires_at
        )
        == 1
    ):
        return True
    if BeatLease.objects.filter(name=name).exists():
        return False
    try:
        with transaction.atomic():
            BeatLease.objects.create(name=name, holder=holder, expires_at=expires_at)
    except IntegrityError:
        return False
    return True


def beat_lease_release(*, holder: str, name: str = LEASE_NAME) -> bool:
    """Give the lease up at once (a clean stop), so another beat need not wait for expiry."""
    return bool(
        BeatLease.objects.filter(name=name, holder=holder).update(expires_at=timezone.now())
    )


def new_holder_id() -> str:
    """Host, process and a random part: unique even across restarts that reuse a pid."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class LeasedScheduler(PersistentScheduler):
    """Celery's file-backed scheduler that sends due tasks only while it holds the beat lease."""

    lease_name = LEASE_NAME

    def __init__(self, *args, **kwargs) -> None:
        # Set lazily, in the process that ticks: embedded beat (worker --beat) runs in a fork.
        self.holder: str | None = None
        self.holding: bool | None = None  # None until the first attempt, to log transitions
        super().__init__(*args, **kwargs)

    def tick(self, *args, **kwargs) -> float:
        """Renew (or wait for) the lease, then let Celery send what is due; never sleep
        longer than a third of the lease, so that it is renewed in time."""
        seconds = beat_lease_seconds()
        if not self.lease_hold(seconds):
            return seconds / 3
        return min(super().tick(*args, **kwargs), seconds / 3)

    def lease_hold(self, seconds: float) -> bool:
        """Take or renew the lease; log when this beat starts or stops sending."""
        if self.holder is None:
            self.holder = new_holder_id()
        try:
            close_old_connections()  # a broken connection (database restart) is reopened
            holding = beat_lease_take(holder=self.holder, seconds=seconds, name=self.lease_name)
        except DatabaseError as exc:
            # Without the database no one can tell who holds the lease: send nothing. The
            # periodic tasks could not run without it anyway.
            if self.holding is not False:
                logger.warning("Beat cannot reach the database (%s): not sending", exc)
            self.holding = False
            return False
        if holding and not self.holding:
            logger.info("Beat lease taken by %s: sending the periodic tasks", self.holder)
        elif not holding and self.holding is not False:
            logger.warning("Another beat holds the lease: %s standing by", self.holder)
        self.holding = holding
        return holding

    def close(self) -> None:
        super().close()
        if self.holding and self.holder:
            with contextlib.suppress(DatabaseError):  # else it expires on its own
                beat_lease_release(holder=self.holder, name=self.lease_name)
            self.holding = False
