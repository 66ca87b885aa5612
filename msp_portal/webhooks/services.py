"""Webhooks: fan outbox events out to hooks, send them signed, retry, disable a failing hook.

The path of one event: ``outbox_dispatch`` (core) calls :func:`webhooks_dispatch`, which writes
one ``WebhookDelivery`` per listening hook (unique per hook and event, so a second dispatch adds
none) and enqueues :func:`webhook_deliver` for each after commit. A delivery is claimed by a
conditional UPDATE before it is sent, so two workers never send it at once; the HTTP request
happens outside any transaction. A failed attempt is retried by beat (:func:`webhook_due_ids`)
with exponential backoff and jitter -- not with Celery countdowns, which a broker's visibility
timeout would redeliver early -- and a hook that fails too often in a row is disabled once, with
an audit entry and an e-mail to the MSP administrators.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import json
import logging
import random
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from functools import partial
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from msp_portal.accounts.models import Role, User
from msp_portal.core.audit import audit_record
from msp_portal.core.models import OutboxEvent

from .models import PING_TOPIC, Webhook, WebhookDelivery
from .signing import signature_header
from .targets import IPAddress, check_url

logger = logging.getLogger(__name__)

Status = WebhookDelivery.Status

#: Delay before the retry that follows the n-th failed attempt (1 min, 5 min, 30 min, 2 h, 12 h;
#: the last one repeats if WEBHOOK_MAX_ATTEMPTS asks for more), each spread by +/- 20 %.
RETRY_DELAYS = (60, 300, 1800, 7200, 43200)
JITTER = 0.2
RESPONSE_BODY_LIMIT = 2048
HISTORY_BODY_LIMIT = 200
USER_AGENT = "MSP-Portal-Webhooks/1.0"
DUE_BATCH = 500


def retry_delay(failed_attempts: int) -> dt.timedelta:
    """How long to wait after the n-th failed attempt (n >= 1), jittered so that the hooks of a
    receiver that came back do not all retry in the same second."""
    base = RETRY_DELAYS[min(max(failed_attempts, 1), len(RETRY_DELAYS)) - 1]
    return dt.timedelta(seconds=base * random.uniform(1 - JITTER, 1 + JITTER))


def _enqueue(ids: list[int]) -> None:
    from .tasks import webhook_deliver

    for pk in ids:
        webhook_deliver.delay(pk)


# --- fan-out --------------------------------------------------------------------------------


def webhooks_dispatch(*, event: OutboxEvent) -> list[int]:
    """Fan one outbox event out to the active hooks that listen to it (a hook scoped to a
    client receives that client's events only); returns the new deliveries' ids.

    The outbox consumer: it runs inside ``outbox_dispatch``'s transaction, under the event's
    row lock, which marks the event dispatched when it returns.
    """
    hooks = Webhook.objects.listening(topic=event.topic, client_id=event.client_id)
    if not hooks:
        return []
    now = timezone.now()
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(webhook=hook, outbox_event=event, next_attempt_at=now, created_at=now)
            for hook in hooks
        ],
        ignore_conflicts=True,  # unique per hook and event: a second dispatch adds nothing
    )
    ids = list(
        WebhookDelivery.objects.filter(
            outbox_event=event, status=Status.PENDING, attempts=0
        ).values_list("pk", flat=True)
    )
    transaction.on_commit(partial(_enqueue, ids), robust=True)
    return ids


# --- sending ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """What one HTTP attempt gave: a status and body, or an error."""

    status: int | None
    body: str
    error: str
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def delivery_body(event: OutboxEvent) -> bytes:
    """The JSON document POSTed for an event; the same bytes on every attempt."""
    document = {
        "id": event.pk,
        "topic": event.topic,
        "created_at": event.created_at.isoformat(),
        "data": event.payload,
    }
    return json.dumps(
        document, cls=DjangoJSONEncoder, separators=(",", ":"), ensure_ascii=False
    ).encode()


def delivery_headers(delivery: WebhookDelivery, body: bytes, *, timestamp: int) -> dict:
    """Headers of one attempt: the event, the delivery (stable across retries) and the
    signature (fresh for each attempt, so retries stay inside a receiver's replay window)."""
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-MSP-Event": delivery.outbox_event.topic,
        "X-MSP-Delivery": str(delivery.pk),
        "X-MSP-Timestamp": str(timestamp),
        "X-MSP-Signature": signature_header(
            secret=delivery.webhook.secret, timestamp=timestamp, body=body
        ),
    }


def _pinned_connection(url: str, ip: IPAddress, timeout: float) -> http.client.HTTPConnection:
    """A connection to ``url``'s host that connects to ``ip`` -- the address just checked --
    while keeping the host name for the Host header, SNI and certificate verification."""
    parts = urlsplit(url)
    cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = cls(parts.hostname, parts.port, timeout=timeout)

    def connect_to_checked_ip(address, timeout=None, source_address=None):
        return socket.create_connection((str(ip), address[1]), timeout, source_address)

    conn._create_connection = connect_to_checked_ip
    return conn


def _deadline_seconds() -> float:
    """The whole attempt's time limit: the socket timeout bounds each read, not their sum, so a
    receiver dripping one byte at a time could otherwise hold a worker (and outlive the
    delivery's claim, see ``_claim``) for ever."""
    return settings.WEBHOOK_TIMEOUT_SECONDS * 2


def _cut_off(conn: http.client.HTTPConnection, expired: threading.Event) -> None:
    """Called by the deadline's timer: shut the socket, so the pending read fails at once."""
    expired.set()
    sock = conn.sock
    if sock is not None:
        with contextlib.suppress(OSError):  # already closed: nothing left to cut
            sock.shutdown(socket.SHUT_RDWR)


def _post(url: str, body: bytes, headers: dict) -> Attempt:
    """One POST, redirects not followed, within a total deadline and reading at most
    RESPONSE_BODY_LIMIT bytes of the answer; never raises for network or HTTP trouble."""
    started = time.monotonic()
    status, text, error = None, "", ""
    conn = None
    expired = threading.Event()
    timer = None
    try:
        ip = check_url(url)[0]  # again at send time: DNS may have changed since the hook's save
        conn = _pinned_connection(url, ip, settings.WEBHOOK_TIMEOUT_SECONDS)
        timer = threading.Timer(_deadline_seconds(), _cut_off, args=(conn, expired))
        timer.daemon = True
        timer.start()
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn.request("POST", target, body=body, headers=headers)
        response = conn.getresponse()
        status = response.status
        text = response.read(RESPONSE_BODY_LIMIT).decode("utf-8", errors="replace")
    except ValidationError as exc:
        error = "; ".join(exc.messages)
    except (OSError, http.client.HTTPException) as exc:
        error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    finally:
        if timer is not None:
            timer.cancel()
        if conn is not None:
            conn.close()
    if expired.is_set():
        status, text = None, ""
        error = f"The receiver took longer than {_deadline_seconds():g} s in all."
    duration = int((time.monotonic() - started) * 1000)
    return Attempt(status=status, body=text, error=error[:500], duration_ms=duration)


def _claim(delivery_id: int, now: dt.datetime) -> bool:
    """Take the delivery for one attempt: a conditional UPDATE that changes one row only if the
    delivery is due, unclaimed (or its claim lapsed) and its hook active."""
    lease = dt.timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS * 3 + 30)
    return bool(
        WebhookDelivery.objects.filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
            pk=delivery_id,
            status__in=[Status.PENDING, Status.FAILED],
            next_attempt_at__lte=now,
            webhook__is_active=True,
        ).update(claimed_until=now + lease, attempts=F("attempts") + 1)
    )


