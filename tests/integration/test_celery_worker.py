"""A real Celery worker, started as a subprocess, runs a task sent through the real broker.

The worker is pointed at the same test database and broker as this test process, so this
passes on the embedded default (SQLite file + filesystem broker) and on PostgreSQL + Redis.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from msp_portal.celery import app as celery_app
from msp_portal.core.models import WorkerHeartbeat

WAIT_SECONDS = 30


def database_url_for(settings_dict: dict) -> str:
    """A DATABASE_URL naming the database this test process is connected to (the test one)."""
    name = str(settings_dict["NAME"])
    if settings_dict["ENGINE"] == "django.db.backends.sqlite3":
        if name == ":memory:" or name.startswith("file:"):
            pytest.fail(f"An in-memory SQLite test database ({name}) cannot be shared.")
        return f"sqlite:///{Path(name).resolve()}"
    user = quote(settings_dict["USER"] or "", safe="")
    password = quote(settings_dict["PASSWORD"] or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    port = f":{settings_dict['PORT']}" if settings_dict["PORT"] else ""
    return f"postgres://{credentials}{settings_dict['HOST'] or ''}{port}/{quote(name)}"


def start_worker(queue: str, log_path: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "msp_portal.settings",
        "SECRET_KEY": settings.SECRET_KEY,
        "DATABASE_URL": database_url_for(connection.settings_dict),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        # The filesystem broker's folders live under VAR_DIR: share them with this process.
        "VAR_DIR": str(settings.VAR_DIR),
        "CELERY_TASK_ALWAYS_EAGER": "0",
    }
    argv = [
        sys.executable, "-m", "celery", "-A", "msp_portal", "worker",
        "--pool", "solo", "--concurrency", "1",
        # A queue of its own: messages left over by an earlier run, or a `make run` worker
        # sharing the broker, cannot interfere.
        "--queues", queue,
        "--hostname", f"{queue}@%h",
        "--without-mingle", "--without-gossip", "--without-heartbeat",
        "--loglevel", "INFO",
    ]  # fmt: skip
    with log_path.open("wb") as log:
        return subprocess.Popen(
            argv, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )


def stop_worker(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()  # warm shutdown
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def delete_queue(queue: str) -> None:
    """Best effort: leave no queue (or unconsumed message) behind in the shared broker."""
    try:
        with celery_app.connection_for_write() as conn:
            # Declared on this channel first, so that kombu knows the bindings to remove.
            bound = celery_app.amqp.queues[queue](conn.default_channel)
            bound.declare()
            bound.delete()
            # The filesystem transport keeps an (emptied) bindings file per exchange.
            control_folder = getattr(conn.default_channel, "control_folder", None)
            if control_folder is not None:
                (Path(control_folder) / f"{queue}.exchange").unlink(missing_ok=True)
    except Exception:  # cleanup must not hide the outcome of the test itself
        pass


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_heartbeat_sent_through_the_broker(monkeypatch, tmp_path):
    assert not WorkerHeartbeat.objects.exists()
    # tests/conftest.py runs tasks inline; this message must go through the broker.
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    queue = f"it-heartbeat-{uuid.uuid4().hex[:12]}"
    log_path = tmp_path / "worker.log"

    worker = start_worker(queue, log_path)
    try:
        celery_app.send_task("msp_portal.core.tasks.worker_heartbeat", queue=queue)
        deadline = time.monotonic() + WAIT_SECONDS
        while not WorkerHeartbeat.objects.filter(name="worker").exists():
            if worker.poll() is not None:
                pytest.fail(
                    f"The worker exited with code {worker.returncode}:\n{log_path.read_text()}"
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"No heartbeat after {WAIT_SECONDS}s; worker log:\n{log_path.read_text()}"
                )
            time.sleep(0.2)
    finally:
        stop_worker(worker)
        delete_queue(queue)

    heartbeat = WorkerHeartbeat.objects.get(name="worker")
    assert heartbeat.hostname
    assert "succeeded" in log_path.read_text()
