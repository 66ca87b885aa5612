"""Load benchmark: concurrent staff and portal users against gunicorn on loopback.

Run with ``make bench-load`` once ``generate_load`` has filled the benchmark database
(``BENCH_DATABASE_URL``; see bench/README.md). It

1. creates (once) portal users for some generated clients, and picks the generated
   technicians, open tickets and search words the virtual users will use;
2. starts gunicorn with the production settings (DEBUG off, static files collected and
   served by WhiteNoise) on 127.0.0.1, ``--workers`` processes of ``--threads`` threads;
3. runs ``--users`` virtual users for ``--seconds`` (default 100 users, 300 s): about 70 %
   technicians and managers working the queue (default view, filters, search, ticket pages,
   an internal note now and then, the dashboard sometimes) and 30 % client users on the
   portal (home, their tickets, one ticket), each waiting ``--think`` seconds on average
   between two clicks, as people do;
4. counts every answer that is not a 2xx or a redirect, and every timeout or connection
   error, as an error.

Users are signed in by creating their session server-side (the login form and its second
factor are not what is measured; django-axes would also, rightly, slow a login storm). The
last line printed is one JSON object:
``{"users": n, "requests": n, "rps": x, "p95_ms": x, "error_rate": x}``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/msp_bench")
VAR_DIR = Path(tempfile.mkdtemp(prefix="msp-bench-load-"))
ENV = {
    **os.environ,
    "DJANGO_SETTINGS_MODULE": "msp_portal.settings",
    "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-only-not-secret",
    "DATABASE_URL": DB_URL,
    "DEBUG": "0",
    "HTTPS": "0",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "OTP_REQUIRED_FOR_STAFF": "0",
    "CELERY_TASK_ALWAYS_EAGER": "0",
    "VAR_DIR": str(VAR_DIR),
    "LOG_LEVEL": "WARNING",
}
os.environ.update(ENV)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.urls import reverse  # noqa: E402

from clients.models import Client, Contact  # noqa: E402
from msp_portal.accounts.models import Role, User  # noqa: E402
from tickets.models import Ticket  # noqa: E402

PORTAL_USERS_PER_RUN = 30
SEARCH_WORDS = ("srv-db-042", "imprimante", "VPN", "sauvegarde", "firewall", "Outlook")


def fail(message: str) -> None:
    print(f"bench-load: {message}", file=sys.stderr)
    sys.exit(2)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def session_cookie(user: User) -> str:
    """A signed-in session for ``user``, as the login view would leave it."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def portal_users(count: int) -> list[User]:
    """Client admins of the largest generated clients (created once, reused after)."""
    users = list(User.objects.filter(email__startswith="bench-portal-", is_active=True)[:count])
    if len(users) >= count:
        return users
    clients = list(
        Client.objects.filter(slug__startswith="load-")
        .order_by("-pk")
        .only("pk", "slug")[: count * 2]
    )
    for i, client in enumerate(clients[: count - len(users)]):
        email = f"bench-portal-{client.slug}@load.example"
        user, _ = User.objects.get_or_create(
            email=email,
            defaults={"role": Role.CLIENT_ADMIN, "client": client, "full_name": f"Portal {i}"},
        )
        Contact.objects.get_or_create(
            client=client, email=email, defaults={"first_name": "Portal", "last_name": str(i),
                                                  "user": user},
        )  # fmt: skip
        users.append(user)
    return users


