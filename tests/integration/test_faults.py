"""Faults, with real processes: two beats started at once, Redis down while a ticket is opened,
Redis restarted with messages queued, PostgreSQL restarted under queries, a worker child killed
in the middle of a dispatch.

Every process is started here (own queue, own schedule files; a private Redis and a private
PostgreSQL cluster where one is stopped -- never the machine's shared servers) and stopped and
removed before the test ends.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from msp_portal.celery import app as celery_app
from msp_portal.core.models import BeatLease, OutboxEvent
from msp_portal.webhooks.models import Webhook, WebhookDelivery
from tests import factories
from tests.integration.test_celery_worker import database_url_for, delete_queue
from tests.integration.test_monitoring_worker import stop_group
from tests.monitoring.targets import closed_port
from tickets.models import Ticket

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

FAULT_APP = "tests.integration.fault_app"


def subprocess_env(queue: str, **extra: str) -> dict[str, str]:
    """The environment of a process that shares this test's database and broker."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "msp_portal.settings",
        "SECRET_KEY": settings.SECRET_KEY,
        "DATABASE_URL": database_url_for(connection.settings_dict),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "VAR_DIR": str(settings.VAR_DIR),
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        **extra,
    }


def spawn(argv: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """In a session of its own, so that stop_group() ends it with its children."""
    with log_path.open("ab") as log:
        return subprocess.Popen(
            argv,
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def celery_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", FAULT_APP, *args]


def worker_argv(queue: str, *, pool: str = "solo") -> list[str]:
    return celery_argv(
        "worker", "--pool", pool, "--concurrency", "1", "--queues", queue,
        "--hostname", f"{queue}@%h", "--without-mingle", "--without-gossip",
        "--loglevel", "INFO",
    )  # fmt: skip


def wait_until(condition, *, seconds: float, what: str, logs: list[Path] = ()) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            tails = "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in logs if p.exists())
            pytest.fail(f"Timed out after {seconds}s waiting for {what}\n{tails}")
        time.sleep(0.1)


def free_port() -> int:
    return closed_port()


@pytest.fixture
def queue() -> Iterator[str]:
    name = f"it-faults-{uuid.uuid4().hex[:10]}"
    yield name
    delete_queue(name)


@pytest.fixture
def acme_hook():
    """A client with a contract, and a hook listening to its new tickets: the consumer effect
    (one WebhookDelivery per hook and event) is what "exactly once" is counted on. The hook's
    address is a closed loopback port: sending fails, harmlessly, and nothing leaves the host."""
    acme = factories.ClientFactory(name="Acme", slug="acme")
    factories.ContractFactory(client=acme)
    hook = Webhook.objects.create(
        name="counter",
        url=f"http://127.0.0.1:{closed_port()}/hook",
        events=["ticket.opened"],
    )
    return acme, hook


# --- a. two beats -----------------------------------------------------------------------------


def drain_origins(queue: str) -> list[str]:
    """Take every message waiting in the queue; the sending process of each (``gen<pid>@host``)."""
    origins = []
    with celery_app.connection_for_read() as conn:
        bound = celery_app.amqp.queues[queue](conn.default_channel)
        while (message := bound.get(no_ack=True)) is not None:
            origins.append(message.headers.get("origin", ""))
    return origins


def sender_pids(origins: list[str]) -> set[int]:
    return {int(origin.split("@")[0].removeprefix("gen")) for origin in origins}


def lease_pid() -> int | None:
    lease = BeatLease.objects.filter(expires_at__gt=timezone.now()).first()
    return int(lease.holder.split(":")[-2]) if lease and lease.holder else None


def test_of_two_beats_started_at_once_only_one_sends_and_the_other_takes_over(queue, tmp_path):
    lease_seconds = 3
    env = subprocess_env(
        queue, MONITORING_TICK_SECONDS="1", FAULT_BEAT_LEASE_SECONDS=str(lease_seconds)
    )
    # Declared first, so that the broker keeps what the beats send before anyone consumes.
    with celery_app.connection_for_write() as conn:
        celery_app.amqp.queues[queue](conn.default_channel).declare()
    logs = [tmp_path / "beat-1.log", tmp_path / "beat-2.log"]
    beats = [
        spawn(
            celery_argv("beat", "--schedule", str(tmp_path / f"schedule-{n}"), "-l", "INFO"),
            env,
            log,
        )
        for n, log in enumerate(logs, 1)
    ]
    try:
        wait_until(lambda: lease_pid() is not None, seconds=20, what="a beat lease", logs=logs)
        holder = lease_pid()
        assert holder in {b.pid for b in beats}
        drain_origins(queue)
        time.sleep(6)  # six monitoring ticks, if only one beat sends
        origins = drain_origins(queue)
        assert len(origins) >= 4, origins
        assert sender_pids(origins) == {holder}

        standby = next(b for b in beats if b.pid != holder)
        stop_group(next(b for b in beats if b.pid == holder), signal.SIGKILL)
        dead_at = time.monotonic()
        wait_until(
            lambda: lease_pid() == standby.pid,
            seconds=lease_seconds + 5,
            what="the standby beat to take the lease",
            logs=logs,
        )
        assert time.monotonic() - dead_at >= lease_seconds - 1.5  # it waited for expiry
        time.sleep(2)
        assert standby.pid in sender_pids(drain_origins(queue))
        assert "standing by" in Path(logs[beats.index(standby)]).read_text()
    finally:
        for proc in beats:
            stop_group(proc)


# --- b. Redis down while a ticket is opened ---------------------------------------------------

OPEN_TICKET = """
import sys, django
django.setup()
from clients.models import Client
from tickets.services import ticket_open
subject = sys.argv[1] if len(sys.argv) > 1 else "Opened while Redis is down"
ticket = ticket_open(client=Client.objects.get(slug="acme"), subject=subject, source="staff")
print("ticket", ticket.pk)
"""


def start_redis(
    port: int, log_path: Path, *, keep_in: Path | None = None
) -> subprocess.Popen[bytes]:
    """A private Redis; ``keep_in`` turns on its append-only file there, synced at every write,
    so what was queued survives a kill."""
    persistence = (
        ["--appendonly", "yes", "--appendfsync", "always", "--dir", str(keep_in)]
        if keep_in
        else ["--appendonly", "no"]
    )
    proc = spawn(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         *persistence, "--daemonize", "no"],
        dict(os.environ),
        log_path,
    )  # fmt: skip

    def answers() -> bool:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return True
        return False

    wait_until(answers, seconds=10, what="the private Redis", logs=[log_path])
    return proc


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")
def test_a_ticket_opened_while_redis_is_down_is_saved_and_notified_once_redis_is_back(
    queue, tmp_path, acme_hook, monkeypatch
):
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)  # through the broker
    _acme, hook = acme_hook
    port = free_port()
    broker_url = f"redis://127.0.0.1:{port}/0"
    env = subprocess_env(queue, CELERY_BROKER_URL=broker_url)
    redis_log, worker_log = tmp_path / "redis.log", tmp_path / "worker.log"
    # Redis is down: nothing listens on the port. The request (here, the service a view calls)
    # must still succeed.
    opened = subprocess.run(
        [sys.executable, "-c", OPEN_TICKET],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert opened.returncode == 0, opened.stderr
    ticket = Ticket.objects.get(subject="Opened while Redis is down")
    event = OutboxEvent.objects.get(idempotency_key=f"ticket.opened:{ticket.pk}")
    assert event.dispatched_at is None
    assert "Error 111" in opened.stderr or "refused" in opened.stderr.lower()  # logged, not raised

    redis = start_redis(port, redis_log)
    worker = None
    try:
        worker = spawn(worker_argv(queue), env, worker_log)
        # Redis drops what is sent to a queue nobody has declared yet.
        wait_until(
            lambda: " ready." in worker_log.read_text(),
            seconds=20,
            what="the worker",
            logs=[worker_log],
        )
        # The re-drive leaves young events to their on-commit task; this one is a minute old.
        OutboxEvent.objects.filter(pk=event.pk).update(
            created_at=timezone.now() - timezone.timedelta(minutes=1)
        )
        # The private Redis, named explicitly: CELERY_BROKER_URL in this process's environment
        # would win over any app configuration.
        with celery_app.connection_for_write(broker_url) as conn:
            for _ in range(2):  # two beats' re-drives, or one redelivered: still one effect
                celery_app.send_task(
                    "msp_portal.core.tasks.outbox_redrive", queue=queue, connection=conn
                )
        wait_until(
            lambda: OutboxEvent.objects.filter(pk=event.pk, dispatched_at__isnull=False).exists(),
            seconds=20,
            what="the re-drive to dispatch the event",
            logs=[worker_log],
        )
        wait_until(
            lambda: worker_log.read_text().count("outbox_redrive") >= 4,  # received + succeeded
            seconds=10,
            what="both re-drives to run",
            logs=[worker_log],
        )
        time.sleep(0.5)
    finally:
        if worker is not None:
            stop_group(worker)
        stop_group(redis)

    event.refresh_from_db()
    assert event.dispatched_at is not None and event.attempts == 0
    assert WebhookDelivery.objects.filter(webhook=hook, outbox_event=event).count() == 1


# --- b2. Redis restarted with messages queued -------------------------------------------------


def queued_messages(broker_url: str, queue: str) -> int:
    """Messages waiting in the queue's Redis lists (kombu keeps one list per priority)."""
    import redis

    server = redis.Redis.from_url(broker_url)
    try:
        return sum(server.llen(key) for key in server.scan_iter(match=f"{queue}*"))
    finally:
        server.close()


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")
@pytest.mark.parametrize("persistent", [False, True], ids=["queue-lost", "queue-kept"])
def test_redis_killed_with_a_message_queued_still_gives_one_effect(
    queue, tmp_path, acme_hook, monkeypatch, persistent
):
    """Without persistence the queued dispatch dies with Redis and the re-drive brings the
    effect back; with persistence the message survives and runs as well as the re-drive.
    Either way: exactly one effect."""
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)  # through the broker
    _acme, hook = acme_hook
    port = free_port()
    broker_url = f"redis://127.0.0.1:{port}/0"
    env = subprocess_env(queue, CELERY_BROKER_URL=broker_url)
    keep_in = tmp_path / "redis-data" if persistent else None
    if keep_in:
        keep_in.mkdir()
    redis_log, worker_log = tmp_path / "redis.log", tmp_path / "worker.log"
    subject = f"Queued before Redis died ({'kept' if persistent else 'lost'})"

    redis = start_redis(port, redis_log, keep_in=keep_in)
    worker = None
    try:
        # A worker declares the queue (Redis drops what is sent to an unbound queue), then stops:
        # the ticket's dispatch will wait in Redis with nobody to take it.
        worker = spawn(worker_argv(queue), env, worker_log)
        wait_until(lambda: " ready." in worker_log.read_text(), seconds=20, what="the worker",
                   logs=[worker_log])  # fmt: skip
        stop_group(worker)
        opened = subprocess.run(
            [sys.executable, "-c", OPEN_TICKET, subject],
            cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert opened.returncode == 0, opened.stderr
        ticket = Ticket.objects.get(subject=subject)
        event = OutboxEvent.objects.get(idempotency_key=f"ticket.opened:{ticket.pk}")
        assert event.dispatched_at is None
        assert queued_messages(broker_url, queue) >= 1

        stop_group(redis, signal.SIGKILL)  # no shutdown save: only the append-only file remains
        redis = start_redis(port, redis_log, keep_in=keep_in)
        assert (queued_messages(broker_url, queue) >= 1) is persistent

        worker = spawn(worker_argv(queue), env, worker_log)
        wait_until(lambda: worker_log.read_text().count(" ready.") >= 2, seconds=20,
                   what="the restarted worker", logs=[worker_log])  # fmt: skip
        OutboxEvent.objects.filter(pk=event.pk).update(
            created_at=timezone.now() - timezone.timedelta(minutes=1)
        )
        with celery_app.connection_for_write(broker_url) as conn:
            celery_app.send_task("msp_portal.core.tasks.outbox_redrive", queue=queue,
                                 connection=conn)  # fmt: skip
        wait_until(
            lambda: OutboxEvent.objects.filter(pk=event.pk, dispatched_at__isnull=False).exists(),
            seconds=20,
            what="the event to be dispatched",
            logs=[worker_log, redis_log],
        )
        wait_until(
            lambda: (
                queued_messages(broker_url, queue) == 0
                and worker_log.read_text().count("outbox_redrive") >= 2
            ),  # received + succeeded
            seconds=20,
            what="the queue to drain",
            logs=[worker_log],
        )
        time.sleep(0.5)
    finally:
        if worker is not None:
            stop_group(worker)
        stop_group(redis)

    assert WebhookDelivery.objects.filter(webhook=hook, outbox_event=event).count() == 1
    if persistent:  # the surviving message ran too, and found the work done
        assert worker_log.read_text().count("outbox_dispatch") >= 2


# --- c. PostgreSQL restarted under queries ----------------------------------------------------

QUERY_LOOP = """
import sys, time, django
django.setup()
from django.core.signals import request_finished, request_started
from django.db import connection
# Each pass is a request: Django checks the connection at the start (CONN_HEALTH_CHECKS) and
# keeps it between requests (CONN_MAX_AGE), as gunicorn's workers do.
deadline = time.monotonic() + float(sys.argv[1])
while time.monotonic() < deadline:
    request_started.send(sender=None)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            print("ok", time.time(), cursor.fetchone()[0], flush=True)
    except Exception as exc:
        print("error", time.time(), type(exc).__name__, flush=True)
    finally:
        request_finished.send(sender=None)
    time.sleep(0.1)
"""


def postgres_bin() -> Path | None:
    for version in sorted(Path("/usr/lib/postgresql").glob("*"), reverse=True):
        if (version / "bin" / "pg_ctl").exists():
            return version / "bin"
    return None


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="restarting PostgreSQL needs PostgreSQL as the test database",
)
@pytest.mark.skipif(postgres_bin() is None, reason="no PostgreSQL server binaries to start one")
def test_queries_succeed_again_after_postgresql_restarts_without_restarting_the_app(tmp_path):
    pg = postgres_bin()
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    # Outside pytest's private tmp (mode 700): the postgres user must reach it.
    cluster = Path(tempfile.mkdtemp(prefix="msp-faults-pg-"))
    data, port = cluster / "data", free_port()
    if as_postgres:
        shutil.chown(cluster, "postgres")
    pg_ctl = [*as_postgres, str(pg / "pg_ctl"), "-D", str(data), "-l", str(cluster / "log")]
    options = ["-o", f"-p {port} -k {cluster} -c listen_addresses=127.0.0.1"]
    loop_log = tmp_path / "loop.log"
    loop = None
    try:
        subprocess.run(
            [*as_postgres, str(pg / "initdb"), "-D", str(data), "-U", "postgres",
             "--auth=trust", "--no-sync"],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        subprocess.run([*pg_ctl, *options, "-w", "start"], check=True, capture_output=True)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "msp_portal.settings",
            "SECRET_KEY": settings.SECRET_KEY,
            "VAR_DIR": str(settings.VAR_DIR),
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{port}/postgres",
        }
        loop = spawn([sys.executable, "-c", QUERY_LOOP, "20"], env, loop_log)

        def lines() -> list[list[str]]:
            """The loop's own lines (Django may log warnings in between)."""
            split = [line.split() for line in loop_log.read_text().splitlines()]
            return [line for line in split if line and line[0] in {"ok", "error"}]

        wait_until(
            lambda: sum(line[0] == "ok" for line in lines()) >= 3,
            seconds=15,
            what="queries before the restart",
            logs=[loop_log],
        )
        before = {line[2] for line in lines() if line[0] == "ok"}
        assert len(before) == 1  # one connection, kept between requests
        subprocess.run([*pg_ctl, *options, "-m", "fast", "-w", "restart"], check=True,
                       capture_output=True, timeout=60)  # fmt: skip
        restarted_at = time.time()
        wait_until(
            lambda: any(line[0] == "ok" and float(line[1]) > restarted_at for line in lines()),
            seconds=10,
            what="a query to succeed after the restart",
            logs=[loop_log],
        )
        time.sleep(0.5)
        assert loop.poll() is None  # the same process, never restarted
        after = [line for line in lines() if float(line[1]) > restarted_at + 0.3]
        assert after and all(line[0] == "ok" for line in after)  # recovered for good
        assert {line[2] for line in after}.isdisjoint(before)  # on a new connection
    finally:
        if loop is not None:
            stop_group(loop)
        subprocess.run([*pg_ctl, "-m", "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(cluster, ignore_errors=True)


# --- d. a worker child killed in the middle of a dispatch -------------------------------------


def test_a_worker_child_killed_mid_dispatch_leaves_the_effect_to_happen_once(
    queue, tmp_path, acme_hook, monkeypatch
):
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)  # through the broker
    acme, hook = acme_hook
    # Written without its on-commit enqueue (that would run inline here): the message is sent
    # below, to the worker's own queue.
    event = OutboxEvent.objects.create(
        topic="ticket.opened", client=acme, idempotency_key="ticket.opened:killed", payload={}
    )
    marker, worker_log = tmp_path / "dispatches", tmp_path / "worker.log"
    env = subprocess_env(
        queue, FAULT_SLOW_CONSUMER=str(marker), FAULT_SLOW_SECONDS="3", FAULT_WORKER_LOST_WAIT="1"
    )
    worker = spawn(worker_argv(queue, pool="prefork"), env, worker_log)
    try:
        celery_app.send_task("msp_portal.core.tasks.outbox_dispatch", args=[event.pk], queue=queue)

        def started() -> list[str]:
            return marker.read_text().split() if marker.exists() else []

        wait_until(lambda: started(), seconds=20, what="the dispatch to start", logs=[worker_log])
        # In the middle of the dispatch: the webhook delivery is written, not yet committed.
        os.kill(int(started()[0]), signal.SIGKILL)
        # Late acknowledgement and reject_on_worker_lost: the message comes back, a new child
        # takes it and dispatches the event from scratch.
        wait_until(
            lambda: OutboxEvent.objects.filter(pk=event.pk, dispatched_at__isnull=False).exists(),
            seconds=25,
            what="the redelivered dispatch",
            logs=[worker_log],
        )
    finally:
        stop_group(worker)

    assert len(marker.read_text().splitlines()) == 2  # killed once, done once
    assert "WorkerLostError" in worker_log.read_text()
    assert WebhookDelivery.objects.filter(webhook=hook, outbox_event=event).count() == 1
