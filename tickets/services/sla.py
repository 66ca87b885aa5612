"""The stored SLA timers: recomputed with every ticket change, swept every minute.

The arithmetic is ``contracts.sla`` (pure). Here it meets the database: the ticket's timeline
becomes the core's event log, the results are stored on ``SlaTimer`` rows (due, warning and
critical instants, breach, outcome), and the sweep turns instants that have passed into one
``SlaEscalation`` per ticket, timer and level -- a unique row, so two workers, a redelivered
task or a crash between the write and the send cannot escalate twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from contracts import sla
from contracts.models import SLASnapshot
from contracts.services import sla_snapshot_for
from msp_portal.core.outbox import outbox_publish_many

from ..models import SlaEscalation, SlaRank, SlaTimer, Ticket, TicketEvent
from .publish import sla_breach_message

logger = logging.getLogger(__name__)

Level = SlaTimer.Level
SWEEP_BATCH = 5000
SEND_BATCH = 200
SEND_CLAIM = dt.timedelta(minutes=5)
SEND_MAX_ATTEMPTS = 5


# --- from the timeline to the SLA core ---------------------------------------------------------


@lru_cache(maxsize=256)
def _policy(digest: str, spec_json: str) -> sla.Policy:
    return sla.Policy.from_spec(json.loads(spec_json), {})


def snapshot_policy(snapshot: SLASnapshot) -> sla.Policy:
    """The SLA core's policy for one stored snapshot; snapshots never change, so their digest
    keys a cache and a ticket change does not rebuild calendars."""
    return _policy(snapshot.digest, json.dumps(snapshot.spec, sort_keys=True))


_TIMELINE_KINDS = (
    TicketEvent.Kind.CREATED,
    TicketEvent.Kind.REPLY,
    TicketEvent.Kind.NOTE,
    TicketEvent.Kind.STATUS,
    TicketEvent.Kind.PRIORITY,
)


# The recompute runs inside every ticket change, so its read skips the queryset compiler:
# measured with make bench-sla, building the query cost more than running it.
_EVENTS_SQL = (
    f"SELECT kind, actor, automated, data, created_at FROM {TicketEvent._meta.db_table} "
    f"WHERE ticket_id = %s AND kind IN ({', '.join(repr(str(k)) for k in _TIMELINE_KINDS)}) "
    "ORDER BY created_at, id"
)


def _json(value):
    """JSON columns come back as text from both backends' raw cursors."""
    return json.loads(value) if isinstance(value, str | bytes) else (value or {})


def _instant(value) -> dt.datetime:
    """PostgreSQL returns aware datetimes; SQLite returns Django's naive UTC text."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC)


def sla_events(ticket: Ticket) -> tuple[str, list[sla.Event]]:
    """The ticket's initial priority and its timeline in the core's vocabulary."""
    with connection.cursor() as cursor:
        cursor.execute(_EVENTS_SQL, [ticket.pk])
        rows = [
            (kind, actor, bool(automated), _json(data), _instant(at))
            for kind, actor, automated, data, at in cursor.fetchall()
        ]
    priority = ticket.priority
    events: list[sla.Event] = []
    for kind, actor, automated, data, at in rows:
        if kind == TicketEvent.Kind.CREATED:
            priority = (data or {}).get("priority", priority)
        elif kind == TicketEvent.Kind.REPLY:
            if actor == TicketEvent.Actor.CLIENT:
                events.append(sla.Event(at=at, type="customer_message"))
            else:
                events.append(
                    sla.Event(
                        at=at,
                        type="agent_reply",
                        public=True,
                        automated=automated or actor == TicketEvent.Actor.SYSTEM,
                    )
                )
        elif kind == TicketEvent.Kind.NOTE:
            events.append(sla.Event(at=at, type="internal_note"))
        elif kind == TicketEvent.Kind.STATUS:
            # The core reopens on a client's message by itself; the stored echo adds nothing.
            if (data or {}).get("cause") != "client_replied":
                events.append(sla.Event(at=at, type="status", to=data["to"]))
        elif kind == TicketEvent.Kind.PRIORITY:
            events.append(sla.Event(at=at, type="priority", to=data["to"]))
    return priority, events


def evaluate_ticket(ticket: Ticket, *, now: dt.datetime) -> list[sla.TimerResult]:
    """The pure evaluation of a ticket's timers at ``now`` (nothing stored)."""
    if ticket.sla_snapshot_id is None:
        return []
    priority, events = sla_events(ticket)
    return sla.evaluate(
        snapshot_policy(ticket.sla_snapshot),
        created_at=ticket.created_at,
        priority=priority,
        status=Ticket.Status.NEW,
        events=events,
        now=now,
    )