def webhook_deliver(*, delivery_id: int, now: dt.datetime | None = None) -> str | None:
    """Make one attempt at a due delivery and record its outcome; returns the new status, or
    None when there was nothing to do (already sent, not due, claimed elsewhere, hook off)."""
    if not _claim(delivery_id, now or timezone.now()):
        return None
    delivery = WebhookDelivery.objects.select_related("webhook", "outbox_event").get(pk=delivery_id)
    body = delivery_body(delivery.outbox_event)
    headers = delivery_headers(delivery, body, timestamp=int(time.time()))
    attempt = _post(delivery.webhook.url, body, headers)
    return _record(delivery, attempt, now=now or timezone.now())


@transaction.atomic
def _record(delivery: WebhookDelivery, attempt: Attempt, *, now: dt.datetime) -> str:
    """Store the attempt's outcome, schedule the retry, and count the hook's failures."""
    # The claim is held, so nobody else writes this row's log meanwhile.
    entry = {
        "attempt": delivery.attempts,
        "at": now.isoformat(),
        "status": attempt.status,
        "error": attempt.error,
        "duration_ms": attempt.duration_ms,
        "body": attempt.body[:HISTORY_BODY_LIMIT],
    }
    outcome = {
        "response_status": attempt.status,
        "response_body": attempt.body,
        "error": attempt.error,
        "duration_ms": attempt.duration_ms,
        "history": [*delivery.history, entry],
        "claimed_until": None,
    }
    hook = delivery.webhook
    if attempt.succeeded:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=Status.SUCCEEDED, delivered_at=now, next_attempt_at=None, **outcome
        )
        Webhook.objects.filter(pk=hook.pk, consecutive_failures__gt=0).update(
            consecutive_failures=0
        )
        return Status.SUCCEEDED
    if delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        status, next_at = Status.GAVE_UP, None
    else:
        status, next_at = Status.FAILED, now + retry_delay(delivery.attempts)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=status, next_attempt_at=next_at, **outcome
    )
    Webhook.objects.filter(pk=hook.pk).update(consecutive_failures=F("consecutive_failures") + 1)
    _disable_if_failing(hook, attempt, now=now)
    return status


