"""Webhook tasks: thin, by id, each calling one service."""

from celery import shared_task

from . import services


@shared_task(name="msp_portal.webhooks.tasks.webhook_deliver")
def webhook_deliver(delivery_id: int) -> str | None:
    """One attempt at one delivery (enqueued on commit, and by beat for retries)."""
    return services.webhook_deliver(delivery_id=delivery_id)


@shared_task(name="msp_portal.webhooks.tasks.webhooks_send_due")
def webhooks_send_due() -> int:
    """Beat runs this every minute: enqueue the deliveries whose next attempt is due."""
    return services.webhooks_send_due()
