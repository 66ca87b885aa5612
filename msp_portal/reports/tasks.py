"""The exports' Celery tasks: thin, taking ids and calling one service each."""

from celery import shared_task

from . import services


@shared_task(name="msp_portal.reports.tasks.export_build")
def export_build(job_id: int) -> bool:
    """Build one reversibility archive (enqueued on commit; a second delivery does nothing)."""
    return services.export_build(job_id=job_id)


@shared_task(name="msp_portal.reports.tasks.exports_expire")
def exports_expire() -> int:
    """Beat, hourly: delete archives past their retention, restart jobs of dead workers."""
    return services.exports_expire()