# --- storing --------------------------------------------------------------------------------


def _level_instants(timer: SlaTimer) -> list[tuple[int, dt.datetime | None]]:
    breach = timer.breach_at if timer.breached else timer.due_at
    return [
        (Level.WARNING, timer.warning_at),
        (Level.CRITICAL, timer.critical_at),
        (Level.BREACHED, breach),
    ]


_RESULT_FIELDS = (
    "priority",
    "target_minutes",
    "state",
    "started_at",
    "elapsed_seconds",
    "due_at",
    "warning_at",
    "critical_at",
    "breached",
    "breach_at",
    "stopped_at",
)


_WRITTEN_FIELDS = [*_RESULT_FIELDS, "outcome", "computed_at"]


def _timer_row(ticket: Ticket, result: sla.TimerResult, now: dt.datetime) -> SlaTimer:
    timer = SlaTimer(
        client_id=ticket.client_id, ticket_id=ticket.pk, kind=result.kind, cycle=result.cycle,
        outcome=result.outcome or "", computed_at=now,
    )  # fmt: skip
    for field in _RESULT_FIELDS:
        setattr(timer, field, getattr(result, field))
    return timer


def sla_refresh(ticket: Ticket, *, now: dt.datetime | None = None) -> list[SlaTimer]:
    """Recompute and store the ticket's timers; called inside every ticket change, under the
    ticket's row lock, so the stored timers always match the timeline.

    One upsert writes them all: the escalation cursor (alerted_level) is left as the sweep set
    it, and the database derives next_alert_at from it. A timer never disappears under the same
    rules; sla_rebuild clears them when the rules change.
    """
    now = now or timezone.now()
    timers = [_timer_row(ticket, r, now) for r in evaluate_ticket(ticket, now=now)]
    if timers:
        _upsert(timers)
    rank, due_at = sla_summary(timers, now)
    if (rank, due_at) != (ticket.sla_rank, ticket.sla_due_at):
        ticket.sla_rank, ticket.sla_due_at = rank, due_at
        Ticket.objects.filter(pk=ticket.pk).update(sla_rank=rank, sla_due_at=due_at)
    return timers


def sla_summary(timers: Iterable[SlaTimer], now: dt.datetime) -> tuple[int, dt.datetime | None]:
    """A ticket's SLA rank (breached, at risk, on track, paused, none) and its next due instant,
    from its timers at ``now``: what Ticket.sla_rank and Ticket.sla_due_at store."""
    timers = list(timers)
    running = [t for t in timers if t.state == SlaTimer.State.RUNNING]
    dues = [t.due_at for t in running if t.due_at is not None]
    due_at = min(dues) if dues else None
    if any(t.breached for t in timers) or (due_at is not None and due_at < now):
        return SlaRank.BREACHED, due_at
    if any(t.warning_at is not None and t.warning_at <= now for t in running):
        return SlaRank.AT_RISK, due_at
    if running:
        return SlaRank.RUNNING, due_at
    if any(t.state == SlaTimer.State.PAUSED for t in timers):
        return SlaRank.PAUSED, None
    return SlaRank.NONE, None


def sla_summaries_store(ticket_ids: Iterable[int], *, now: dt.datetime) -> int:
    """Recompute the stored SLA rank and due instant of these tickets from their stored timers
    (two queries a batch, whatever the number); returns how many tickets changed."""
    ticket_ids = sorted(set(ticket_ids))
    changed = 0
    for start in range(0, len(ticket_ids), SWEEP_BATCH):
        batch = ticket_ids[start : start + SWEEP_BATCH]
        by_ticket: dict[int, list[SlaTimer]] = {pk: [] for pk in batch}
        for timer in SlaTimer.objects.filter(ticket_id__in=batch).only(
            "ticket_id", "state", "breached", "due_at", "warning_at"
        ):
            by_ticket[timer.ticket_id].append(timer)
        tickets = list(Ticket.objects.filter(pk__in=batch).only("pk", "sla_rank", "sla_due_at"))
        stale = []
        for ticket in tickets:
            summary = sla_summary(by_ticket[ticket.pk], now)
            if summary != (ticket.sla_rank, ticket.sla_due_at):
                ticket.sla_rank, ticket.sla_due_at = summary
                stale.append(ticket)
        Ticket.objects.bulk_update(stale, ["sla_rank", "sla_due_at"])
        changed += len(stale)
    return changed


_KEY_FIELDS = ["client", "ticket", "kind", "cycle"]


