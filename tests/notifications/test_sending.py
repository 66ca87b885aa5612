"""Sending: claimed once, failures counted and retried later, parked after the last attempt."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.urls import reverse
from django.utils import timezone

from msp_portal.notifications import services
from msp_portal.notifications.models import Notification
from msp_portal.notifications.tasks import notifications_send_due
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp_down(monkeypatch):
    """The mail server refuses every message until ``state["up"]`` is set."""
    state = {"up": False, "calls": 0}
    real = EmailBackend.send_messages

    def send(self, messages):
        state["calls"] += 1
        if not state["up"]:
            raise ConnectionRefusedError("SMTP down")
        return real(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", send)
    return state


@pytest.fixture
def notification(acme, acme_user, committed, smtp_down):
    with committed():
        factories.open_ticket(acme, by=acme_user, subject="Disk full")
    return Notification.objects.get()


def test_a_failed_attempt_is_counted_and_retried_later_with_the_same_message_id(
    notification, smtp_down
):
    assert (notification.status, notification.attempts) == ("failed", 1)
    assert "SMTP down" in notification.last_error
    assert notification.next_attempt_at > timezone.now() + dt.timedelta(seconds=40)
    assert services.notification_due_ids() == []  # not before its delay

    smtp_down["up"] = True
    later = notification.next_attempt_at + dt.timedelta(seconds=1)
    assert services.notification_due_ids(now=later) == [notification.pk]
    assert services.notification_send(notification_id=notification.pk, now=later) == "sent"

    notification.refresh_from_db()
    assert (notification.status, notification.attempts, notification.last_error) == ("sent", 2, "")
    [message] = mail.outbox
    assert message.extra_headers["Message-ID"] == notification.message_id
    assert services.notification_send(notification_id=notification.pk, now=later) is None
    assert len(mail.outbox) == 1


def test_a_message_that_keeps_failing_is_parked_with_its_error_and_can_be_requeued(
    notification, smtp_down, settings, committed, client, admin_user
):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 3
    now = timezone.now()
    for _ in range(2):
        now += dt.timedelta(hours=3)
        services.notification_send(notification_id=notification.pk, now=now)

    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("parked", 3)
    assert notification.parked_at is not None and notification.next_attempt_at is None
    assert "SMTP down" in notification.last_error
    assert services.notification_due_ids(now=now + dt.timedelta(days=30)) == []
    assert services.notification_send(notification_id=notification.pk, now=now) is None
    assert smtp_down["calls"] == 3

    smtp_down["up"] = True
    client.force_login(admin_user)
    url = reverse("admin:notifications_notification_changelist")
    with committed():
        response = client.post(
            url, {"action": "requeue", "_selected_action": [notification.pk]}, follow=True
        )

    assert response.status_code == 200
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("sent", 1)
    assert notification.parked_at is None
    assert len(mail.outbox) == 1


def test_beat_enqueues_only_due_messages(notification, smtp_down, monkeypatch):
    smtp_down["up"] = True
    assert notifications_send_due.delay().get() == 0

    monkeypatch.setattr(
        timezone, "now", lambda: notification.next_attempt_at + dt.timedelta(minutes=1)
    )
    assert notifications_send_due.delay().get() == 1

    notification.refresh_from_db()
    assert notification.status == "sent"
    assert len(mail.outbox) == 1


def test_a_claimed_message_is_not_sent_by_a_second_worker(notification, smtp_down):
    smtp_down["up"] = True
    later = notification.next_attempt_at + dt.timedelta(seconds=1)
    Notification.objects.filter(pk=notification.pk).update(
        claimed_until=later + dt.timedelta(minutes=1)
    )

    assert services.notification_send(notification_id=notification.pk, now=later) is None
    assert mail.outbox == []


def test_a_recipient_deactivated_before_the_attempt_is_skipped(notification, smtp_down, acme_user):
    smtp_down["up"] = True
    acme_user.contact.is_active = False
    acme_user.contact.save(update_fields=["is_active"])
    later = notification.next_attempt_at + dt.timedelta(seconds=1)

    assert services.notification_send(notification_id=notification.pk, now=later) == "skipped"
    notification.refresh_from_db()
    assert notification.status == "skipped" and "inactive" in notification.last_error
    assert mail.outbox == []


def test_a_kind_turned_off_before_the_attempt_is_skipped(notification, smtp_down, acme_user):
    from msp_portal.notifications.models import NotificationPreference

    smtp_down["up"] = True
    NotificationPreference.objects.create(user=acme_user, kind="ticket_opened", enabled=False)
    later = notification.next_attempt_at + dt.timedelta(seconds=1)

    assert services.notification_send(notification_id=notification.pk, now=later) == "skipped"
    assert mail.outbox == []
