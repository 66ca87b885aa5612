"""The monitoring engine: claim due checks with a lease, run them in batches, apply the results.

1. ``checks_claim`` (the beat tick, every few seconds) takes up to a batch of due checks with
   ``SELECT ... FOR UPDATE SKIP LOCKED`` and stamps them with a lease token and expiry, so two
   ticks (two beats, a slow tick) never take the same check. Expired leases are taken again:
   a worker that died mid-batch loses nothing.
2. ``batch_run`` (a worker task per batch) first swaps the claim token for its own run token in
   one conditional UPDATE: a duplicate or redelivered task finds nothing left to take, so no
   check runs twice at once. It runs the probes concurrently (asyncio, ``probes.py``).
3. ``_apply`` then locks the rows still leased to this run, evaluates the state machine
   (``states.py``), and writes results, state changes, the checks and the alerts in bulk in one
   transaction. A check whose lease was lost (expired and taken again, paused by a person, a
   heartbeat ping) is left alone and its result dropped.

Alerts leave through the outbox (``monitoring.alert`` events consumed by ``alerts.py``), never
from inside this loop. Scheduling is fixed-rate on a grid spread by check id, so checks with
the same interval do not all fire at :00; a failing check is retried sooner.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
import secrets
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from msp_portal.core.outbox import OutboxMessage, outbox_publish_many

from . import maintenance, states
from .alerts import ALERT_TOPIC
from .models import (
    Check,
    CheckResult,
    CheckState,
    CheckStateChange,
    MaintenanceWindow,
    MonitoringOutage,
)
from .probes import ProbeResult, ProbeSpec, run_probes

logger = logging.getLogger(__name__)

#: Batches one tick may claim; the tick also stops while this many checks are in flight.
MAX_BATCHES_PER_TICK = 40
MAX_IN_FLIGHT_BATCHES = 24
#: The golden ratio spreads check ids evenly over an interval.
_SPREAD = (math.sqrt(5) - 1) / 2

# The monitoring host looks cut off when, in one batch, checks of at least this many distinct
# clients ran and most of those clients had most of their checks failing.
OUTAGE_MIN_CLIENTS = 3
OUTAGE_START_RATIO = 0.6
OUTAGE_END_RATIO = 0.3
#: An outage no batch has confirmed for this long is over.
OUTAGE_STALE = dt.timedelta(minutes=5)

STATE_TOPIC = "check.state_changed"
OUTAGE_TOPIC = "monitoring.outage"


def _lease() -> dt.timedelta:
    """How long a claimed batch belongs to its task before another tick may take it again."""
    return dt.timedelta(seconds=settings.MONITORING_LEASE_SECONDS)


# -- scheduling ------------------------------------------------------------------------------


def next_slot(after: dt.datetime, *, interval: int, check_id: int) -> dt.datetime:
    """The first time strictly after ``after`` on this check's grid: every ``interval``
    seconds, shifted by a per-check offset so checks spread over the interval."""
    offset = (check_id * _SPREAD % 1.0) * interval
    t = after.timestamp()
    k = math.floor((t - offset) / interval) + 1
    return dt.datetime.fromtimestamp(k * interval + offset, tz=dt.UTC)


def next_run(
    *,
    check_id: int,
    kind: str,
    scheduled: dt.datetime,
    now: dt.datetime,
    interval: int,
    retry_interval: int,
    failing: bool,
) -> dt.datetime:
    """When a check runs next: fixed-rate on its grid; sooner while it fails."""
    if kind == Check.Kind.HEARTBEAT:
        # Claimed only because its deadline passed: look again one period later.
        return now + dt.timedelta(seconds=interval)
    if failing and retry_interval < interval:
        return now + dt.timedelta(seconds=retry_interval)
    nxt = next_slot(scheduled, interval=interval, check_id=check_id)
    if nxt <= now:  # running late (or a long pause): skip the missed runs, keep the grid
        nxt = next_slot(now, interval=interval, check_id=check_id)
    return nxt


# -- claiming ---------------------------------------------------------------------------------


def checks_in_flight(*, now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    return Check.objects.exclude(lease_token="").filter(lease_expires_at__gt=now).count()


def checks_claim(*, limit: int, now: dt.datetime | None = None) -> tuple[str, int] | None:
    """Lease up to ``limit`` due checks to a new token; returns (token, count) or None."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            Check.objects.select_for_update(skip_locked=True)
            .filter(enabled=True, next_run_at__lte=now)
            .filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lte=now))
            .order_by("next_run_at")
            .values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return None
        token = secrets.token_hex(16)
        Check.objects.filter(pk__in=ids).update(lease_token=token, lease_expires_at=now + _lease())
    return token, len(ids)


