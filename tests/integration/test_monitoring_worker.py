"""The monitoring engine in real processes: beat ticks, a Celery worker runs the batches and the
outbox opens the tickets, through the configured broker and database (filesystem + SQLite by
default, Redis + PostgreSQL in CI); and a worker killed in the middle of a batch loses nothing
and duplicates nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from monitoring import engine
from monitoring.models import Check, CheckResult
from msp_portal.celery import app as celery_app
from tests import factories
from tests.integration.test_celery_worker import database_url_for, delete_queue
from tests.monitoring.targets import HttpTarget, closed_port
from tickets.models import Ticket

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

LEASE_SECONDS = 10


def start_worker(queue: str, log_path: Path, *, beat_schedule: Path | None = None):
    """A worker (prefork, two processes) in its own session, so the whole group can be killed;
    every task it sends goes to its own queue."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "msp_portal.settings",
        "SECRET_KEY": settings.SECRET_KEY,
        "DATABASE_URL": database_url_for(connection.settings_dict),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "VAR_DIR": str(settings.VAR_DIR),
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "MONITORING_ALLOWED_NETWORKS": "127.0.0.0/8",
        "MONITORING_LEASE_SECONDS": str(LEASE_SECONDS),
        "MONITORING_TICK_SECONDS": "1",
    }
    argv = [
        sys.executable, "-m", "celery", "-A", "msp_portal", "worker",
        "--pool", "prefork", "--concurrency", "2", "--queues", queue,
        "--hostname", f"{queue}@%h", "--without-mingle", "--without-gossip",
        "--loglevel", "INFO",
    ]  # fmt: skip
    if beat_schedule is not None:
        argv += ["--beat", "--schedule", str(beat_schedule)]
    with log_path.open("ab") as log:
        return subprocess.Popen(
            argv,
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop_group(proc: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def wait_for(condition, *, seconds: float, proc, log_path: Path, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"The worker exited ({proc.returncode}):\n{log_path.read_text()[-4000:]}")
        if time.monotonic() > deadline:
            log = log_path.read_text()[-4000:]
            pytest.fail(f"Timed out waiting for {what}; worker log:\n{log}")
        time.sleep(0.2)


@pytest.fixture
def queue():
    name = f"it-monitoring-{uuid.uuid4().hex[:10]}"
    yield name
    delete_queue(name)


@pytest.fixture
def target():
    with HttpTarget() as served:
        yield served


def test_beat_and_a_real_worker_run_checks_and_open_a_ticket(queue, target, tmp_path):
    acme = factories.ClientFactory(name="Acme", slug="acme")
    factories.ContractFactory(client=acme)
    up = factories.CheckFactory(client=acme, kind=Check.Kind.HTTP, config={"url": target.url})
    down = factories.CheckFactory(
        client=acme,
        kind=Check.Kind.TCP,
        config={"host": "127.0.0.1", "port": closed_port()},
        failure_threshold=1,
    )
    log_path = tmp_path / "worker.log"
    worker = start_worker(queue, log_path, beat_schedule=tmp_path / "beat-schedule")
    try:
        wait_for(
            lambda: Ticket.objects.filter(source=Ticket.Source.MONITORING).exists(),
            seconds=60,
            proc=worker,
            log_path=log_path,
            what="the monitoring ticket",
        )
        wait_for(
            lambda: Check.objects.get(pk=up.pk).state == "up",
            seconds=30,
            proc=worker,
            log_path=log_path,
            what="the HTTP check to be up",
        )
    finally:
        stop_group(worker)
    down.refresh_from_db()
    assert down.state == "down"
    assert down.open_ticket.source == Ticket.Source.MONITORING
    assert target.requests >= 1
    log = log_path.read_text()
    assert "monitoring.tasks.monitoring_run_batch" in log
    # The tick (every second here) stays out of the log, but for the banner's list of tasks.
    assert log.count("monitoring_tick") <= 1


def test_a_worker_killed_mid_batch_loses_no_check_and_duplicates_no_ticket(
    queue, tmp_path, settings, monkeypatch
):
    settings.MONITORING_LEASE_SECONDS = LEASE_SECONDS
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    acme = factories.ClientFactory(name="Acme", slug="acme")
    factories.ContractFactory(client=acme)
    # The answer takes 3 s and lacks the keyword: each run is in flight a while, then fails.
    slow = HttpTarget(mode="slow", delay=3).start()
    checks = factories.CheckFactory.create_batch(
        10,
        client=acme,
        kind=Check.Kind.HTTP,
        config={"url": slow.url, "keyword": "never-there"},
        failure_threshold=1,
        timeout_seconds=6,
    )
    sent: list[str] = []

    def enqueue(token: str) -> None:
        sent.append(token)
        celery_app.send_task("monitoring.tasks.monitoring_run_batch", args=[token], queue=queue)

    log_path = tmp_path / "worker.log"
    first = start_worker(queue, log_path)
    second = None
    try:
        Check.objects.update(next_run_at=timezone.now())
        assert engine.monitoring_tick(enqueue=enqueue) == 10
        wait_for(lambda: slow.requests >= 10, seconds=30, proc=first, log_path=log_path,
                 what="the batch to be in flight")  # fmt: skip
        stop_group(first, signal.SIGKILL)
        assert not CheckResult.objects.exists()  # killed before it could write anything
        assert Check.objects.exclude(lease_token="").count() == 10

        second = start_worker(queue, log_path)
        # The dead batch's message, delivered again: it must find nothing left to take.
        enqueue(sent[0])
        # Until the lease expires, nothing can take those checks again ...
        assert engine.monitoring_tick(enqueue=enqueue) == 0
        time.sleep(LEASE_SECONDS + 0.5)
        # ... then the next tick does.
        assert engine.monitoring_tick(enqueue=enqueue) == 10
        wait_for(
            lambda: (
                Ticket.objects.filter(source=Ticket.Source.MONITORING).count() == 10
                and not Check.objects.exclude(lease_token="").exists()
            ),
            seconds=60,
            proc=second,
            log_path=log_path,
            what="every check to run again and open its ticket",
        )
        time.sleep(1)  # let any duplicate that would happen, happen
    finally:
        stop_group(second) if second else None
        stop_group(first, signal.SIGKILL)
        slow.stop()

    assert CheckResult.objects.count() == 10
    for check in checks:
        assert CheckResult.objects.filter(monitor=check).count() == 1
        check.refresh_from_db()
        assert check.state == "down"
    assert Ticket.objects.filter(source=Ticket.Source.MONITORING).count() == 10
    assert slow.requests == 20  # ten runs lost with the first worker, ten by the second
