"""SLA benchmark: one sweep over a million tickets, and one ticket's recompute.

Run with ``make bench-sla`` (PostgreSQL: BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/msp_portal_bench). It fills the database once with
``--tickets`` tickets of which ``--open`` are open, each with its first-response and resolution
timers stored as the services store them, in a steady state: every level already passed has
been escalated. It then measures

* the sweep a minute later (the timers crossing a threshold in that minute), and the sweep after
  an hour without any (a backlog), each with its query count;
* ``sla_refresh`` on tickets with a realistic timeline of 12-20 events, p50/p95 in ms.

The last line printed is one JSON object with the figures.
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
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/msp_portal_bench"
)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from clients.models import Client  # noqa: E402
from contracts.models import (  # noqa: E402
    BusinessCalendar,
    BusinessHours,
    Contract,
    SLAPolicy,
    SLATarget,
)
from msp_portal.accounts.models import User  # noqa: E402
from tickets import services  # noqa: E402
from tickets.models import Ticket  # noqa: E402

CLIENTS = 200


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def ensure_database() -> None:
    import psycopg2

    settings = connection.settings_dict
    admin = psycopg2.connect(
        dbname="postgres",
        user=settings["USER"] or None,
        password=settings["PASSWORD"] or None,
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
    )
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [settings["NAME"]])
        if not cur.fetchone():
            cur.execute(f'CREATE DATABASE "{settings["NAME"]}"')
    admin.close()


def base_rows() -> tuple[list[Contract], User]:
    """Clients, one calendar and policy, a contract per client, a technician."""
    calendar, created = BusinessCalendar.objects.get_or_create(
        name="Bench Paris", defaults={"time_zone": "Europe/Paris"}
    )
    if created:
        BusinessHours.objects.bulk_create(
            BusinessHours(calendar=calendar, weekday=d, start=dt.time(9), end=dt.time(18))
            for d in range(5)
        )
    policy, created = SLAPolicy.objects.get_or_create(name="Bench standard")
    if created:
        for i, prio in enumerate(("P1", "P2", "P3", "P4")):
            SLATarget.objects.create(
                policy=policy, priority=prio, first_response_minutes=60 * (i + 1),
                resolution_minutes=240 * (i + 1), next_response_minutes=120,
            )  # fmt: skip
    contracts = []
    for n in range(CLIENTS):
        client, _ = Client.objects.get_or_create(slug=f"bench-{n}", defaults={"name": f"Bench {n}"})
        contract, _ = Contract.objects.get_or_create(
            reference=f"BENCH-{n}",
            defaults={
                "client": client, "title": "Bench", "start_date": dt.date(2020, 1, 1),
                "sla_policy": policy, "calendar": calendar,
            },
        )  # fmt: skip
        contracts.append(contract)
    tech, _ = User.objects.get_or_create(
        email="bench-tech@msp.example",
        defaults={"full_name": "Bench Tech", "role": "technician"},
    )
    return contracts, tech


def fill(total: int, open_count: int, snapshot_id: int, now: dt.datetime) -> None:
    """Tickets and their stored timers in bulk, with set-based SQL (a million rows a minute)."""
    have = Ticket.objects.count()
    if have >= total:
        log(f"{have} tickets already there")
        return
    log(f"creating {total - have} tickets ...")
    first_client = Client.objects.filter(slug="bench-0").values_list("pk", flat=True).get()
    with connection.cursor() as cur:
        cur.execute("SELECT COALESCE(MAX(number), 1000) FROM tickets_ticket")
        (start_number,) = cur.fetchone()
        # Open tickets are the newest: created over the last 5 days; closed ones over 2 years.
        cur.execute(
            """
            INSERT INTO tickets_ticket (number, client_id, contract_id, sla_snapshot_id, subject,
                description, status, impact, urgency, priority, source, created_at, updated_at,
                resolved_at, closed_at)
            SELECT %(start)s + g,
                   %(first_client)s + (g %% %(clients)s),
                   c.id, %(snapshot)s, 'Bench ticket ' || g, '',
                   CASE WHEN g > %(closed)s THEN 'open' ELSE 'closed' END,
                   3, 2, (ARRAY['P1','P2','P3','P4'])[1 + g %% 4], 'api',
                   CASE WHEN g > %(closed)s
                        THEN %(now)s - (random() * interval '5 days')
                        ELSE %(now)s - interval '6 days' - (random() * interval '700 days') END,
                   %(now)s, NULL, NULL
            FROM generate_series(1, %(count)s) AS g
            JOIN contracts_contract c ON c.reference = 'BENCH-' || (g %% %(clients)s)
            """,
            {
                "start": start_number, "first_client": first_client, "clients": CLIENTS,
                "snapshot": snapshot_id, "closed": total - open_count - have,
                "count": total - have, "now": now,
            },
        )  # fmt: skip
        log("creating timers ...")
        # Running timers for open tickets, due from 2 days ago to 5 days ahead; stopped ones
        # for closed tickets. Escalation state as the sweep leaves it: every passed level done.
        cur.execute(
            """
            INSERT INTO tickets_slatimer (client_id, ticket_id, kind, cycle, priority,
                target_minutes, state, started_at, elapsed_seconds, computed_at, due_at,
                warning_at, critical_at, breached, breach_at, stopped_at, outcome,
                alerted_level)
            SELECT t.client_id, t.id, k.kind, 0, t.priority, k.target, s.state, t.created_at,
                   0, %(now)s, s.due, s.due - (s.span * 0.25), s.due - (s.span * 0.10),
                   s.state = 'running' AND s.due < %(now)s,
                   CASE WHEN s.state = 'running' AND s.due < %(now)s THEN s.due END,
                   CASE WHEN s.state = 'stopped' THEN t.created_at + interval '1 hour' END,
                   CASE WHEN s.state = 'stopped' THEN 'met' ELSE '' END,
                   0
            FROM tickets_ticket t
            CROSS JOIN (VALUES ('first_response', 60), ('resolution', 480)) AS k(kind, target)
            CROSS JOIN LATERAL (
                SELECT CASE WHEN t.status = 'open' THEN 'running' ELSE 'stopped' END AS state,
                       %(now)s - interval '2 days' + (random() * interval '7 days') AS due,
                       interval '1 day' * (1 + random()) AS span
            ) AS s
            WHERE t.contract_id IS NOT NULL AND t.subject LIKE 'Bench ticket %%'
              AND NOT EXISTS (SELECT 1 FROM tickets_slatimer x WHERE x.ticket_id = t.id)
            """,
            {"now": now},
        )
        cur.execute(
            "UPDATE tickets_ticketsequence"
            " SET last_value = (SELECT MAX(number) FROM tickets_ticket)"
        )
        cur.execute("ANALYZE")


def steady_state(now: dt.datetime) -> None:
    """Reset the open tickets' timers to a steady state at ``now``: due instants spread from
    two days ago to five days ahead, and every level already passed escalated."""
    with connection.cursor() as cur:
        cur.execute("DELETE FROM tickets_slaescalation")
        cur.execute("DELETE FROM tickets_ticketevent WHERE kind = 'sla'")
        cur.execute(
            """
            WITH fresh AS (
                SELECT id, %(now)s - interval '2 days' + (random() * interval '7 days') AS due,
                       interval '1 day' * (1 + random()) AS span
                FROM tickets_slatimer WHERE state = 'running'
            )
            UPDATE tickets_slatimer t SET
                due_at = f.due, warning_at = f.due - f.span * 0.25,
                critical_at = f.due - f.span * 0.10,
                breached = f.due < %(now)s,
                breach_at = CASE WHEN f.due < %(now)s THEN f.due END,
                alerted_level = CASE WHEN f.due < %(now)s THEN 3
                                     WHEN f.due - f.span * 0.10 <= %(now)s THEN 2
                                     WHEN f.due - f.span * 0.25 <= %(now)s THEN 1 ELSE 0 END
            FROM fresh f WHERE t.id = f.id
            """,
            {"now": now},
        )
        cur.execute("ANALYZE tickets_slatimer")


def timed_sweep(now: dt.datetime) -> tuple[float, int, int]:
    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        result = services.sla_sweep(now=now)
        seconds = time.perf_counter() - started
    return seconds, len(ctx), result.escalated


def realistic_tickets(contracts: list[Contract], tech: User, count: int) -> list[Ticket]:
    """Tickets with a believable timeline, written through the services."""
    tickets = []
    base = timezone.now() - dt.timedelta(days=6)
    for i in range(count):
        contract = contracts[i % len(contracts)]
        at = base + dt.timedelta(minutes=7 * i)
        ticket = services.ticket_open(
            client=contract.client, subject=f"Recompute sample {i}", source="api", at=at,
            impact=2, urgency=2,
        )  # fmt: skip
        steps = [
            lambda t, a: services.ticket_reply(ticket=t, author=tech, body="Looking", at=a),
            lambda t, a: services.ticket_change_status(
                ticket=t, status="waiting_on_customer", by=tech, at=a
            ),
            lambda t, a: services.ticket_reply(
                ticket=t, author_contact=None, author=None, body="auto", automated=True, at=a
            ),
            lambda t, a: services.ticket_change_status(ticket=t, status="open", by=tech, at=a),
            lambda t, a: services.ticket_add_note(ticket=t, author=tech, body="note", at=a),
            lambda t, a: services.ticket_change_priority(
                ticket=t, impact=1, urgency=2, by=tech, at=a
            ),
            lambda t, a: services.ticket_reply(ticket=t, author=tech, body="Update", at=a),
        ]
        for round_ in range(2):
            for j, step in enumerate(steps):
                at += dt.timedelta(hours=3, minutes=j + round_)
                step(ticket, at)
        tickets.append(ticket)
    return tickets


def timed_recompute(tickets: list[Ticket], rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        for ticket in tickets:
            with transaction.atomic():
                locked = (
                    Ticket.objects.select_related("sla_snapshot")
                    .select_for_update(of=("self",))
                    .get(pk=ticket.pk)
                )
                started = time.perf_counter()
                services.sla_refresh(locked)
                samples.append((time.perf_counter() - started) * 1000)
    return samples


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=40, help="tickets timed for recompute")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("make bench-sla measures PostgreSQL: set BENCH_DATABASE_URL=postgres://...")

    # Escalations are sent by their own task; the benchmark measures the sweep, not delivery.
    from tickets import tasks

    tasks.sla_send_escalations.delay = lambda *a, **k: None
    ensure_database()
    call_command("migrate", verbosity=0)
    now = timezone.now().replace(microsecond=0)
    contracts, tech = base_rows()
    from contracts.services import sla_snapshot_for

    snapshot = sla_snapshot_for(contracts[0])
    fill(args.tickets, args.open, snapshot.pk, now)
    steady_state(now)

    # Steady state: the sweep a minute later sees only what crossed a threshold since.
    minute_s, minute_q, minute_n = timed_sweep(now + dt.timedelta(minutes=1))
    backlog_s, backlog_q, backlog_n = timed_sweep(now + dt.timedelta(hours=1, minutes=1))
    log(f"sweep after 1 min: {minute_s:.3f} s, {minute_q} queries, {minute_n} escalations")
    log(f"sweep after 1 h:   {backlog_s:.3f} s, {backlog_q} queries, {backlog_n} escalations")

    samples = realistic_tickets(contracts, tech, args.samples)
    timed_recompute(samples, rounds=1)  # warm caches and connections; not counted
    timings = timed_recompute(samples, rounds=25)
    events = statistics.mean(t.events.count() for t in samples)
    p50, p95 = statistics.median(timings), percentile(timings, 95)
    log(f"recompute: p50 {p50:.2f} ms, p95 {p95:.2f} ms, {len(timings)} runs, {events:.0f} events")

    figures = {
        "tickets": Ticket.objects.count(),
        "open": Ticket.objects.open().count(),
        "sweep_s": round(minute_s, 4),
        "sweep_queries": minute_q,
        "sweep_escalations": minute_n,
        "backlog_sweep_s": round(backlog_s, 4),
        "backlog_sweep_queries": backlog_q,
        "backlog_escalations": backlog_n,
        "recompute_p50_ms": round(statistics.median(timings), 3),
        "recompute_p95_ms": round(percentile(timings, 95), 3),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