def monitoring_tick(*, now: dt.datetime | None = None, enqueue=None) -> int:
    """Claim the due checks in batches and hand each batch to a worker; returns how many.

    ``enqueue(token)`` sends the batch task; tests pass their own.
    """
    if enqueue is None:
        from .tasks import monitoring_run_batch

        def enqueue(token: str) -> None:
            monitoring_run_batch.delay(token)

    batch = settings.MONITORING_BATCH_SIZE
    room = MAX_IN_FLIGHT_BATCHES * batch - checks_in_flight(now=now)
    claimed = 0
    for _n in range(MAX_BATCHES_PER_TICK):
        if room - claimed <= 0:
            break
        got = checks_claim(limit=min(batch, room - claimed), now=now)
        if got is None:
            break
        token, count = got
        enqueue(token)
        claimed += count
        if count < batch:
            break
    return claimed


# -- running a batch ---------------------------------------------------------------------------


@dataclass
class BatchReport:
    taken: int = 0
    applied: int = 0
    transitions: int = 0
    alerts: int = 0
    held: int = 0


_PROBE_FIELDS = ("pk", "kind", "config", "timeout_seconds", "degraded_latency_ms")


def run_with_deadline(specs: list[ProbeSpec], *, concurrency: int) -> list[ProbeResult]:
    """Run the probes, cut off at two thirds of the lease: a batch must finish (or give up)
    while its checks are still leased to it, so that no check ever runs twice at once."""
    deadline = settings.MONITORING_LEASE_SECONDS * 2 / 3

    async def run() -> list[ProbeResult]:
        try:
            return await asyncio.wait_for(run_probes(specs, concurrency=concurrency), deadline)
        except TimeoutError:
            logger.error("A batch of %s checks hit its %.0f s deadline", len(specs), deadline)
            return [
                ProbeResult(states.ERROR, None, "batch_deadline", {"seconds": deadline}, {})
                for _spec in specs
            ]

    return asyncio.run(run())


def batch_run(*, token: str, run=run_with_deadline) -> BatchReport:
    """Run the batch leased to ``token``; safe to call twice (the second finds nothing)."""
    now = timezone.now()
    run_token = secrets.token_hex(16)
    taken = Check.objects.filter(lease_token=token, enabled=True).update(
        lease_token=run_token, lease_expires_at=now + _lease()
    )
    report = BatchReport(taken=taken)
    if not taken:
        return report
    rows = list(Check.objects.filter(lease_token=run_token).values(*_PROBE_FIELDS))
    specs = [
        ProbeSpec(
            check_id=row["pk"],
            kind=row["kind"],
            config=row["config"] or {},
            timeout=row["timeout_seconds"],
            degraded_latency_ms=row["degraded_latency_ms"],
        )
        for row in rows
    ]
    started = timezone.now()
    results = run(specs, concurrency=settings.MONITORING_CONCURRENCY)
    outcomes = {
        spec.check_id: (started, result) for spec, result in zip(specs, results, strict=True)
    }
    return _apply(run_token=run_token, outcomes=outcomes, report=report)


# -- applying results --------------------------------------------------------------------------


def _active_windows(
    client_ids: Iterable[int], now: dt.datetime
) -> dict[int, list[tuple[MaintenanceWindow, set[int], str]]]:
    """Per client, the windows in force now: (window, its check ids or empty for all, reason)."""
    yesterday = (now - dt.timedelta(days=1)).date()
    windows = list(
        MaintenanceWindow.objects.filter(client_id__in=set(client_ids), starts_at__lte=now)
        .filter(
            Q(recurrence=MaintenanceWindow.Recurrence.NONE, ends_at__gt=now)
            | (
                ~Q(recurrence=MaintenanceWindow.Recurrence.NONE)
                & (Q(repeat_until__isnull=True) | Q(repeat_until__gte=yesterday))
            )
        )
        .select_related("client")
    )
    if not windows:
        return {}
    through = MaintenanceWindow.checks.through
    scope: dict[int, set[int]] = defaultdict(set)
    for window_id, check_id in through.objects.filter(
        maintenancewindow_id__in=[w.pk for w in windows]
    ).values_list("maintenancewindow_id", "check_id"):
        scope[window_id].add(check_id)
    active: dict[int, list] = defaultdict(list)
    for w in windows:
        occurrence = maintenance.active_at(
            starts_at=w.starts_at,
            ends_at=w.ends_at,
            recurrence=w.recurrence,
            repeat_until=w.repeat_until,
            tz=ZoneInfo(w.client.time_zone),
            at=now,
        )
        if occurrence is not None:
            reason = _("Maintenance window: %(name)s") % {"name": w.name}
            active[w.client_id].append((w, scope.get(w.pk, set()), reason))
    return active