def _describe(attempt: Attempt) -> str:
    if attempt.status is not None:
        return _("HTTP %(status)s") % {"status": attempt.status}
    return attempt.error or _("no response")


def _disable_if_failing(hook: Webhook, attempt: Attempt, *, now: dt.datetime) -> None:
    """Disable the hook when its failures in a row reach the limit. The conditional UPDATE
    flips it once, so the audit entry and the e-mail happen once however many workers fail."""
    limit = settings.WEBHOOK_DISABLE_AFTER_FAILURES
    reason = _("%(count)s failed deliveries in a row; the last one: %(error)s") % {
        "count": limit,
        "error": _describe(attempt),
    }
    flipped = Webhook.objects.filter(
        pk=hook.pk, is_active=True, consecutive_failures__gte=limit
    ).update(is_active=False, disabled_at=now, disabled_reason=reason[:500])
    if not flipped:
        return
    hook.refresh_from_db()
    audit_record(
        actor=None,
        action="webhook.disabled",
        client_id=hook.client_id,
        obj=hook,
        data={"reason": hook.disabled_reason, "failures": hook.consecutive_failures},
    )
    transaction.on_commit(partial(_mail_admins_disabled, hook.pk), robust=True)


def _mail_admins_disabled(webhook_id: int) -> None:
    """Tell every active MSP administrator, each in their own language."""
    hook = Webhook.objects.get(pk=webhook_id)
    admin_url = settings.PORTAL_BASE_URL.rstrip("/") + reverse(
        "admin:webhooks_webhook_change", args=[hook.pk]
    )
    messages = []
    admins = User.objects.filter(role=Role.ADMIN, is_active=True).exclude(email="")
    for admin in admins.order_by("pk"):
        with translation.override(admin.language or settings.LANGUAGE_CODE):
            context = {"webhook": hook, "admin_url": admin_url}
            subject = render_to_string("webhooks/email/disabled_subject.txt", context)
            body = render_to_string("webhooks/email/disabled.txt", context)
        message = EmailMessage(subject=" ".join(subject.split()), body=body, to=[admin.email])
        message.extra_headers["Auto-Submitted"] = "auto-generated"
        messages.append(message)
    if messages:
        with get_connection() as mail:
            mail.send_messages(messages)


def webhook_due_ids(*, now: dt.datetime | None = None) -> list[int]:
    """Deliveries whose next attempt is due (retries, and first attempts whose enqueue was
    lost), oldest first; beat enqueues one attempt for each."""
    now = now or timezone.now()
    return list(
        WebhookDelivery.objects.filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
            status__in=[Status.PENDING, Status.FAILED],
            next_attempt_at__lte=now,
            webhook__is_active=True,
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:DUE_BATCH]
    )


def webhooks_send_due(*, now: dt.datetime | None = None) -> int:
    """Enqueue an attempt for every due delivery; returns how many."""
    ids = webhook_due_ids(now=now)
    _enqueue(ids)
    return len(ids)


# --- administration -------------------------------------------------------------------------


@transaction.atomic
def webhook_ping(*, webhook: Webhook, actor, request: HttpRequest | None = None) -> int:
    """Send a test event to this one hook; returns the delivery's id.

    The event is written already dispatched: it is meant for this hook only, not fanned out.
    """
    if not webhook.is_active:
        raise ValidationError(_("Re-enable the webhook before sending it a test event."))
    now = timezone.now()
    event = OutboxEvent.objects.create(
        topic=PING_TOPIC,
        client_id=webhook.client_id,
        payload={"webhook": {"id": webhook.pk, "name": webhook.name}, "message": "ping"},
        idempotency_key=f"{PING_TOPIC}:{webhook.pk}:{uuid.uuid4().hex}",
        created_at=now,
        dispatched_at=now,
    )
    delivery = WebhookDelivery.objects.create(
        webhook=webhook, outbox_event=event, next_attempt_at=now, created_at=now
    )
    audit_record(
        actor=actor, action="webhook.ping", request=request, client_id=webhook.client_id,
        obj=webhook, data={"delivery": delivery.pk},
    )  # fmt: skip
    transaction.on_commit(partial(_enqueue, [delivery.pk]), robust=True)
    return delivery.pk


@transaction.atomic
def webhook_enable(*, webhook: Webhook, actor, request: HttpRequest | None = None) -> bool:
    """Re-enable a disabled hook with its failure count reset; its pending retries resume.
    Returns False when it was already active."""
    enabled = Webhook.objects.filter(pk=webhook.pk, is_active=False).update(
        is_active=True, consecutive_failures=0, disabled_at=None, disabled_reason=""
    )
    if enabled:
        audit_record(
            actor=actor, action="webhook.enabled", request=request,
            client_id=webhook.client_id, obj=webhook,
        )  # fmt: skip
    return bool(enabled)
