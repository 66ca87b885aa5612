"""UI benchmark: server time and query count of the staff pages over generated load.

Run with ``make bench-ui`` after ``manage.py generate_load`` filled the PostgreSQL database in
``DATABASE_URL`` (it refuses SQLite, and a database without generated load). In-process, with
``django.test.Client`` logged in as a generated technician who sees every client, it requests
each page ``--rounds`` times after ``--warmup`` requests, timing ``client.get`` and counting
queries:

* the queue's default view, a filtered view (P1, unassigned, at risk) and a filter on one large
  client, a full-text search for a rare host name (``srv-db-042``) alternating with a common
  word (``sauvegarde``, in the messages of thousands of tickets);
* ticket pages of several different open tickets;
* the manager dashboard for all clients over the last 90 days (null while it does not exist).

It prints a table of p50 / p95 / max milliseconds and queries per page, and last one JSON line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "msp_portal.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# force_login stands for a signed-in session; the second factor is not what is measured.
os.environ["OTP_REQUIRED_FOR_STAFF"] = "0"

import django  # noqa: E402

django.setup()
# The WSGI entry point's set-up as gunicorn runs it, gc.freeze() included.
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client as HttpClient  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import NoReverseMatch, reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

import msp_portal.wsgi  # noqa: E402, F401
from clients.models import Asset, Client  # noqa: E402
from msp_portal.accounts.models import User  # noqa: E402
from msp_portal.core.demo.load import EMAIL_DOMAIN, SLUG_PREFIX  # noqa: E402
from tickets.models import Ticket  # noqa: E402

SEARCH_TERM = "srv-db-042"
#: A word of thousands of tickets' messages: the search that must not read every match.
COMMON_WORD = "sauvegarde"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def measure(http: HttpClient, urls: list[str], warmup: int, rounds: int) -> dict | None:
    """Time ``rounds`` GETs cycling over ``urls`` after ``warmup`` untimed ones."""
    for i in range(warmup):
        response = http.get(urls[i % len(urls)])
        if response.status_code != 200:
            log(f"  {urls[i % len(urls)]} answered {response.status_code}: skipped")
            return None
    times, queries = [], []
    for i in range(rounds):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = http.get(urls[i % len(urls)])
            times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (urls[i % len(urls)], response.status_code)
        queries.append(len(ctx))
    return {
        "p50": statistics.median(times),
        "p95": percentile(times, 95),
        "max": max(times),
        "queries": max(queries),
        "captured": ctx.captured_queries,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--tickets", type=int, default=6, help="different ticket pages")
    parser.add_argument("--show-queries", action="store_true", help="print the slowest page's SQL")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit(
            "make bench-ui measures PostgreSQL: set DATABASE_URL=postgres://... and fill it "
            "with `python manage.py generate_load --clients 2000 --tickets 1000000`."
        )
    tech = (
        User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}", role="technician")
        .order_by("email")
        .first()
    )
    total = Ticket.objects.count()
    if tech is None or not Client.objects.filter(slug__startswith=SLUG_PREFIX).exists():
        sys.exit(
            f"No generated load in {settings.DATABASES['default']['NAME']}: run "
            "`python manage.py generate_load --clients 2000 --tickets 1000000` first."
        )
    manager = User.objects.filter(email=f"manager@{EMAIL_DOMAIN}").first()
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    http = HttpClient()
    http.force_login(tech)
    log(f"{total:,} tickets; as {tech.email}")

    big_client = (
        Ticket.objects.open()
        .values_list("client__slug", flat=True)
        .order_by()
        .annotate(n=django.db.models.Count("pk"))
        .order_by("-n")
        .first()
    )
    term = SEARCH_TERM
    if not Asset.objects.filter(hostname=term).exists():
        term = (
            Asset.objects.filter(hostname__startswith="srv-db-")
            .values_list("hostname", flat=True)
            .first()
            or "imprimante"
        )
    numbers = list(
        Ticket.objects.open()
        .filter(client__slug__startswith=SLUG_PREFIX)
        .order_by("-created_at")
        .values_list("number", flat=True)[: args.tickets * 50 : 50]
    )
    queue = reverse("tickets:list")
    pages: dict[str, list[str]] = {
        "queue": [queue],
        "queue_filtered": [
            f"{queue}?priority=P1&assignee=unassigned&sla=at_risk",
            f"{queue}?client={big_client}&status=open" if big_client else queue,
        ],
        "search": [f"{queue}?q={term}", f"{queue}?q={COMMON_WORD}"],
        "ticket": [reverse("tickets:detail", args=[n]) for n in numbers],
    }
    try:
        today = timezone.localdate()
        start = today - dt.timedelta(days=90)
        pages["dashboard"] = [f"{reverse('dashboard:manager')}?start={start}&end={today}"]
    except NoReverseMatch:
        log("dashboard:manager does not exist yet: reported as null")

    results: dict[str, dict | None] = {}
    for name, urls in pages.items():
        if name == "dashboard" and manager is not None:
            http.force_login(manager)
        log(f"{name}: {urls[0]}{' ...' if len(urls) > 1 else ''}")
        results[name] = measure(http, urls, args.warmup, args.rounds) if urls else None
        if name == "dashboard":
            http.force_login(tech)

    log(f"\n{'page':<16}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'queries':>9}")
    for name, r in results.items():
        if r is None:
            log(f"{name:<16}{'-':>9}{'-':>9}{'-':>9}{'-':>9}")
        else:
            log(f"{name:<16}{r['p50']:>9.1f}{r['p95']:>9.1f}{r['max']:>9.1f}{r['queries']:>9}")
    if args.show_queries:
        for name, r in results.items():
            if r:
                slowest = sorted(r["captured"], key=lambda q: -float(q["time"]))[:3]
                for q in slowest:
                    log(f"\n[{name}] {q['time']} s: {q['sql'][:2000]}")

    def p95(name: str) -> float | None:
        r = results.get(name)
        return round(r["p95"], 1) if r else None

    figures = {
        "tickets": total,
        "queue_p95_ms": p95("queue"),
        "queue_filtered_p95_ms": p95("queue_filtered"),
        "search_p95_ms": p95("search"),
        "ticket_p95_ms": p95("ticket"),
        "dashboard_p95_ms": p95("dashboard"),
        "max_queries": max((r["queries"] for r in results.values() if r), default=None),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
