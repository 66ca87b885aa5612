"""Operational tasks."""

from celery import shared_task

from .services import heartbeat_record


@shared_task(name="msp_portal.core.tasks.worker_heartbeat")
def worker_heartbeat() -> None:
    """Beat runs this so that /health/ can tell whether a worker is consuming tasks."""
    heartbeat_record(name="worker")
