"""From a ticket change to a signed POST on a real receiver: once, retried, or disabling."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from msp_portal.core.models import AuditEntry, OutboxEvent
from msp_portal.core.outbox import outbox_dispatch, outbox_redrive
from msp_portal.core.tasks import outbox_dispatch as outbox_dispatch_task
from msp_portal.webhooks import services
from msp_portal.webhooks.models import Webhook, WebhookDelivery
from msp_portal.webhooks.tasks import webhook_deliver, webhooks_send_due
from tests import factories

pytestmark = pytest.mark.django_db

Status = WebhookDelivery.Status


def test_an_opened_ticket_reaches_the_receiver_once_signed(
    acme, tech, receiver, make_hook, django_capture_on_commit_callbacks, settings
):
    settings.PORTAL_BASE_URL = "https://portal.msp.test/"
    hook = make_hook(events=["ticket.opened"])

    with django_capture_on_commit_callbacks(execute=True):
        ticket = factories.open_ticket(acme, by=tech, subject="Mail server down", assignee=tech)

    event = OutboxEvent.objects.get(topic="ticket.opened")
    assert event.idempotency_key == f"ticket.opened:{ticket.pk}"
    assert event.client_id == acme.pk
    assert event.dispatched_at is not None
    delivery = WebhookDelivery.objects.get()
    assert (delivery.webhook, delivery.outbox_event, delivery.status) == (hook, event, "succeeded")
    assert (delivery.attempts, delivery.response_status, delivery.response_body) == (1, 200, "ok")
    assert delivery.delivered_at is not None and delivery.duration_ms is not None

    [request] = receiver.requests
    assert request.verified
    assert request.path == "/hooks/msp"
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert request.headers["User-Agent"].startswith("MSP-Portal-Webhooks/")
    assert request.headers["X-MSP-Event"] == "ticket.opened"
    assert request.headers["X-MSP-Delivery"] == str(delivery.pk)
    assert request.headers["X-MSP-Signature"].startswith(
        f"t={request.headers['X-MSP-Timestamp']},v1="
    )
    body = request.json
    assert set(body) == {"id", "topic", "created_at", "data"}
    assert (body["id"], body["topic"]) == (event.pk, "ticket.opened")
    assert body["data"]["ticket"] == {
        "id": ticket.pk,
        "number": ticket.number,
        "reference": ticket.reference,
        "client": {"id": acme.pk, "slug": "acme", "name": "Acme Industries"},
        "subject": "Mail server down",
        "status": "new",
        "priority": ticket.priority,
        "assignee": "tech@msp.test",
        "source": "staff",
        "created_at": body["data"]["ticket"]["created_at"],
        "updated_at": body["data"]["ticket"]["updated_at"],
        "url": f"https://portal.msp.test/tickets/{ticket.number}/",
    }
    assert dt.datetime.fromisoformat(body["data"]["ticket"]["created_at"]) == ticket.created_at


def test_a_tampered_or_stale_request_fails_the_documented_check(receiver, make_hook):
    from msp_portal.webhooks.signing import signature_header, signature_verify

    secret = make_hook().secret
    now = int(timezone.now().timestamp())
    header = signature_header(secret=secret, timestamp=now, body=b'{"a":1}')

    assert signature_verify(secret=secret, header=header, body=b'{"a":1}')
    assert not signature_verify(secret=secret, header=header, body=b'{"a":2}')
    assert not signature_verify(secret="whsec_other", header=header, body=b'{"a":1}')
    assert not signature_verify(secret=secret, header=header, body=b'{"a":1}', now=now + 301)
    assert not signature_verify(secret=secret, header="v1=abc", body=b'{"a":1}')


def test_running_the_dispatch_and_the_delivery_twice_sends_once(
    acme, tech, receiver, make_hook, django_capture_on_commit_callbacks
):
    make_hook()
    with django_capture_on_commit_callbacks(execute=True):
        factories.open_ticket(acme, by=tech)
    event = OutboxEvent.objects.get()
    delivery = WebhookDelivery.objects.get()

    # A redelivered task (late ack) runs every step again.
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox_dispatch_task.delay(event.pk).get() is False
        assert webhook_deliver.delay(delivery.pk).get() is None
        services.webhooks_dispatch(event=event)  # even the consumer alone adds no delivery

    assert WebhookDelivery.objects.count() == 1
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 1)


def test_a_delivery_claimed_by_another_worker_is_not_sent_again(
    acme, tech, receiver, make_hook, django_capture_on_commit_callbacks
):
    make_hook()
    factories.open_ticket(acme, by=tech)  # on-commit callbacks not run: nothing sent yet
    with django_capture_on_commit_callbacks(execute=False):
        outbox_dispatch(event_id=OutboxEvent.objects.get().pk)
    delivery = WebhookDelivery.objects.get()
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        claimed_until=now + dt.timedelta(minutes=1)
    )

    assert services.webhook_deliver(delivery_id=delivery.pk, now=now) is None
    assert services.webhook_due_ids(now=now) == []
    # The claim lapses (the worker died mid-attempt): the delivery is due again.
    later = now + dt.timedelta(minutes=2)
    assert services.webhook_due_ids(now=later) == [delivery.pk]
    assert services.webhook_deliver(delivery_id=delivery.pk, now=later) == "succeeded"
    assert len(receiver.requests) == 1


def test_a_500_is_retried_with_backoff_and_both_attempts_are_logged(
    acme, tech, receiver, make_hook, django_capture_on_commit_callbacks
):
    receiver.statuses = [500]
    make_hook()
    with django_capture_on_commit_callbacks(execute=True):
        factories.open_ticket(acme, by=tech)

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("failed", 1, 500)
    assert delivery.response_body.startswith("receiver says no")
    assert len(delivery.response_body) <= 2048
    first_at = dt.datetime.fromisoformat(delivery.history[0]["at"])
    wait = delivery.next_attempt_at - first_at
    assert dt.timedelta(seconds=48) <= wait <= dt.timedelta(seconds=72)  # 1 min +/- 20 %

    # Not due yet: a re-run of the task or of beat's sweep does nothing.
    assert services.webhook_deliver(delivery_id=delivery.pk) is None
    assert webhooks_send_due.delay().get() == 0
    assert len(receiver.requests) == 1

    later = delivery.next_attempt_at + dt.timedelta(seconds=1)
    assert services.webhook_due_ids(now=later) == [delivery.pk]
    assert services.webhook_deliver(delivery_id=delivery.pk, now=later) == "succeeded"

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("succeeded", 2, 200)
    assert [(h["attempt"], h["status"]) for h in delivery.history] == [(1, 500), (2, 200)]
    first, second = receiver.requests
    assert first.verified and second.verified
    assert first.body == second.body
    assert first.headers["X-MSP-Delivery"] == second.headers["X-MSP-Delivery"]
    assert Webhook.objects.get().consecutive_failures == 0


def test_the_backoff_grows_from_a_minute_to_twelve_hours_with_jitter():
    delays = [services.retry_delay(n).total_seconds() for n in (1, 2, 3, 4, 5, 9)]
    bases = [60, 300, 1800, 7200, 43200, 43200]
    for delay, base in zip(delays, bases, strict=True):
        assert base * 0.8 <= delay <= base * 1.2


def test_an_unreachable_receiver_is_retried_then_given_up(
    acme, tech, make_hook, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    closed = socket_port_nobody_listens_on()
    make_hook(url=f"http://127.0.0.1:{closed}/hook")
    with django_capture_on_commit_callbacks(execute=True):
        factories.open_ticket(acme, by=tech)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed"
    assert "Connection" in delivery.error or "refused" in delivery.error.lower()

    later = delivery.next_attempt_at + dt.timedelta(seconds=1)
    assert services.webhook_deliver(delivery_id=delivery.pk, now=later) == "gave_up"
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.next_attempt_at) == (2, None)
    assert services.webhook_due_ids(now=later + dt.timedelta(days=2)) == []


def socket_port_nobody_listens_on() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_hook_that_keeps_failing_is_disabled_once_audited_and_admins_are_told(
    acme, tech, admin_user, receiver, make_hook, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 3
    french_admin = factories.UserFactory(email="chef@msp.test", role="admin", language="fr")
    factories.UserFactory(email="gone@msp.test", role="admin", is_active=False)
    receiver.statuses = [500] * 10
    hook = make_hook(name="Chat bridge")

    with django_capture_on_commit_callbacks(execute=True):
        for n in range(4):
            factories.open_ticket(acme, by=tech, subject=f"Incident {n}")

    hook.refresh_from_db()
    assert not hook.is_active
    assert hook.disabled_at is not None
    assert "HTTP 500" in hook.disabled_reason
    assert len(receiver.requests) == 3  # the fourth event found the hook disabled
    assert WebhookDelivery.objects.filter(status="failed").count() == 3
    assert WebhookDelivery.objects.filter(status="pending", attempts=0).count() == 1
    [entry] = AuditEntry.objects.filter(action="webhook.disabled")
    assert (entry.object_id, entry.actor) == (str(hook.pk), None)

    assert sorted(m.to[0] for m in mail.outbox) == ["admin@msp.test", "chef@msp.test"]
    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert by_recipient["admin@msp.test"].subject == "Webhook disabled: Chat bridge"
    assert by_recipient["chef@msp.test"].subject == "Webhook désactivé : Chat bridge"
    assert f"/admin/webhooks/webhook/{hook.pk}/change/" in by_recipient["admin@msp.test"].body
    assert french_admin.language == "fr"

    # Nothing more is attempted while it is disabled, and no second mail is sent.
    later = timezone.now() + dt.timedelta(days=1)
    assert services.webhook_due_ids(now=later) == []
    assert all(
        services.webhook_deliver(delivery_id=d.pk, now=later) is None
        for d in WebhookDelivery.objects.all()
    )
    assert len(mail.outbox) == 2

    # Re-enabled, its deliveries resume, and a success resets the count.
    receiver.statuses = []
    assert services.webhook_enable(webhook=hook, actor=admin_user)
    hook.refresh_from_db()
    assert (hook.is_active, hook.consecutive_failures, hook.disabled_reason) == (True, 0, "")
    due = services.webhook_due_ids(now=later)
    assert len(due) == 4
    assert {services.webhook_deliver(delivery_id=pk, now=later) for pk in due} == {"succeeded"}
    assert AuditEntry.objects.filter(action="webhook.enabled", actor=admin_user).count() == 1


def test_a_hook_scoped_to_globex_never_receives_acmes_events(
    acme, globex, tech, receiver, make_hook, django_capture_on_commit_callbacks
):
    globex_hook = make_hook(name="Globex only", client=globex)
    all_hook = make_hook(name="Everyone")

    with django_capture_on_commit_callbacks(execute=True):
        acme_ticket = factories.open_ticket(acme, by=tech, subject="Acme printer")
        globex_ticket = factories.open_ticket(globex, by=tech, subject="Globex VPN")

    globex_deliveries = WebhookDelivery.objects.filter(webhook=globex_hook)
    assert [d.outbox_event.client_id for d in globex_deliveries] == [globex.pk]
    assert WebhookDelivery.objects.filter(webhook=all_hook).count() == 2
    to_globex = {str(d.pk) for d in globex_deliveries}
    globex_received = [r for r in receiver.requests if r.headers["X-MSP-Delivery"] in to_globex]
    assert [r.json["data"]["ticket"]["id"] for r in globex_received] == [globex_ticket.pk]
    assert len(receiver.requests) == 3
    assert acme_ticket.pk not in {r.json["data"]["ticket"]["id"] for r in globex_received}


@pytest.mark.django_db(transaction=True)
def test_an_event_published_in_a_rolled_back_transaction_is_never_dispatched(
    acme, tech, receiver, make_hook
):
    make_hook()

    with pytest.raises(RuntimeError), transaction.atomic():
        factories.open_ticket(acme, by=tech, subject="Never happened")
        assert OutboxEvent.objects.count() == 1
        raise RuntimeError("the business change fails after publishing")

    assert OutboxEvent.objects.count() == 0
    assert outbox_redrive(now=timezone.now() + dt.timedelta(hours=1)) == 0
    assert WebhookDelivery.objects.count() == 0
    assert receiver.requests == []

    # The same change committed for real goes out, on commit, with no test helper involved.
    factories.open_ticket(acme, by=tech, subject="Happened")
    assert [r.json["data"]["ticket"]["subject"] for r in receiver.requests] == ["Happened"]


def test_beat_redrives_an_event_whose_enqueue_was_lost(
    acme, tech, receiver, make_hook, django_capture_on_commit_callbacks
):
    make_hook()
    factories.open_ticket(acme, by=tech)  # committed, but its on-commit enqueue never ran
    event = OutboxEvent.objects.get()

    assert outbox_redrive() == 0  # too young: its own task is presumably on the way
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox_redrive(now=event.created_at + dt.timedelta(minutes=1)) == 1

    event.refresh_from_db()
    assert event.dispatched_at is not None
    assert len(receiver.requests) == 1


def test_beat_sends_due_retries_every_minute_and_each_tick_expires_first():
    from msp_portal.celery import app

    entry = app.conf.beat_schedule["webhooks-send-due"]
    assert entry["task"] == webhooks_send_due.name
    assert entry["options"]["expires"] < entry["schedule"] == 60.0
    assert {webhooks_send_due.name, webhook_deliver.name} <= set(app.tasks)


@pytest.fixture
def dripping_receiver():
    """A receiver that reads the request, then sends its answer one byte every 0.3 s: each read
    is well within the socket timeout, the whole answer never is."""
    import socket
    import threading
    import time

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    stop = threading.Event()

    def serve():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _addr = server.accept()
            except OSError:
                continue
            with conn:
                conn.recv(65536)
                for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 1000:
                    if stop.is_set():
                        break
                    try:
                        conn.sendall(bytes([byte]))
                    except OSError:
                        break
                    time.sleep(0.3)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/hook"
    stop.set()
    thread.join(timeout=5)
    server.close()


def test_a_receiver_that_drips_its_answer_is_cut_off_at_the_total_deadline(
    acme, tech, make_hook, settings, dripping_receiver, django_capture_on_commit_callbacks
):
    import time

    settings.WEBHOOK_TIMEOUT_SECONDS = 1  # each read waits 1 s at most; the whole attempt 2 s
    make_hook(url=dripping_receiver)
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        factories.open_ticket(acme, by=tech)
    elapsed = time.monotonic() - started
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed"
    assert "longer than 2 s in all" in delivery.error
    assert 1.8 < elapsed < 6