def plan() -> dict:
    """Who the virtual users are and what they will open."""
    if connection.vendor != "postgresql":
        fail("needs PostgreSQL: set BENCH_DATABASE_URL (see bench/README.md)")
    tickets = Ticket.objects.count()
    if tickets < 1000:
        fail(
            f"{tickets} tickets in {DB_URL}: generate the load first, e.g. "
            "DATABASE_URL=$BENCH_DATABASE_URL python manage.py generate_load "
            "--clients 2000 --tickets 1000000"
        )
    staff = list(
        User.objects.filter(
            is_active=True, role__in=[Role.TECHNICIAN, Role.MANAGER, Role.ADMIN]
        ).order_by("pk")[:200]
    )
    if not staff:
        fail("no staff users in the benchmark database")
    open_numbers = list(Ticket.objects.open().order_by("?").values_list("number", flat=True)[:2000])
    portal = portal_users(PORTAL_USERS_PER_RUN)
    portal_tickets = defaultdict(list)
    for client_id, number in (
        Ticket.objects.filter(client_id__in=[u.client_id for u in portal])
        .order_by("-created_at")
        .values_list("client_id", "number")[:5000]
    ):
        portal_tickets[client_id].append(number)
    return {
        "tickets": tickets,
        "staff": [(session_cookie(u), u.role) for u in staff],
        "portal": [(session_cookie(u), portal_tickets[u.client_id]) for u in portal],
        "open_numbers": open_numbers,
    }


def start_server(port: int, workers: int, threads: int) -> subprocess.Popen:
    call_command("collectstatic", interactive=False, verbosity=0)
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "msp_portal.wsgi",
            "--bind", f"127.0.0.1:{port}",
            "--workers", str(workers),
            "--threads", str(threads),
            "--timeout", "60",
            "--log-level", "warning",
        ],
        cwd=ROOT, env=ENV, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            if process.poll() is not None:
                fail("gunicorn exited at start-up")
            time.sleep(0.3)
    process.terminate()
    fail("gunicorn did not answer within 60 s")
    raise AssertionError


class Stats:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.by_page: dict[str, list[float]] = defaultdict(list)
        self.errors: Counter[str] = Counter()
        self.requests = 0


async def request(session, stats: Stats, page: str, method: str, url: str, **kwargs) -> None:
    import aiohttp

    started = time.perf_counter()
    try:
        async with session.request(method, url, allow_redirects=False, **kwargs) as response:
            await response.read()
            ok = response.status < 400
            reason = f"{page}: HTTP {response.status}"
    except (TimeoutError, aiohttp.ClientError) as error:
        ok, reason = False, f"{page}: {type(error).__name__}"
    elapsed = (time.perf_counter() - started) * 1000
    stats.requests += 1
    stats.latencies.append(elapsed)
    stats.by_page[page].append(elapsed)
    if not ok:
        stats.errors[reason] += 1


#: gunicorn closes a keep-alive connection after 2 s idle (its default); the clients drop theirs
#: sooner. Otherwise a request sent just as the server closes the connection fails: aiohttp
#: resends a GET then (RFC 9112, 9.3.1), but not a POST, which counted as an error.
CLIENT_KEEPALIVE_S = 1.5


def idle_connector():
    import aiohttp

    return aiohttp.TCPConnector(keepalive_timeout=CLIENT_KEEPALIVE_S)


async def staff_user(base, cookie, data, stats, deadline, think) -> None:
    import aiohttp

    jar = aiohttp.CookieJar(unsafe=True)
    jar.update_cookies({settings.SESSION_COOKIE_NAME: cookie})
    timeout = aiohttp.ClientTimeout(total=30)
    queue = base + reverse("tickets:list")
    async with aiohttp.ClientSession(
        cookie_jar=jar, timeout=timeout, connector=idle_connector()
    ) as session:
        await request(session, stats, "queue", "GET", queue)  # sets the CSRF cookie
        while time.monotonic() < deadline:
            await asyncio.sleep(random.expovariate(1 / think))
            roll = random.random()
            number = random.choice(data["open_numbers"])
            if roll < 0.30:
                await request(session, stats, "queue", "GET", queue)
            elif roll < 0.45:
                params = random.choice(
                    [{"priority": "P1"}, {"sla": "at_risk"}, {"assignee": "unassigned"},
                     {"status": "waiting_on_customer"}, {"sla": "breached", "priority": "P2"}]
                )  # fmt: skip
                await request(session, stats, "queue_filtered", "GET", queue, params=params)
            elif roll < 0.55:
                params = {"q": random.choice(SEARCH_WORDS)}
                await request(session, stats, "search", "GET", queue, params=params)
            elif roll < 0.90:
                url = base + reverse("tickets:detail", args=[number])
                await request(session, stats, "ticket", "GET", url)
            elif roll < 0.95:
                token = next((c.value for c in jar if c.key == settings.CSRF_COOKIE_NAME), "")
                url = base + reverse("tickets:reply", args=[number])
                await request(
                    session, stats, "note", "POST", url,
                    data={"body": "Checked remotely, still investigating.",
                          "visibility": "internal"},
                    headers={"X-CSRFToken": token, "Referer": url},
                )  # fmt: skip
            else:
                url = base + reverse("dashboard:manager")
                await request(session, stats, "dashboard", "GET", url)


