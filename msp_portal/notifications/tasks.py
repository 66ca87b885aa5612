"""Notification tasks: thin, by id, each calling one service."""

from celery import shared_task

from . import services


@shared_task(name="msp_portal.notifications.tasks.notification_send")
def notification_send(notification_id: int) -> str | None:
    """One attempt at one message (enqueued on commit, and by beat for retries)."""
    return services.notification_send(notification_id=notification_id)


@shared_task(name="msp_portal.notifications.tasks.notifications_send_due")
def notifications_send_due() -> int:
    """Beat runs this every minute: enqueue the messages whose next attempt is due."""
    return services.notifications_send_due()