def _maintenance_reason(windows, check_id: int) -> str | None:
    for _window, check_ids, reason in windows:
        if not check_ids or check_id in check_ids:
            return reason
    return None


def _outage_verdict(failing_by_client: dict[int, list[bool]]) -> tuple[bool | None, int, int]:
    """(True: the host looks cut off, False: it clearly is not, None: too little to tell),
    failing clients, clients seen."""
    seen = len(failing_by_client)
    failing = sum(1 for flags in failing_by_client.values() if sum(flags) * 2 > len(flags))
    if seen < OUTAGE_MIN_CLIENTS:
        return None, failing, seen
    if failing >= OUTAGE_START_RATIO * seen:
        return True, failing, seen
    if failing <= OUTAGE_END_RATIO * seen:
        return False, failing, seen
    return None, failing, seen


def _outage_update(
    verdict: bool | None, failing: int, seen: int, now: dt.datetime
) -> tuple[MonitoringOutage | None, list[OutboxMessage]]:
    """Open, confirm or close the outage; returns the open one (if any) and its events."""
    outage = MonitoringOutage.objects.select_for_update().filter(is_open=True).first()
    messages: list[OutboxMessage] = []
    if outage is not None and (verdict is False or now - outage.confirmed_at > OUTAGE_STALE):
        outage.is_open, outage.ended_at = False, now
        outage.save(update_fields=["is_open", "ended_at"])
        messages.append(
            OutboxMessage(
                OUTAGE_TOPIC,
                f"monitoring:outage:{outage.pk}:ended",
                {"outage_id": outage.pk, "event": "ended", "at": now.isoformat()},
            )
        )
        outage = None
    if verdict is True:
        if outage is None:
            try:
                with transaction.atomic():
                    outage = MonitoringOutage.objects.create(
                        started_at=now,
                        confirmed_at=now,
                        clients_failing=failing,
                        clients_seen=seen,
                    )
            except IntegrityError:  # another batch opened it a moment ago
                outage = MonitoringOutage.objects.select_for_update().get(is_open=True)
            else:
                logger.warning(
                    "Monitoring degraded: %s of %s clients failing at once", failing, seen
                )
                messages.append(
                    OutboxMessage(
                        OUTAGE_TOPIC,
                        f"monitoring:outage:{outage.pk}:started",
                        {
                            "outage_id": outage.pk,
                            "event": "started",
                            "at": now.isoformat(),
                            "clients_failing": failing,
                            "clients_seen": seen,
                        },
                    )
                )
        outage.confirmed_at = now
        outage.clients_failing, outage.clients_seen = failing, seen
    return outage, messages


def _view(check: Check) -> states.CheckView:
    heartbeat = check.kind == Check.Kind.HEARTBEAT
    return states.CheckView(
        state=check.state,
        consecutive_failures=check.consecutive_failures,
        consecutive_successes=check.consecutive_successes,
        recent_outcomes=check.recent_outcomes,
        flapping=check.flapping,
        # A missed heartbeat already had its grace period; one ping proves the job ran.
        failure_threshold=1 if heartbeat else check.failure_threshold,
        recovery_threshold=1 if heartbeat else check.recovery_threshold,
        last_alert_at=check.last_alert_at,
    )


_CHECK_FIELDS = [
    "state",
    "state_changed_at",
    "consecutive_failures",
    "consecutive_successes",
    "recent_outcomes",
    "flapping",
    "last_outcome",
    "last_latency_ms",
    "last_message",
    "last_alert_at",
    "last_run_at",
    "next_run_at",
    "lease_token",
    "lease_expires_at",
]


@dataclass
class _Writes:
    results: list[CheckResult]
    changes: list[CheckStateChange]
    messages: list[OutboxMessage]


