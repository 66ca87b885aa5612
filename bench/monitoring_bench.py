"""Monitoring benchmark: the real engine (beat + worker + PostgreSQL + Redis) against a local
HTTP target, for a fixed time.

Run with ``make bench-monitoring``. It

1. recreates the database ``BENCH_MONITORING_DATABASE_URL`` (default
   postgres://postgres@127.0.0.1:5432/msp_portal_bench_monitoring) and migrates it;
2. starts the target: nginx (Debian's nginx-light) answering 200 on 127.0.0.1, or, where nginx
   is not installed, the aiohttp test server of tests/monitoring/targets.py in its own process;
3. creates ``--checks`` HTTP checks (default 100,000, every 60 s, spread over the minute as the
   engine spreads them) for ``--clients`` clients;
4. starts ``celery beat`` and ``celery worker`` (prefork, ``--concurrency`` processes) on a
   Redis broker (``BENCH_BROKER_URL``, default redis://127.0.0.1:6379/14) and a queue of their
   own, and lets them run for ``--seconds``;
5. measures over the last ``--seconds - --warmup`` seconds, from the results in the database:
   checks per second, scheduling lag (start of the probe minus its scheduled time) p50 and p99,
   machine CPU use (all cores, every process: PostgreSQL, Redis, nginx and the engine), and
   duplicate runs (two results for one check and one scheduled time; must be 0).

The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DB_URL = os.environ.get(
    "BENCH_MONITORING_DATABASE_URL",
    "postgres://postgres@127.0.0.1:5432/msp_portal_bench_monitoring",
)
BROKER_URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/14")
QUEUE = "bench-monitoring"
VAR_DIR = Path(tempfile.mkdtemp(prefix="msp-bench-monitoring-"))
ENV = {
    **os.environ,
    "DJANGO_SETTINGS_MODULE": "msp_portal.settings",
    "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-only-not-secret",
    "DATABASE_URL": DB_URL,
    "CELERY_BROKER_URL": BROKER_URL,
    "CELERY_TASK_DEFAULT_QUEUE": QUEUE,
    "CELERY_TASK_ALWAYS_EAGER": "0",
    "VAR_DIR": str(VAR_DIR),
    "MONITORING_ALLOWED_NETWORKS": "127.0.0.0/8",
    "LOG_LEVEL": "WARNING",
}
os.environ.update(ENV)

import django  # noqa: E402


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def recreate_database() -> None:
    import psycopg2

    parts = urlsplit(DB_URL)
    name = parts.path.lstrip("/")
    admin = psycopg2.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username or "postgres",
        password=parts.password, dbname="postgres",
    )  # fmt: skip
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def flush_broker() -> None:
    import redis

    redis.Redis.from_url(BROKER_URL).flushdb()


NGINX_CONF = """
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    keepalive_requests 100000;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{ default_type text/plain; return 200 "ok monitoring target\\n"; }}
    }}
}}
"""


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_target() -> tuple[subprocess.Popen, str, str]:
    port = free_port()
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "")
    if nginx:
        folder = VAR_DIR / "nginx"
        folder.mkdir()
        conf = folder / "nginx.conf"
        conf.write_text(NGINX_CONF.format(dir=folder, port=port))
        proc = subprocess.Popen([nginx, "-c", str(conf), "-g", "daemon off;"], stdout=sys.stderr)
        kind = "nginx"
    else:
        code = (
            f"import sys, time; sys.path.insert(0, {str(ROOT)!r})\n"
            "from tests.monitoring.targets import HttpTarget\n"
            "t = HttpTarget().start(); print(t.port, flush=True)\n"
            "while True: time.sleep(3600)\n"
        )
        proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE)
        port = int(proc.stdout.readline())
        kind = "python"
    deadline = time.monotonic() + 10
    import urllib.request

    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).read()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    return proc, f"http://127.0.0.1:{port}/", kind


def create_checks(n: int, clients: int, url: str, interval: int) -> None:
    import datetime as dt

    from django.db import connection
    from django.utils import timezone

    from clients.models import Client
    from monitoring import engine
    from monitoring.models import Check, new_heartbeat_token

    Client.objects.bulk_create(
        [Client(name=f"Bench client {i}", slug=f"bench-{i}") for i in range(clients)],
        batch_size=2000,
    )
    client_ids = list(Client.objects.values_list("pk", flat=True))
    start = timezone.now() + dt.timedelta(seconds=5)
    batch = []
    for i in range(n):
        batch.append(
            Check(
                client_id=client_ids[i % len(client_ids)],
                name=f"Web {i}",
                kind=Check.Kind.HTTP,
                config={"url": url, "expected_status": [200]},
                interval_seconds=interval,
                timeout_seconds=5,
                heartbeat_token=new_heartbeat_token(),
            )
        )
        if len(batch) == 5000:
            Check.objects.bulk_create(batch)
            batch = []
    if batch:
        Check.objects.bulk_create(batch)
    # Spread as the engine spreads them (engine.next_slot), computed by PostgreSQL.
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE monitoring_check AS c
            SET next_run_at = to_timestamp(
                (floor((%(t)s - o.off) / c.interval_seconds) + 1) * c.interval_seconds + o.off)
            FROM (SELECT id, (id * %(phi)s - floor(id * %(phi)s)) * interval_seconds AS off
                  FROM monitoring_check) AS o
            WHERE o.id = c.id
            """,
            {"t": start.timestamp(), "phi": engine._SPREAD},
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE monitoring_check")


