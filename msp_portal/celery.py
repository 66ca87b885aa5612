"""The Celery application and the whole beat schedule, in one place."""

import logging
import os

from celery import Celery
from celery.signals import task_postrun, task_prerun, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "msp_portal.settings")

app = Celery("msp_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(
    [
        "msp_portal.core",
        "msp_portal.dashboard",
        "msp_portal.webhooks",
        "msp_portal.notifications",
        "msp_portal.reports",
        "clients",
        "contracts",
        "tickets",
        "monitoring",
    ]
)

# Only the beat that holds the lease in the database sends: a second beat stands by.
app.conf.beat_scheduler = "msp_portal.core.beat:LeasedScheduler"

# Every entry expires before its next run, so a backlog never piles up duplicate ticks.
try:
    _tick = float(max(1, int(os.environ.get("MONITORING_TICK_SECONDS") or 2)))
except ValueError:  # settings.py stops start-up naming the variable
    _tick = 2.0
app.conf.beat_schedule = {
    "monitoring-tick": {
        "task": "monitoring.tasks.monitoring_tick",
        "schedule": _tick,
        "options": {"expires": _tick * 0.9},
    },
    "monitoring-rollup": {
        "task": "monitoring.tasks.monitoring_rollup",
        "schedule": 3600.0,
        "options": {"expires": 3000},
    },
    "monitoring-prune": {
        "task": "monitoring.tasks.monitoring_prune",
        "schedule": 6 * 3600.0,
        "options": {"expires": 3 * 3600},
    },
    "sla-sweep": {
        "task": "tickets.tasks.sla_sweep",
        "schedule": 60.0,
        "options": {"expires": 50},
    },
    "sla-send-escalations": {
        "task": "tickets.tasks.sla_send_escalations",
        "schedule": 300.0,
        "options": {"expires": 240},
    },
    "outbox-redrive": {
        "task": "msp_portal.core.tasks.outbox_redrive",
        "schedule": 60.0,
        "options": {"expires": 50},
    },
    "webhooks-send-due": {
        "task": "msp_portal.webhooks.tasks.webhooks_send_due",
        "schedule": 60.0,
        "options": {"expires": 50},
    },
    "dashboard-rollups": {
        "task": "msp_portal.dashboard.tasks.dashboard_rollups_recent",
        "schedule": 300.0,
        "options": {"expires": 240},
    },
    "notifications-send-due": {
        "task": "msp_portal.notifications.tasks.notifications_send_due",
        "schedule": 60.0,
        "options": {"expires": 50},
    },
    "reports-exports-expire": {
        "task": "msp_portal.reports.tasks.exports_expire",
        "schedule": 3600.0,
        "options": {"expires": 3000},
    },
    "tickets-auto-close": {
        "task": "tickets.tasks.tickets_auto_close",
        "schedule": 3600.0,
        "options": {"expires": 3000},
    },
    "mail-poll": {
        "task": "tickets.tasks.mail_poll",
        "schedule": 60.0,
        "options": {"expires": 50},
    },
    "worker-heartbeat": {
        "task": "msp_portal.core.tasks.worker_heartbeat",
        "schedule": 30.0,
        "options": {"expires": 25},
    },
}


class _QuietTicks(logging.Filter):
    """The monitoring tick runs every 2 s: its "received" and "succeeded" lines at INFO would
    bury everything else in the worker's log. Its warnings and errors still show."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.INFO or "monitoring_tick" not in record.getMessage()


for _name in ("celery.app.trace", "celery.worker.strategy", "celery.beat"):
    logging.getLogger(_name).addFilter(_QuietTicks())


@worker_ready.connect
def _announce_worker(sender, **kwargs) -> None:
    """Beat a first heartbeat at start-up, so /health/ does not wait for the first period."""
    sender.app.send_task("msp_portal.core.tasks.worker_heartbeat", expires=25)


@task_prerun.connect
@task_postrun.connect
def _database_connections_as_for_a_request(task=None, **kwargs) -> None:
    """Close a connection that is broken or older than CONN_MAX_AGE, as Django does around each
    request; a healthy one is kept for the next task (see CELERY_DB_REUSE_MAX). Not for a task
    run inline (tests, CELERY_TASK_ALWAYS_EAGER): it shares its caller's connection."""
    if task is not None and getattr(task.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()