def _record(
    check: Check,
    result: ProbeResult,
    *,
    started: dt.datetime,
    now: dt.datetime,
    maintenance_reason: str | None,
    hold_down: bool,
    writes: _Writes,
    report: BatchReport,
    next_run_at: dt.datetime,
) -> None:
    """Evaluate one result against its (locked) check and queue what it writes."""
    scheduled = check.next_run_at
    message = str(result.message)[:500]
    decision = states.evaluate(
        _view(check),
        result.outcome,
        at=started,
        in_maintenance=maintenance_reason is not None,
        hold_down=hold_down,
        reason=maintenance_reason or message,
    )
    writes.results.append(
        CheckResult(
            client_id=check.client_id,
            monitor_id=check.pk,
            outcome=result.outcome,
            latency_ms=result.latency_ms,
            message=message,
            data={**(result.data or {}), "code": result.code, "params": result.params or {}},
            scheduled_at=scheduled,
            checked_at=started,
        )
    )
    previous_state, previous_since = check.state, check.state_changed_at
    check.state = decision.state
    check.consecutive_failures = decision.consecutive_failures
    check.consecutive_successes = decision.consecutive_successes
    check.recent_outcomes = decision.recent_outcomes
    check.flapping = decision.flapping
    check.last_alert_at = decision.last_alert_at
    check.last_outcome = result.outcome
    check.last_latency_ms = result.latency_ms
    check.last_message = message
    check.last_run_at = started
    check.next_run_at = next_run_at
    check.lease_token, check.lease_expires_at = "", None
    report.applied += 1
    report.held += decision.held
    if decision.transition:
        from_state, to_state, reason = decision.transition
        check.state_changed_at = started
        report.transitions += 1
        writes.changes.append(
            CheckStateChange(
                client_id=check.client_id,
                monitor_id=check.pk,
                from_state=from_state,
                to_state=to_state,
                at=started,
                reason=reason[:500],
            )
        )
        if CheckState.DOWN in (from_state, to_state):
            writes.messages.append(
                OutboxMessage(
                    STATE_TOPIC,
                    f"check:{check.pk}:state:{started.isoformat()}",
                    {
                        "check_id": check.pk,
                        "check": check.name,
                        "from": from_state,
                        "to": to_state,
                        "at": started.isoformat(),
                        "reason": reason[:500],
                    },
                    client_id=check.client_id,
                )
            )
    for alert in decision.alerts:
        report.alerts += 1
        writes.messages.append(
            OutboxMessage(
                ALERT_TOPIC,
                f"check:{check.pk}:{alert}:{started.isoformat()}",
                {
                    "check_id": check.pk,
                    "alert": alert,
                    "at": started.isoformat(),
                    "message": message,
                    "state": decision.state,
                    "previous_state": previous_state,
                    # For a recovery: since when it was down.
                    "since": (previous_since.isoformat() if previous_since else None),
                    "failures": decision.consecutive_failures,
                },
                client_id=check.client_id,
            )
        )


def checks_save(checks: list[Check], names: list[str] = _CHECK_FIELDS) -> None:
    """Write these fields of many checks in one statement.

    ``bulk_update`` builds a CASE per field and row and spent about two seconds of Python on a
    batch of 500; PostgreSQL takes ``UPDATE ... FROM (VALUES ...)`` instead, each value adapted
    and cast by its field as the ORM would. SQLite runs one prepared UPDATE per row, in process.
    """
    if not checks:
        return
    fields = [Check._meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    table = quote(Check._meta.db_table)

    def values(check: Check) -> list:
        return [f.get_db_prep_save(getattr(check, f.attname), connection) for f in fields]

    if connection.vendor == "postgresql":
        from psycopg2.extras import execute_values

        casts = ", ".join(f"%s::{f.db_type(connection)}" for f in fields)
        template = f"(%s::bigint, {casts})"
        columns = ", ".join(quote(f.column) for f in fields)
        sets = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in fields)
        sql = (
            f"UPDATE {table} AS c SET {sets} FROM (VALUES %s) AS v(id, {columns}) WHERE c.id = v.id"
        )
        with connection.cursor() as cursor:
            execute_values(
                cursor.cursor,  # the psycopg2 cursor under Django's wrapper
                sql,
                [[check.pk, *values(check)] for check in checks],
                template=template,
                page_size=len(checks),
            )
        return
    sets = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET {sets} WHERE id = %s",
            [[*values(check), check.pk] for check in checks],
        )


def _flush(checks: list[Check], writes: _Writes) -> None:
    CheckResult.objects.bulk_create(writes.results, batch_size=500)
    if writes.changes:
        CheckStateChange.objects.bulk_create(writes.changes, batch_size=500)
    checks_save(checks)
    if writes.messages:
        outbox_publish_many(writes.messages)


