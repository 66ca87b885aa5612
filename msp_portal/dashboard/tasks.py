"""The dashboard's Celery task: thin, calling the rollup service."""

from celery import shared_task

from . import rollups


@shared_task(name="msp_portal.dashboard.tasks.dashboard_rollups_recent")
def dashboard_rollups_recent() -> int:
    """Every five minutes (beat): rebuild yesterday's and today's rollups (idempotent)."""
    return rollups.rollups_rebuild_recent()
