"""Monitoring's Celery tasks: thin, each calling one function of the engine or the rollups."""

from celery import shared_task

from . import engine, rollups


@shared_task(name="monitoring.tasks.monitoring_tick")
def monitoring_tick() -> int:
    """Beat runs this every few seconds: lease the due checks and enqueue one task per batch."""
    return engine.monitoring_tick()


@shared_task(name="monitoring.tasks.monitoring_run_batch")
def monitoring_run_batch(token: str) -> int:
    """Run one leased batch; a duplicate or redelivered task finds nothing left to take."""
    return engine.batch_run(token=token).applied


@shared_task(name="monitoring.tasks.monitoring_rollup")
def monitoring_rollup() -> int:
    """Hourly: roll the last hours' results up per hour and per day (idempotent)."""
    return rollups.rollup_recent()


@shared_task(name="monitoring.tasks.monitoring_prune")
def monitoring_prune() -> int:
    """Daily: delete raw results past retention, in batches, away from the probe path."""
    return rollups.results_prune()