def _apply(
    *,
    run_token: str,
    outcomes: dict[int, tuple[dt.datetime, ProbeResult]],
    report: BatchReport,
) -> BatchReport:
    now = timezone.now()
    with transaction.atomic():
        checks = list(
            Check.objects.select_for_update().filter(lease_token=run_token, pk__in=list(outcomes))
        )
        if not checks:
            return report
        windows = _active_windows({c.client_id for c in checks}, now)
        failing_by_client: dict[int, list[bool]] = defaultdict(list)
        for check in checks:
            failing_by_client[check.client_id].append(
                outcomes[check.pk][1].outcome == states.FAILURE
            )
        verdict, failing, seen = _outage_verdict(failing_by_client)
        outage, messages = _outage_update(verdict, failing, seen, now)
        writes = _Writes(results=[], changes=[], messages=messages)
        for check in checks:
            started, result = outcomes[check.pk]
            if _awaiting_first_ping(check, now):
                continue
            failing_now = result.outcome == states.FAILURE
            _record(
                check,
                result,
                started=started,
                now=now,
                maintenance_reason=_maintenance_reason(windows.get(check.client_id, ()), check.pk),
                hold_down=outage is not None,
                writes=writes,
                report=report,
                next_run_at=next_run(
                    check_id=check.pk,
                    kind=check.kind,
                    scheduled=check.next_run_at,
                    now=now,
                    interval=check.interval_seconds,
                    retry_interval=check.retry_interval_seconds,
                    failing=failing_now,
                ),
            )
        if outage is not None:
            outage.held_transitions += report.held
            outage.save(
                update_fields=[
                    "confirmed_at",
                    "clients_failing",
                    "clients_seen",
                    "held_transitions",
                ]
            )
        _flush(checks, writes)
    return report


# -- heartbeats -------------------------------------------------------------------------------


def _awaiting_first_ping(check: Check, now: dt.datetime) -> bool:
    """A heartbeat check just created or resumed gets a whole period and its grace before its
    first ping is missed; until then it is only rescheduled (no result, no state change)."""
    if check.kind != Check.Kind.HEARTBEAT or check.state != CheckState.UNKNOWN:
        return False
    since = max(filter(None, (check.created_at, check.state_changed_at, check.last_run_at)))
    deadline = since + dt.timedelta(seconds=check.interval_seconds + check.grace_seconds)
    if deadline <= now:
        return False
    check.next_run_at, check.lease_token, check.lease_expires_at = deadline, "", None
    return True


def heartbeat_record(
    *, token: str, ok: bool = True, message: str = "", at: dt.datetime | None = None
) -> Check | None:
    """A ping from a client's job: record it, move the deadline, and apply the state machine.

    Returns None for an unknown token. The lease is cleared, so an engine run that claimed the
    check because its deadline had just passed drops its "missed" result.
    """
    at = at or timezone.now()
    with transaction.atomic():
        check = (
            Check.objects.select_for_update()
            .filter(heartbeat_token=token, kind=Check.Kind.HEARTBEAT)
            .first()
        )
        if check is None:
            return None
        result = ProbeResult(
            outcome=states.SUCCESS if ok else states.FAILURE,
            latency_ms=None,
            code="heartbeat_ok" if ok else "heartbeat_fail",
            params={"detail": message[:200]} if message else {},
            data={"source": "ping"},
        )
        deadline = at + dt.timedelta(seconds=check.interval_seconds + check.grace_seconds)
        if not check.enabled:
            # Paused: keep the ping for the record, change nothing else.
            CheckResult.objects.create(
                client_id=check.client_id,
                monitor=check,
                outcome=result.outcome,
                message=str(result.message)[:500],
                data={**result.data, "code": result.code, "params": result.params},
                checked_at=at,
            )
            return check
        windows = _active_windows([check.client_id], at)
        writes = _Writes(results=[], changes=[], messages=[])
        report = BatchReport()
        _record(
            check,
            result,
            started=at,
            now=at,
            maintenance_reason=_maintenance_reason(windows.get(check.client_id, ()), check.pk),
            hold_down=False,  # a ping comes in: the host's own network is not in question
            writes=writes,
            report=report,
            next_run_at=deadline,
        )
        writes.results[0].scheduled_at = None  # pushed, not scheduled
        _flush([check], writes)
    return check