def cpu_times() -> tuple[float, float]:
    with open("/proc/stat") as f:
        fields = [float(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields), idle


def process_cpu() -> dict[int, tuple[str, int, float]]:
    """pid -> (name, parent pid, CPU seconds so far) for every process on the machine."""
    tick = os.sysconf("SC_CLK_TCK")
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                raw = f.read()
        except OSError:
            continue
        name = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        found[int(entry)] = (name, int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    return found


def cpu_by_role(before: dict, after: dict, engine_pids: set[int], seconds: float) -> dict:
    """Share of one core used by each role over the window (100 = one core busy)."""

    def role(pid: int) -> str:
        name = after[pid][0]
        seen = set()
        while pid and pid not in seen:
            if pid in engine_pids:
                return "engine"
            seen.add(pid)
            pid = after.get(pid, ("", 0, 0))[1]
        return name if name in ("postgres", "redis-server", "nginx") else "other"

    used: dict[str, float] = {}
    for pid, (_name, _parent, cpu) in after.items():
        delta = cpu - before.get(pid, ("", 0, 0.0))[2]
        if delta > 0:
            used[role(pid)] = used.get(role(pid), 0.0) + delta
    return {k: round(100 * v / seconds, 1) for k, v in sorted(used.items())}


def start_engine(concurrency: int) -> list[subprocess.Popen]:
    celery = [sys.executable, "-m", "celery", "-A", "msp_portal"]
    worker = subprocess.Popen(
        [*celery, "worker", "--pool", "prefork", "--concurrency", str(concurrency),
         "--queues", QUEUE, "--hostname", f"{QUEUE}@%h", "--without-mingle",
         "--without-gossip", "--loglevel", "WARNING"],
        cwd=ROOT, env=ENV, stdout=sys.stderr,
    )  # fmt: skip
    beat = subprocess.Popen(
        [*celery, "beat", "--schedule", str(VAR_DIR / "beat-schedule"), "--loglevel", "WARNING"],
        cwd=ROOT,
        env=ENV,
        stdout=sys.stderr,
    )
    return [worker, beat]


def stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()


def measure(since, until) -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*),
                   percentile_cont(0.5) WITHIN GROUP (
                       ORDER BY extract(epoch FROM checked_at - scheduled_at)),
                   percentile_cont(0.99) WITHIN GROUP (
                       ORDER BY extract(epoch FROM checked_at - scheduled_at)),
                   count(*) FILTER (WHERE outcome <> 'success')
            FROM monitoring_checkresult
            WHERE checked_at >= %s AND checked_at < %s
            """,
            [since, until],
        )
        count, lag50, lag99, not_ok = cursor.fetchone()
        cursor.execute(
            """
            SELECT coalesce(sum(n - 1), 0) FROM (
                SELECT count(*) AS n FROM monitoring_checkresult
                WHERE scheduled_at IS NOT NULL
                GROUP BY monitor_id, scheduled_at HAVING count(*) > 1
            ) d
            """
        )
        (duplicates,) = cursor.fetchone()
        cursor.execute(
            "SELECT count(*) FROM monitoring_check WHERE enabled AND next_run_at < now() - "
            "make_interval(secs => 2 * interval_seconds)"
        )
        (stale,) = cursor.fetchone()
    return {
        "results": count,
        "lag_p50_s": round(lag50 or 0, 3),
        "lag_p99_s": round(lag99 or 0, 3),
        "not_success": not_ok,
        "duplicate_runs": int(duplicates),
        "stale_checks": stale,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--interval", type=int, default=60)
    parser.add_argument("--seconds", type=int, default=180)
    parser.add_argument("--warmup", type=int, default=75)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()

    log(f"Recreating {urlsplit(DB_URL).path.lstrip('/')} and migrating ...")
    recreate_database()
    flush_broker()
    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    target, url, target_kind = start_target()
    procs: list[subprocess.Popen] = [target]
    try:
        log(f"Creating {args.checks:,} checks against {url} ({target_kind}) ...")
        create_checks(args.checks, args.clients, url, args.interval)
        connection.close()
        log(f"Running beat + worker (prefork x{args.concurrency}) for {args.seconds} s ...")
        procs += start_engine(args.concurrency)
        started = timezone.now()
        time.sleep(args.warmup)
        since = timezone.now()
        total0, idle0 = cpu_times()
        procs0 = process_cpu()
        time.sleep(args.seconds - args.warmup)
        total1, idle1 = cpu_times()
        procs1 = process_cpu()
        until = timezone.now()
    finally:
        stop(procs[1:])
        stop(procs[:1])
    figures = measure(since, until)
    seconds = (until - since).total_seconds()
    roles = cpu_by_role(procs0, procs1, {p.pid for p in procs[1:]}, seconds)
    cpu_pct = 100.0 * (1 - (idle1 - idle0) / (total1 - total0))
    out = {
        "checks": args.checks,
        "seconds": round(seconds, 1),
        "checks_per_s": round(figures["results"] / seconds, 1),
        "lag_p50_s": figures["lag_p50_s"],
        "lag_p99_s": figures["lag_p99_s"],
        "cpu_pct": round(cpu_pct, 1),
        "duplicate_runs": figures["duplicate_runs"],
    }
    log(
        f"target {target_kind}; measured {seconds:.0f} s after {args.warmup} s of warm-up "
        f"(run started {started:%H:%M:%S}); results {figures['results']:,}, not successful "
        f"{figures['not_success']:,}; stale checks at the end {figures['stale_checks']:,}; "
        f"CPU is the whole machine ({os.cpu_count()} cores); by role, % of one core: {roles}"
    )
    shutil.rmtree(VAR_DIR, ignore_errors=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
