"""The outbox: written with the change, once per key, dispatched once, re-driven if lost."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from msp_portal.core import outbox
from msp_portal.core.models import OutboxEvent
from msp_portal.core.tasks import outbox_redrive as outbox_redrive_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def consumed(monkeypatch):
    """A recording consumer in place of the registered ones (webhooks)."""
    seen: list[int] = []
    monkeypatch.setattr(outbox, "_consumers", {"test": lambda *, event: seen.append(event.pk)})
    return seen


def test_publishing_the_same_key_twice_records_one_event(acme):
    first = outbox.outbox_publish(
        topic="thing.happened", payload={"n": 1}, key="thing:1", client_id=acme.pk
    )
    again = outbox.outbox_publish(topic="thing.happened", payload={"n": 2}, key="thing:1")

    assert first is not None and again is None
    event = OutboxEvent.objects.get()
    assert (event.pk, event.payload, event.client_id) == (first, {"n": 1}, acme.pk)
    assert event.dispatched_at is None


def test_publish_many_returns_only_the_new_events():
    outbox.outbox_publish(topic="t", payload={}, key="a")

    ids = outbox.outbox_publish_many(
        [outbox.OutboxMessage("t", key) for key in ("a", "b", "c", "b")]
    )

    assert len(ids) == 2
    assert set(
        OutboxEvent.objects.filter(pk__in=ids).values_list("idempotency_key", flat=True)
    ) == {
        "b",
        "c",
    }


def test_payloads_keep_dates_and_unicode():
    when = dt.datetime(2026, 6, 2, 10, 0, tzinfo=dt.UTC)
    outbox.outbox_publish(topic="t", payload={"at": when, "text": "Réseau ✓"}, key="k")

    assert OutboxEvent.objects.get().payload == {"at": "2026-06-02T10:00:00Z", "text": "Réseau ✓"}


def test_an_event_in_a_rolled_back_transaction_vanishes_with_its_enqueue(
    consumed, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        outbox.outbox_publish(topic="t", payload={}, key="k")
        raise RuntimeError

    assert not OutboxEvent.objects.exists()
    assert callbacks == [] and consumed == []


def test_a_committed_event_is_dispatched_once_after_commit(
    consumed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        pk = outbox.outbox_publish(topic="t", payload={}, key="k")
        assert consumed == []  # nothing before commit

    assert len(callbacks) == 1
    assert consumed == [pk]
    assert OutboxEvent.objects.get().dispatched_at is not None
    assert outbox.outbox_dispatch(event_id=pk) is False  # a redelivered task
    assert outbox.outbox_dispatch(event_id=pk + 1000) is False  # a vanished event
    assert consumed == [pk]


def test_a_failing_consumer_leaves_the_event_for_the_redrive(
    monkeypatch, django_capture_on_commit_callbacks
):
    calls: list[int] = []

    def flaky(*, event):
        calls.append(event.pk)
        if len(calls) == 1:
            raise ConnectionError("downstream unavailable")

    monkeypatch.setattr(outbox, "_consumers", {"flaky": flaky})
    pk = outbox.outbox_publish(topic="t", payload={}, key="k")
    with pytest.raises(ConnectionError):
        outbox.outbox_dispatch(event_id=pk)
    event = OutboxEvent.objects.get()
    assert event.dispatched_at is None

    later = event.created_at + outbox.REDRIVE_AFTER + dt.timedelta(seconds=1)
    assert outbox.outbox_undispatched_ids(now=event.created_at) == []
    assert outbox.outbox_undispatched_ids(now=later) == [pk]
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.outbox_redrive(now=later) == 1

    event.refresh_from_db()
    assert event.dispatched_at is not None
    assert calls == [pk, pk]
    assert outbox_redrive_task.delay().get() == 0


def test_the_beat_entry_redrives_every_minute_and_expires_before_the_next():
    from msp_portal.celery import app

    entry = app.conf.beat_schedule["outbox-redrive"]
    assert entry["task"] == "msp_portal.core.tasks.outbox_redrive"
    assert entry["options"]["expires"] < entry["schedule"] == 60.0
    assert outbox_redrive_task.name in app.tasks


def test_a_transaction_publishing_many_events_queues_one_task_per_batch(
    django_capture_on_commit_callbacks, monkeypatch
):
    from django.db import connection

    from msp_portal.core import tasks

    sent = []
    monkeypatch.setattr(tasks.outbox_dispatch_batch, "delay", lambda ids: sent.append(ids))
    # Ids published by earlier tests' rolled-back transactions may still wait here; they are
    # drained with the next commit and their dispatch finds nothing. Start clean to count.
    connection.__dict__.pop("_outbox_pending", None)

    with django_capture_on_commit_callbacks(execute=True):
        for n in range(450):
            outbox.outbox_publish(topic="t", payload={}, key=f"k{n}")

    assert [len(batch) for batch in sent] == [200, 200, 50]


# --- failures are counted, and a poison event is parked ---------------------------------------


def forget_pending_dispatches() -> None:
    """The test transaction never commits: drop the on-commit dispatches its publishes left."""
    from django.db import connection

    connection.__dict__.pop("_outbox_pending", None)


def always_failing(*, event):
    raise ConnectionError("downstream unavailable")


def test_a_failed_dispatch_is_counted_with_its_error_outside_the_rolled_back_transaction(
    monkeypatch, acme
):
    from msp_portal.webhooks.models import WebhookDelivery

    # The real consumers first (webhooks writes a delivery row), then one that fails.
    consumers = {**outbox._consumers, "failing": always_failing}
    monkeypatch.setattr(outbox, "_consumers", consumers)
    from msp_portal.webhooks.models import Webhook

    Webhook.objects.create(name="hook", url="https://hooks.test/", events=["ticket.opened"])
    pk = outbox.outbox_publish(topic="ticket.opened", payload={}, key="k", client_id=acme.pk)

    with pytest.raises(ConnectionError):
        outbox.outbox_dispatch(event_id=pk)

    event = OutboxEvent.objects.get()
    assert (event.attempts, event.dispatched_at, event.parked_at) == (1, None, None)
    assert event.last_error == "ConnectionError: downstream unavailable"
    assert not WebhookDelivery.objects.exists()  # rolled back with the failed dispatch


def test_an_event_that_keeps_failing_is_parked_and_no_longer_redriven(
    monkeypatch, settings, django_capture_on_commit_callbacks
):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    monkeypatch.setattr(outbox, "_consumers", {"failing": always_failing})
    pk = outbox.outbox_publish(topic="t", payload={}, key="k")
    later = OutboxEvent.objects.get().created_at + outbox.REDRIVE_AFTER + dt.timedelta(seconds=1)

    for _ in range(5):  # beat's re-drive, minute after minute; the batch task swallows errors
        with django_capture_on_commit_callbacks(execute=True):
            outbox.outbox_redrive(now=later)

    event = OutboxEvent.objects.get()
    assert event.attempts == 3  # parked at the third failure, then left alone
    assert event.parked_at is not None and event.dispatched_at is None
    assert "downstream unavailable" in event.last_error
    assert outbox.outbox_undispatched_ids(now=later) == []
    assert list(OutboxEvent.objects.parked()) == [event]
    assert outbox.outbox_dispatch(event_id=pk) is False  # a stale task does not run it either


def test_one_poison_event_does_not_block_the_rest_of_its_batch(monkeypatch):
    seen: list[int] = []

    def picky(*, event):
        if event.idempotency_key == "poison":
            raise ValueError("cannot handle this one")
        seen.append(event.pk)

    monkeypatch.setattr(outbox, "_consumers", {"picky": picky})
    ids = [outbox.outbox_publish(topic="t", payload={}, key=k) for k in ("a", "poison", "b")]

    assert outbox.outbox_dispatch_batch(event_ids=ids) == 2

    assert seen == [ids[0], ids[2]]
    assert OutboxEvent.objects.get(idempotency_key="poison").attempts == 1


def test_a_requeued_event_gets_fresh_attempts_and_is_dispatched(
    monkeypatch, settings, consumed, django_capture_on_commit_callbacks
):
    pk = outbox.outbox_publish(topic="t", payload={}, key="k")
    OutboxEvent.objects.filter(pk=pk).update(
        attempts=8, parked_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), last_error="boom"
    )
    unparked = outbox.outbox_publish(topic="t", payload={}, key="other")
    forget_pending_dispatches()

    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.outbox_requeue(event_ids=[pk, unparked]) == 1

    event = OutboxEvent.objects.get(pk=pk)
    assert event.dispatched_at is not None and event.parked_at is None
    assert event.attempts == 0
    assert consumed == [pk]


def test_an_admin_sees_the_parked_events_and_requeues_them(
    client, admin_user, consumed, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    from msp_portal.core.models import AuditEntry

    pk = outbox.outbox_publish(topic="t", payload={}, key="stuck-event")
    OutboxEvent.objects.filter(pk=pk).update(
        attempts=8,
        parked_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        last_error="ConnectionError: receiver down",
    )
    outbox.outbox_publish(topic="t", payload={}, key="healthy-event")
    forget_pending_dispatches()
    client.force_login(admin_user)
    url = reverse("admin:core_outboxevent_changelist")

    listed = client.get(url, {"parked": "yes"})
    assert listed.status_code == 200
    assert "stuck-event" in listed.text and "healthy-event" not in listed.text
    detail = client.get(reverse("admin:core_outboxevent_change", args=[pk]))
    assert "ConnectionError: receiver down" in detail.text

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url, {"action": "requeue", "_selected_action": [pk], "index": 0}, follow=True
        )

    assert response.status_code == 200
    assert "1 parked event re-queued." in response.text
    assert consumed == [pk]
    assert OutboxEvent.objects.get(pk=pk).dispatched_at is not None
    entry = AuditEntry.objects.get(action="outbox.requeued")
    assert (entry.actor, entry.data) == (admin_user, {"events": [pk]})
