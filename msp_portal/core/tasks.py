"""Operational tasks."""

from celery import shared_task

from . import outbox
from .services import heartbeat_record


@shared_task(name="msp_portal.core.tasks.worker_heartbeat")
def worker_heartbeat() -> None:
    """Beat runs this so that /health/ can tell whether a worker is consuming tasks."""
    heartbeat_record(name="worker")


@shared_task(name="msp_portal.core.tasks.outbox_dispatch")
def outbox_dispatch(event_id: int) -> bool:
    """Hand one committed outbox event to its consumers (enqueued on commit, or by re-drive)."""
    return outbox.outbox_dispatch(event_id=event_id)


@shared_task(name="msp_portal.core.tasks.outbox_dispatch_batch")
def outbox_dispatch_batch(event_ids: list[int]) -> int:
    """Dispatch the events one commit published (one task per commit, not per event)."""
    return outbox.outbox_dispatch_batch(event_ids=event_ids)


@shared_task(name="msp_portal.core.tasks.outbox_redrive")
def outbox_redrive() -> int:
    """Beat runs this every minute: dispatch the events whose on-commit enqueue was lost."""
    return outbox.outbox_redrive()
