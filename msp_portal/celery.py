"""The Celery application and the whole beat schedule, in one place."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "msp_portal.settings")

app = Celery("msp_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["msp_portal.core", "clients", "contracts", "tickets", "monitoring"])

# Every entry expires before its next run, so a backlog never piles up duplicate ticks.
app.conf.beat_schedule = {
    "worker-heartbeat": {
        "task": "msp_portal.core.tasks.worker_heartbeat",
        "schedule": 30.0,
        "options": {"expires": 25},
    },
}
