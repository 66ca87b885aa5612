"""Each dashboard chart's figures as CSV rows: numbers as numbers, names through csv_safe."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .selectors import Figures

Rows = tuple[list[str], Iterable[list]]

SLA_HEADER = [
    "opened", "resolved", "first_response_met", "first_response_breached",
    "first_response_pct", "resolution_met", "resolution_breached", "resolution_pct",
]  # fmt: skip


def _sla(row) -> list:
    return [
        row.opened, row.resolved, row.first_response_met, row.first_response_breached,
        row.first_response_pct, row.resolution_met, row.resolution_breached, row.resolution_pct,
    ]  # fmt: skip


def sla_clients(f: Figures) -> Rows:
    return ["client_id", "client", *SLA_HEADER], ([r.key, r.label, *_sla(r)] for r in f.by_client)


def sla_priorities(f: Figures) -> Rows:
    rows = [[r.key, *_sla(r)] for r in f.by_priority] + [["all", *_sla(f.total)]]
    return ["priority", *SLA_HEADER], rows


def backlog(f: Figures) -> Rows:
    return ["day", "opened", "closed"], ([day, o, c] for day, o, c in f.trend)


def categories(f: Figures) -> Rows:
    return ["category", "opened"], ([name, n] for name, n in f.mix.categories)


def sources(f: Figures) -> Rows:
    return ["source", "opened"], ([name, n] for name, n in f.mix.sources)


def durations(f: Figures) -> Rows:
    header = ["timer", "priority", "count", "median_seconds", "p90_seconds", "exact"]
    rows = (
        [r.kind, r.priority or "all", r.count, r.median, r.p90, f.durations.exact]
        for r in f.durations.rows
    )
    return header, rows


def sla_now(f: Figures) -> Rows:
    header = ["ticket", "subject", "client", "priority", "sla_state", "due_at", "assignee"]
    rows = (
        [
            t.reference,
            t.subject,
            t.client.name,
            t.priority,
            t.get_sla_rank_display(),
            t.sla_due_at,
            str(t.assignee) if t.assignee_id else "",
        ]
        for t in f.now.tickets
    )
    return header, rows


def workload(f: Figures) -> Rows:
    header = ["technician", "open_tickets", "billable_minutes", "other_minutes"]
    rows = ([r.name, r.open_tickets, r.billable_minutes, r.other_minutes] for r in f.workload)
    return header, rows


def hours(f: Figures) -> Rows:
    header = [
        "client", "contract", "title", "billable_hours", "other_hours", "hours",
        "included_hours", "used_pct",
    ]  # fmt: skip
    rows = (
        [
            r.client_name,
            r.reference,
            r.title,
            r.billable_hours,
            r.other_hours,
            r.hours,
            r.included_hours,
            r.used_pct,
        ]
        for r in f.contracts
    )
    return header, rows


#: The CSV downloads, by the name in their URL.
EXPORTS: dict[str, Callable[[Figures], Rows]] = {
    "sla-clients": sla_clients,
    "sla-priorities": sla_priorities,
    "backlog": backlog,
    "categories": categories,
    "sources": sources,
    "durations": durations,
    "sla-now": sla_now,
    "workload": workload,
    "hours": hours,
}
