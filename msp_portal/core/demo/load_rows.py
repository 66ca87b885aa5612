"""Writing the load's rows in bulk -- ``COPY`` on PostgreSQL from a writer thread,
``bulk_create`` elsewhere -- and the primary keys reserved ahead for them (see ``load``)."""

from __future__ import annotations

import datetime as dt
import io
import json
import queue
import threading

from django.db import connection

from tickets.models import (
    SlaTimer,
    Ticket,
    TicketEvent,
    TimeEntry,
)

TICKET_COLS = (
    "id", "number", "client_id", "contact_id", "asset_id", "contract_id", "sla_snapshot_id",
    "queue_id", "category_id", "subject", "description", "status", "impact", "urgency",
    "priority", "assignee_id", "source", "created_by_id", "created_at", "updated_at",
    "first_responded_at", "resolved_at", "closed_at", "sla_rank", "sla_due_at",
)  # fmt: skip
TICKET_TYPES = (
    "i", "i", "i", "i", "i", "i", "i", "i", "i", "s", "s", "s", "i", "i",
    "s", "i", "s", "i", "t", "t", "t", "t", "t", "i", "t",
)  # fmt: skip
EVENT_COLS = (
    "ticket_id", "client_id", "kind", "actor", "author_id", "author_contact_id", "public",
    "automated", "body", "data", "created_at",
)  # fmt: skip
EVENT_TYPES = ("i", "i", "s", "s", "i", "i", "b", "b", "s", "j", "t")
TIMER_COLS = (
    "client_id", "ticket_id", "kind", "cycle", "priority", "target_minutes", "state",
    "started_at", "elapsed_seconds", "computed_at", "due_at", "warning_at", "critical_at",
    "breached", "breach_at", "stopped_at", "outcome", "alerted_level",
)  # fmt: skip
TIMER_TYPES = (
    "i", "i", "s", "i", "s", "i", "s", "t", "f", "t", "t", "t", "t", "b", "t", "t", "s", "i",
)  # fmt: skip
TIME_COLS = (
    "id", "client_id", "ticket_id", "technician_id", "minutes", "billable", "work_date",
    "note", "created_at",
)  # fmt: skip
TIME_TYPES = ("i", "i", "i", "i", "i", "b", "s", "s", "t")

TABLES = {
    "tickets": (Ticket, TICKET_COLS, TICKET_TYPES),
    "events": (TicketEvent, EVENT_COLS, EVENT_TYPES),
    "timers": (SlaTimer, TIMER_COLS, TIMER_TYPES),
    "time_entries": (TimeEntry, TIME_COLS, TIME_TYPES),
}


def _escape(value: str) -> str:
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


class _Sink:
    """Rows per table, flushed in batches: COPY on PostgreSQL (in a writer thread, so that
    the database parses one batch while Python builds the next), bulk_create elsewhere."""

    def __init__(self, base: dt.datetime):
        self.base = base
        self.base_ts = int(base.timestamp())
        self.copy = connection.vendor == "postgresql"
        self.rows: dict[str, list[tuple]] = {name: [] for name in TABLES}
        self.counts = dict.fromkeys(TABLES, 0)
        self._ts_text: dict[int, str] = {}
        self._error: BaseException | None = None
        if self.copy:
            self._raw = connection.cursor().cursor  # the driver's cursor: copy_expert
            self._queue: queue.Queue = queue.Queue(maxsize=3)
            self._thread = threading.Thread(target=self._write, daemon=True)
            self._thread.start()

    def instant(self, minute: int | None) -> dt.datetime | None:
        if minute is None:
            return None
        return self.base + dt.timedelta(minutes=minute)

    def _ts(self, minute: int) -> str:
        text = self._ts_text.get(minute)
        if text is None:
            text = dt.datetime.fromtimestamp(self.base_ts + minute * 60, dt.UTC).isoformat(" ")
            self._ts_text[minute] = text
        return text

    def add(self, table: str, row: tuple) -> None:
        self.rows[table].append(row)

    def flush(self) -> None:
        for table, rows in self.rows.items():
            if not rows:
                continue
            model, cols, types = TABLES[table]
            self.counts[table] += len(rows)
            if self.copy:
                self._queue.put((model._meta.db_table, cols, self._copy_text(rows, types)))
                if self._error is not None:
                    raise self._error
            else:
                self._bulk_create(model, cols, types, rows)
            rows.clear()  # in place: the generator holds the lists' append methods

    def _copy_text(self, rows: list[tuple], types: tuple[str, ...]) -> io.StringIO:
        ts, esc = self._ts, _escape
        convert = []
        for kind in types:
            if kind == "i":
                convert.append(lambda v: "\\N" if v is None else str(v))
            elif kind == "s":
                convert.append(lambda v: "\\N" if v is None else esc(v))
            elif kind == "t":
                convert.append(lambda v: "\\N" if v is None else ts(v))
            elif kind == "b":
                convert.append(lambda v: "t" if v else "f")
            elif kind == "f":
                convert.append(lambda v: repr(float(v)))
            else:  # "j": already serialised JSON
                convert.append(esc)
        pairs = list(enumerate(convert))
        lines = ["\t".join([c(row[i]) for i, c in pairs]) for row in rows]
        return io.StringIO("\n".join(lines) + "\n")

    def _write(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if self._error is not None:
                continue
            table, cols, buffer = item
            try:
                self._raw.copy_expert(f"COPY {table} ({', '.join(cols)}) FROM STDIN", buffer)
            except BaseException as error:  # reported by the next flush or by close
                self._error = error

    def _bulk_create(self, model, cols, types, rows) -> None:
        objects = []
        for row in rows:
            values = {}
            for col, kind, value in zip(cols, types, row, strict=True):
                if kind == "t":
                    value = self.instant(value)
                elif kind == "j":
                    value = json.loads(value)
                values[col] = value
            objects.append(model(**values))
        model.objects.bulk_create(objects, batch_size=500)

    def close(self) -> None:
        self.flush()
        if self.copy:
            self._queue.put(None)
            self._thread.join()
            if self._error is not None:
                raise self._error


def _reserve_ids(model, count: int) -> int:
    """The first of ``count`` consecutive primary keys nobody else will be given."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            (sequence,) = cursor.fetchone()
            cursor.execute(
                "SELECT setval(%s, GREATEST(nextval(%s), (SELECT COALESCE(MAX(id), 0) + 1 "
                f"FROM {table})) + %s - 1)",
                [sequence, sequence, count],
            )
            (last,) = cursor.fetchone()
            return last - count + 1
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
        return cursor.fetchone()[0] + 1
