"""The transactional outbox: an effect is recorded with the change that causes it.

A service that wants something to happen elsewhere (a webhook today; notifications and
monitoring alerts next) calls :func:`outbox_publish` inside its own transaction. The row commits
or rolls back with the business change, so a rolled-back change never reaches the outside world
and a committed one always does. Its idempotency key is unique: publishing the same effect twice
(a redelivered task, two racing workers) inserts it once.

After commit a task hands the event to the consumers registered with
:func:`outbox_register_consumer` and marks it dispatched; beat re-drives any event left
undispatched (a lost enqueue, a broker outage, a consumer that failed). Consumers must therefore
be idempotent, which they are by writing their own unique rows.

Failures are counted, not retried forever: a dispatch whose consumer raises rolls back with
everything the consumers wrote, then records the attempt and its error on the event in a
transaction of its own. After ``OUTBOX_MAX_ATTEMPTS`` failures (setting, default 8; about as many
minutes of re-drive) the event is *parked*: the re-drive skips it, and the admin lists it with its
last error and an action, "Re-queue", that gives it a fresh set of attempts
(:func:`outbox_requeue`). A poison event never blocks the others of its batch.

Core knows topics only as strings ("ticket.opened"); it knows nothing of tickets or webhooks.
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone

from .models import OutboxEvent

logger = logging.getLogger(__name__)

#: Rows per INSERT statement: well under SQLite's limit on bound parameters.
PUBLISH_BATCH = 500
#: An event younger than this is still expected to be dispatched by its on-commit task.
REDRIVE_AFTER = dt.timedelta(seconds=30)
REDRIVE_BATCH = 500
DISPATCH_BATCH = 200  # events per dispatch task
#: Failed dispatches after which an event is parked (overridden by settings.OUTBOX_MAX_ATTEMPTS).
MAX_ATTEMPTS = 8
ERROR_LIMIT = 2000  # characters of the last error kept on the event

Consumer = Callable[..., object]
_consumers: dict[str, Consumer] = {}


def outbox_register_consumer(name: str, consumer: Consumer) -> None:
    """Register ``consumer(event=OutboxEvent)``; apps call this from ``AppConfig.ready()``.

    It runs inside the dispatch transaction, under the event's row lock, and must be
    idempotent: an event whose dispatch failed is dispatched again.
    """
    _consumers[name] = consumer


@dataclass(frozen=True)
class OutboxMessage:
    """One event to publish: ``key`` names the effect, so the same effect has the same key."""

    topic: str
    key: str
    payload: dict = field(default_factory=dict)
    client_id: int | None = None


def outbox_publish(
    *, topic: str, payload: dict, key: str, client_id: int | None = None
) -> int | None:
    """Record one event in the caller's transaction; dispatched after commit.

    Returns the new event's id, or None when an event with this key already exists.
    """
    ids = outbox_publish_many([OutboxMessage(topic, key, payload, client_id)])
    return ids[0] if ids else None


def outbox_publish_many(messages: Iterable[OutboxMessage]) -> list[int]:
    """Record many events in one statement per batch (INSERT ... ON CONFLICT DO NOTHING), for
    callers such as the SLA sweep that must keep a constant number of queries."""
    messages = list(messages)
    if not messages:
        return []
    now = timezone.now()
    ids: list[int] = []
    for start in range(0, len(messages), PUBLISH_BATCH):
        ids += _insert(messages[start : start + PUBLISH_BATCH], now)
    if ids:
        _schedule(ids)
    return ids


_COLUMNS = ("topic", "client", "payload", "idempotency_key", "created_at", "attempts", "last_error")


def _insert(messages: list[OutboxMessage], now: dt.datetime) -> list[int]:
    """Written out because bulk_create(ignore_conflicts=True) cannot tell which rows were new;
    values are adapted by their fields exactly as the ORM adapts them."""
    fields = [OutboxEvent._meta.get_field(name) for name in _COLUMNS]
    quote = connection.ops.quote_name
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = (
        f"INSERT INTO {quote(OutboxEvent._meta.db_table)} "
        f"({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES {', '.join([row] * len(messages))} "
        f"ON CONFLICT ({quote('idempotency_key')}) DO NOTHING"
    )
    params = []
    for message in messages:
        values = (message.topic, message.client_id, message.payload, message.key, now, 0, "")
        params += [f.get_db_prep_save(v, connection) for f, v in zip(fields, values, strict=True)]
    if connection.features.can_return_rows_from_bulk_insert:
        with connection.cursor() as cursor:
            cursor.execute(f"{sql} RETURNING {quote('id')}", params)
            return [pk for (pk,) in cursor.fetchall()]
    # An older SQLite without RETURNING: new rows are those with this statement's instant.
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    return list(
        OutboxEvent.objects.filter(
            idempotency_key__in=[m.key for m in messages], created_at=now
        ).values_list("pk", flat=True)
    )


def _schedule(ids: list[int]) -> None:
    """Enqueue these events once the transaction commits -- in one task per commit, not one
    per event: a transaction that publishes a thousand events (an import, the demo) must not
    queue a thousand tasks in front of everything else.

    Each publish registers a callback (Django drops those of a rolled-back transaction or
    savepoint); the first to run after the commit drains the ids of this connection, the rest
    find nothing. An id left from a rolled-back savepoint is drained with them and its
    dispatch finds no event: harmless.
    """
    connection.__dict__.setdefault("_outbox_pending", []).extend(ids)
    # robust: a broker outage must not fail a change that has already committed; beat's
    # re-drive dispatches what was not enqueued.
    transaction.on_commit(_flush, robust=True)


def _flush() -> None:
    pending = connection.__dict__.get("_outbox_pending")
    if pending:
        ids = list(dict.fromkeys(pending))
        pending.clear()
        _enqueue(ids)


def _enqueue(ids: list[int]) -> None:
    from .tasks import outbox_dispatch_batch

    for start in range(0, len(ids), DISPATCH_BATCH):
        outbox_dispatch_batch.delay(ids[start : start + DISPATCH_BATCH])


def outbox_dispatch(*, event_id: int) -> bool:
    """Hand one event to every consumer and mark it dispatched, once: the event's row is
    locked, so a second dispatch of the same event waits and then finds it done.

    Returns False when the event is missing, already dispatched or parked. A consumer's
    exception rolls the dispatch back, is recorded on the event (see :func:`_record_failure`)
    and propagates.
    """
    try:
        with transaction.atomic():
            event = (
                OutboxEvent.objects.select_for_update()
                .filter(pk=event_id, dispatched_at__isnull=True, parked_at__isnull=True)
                .first()
            )
            if event is None:
                return False
            for consumer in _consumers.values():
                consumer(event=event)
            OutboxEvent.objects.filter(pk=event.pk).update(dispatched_at=timezone.now())
    except Exception as exc:
        _record_failure(event_id, exc)
        raise
    return True


def outbox_max_attempts() -> int:
    """Failed dispatches after which an event is parked."""
    return max(1, int(getattr(settings, "OUTBOX_MAX_ATTEMPTS", MAX_ATTEMPTS)))


def _record_failure(event_id: int, exc: BaseException) -> None:
    """Count a failed dispatch and keep its error -- after the dispatch transaction rolled back,
    so the count survives it -- and park the event at the last allowed attempt."""
    error = "".join(traceback.format_exception_only(exc)).strip()[:ERROR_LIMIT]
    try:
        with transaction.atomic():
            pending = OutboxEvent.objects.filter(pk=event_id, dispatched_at__isnull=True)
            pending.update(attempts=F("attempts") + 1, last_error=error)
            parked = pending.filter(
                parked_at__isnull=True, attempts__gte=outbox_max_attempts()
            ).update(parked_at=timezone.now())
    except DatabaseError:  # the database itself is down: the re-drive tries again later
        logger.warning("Could not record the failed dispatch of outbox event %s", event_id)
        return
    if parked:
        logger.error(
            "Outbox event %s parked after %s failed dispatches: %s",
            event_id,
            outbox_max_attempts(),
            error,
        )


def outbox_dispatch_batch(*, event_ids: list[int]) -> int:
    """Dispatch several events, each in its own transaction; returns how many were sent. A
    failing event is recorded and logged, and the batch goes on with the next one."""
    sent = 0
    for pk in event_ids:
        try:
            sent += outbox_dispatch(event_id=pk)
        except Exception:
            logger.exception("Dispatch of outbox event %s failed", pk)
    return sent


def outbox_requeue(*, event_ids: Iterable[int]) -> int:
    """Give parked events a fresh set of attempts and dispatch them after commit; returns how
    many. The last error stays on the event until a dispatch succeeds or fails again."""
    ids = list(
        OutboxEvent.objects.parked().filter(pk__in=list(event_ids)).values_list("pk", flat=True)
    )
    if ids:
        OutboxEvent.objects.filter(pk__in=ids).update(parked_at=None, attempts=0)
        _schedule(ids)
    return len(ids)


def outbox_undispatched_ids(*, now: dt.datetime | None = None) -> list[int]:
    """Events that should have been dispatched by now but were not (oldest first); parked
    events wait for an administrator instead."""
    now = now or timezone.now()
    return list(
        OutboxEvent.objects.undispatched()
        .filter(created_at__lte=now - REDRIVE_AFTER, parked_at__isnull=True)
        .order_by("created_at")
        .values_list("pk", flat=True)[:REDRIVE_BATCH]
    )


def outbox_redrive(*, now: dt.datetime | None = None) -> int:
    """Enqueue a dispatch for every overdue event; returns how many. Duplicates are harmless:
    a dispatch of an event already dispatched does nothing."""
    ids = outbox_undispatched_ids(now=now)
    if ids:
        _enqueue(ids)
    return len(ids)