async def portal_user(base, cookie, numbers, stats, deadline, think) -> None:
    import aiohttp

    jar = aiohttp.CookieJar(unsafe=True)
    jar.update_cookies({settings.SESSION_COOKIE_NAME: cookie})
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(
        cookie_jar=jar, timeout=timeout, connector=idle_connector()
    ) as session:
        while time.monotonic() < deadline:
            await asyncio.sleep(random.expovariate(1 / think))
            roll = random.random()
            if roll < 0.3 or not numbers:
                await request(session, stats, "portal_home", "GET", base + reverse("portal:home"))
            elif roll < 0.6:
                url = base + reverse("portal:ticket_list")
                await request(session, stats, "portal_tickets", "GET", url)
            else:
                url = base + reverse("portal:ticket_detail", args=[random.choice(numbers)])
                await request(session, stats, "portal_ticket", "GET", url)


async def run(base: str, data: dict, users: int, seconds: float, think: float) -> Stats:
    stats = Stats()
    deadline = time.monotonic() + seconds
    portal_count = min(len(data["portal"]), round(users * 0.3))
    tasks = []
    for i in range(users - portal_count):
        cookie, _role = data["staff"][i % len(data["staff"])]
        tasks.append(staff_user(base, cookie, data, stats, deadline, think))
    for i in range(portal_count):
        cookie, numbers = data["portal"][i]
        tasks.append(portal_user(base, cookie, numbers, stats, deadline, think))
    await asyncio.gather(*tasks)
    return stats


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(p) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--think", type=float, default=2.0, help="mean pause between clicks (s)")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    data = plan()
    connection.close()
    port = free_port()
    server = start_server(port, args.workers, args.threads)
    base = f"http://127.0.0.1:{port}"
    print(
        f"bench-load: {args.users} users for {args.seconds:.0f} s against gunicorn "
        f"({args.workers} workers x {args.threads} threads) on {base}, "
        f"{data['tickets']:,} tickets",
        flush=True,
    )
    started = time.monotonic()
    try:
        stats = asyncio.run(run(base, data, args.users, args.seconds, args.think))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    elapsed = time.monotonic() - started
    print(f"{'page':<16}{'requests':>10}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    for page, values in sorted(stats.by_page.items()):
        print(
            f"{page:<16}{len(values):>10}{percentile(values, 50):>10.1f}"
            f"{percentile(values, 95):>10.1f}{max(values):>10.1f}"
        )
    for reason, count in stats.errors.most_common(10):
        print(f"error: {reason} x{count}")
    errors = sum(stats.errors.values())
    print(
        json.dumps(
            {
                "users": args.users,
                "requests": stats.requests,
                "rps": round(stats.requests / elapsed, 1),
                "p95_ms": round(percentile(stats.latencies, 95), 1),
                "error_rate": round(errors / stats.requests, 5) if stats.requests else None,
            }
        )
    )


if __name__ == "__main__":
    main()