def _upsert(timers: list[SlaTimer]) -> None:
    """INSERT ... ON CONFLICT DO UPDATE of the timers' computed values, in one statement
    (PostgreSQL and SQLite both speak it). Written out because bulk_create's upsert spends
    longer building the statement than the database spends running it; values are adapted by
    their fields exactly as the ORM adapts them."""
    fields = [SlaTimer._meta.get_field(name) for name in [*_KEY_FIELDS, *_WRITTEN_FIELDS]]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    updates = ", ".join(
        f"{quote(f.column)} = EXCLUDED.{quote(f.column)}" for f in fields[len(_KEY_FIELDS) :]
    )
    sql = (
        f"INSERT INTO {SlaTimer._meta.db_table} ({columns}, {quote('alerted_level')}) "
        f"VALUES {', '.join([row[:-1] + ', 0)'] * len(timers))} "
        f"ON CONFLICT ({quote('ticket_id')}, {quote('kind')}, {quote('cycle')}) "
        f"DO UPDATE SET {updates}"
    )
    params = [
        f.get_db_prep_save(getattr(timer, f.attname), connection)
        for timer in timers
        for f in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@transaction.atomic
def sla_rebuild(*, tickets: Iterable[Ticket], now: dt.datetime | None = None) -> int:
    """Move open tickets onto their contract's current SLA rules and recompute them.

    Running timers keep the rules they started with; this is the explicit step an admin takes
    to apply an edited policy or calendar to tickets already open. Returns how many moved.
    """
    count = 0
    for ticket in tickets:
        ticket = (
            Ticket.objects.select_related("contract", "sla_snapshot")
            .select_for_update(of=("self",))
            .get(pk=ticket.pk)
        )
        if not ticket.is_open:
            continue
        snapshot = sla_snapshot_for(ticket.contract) if ticket.contract_id else None
        if getattr(snapshot, "pk", None) != ticket.sla_snapshot_id:
            ticket.sla_snapshot = snapshot
            ticket.save(update_fields=["sla_snapshot"])
            SlaTimer.objects.filter(ticket_id=ticket.pk).delete()  # new rules, new timers
            count += 1
        sla_refresh(ticket, now=now)
    return count


# --- the sweep ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepResult:
    examined: int
    escalated: int


def _level_reached(timer: SlaTimer, now: dt.datetime) -> int:
    if timer.breached and timer.breach_at is not None and timer.breach_at < now:
        return Level.BREACHED
    if timer.state == SlaTimer.State.RUNNING:
        if timer.due_at is not None and now > timer.due_at:
            return Level.BREACHED
        if timer.critical_at is not None and now >= timer.critical_at:
            return Level.CRITICAL
        if timer.warning_at is not None and now >= timer.warning_at:
            return Level.WARNING
    return Level.NONE


def _recipients(ticket: Ticket, level: int) -> list[dict]:
    """Who hears of it: the assignee (or the queue) from the warning on, the queue too when
    critical. The managers hear of a breach through the ticket.sla_breached event the sweep
    publishes (msp_portal.notifications, which honours their preferences), not from here."""
    people: list[dict] = []
    if ticket.assignee_id and ticket.assignee.is_active and ticket.assignee.email:
        people.append({"email": ticket.assignee.email, "language": ticket.assignee.language})
    queue_email = ticket.queue.email if ticket.queue_id else ""
    if queue_email and (level >= Level.CRITICAL or not people):
        people.append({"email": queue_email, "language": settings.LANGUAGE_CODE})
    seen: set[str] = set()
    return [p for p in people if not (p["email"] in seen or seen.add(p["email"]))]


def _locked_due_timers(now: dt.datetime):
    timers = SlaTimer.objects.alerts_due(now).select_related(
        "ticket__assignee", "ticket__queue", "ticket__client"
    )
    if connection.features.has_select_for_update_skip_locked:
        # Two sweeps at once split the work instead of waiting on each other.
        timers = timers.select_for_update(skip_locked=True, of=("self",))
    return list(timers.order_by("next_alert_at")[:SWEEP_BATCH])


@transaction.atomic
def sla_sweep(*, now: dt.datetime | None = None) -> SweepResult:
    """Escalate every timer whose warning, critical or due instant has passed, exactly once
    per ticket, timer and level, with a constant number of queries whatever the volume."""
    now = now or timezone.now()
    timers = _locked_due_timers(now)
    if not timers:
        return SweepResult(examined=0, escalated=0)
    escalations, events, breaches = [], [], []
    raised: dict[int, list[int]] = {}
    for timer in timers:
        level = _level_reached(timer, now)
        if level > timer.alerted_level:
            ticket = timer.ticket
            reached = dict(_level_instants(timer))[level] or now
            escalations.append(
                SlaEscalation(
                    client_id=timer.client_id, ticket_id=timer.ticket_id, kind=timer.kind,
                    cycle=timer.cycle, level=level, reached_at=reached, created_at=now,
                    recipients=_recipients(ticket, level),
                )
            )  # fmt: skip
            events.append(
                TicketEvent(
                    ticket_id=timer.ticket_id, client_id=timer.client_id,
                    kind=TicketEvent.Kind.SLA, actor=TicketEvent.Actor.SYSTEM, public=False,
                    automated=True, created_at=now,
                    data={"timer": timer.kind, "cycle": timer.cycle, "level": int(level),
                          "due_at": timer.due_at.isoformat() if timer.due_at else None},
                )
            )  # fmt: skip
            raised.setdefault(level, []).append(timer.pk)
            if level == Level.BREACHED:
                breaches.append(sla_breach_message(ticket, timer, reached_at=reached))
    # A unique row per (ticket, timer, cycle, level): a second sweep racing this one inserts
    # nothing, and a level already recorded is never recorded again.
    SlaEscalation.objects.bulk_create(escalations, ignore_conflicts=True)
    TicketEvent.objects.bulk_create(events)
    # Keyed like the escalation, so a breach a racing sweep already recorded is not published
    # again: one INSERT for all of them, whatever the volume.
    outbox_publish_many(breaches)
    # One UPDATE per level reached (at most three); next_alert_at follows in the database.
    for level, pks in raised.items():
        SlaTimer.objects.filter(pk__in=pks).update(alerted_level=level)
    # A threshold crossed moves the ticket up the queue: at risk, then breached.
    sla_summaries_store({timer.ticket_id for timer in timers}, now=now)
    if escalations:
        from ..tasks import sla_send_escalations

        transaction.on_commit(sla_send_escalations.delay)
    return SweepResult(examined=len(timers), escalated=len(escalations))


# --- sending --------------------------------------------------------------------------------


def _claim(now: dt.datetime) -> list[SlaEscalation]:
    """Claim unsent escalations for a while (a conditional update, so two senders never take
    the same row); the claim lapses if this sender dies before marking them sent."""
    claimable = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    candidates = list(
        SlaEscalation.objects.filter(
            claimable, sent_at__isnull=True, attempts__lt=SEND_MAX_ATTEMPTS
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:SEND_BATCH]
    )
    token = secrets.token_hex(16)
    SlaEscalation.objects.filter(claimable, pk__in=candidates, sent_at__isnull=True).update(
        claimed_until=now + SEND_CLAIM, claim_token=token
    )
    return list(
        SlaEscalation.objects.filter(claim_token=token, sent_at__isnull=True).select_related(
            "ticket__client"
        )
    )


def _message(escalation: SlaEscalation, recipient: dict) -> EmailMultiAlternatives:
    ticket = escalation.ticket
    with translation.override(recipient.get("language") or settings.LANGUAGE_CODE), \
            timezone.override(ticket.client.time_zone):  # fmt: skip
        context = {
            "ticket": ticket,
            "escalation": escalation,
            "url": settings.PORTAL_BASE_URL.rstrip("/") + ticket.get_absolute_url(),
        }
        subject = render_to_string("tickets/email/sla_escalation_subject.txt", context)
        body = render_to_string("tickets/email/sla_escalation.txt", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()), body=body, to=[recipient["email"]]
    )
    # The same escalation always carries the same Message-ID: a re-send after a crash is
    # recognisable as a duplicate by the receiving side.
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "msp-portal"
    who = hashlib.sha256(recipient["email"].encode()).hexdigest()[:12]
    message.extra_headers["Message-ID"] = f"<sla-{escalation.pk}-{who}@{domain}>"
    message.extra_headers["Auto-Submitted"] = "auto-generated"
    return message


def sla_escalations_send(*, now: dt.datetime | None = None) -> int:
    """Send the escalations recorded by the sweep; returns how many were sent."""
    now = now or timezone.now()
    sent = 0
    with get_connection() as mail:
        for escalation in _claim(now):
            try:
                mail.send_messages([_message(escalation, r) for r in escalation.recipients])
            except Exception as exc:
                logger.warning("SLA escalation %s not sent: %s", escalation.pk, exc)
                SlaEscalation.objects.filter(pk=escalation.pk).update(
                    attempts=escalation.attempts + 1, last_error=str(exc)[:500],
                    claimed_until=None,
                )  # fmt: skip
                continue
            SlaEscalation.objects.filter(pk=escalation.pk).update(
                sent_at=timezone.now(), attempts=escalation.attempts + 1, last_error=""
            )
            sent += 1
    return sent
