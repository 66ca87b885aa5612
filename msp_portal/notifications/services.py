"""Notifications: decide who hears of a ticket change, then e-mail each of them exactly once.

The path of one change: ``outbox_dispatch`` (core) calls :func:`notifications_dispatch` with
the committed event; it works out the recipients and writes one ``Notification`` per message
(its idempotency key is unique, so a second dispatch adds none) and enqueues
:func:`notification_send` for each after commit. A message is claimed by a conditional UPDATE
before it is sent, so two workers never send it at once, and the SMTP conversation happens
outside any transaction. A failed attempt waits with a growing delay for
:func:`notifications_send_due` (beat); after ``NOTIFICATIONS_MAX_ATTEMPTS`` it is parked with its
error until an administrator re-queues it.

Who hears of what:

- ticket opened, public staff reply, ticket resolved: the requester and the copied contacts;
- a client's reply (portal or e-mail): the assignee, else the ticket's queue address;
- an SLA breach: the managers who see the client.

Never the author of the change, never an inactive person or an empty address, never anyone of
another client, and never a kind its recipient turned off. Internal notes publish nothing, and
the timeline entry a message quotes is checked public again when the message is rendered.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import random
import traceback
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation

from clients.models import Client
from msp_portal.accounts.models import Role, User
from msp_portal.core.jsonscrub import json_column_scrub
from msp_portal.core.models import OutboxEvent
from tickets import mailrefs
from tickets.models import SlaTimer, Ticket, TicketEvent

from .models import CONTACT_KINDS, Audience, Kind, Notification, NotificationPreference, kinds_for

logger = logging.getLogger(__name__)

Status = Notification.Status

OPENED = "ticket.opened"
UPDATED = "ticket.updated"
SLA_BREACHED = "ticket.sla_breached"

#: Delay before the retry that follows the n-th failed attempt (1 min, 5 min, 30 min, 2 h; the
#: last repeats), each spread by +/- 20 % so a mail server that comes back is not stampeded.
RETRY_DELAYS = (60, 300, 1800, 7200)
JITTER = 0.2
#: How long a sender holds a claimed message; longer than the SMTP timeout below.
CLAIM = dt.timedelta(minutes=5)
SMTP_TIMEOUT = 60
DUE_BATCH = 500
ERROR_LIMIT = 2000


# --- who --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """One address a message goes to, and what the message must know about that person."""

    email: str
    audience: str
    language: str
    user_id: int | None = None
    contact_id: int | None = None


def _language(user: User | None, fallback: str = "") -> str:
    return (user.language if user is not None else "") or fallback or settings.LANGUAGE_CODE


def _disabled(user_ids: Iterable[int], kind: str) -> set[int]:
    """The users among these who turned this kind off (one query)."""
    ids = [pk for pk in user_ids if pk is not None]
    if not ids:
        return set()
    return set(
        NotificationPreference.objects.filter(
            user_id__in=ids, kind=kind, enabled=False
        ).values_list("user_id", flat=True)
    )


def _other_clients_logins(emails: Iterable[str], client_id: int) -> set[str]:
    """Addresses that are the login of a person of another client: a contact record that
    points there is a misconfiguration, and another client's person must never get our mail."""
    emails = [e.lower() for e in emails if e]  # logins are stored lower-case
    if not emails:
        return set()
    return {
        e.lower()
        for e in User.objects.filter(email__in=emails, client__isnull=False)
        .exclude(client_id=client_id)
        .values_list("email", flat=True)
    }


def _sees_client(user: User, client_id: int) -> bool:
    return Client.objects.for_user(user).filter(pk=client_id).exists()


def contact_recipients(
    ticket: Ticket, *, kind: str, exclude: Iterable[str] = ()
) -> list[Recipient]:
    """The requester and the copied contacts who should get this client-side kind."""
    if kind not in CONTACT_KINDS:
        raise ValueError(f"{kind} is not a kind for contacts")
    contacts = []
    if ticket.contact_id:
        contacts.append(ticket.contact)
    contacts += list(ticket.cc_contacts.select_related("user").order_by("pk"))
    excluded = {e.lower() for e in exclude if e}
    candidates = [
        c
        for c in contacts
        if c.client_id == ticket.client_id
        and c.is_active
        and c.email
        and (c.user_id is None or (c.user.is_active and c.user.client_id == ticket.client_id))
    ]
    foreign = _other_clients_logins([c.email for c in candidates], ticket.client_id)
    off = _disabled([c.user_id for c in candidates], kind)
    client_language = ticket.client.language
    people, seen = [], set(excluded)
    for contact in candidates:
        email = contact.email.lower()
        if email in seen or email in foreign or contact.user_id in off:
            continue
        seen.add(email)
        people.append(
            Recipient(
                email=contact.email,
                audience=Audience.CLIENT,
                language=_language(contact.user, client_language),
                user_id=contact.user_id,
                contact_id=contact.pk,
            )
        )
    return people


def _staff_recipient(user: User, ticket: Ticket) -> Recipient | None:
    if not (user.is_active and user.is_msp_staff and user.email):
        return None
    if not _sees_client(user, ticket.client_id):
        return None
    return Recipient(
        email=user.email, audience=Audience.STAFF, language=_language(user), user_id=user.pk
    )


def client_reply_recipients(ticket: Ticket, *, exclude: Iterable[str] = ()) -> list[Recipient]:
    """The assignee; when nobody (able to) is assigned, the queue's shared address. Nobody
    else: a ticket without either waits in the queue page, not in every technician's inbox."""
    excluded = {e.lower() for e in exclude if e}
    assignee = ticket.assignee if ticket.assignee_id else None
    person = _staff_recipient(assignee, ticket) if assignee is not None else None
    if person is not None:
        if person.user_id in _disabled([person.user_id], Kind.CLIENT_REPLY):
            return []
        return [] if person.email.lower() in excluded else [person]
    email = ticket.queue.email if ticket.queue_id else ""
    if not email or email.lower() in excluded:
        return []
    if User.objects.filter(email__iexact=email, client__isnull=False).exists():
        return []  # a queue address must be the MSP's, never a client's person
    return [Recipient(email=email, audience=Audience.STAFF, language=settings.LANGUAGE_CODE)]


def manager_recipients(ticket: Ticket) -> list[Recipient]:
    """The active managers who see the ticket's client and did not turn breaches off."""
    managers = [
        m
        for m in User.objects.filter(role=Role.MANAGER, is_active=True).exclude(email="")
        if _sees_client(m, ticket.client_id)
    ]
    off = _disabled([m.pk for m in managers], Kind.SLA_BREACH)
    people = [_staff_recipient(m, ticket) for m in managers if m.pk not in off]
    return [p for p in people if p is not None]


# --- what -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """The messages one event calls for: a kind, its recipients, what they quote."""

    kind: str
    recipients: list[Recipient]
    ticket_event: TicketEvent | None = None
    context: dict | None = None


def _is_backfill(event: OutboxEvent, payload_ticket: dict) -> bool:
    """True for a change recorded with an instant long past (an import, the demo's history):
    people must not be mailed about what happened weeks ago. A live change is published in the
    transaction that makes it, so its instant and the event's are the same moment."""
    stamp = payload_ticket.get("updated_at")
    if not stamp:
        return False
    try:
        at = dt.datetime.fromisoformat(stamp)
    except ValueError:
        return False
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    limit = dt.timedelta(hours=settings.NOTIFICATIONS_MAX_AGE_HOURS)
    return event.created_at - at > limit


def _reply_event(ticket: Ticket, event_id) -> TicketEvent | None:
    return (
        TicketEvent.objects.for_client(ticket.client_id)
        .select_related("author", "author_contact")
        .filter(pk=event_id, ticket=ticket, kind=TicketEvent.Kind.REPLY, public=True)
        .first()
    )


def _author_addresses(event: TicketEvent | None, actor: str | None) -> list[str]:
    addresses = [actor or ""]
    if event is not None:
        if event.author_id:
            addresses.append(event.author.email)
        if event.author_contact_id:
            addresses.append(event.author_contact.email)
    return addresses


def notifications_plan(event: OutboxEvent, ticket: Ticket) -> list[Plan]:
    """What this event calls for, from its topic and payload."""
    payload = event.payload or {}
    if event.topic == SLA_BREACHED:
        return [Plan(Kind.SLA_BREACH, manager_recipients(ticket), context=payload.get("sla"))]
    if _is_backfill(event, payload.get("ticket") or {}):
        return []
    if event.topic == OPENED:
        # The person who opened it through the portal gets it too: their acknowledgement,
        # with the reference to quote.
        return [Plan(Kind.TICKET_OPENED, contact_recipients(ticket, kind=Kind.TICKET_OPENED))]
    if event.topic != UPDATED:
        return []
    changes = payload.get("changes") or {}
    plans = []
    reply = changes.get("reply")
    if reply:
        entry = _reply_event(ticket, reply.get("event_id"))
        if entry is not None:
            authors = _author_addresses(entry, payload.get("actor"))
            if reply.get("from_client") or entry.actor == TicketEvent.Actor.CLIENT:
                people = client_reply_recipients(ticket, exclude=authors)
                plans.append(Plan(Kind.CLIENT_REPLY, people, ticket_event=entry))
            else:
                people = contact_recipients(ticket, kind=Kind.TICKET_REPLY, exclude=authors)
                plans.append(Plan(Kind.TICKET_REPLY, people, ticket_event=entry))
    status = changes.get("status") or {}
    if status.get("to") == Ticket.Status.RESOLVED:
        entry = (
            TicketEvent.objects.for_client(ticket.client_id)
            .filter(ticket=ticket, kind=TicketEvent.Kind.STATUS, public=True)
            .filter(data__to=Ticket.Status.RESOLVED)
            .order_by("-created_at", "-pk")
            .first()
        )
        authors = [payload.get("actor") or ""]
        people = contact_recipients(ticket, kind=Kind.TICKET_RESOLVED, exclude=authors)
        plans.append(Plan(Kind.TICKET_RESOLVED, people, ticket_event=entry))
    return plans


def _key(event: OutboxEvent, kind: str, email: str) -> tuple[str, str]:
    """The notification's idempotency key and its Message-ID token, both derived from the
    event's own key: the same effect always gives the same row and the same Message-ID."""
    effect = f"{event.idempotency_key}\n{kind}\n{email.lower()}"
    digest = hashlib.sha256(effect.encode()).hexdigest()
    return f"{event.topic}:{event.pk}:{kind}:{digest[:32]}", f"n{digest[:24]}"


def _instant(value) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def _sla_context(raw: dict | None) -> dict:
    """The breach details an SLA message shows, from the event's payload (ISO strings)."""
    raw = raw or {}
    timer = raw.get("timer", "")
    return {
        "timer": timer,
        "timer_name": dict(SlaTimer.Kind.choices).get(timer, timer),
        "due_at": _instant(raw.get("due_at")),
        "breached_at": _instant(raw.get("breached_at")),
    }


def _subject(kind: str, ticket: Ticket, language: str, raw: dict) -> str:
    with translation.override(language):
        text = render_to_string(
            f"notifications/email/{kind}_subject.txt",
            {"ticket": ticket, "sla": _sla_context(raw)},
        )
    return mailrefs.subject_with_tag(ticket, text)[:500]


def notifications_dispatch(*, event: OutboxEvent) -> list[int]:
    """The outbox consumer: write one notification per message this event calls for and send
    them after commit; returns the new rows' ids. Runs inside ``outbox_dispatch``'s transaction
    under the event's row lock; a second dispatch of the same event adds nothing."""
    if event.topic not in (OPENED, UPDATED, SLA_BREACHED) or event.client_id is None:
        return []
    ticket_id = ((event.payload or {}).get("ticket") or {}).get("id")
    ticket = (
        Ticket.objects.for_client(event.client_id)
        .select_related("client", "contact__user", "assignee", "queue")
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is None:
        return []
    now = timezone.now()
    rows = []
    for plan in notifications_plan(event, ticket):
        context = plan.context or {}
        for person in plan.recipients:
            key, token = _key(event, plan.kind, person.email)
            rows.append(
                Notification(
                    client_id=ticket.client_id, ticket=ticket, outbox_event=event,
                    ticket_event=plan.ticket_event, kind=plan.kind, audience=person.audience,
                    user_id=person.user_id, contact_id=person.contact_id,
                    recipient=person.email, language=person.language,
                    subject=_subject(plan.kind, ticket, person.language, context),
                    context=context, idempotency_key=key,
                    message_id=mailrefs.message_id(ticket, token),
                    next_attempt_at=now, created_at=now,
                )
            )  # fmt: skip
    if not rows:
        return []
    # Unique keys: a second dispatch of the same event inserts nothing.
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    ids = list(
        Notification.objects.filter(
            idempotency_key__in=[r.idempotency_key for r in rows],
            status=Status.PENDING,
            attempts=0,
        ).values_list("pk", flat=True)
    )
    transaction.on_commit(partial(_enqueue, ids), robust=True)
    return ids


def notifications_scrub(*, client_id: int | None, replacements: dict[str, str]) -> int:
    """Erasure (core.privacy): the person's address and name in the notifications kept about
    their client's tickets; a pending one is then skipped, its address no longer theirs."""
    rows = Notification.objects.all()
    if client_id is not None:
        rows = rows.filter(client_id=client_id)
    changed = 0
    for old, new in replacements.items():
        if "@" in old:
            changed += rows.filter(recipient__iexact=old).update(recipient=new)
    return changed + json_column_scrub(rows, "context", replacements)


def _enqueue(ids: list[int]) -> None:
    from .tasks import notification_send

    for pk in ids:
        notification_send.delay(pk)


# --- the message ------------------------------------------------------------------------------


def _url(notification: Notification) -> str:
    ticket = notification.ticket
    path = (
        ticket.get_portal_url()
        if notification.audience == Audience.CLIENT
        else ticket.get_absolute_url()
    )
    return settings.PORTAL_BASE_URL.rstrip("/") + path


def _quoted_event(notification: Notification) -> TicketEvent | None:
    """The timeline entry the message quotes, only if it is (still) public and the ticket's."""
    entry = notification.ticket_event
    if entry is None or not entry.public or entry.ticket_id != notification.ticket_id:
        return None
    return entry


def notification_message(notification: Notification) -> EmailMultiAlternatives:
    """The e-mail, text and HTML, in the recipient's language and the client's time zone."""
    ticket = notification.ticket
    kind = notification.kind
    context = {
        "ticket": ticket,
        "client": ticket.client,
        "marker": mailrefs.REPLY_MARKER,
        "url": _url(notification),
        "entry": _quoted_event(notification),
    }
    with (
        translation.override(notification.language or settings.LANGUAGE_CODE),
        timezone.override(ZoneInfo(ticket.client.time_zone)),
    ):
        context["sla"] = _sla_context(notification.context)  # timer name in this language
        text = render_to_string(f"notifications/email/{kind}.txt", context)
        html = render_to_string(f"notifications/email/{kind}.html", context)
    headers = mailrefs.thread_headers(ticket, _token(notification))
    headers["Message-ID"] = notification.message_id  # as stored: every retry carries the same
    reply_to = headers.pop("Reply-To")
    headers["Auto-Submitted"] = "auto-generated"
    headers["X-Auto-Response-Suppress"] = "All"
    message = EmailMultiAlternatives(
        subject=mailrefs.subject_with_tag(ticket, notification.subject),
        body=text,
        to=[notification.recipient],
        reply_to=[reply_to],
        headers=headers,
    )
    message.attach_alternative(html, "text/html")
    return message


def _token(notification: Notification) -> str:
    """The Message-ID token stored at creation (``<t{pk}.{token}.{sig}@domain>``)."""
    return notification.message_id.strip("<>").split(".")[1]


# --- sending ----------------------------------------------------------------------------------


def max_attempts() -> int:
    return max(1, int(settings.NOTIFICATIONS_MAX_ATTEMPTS))


def retry_delay(failed_attempts: int) -> dt.timedelta:
    """How long to wait after the n-th failed attempt (n >= 1), jittered."""
    base = RETRY_DELAYS[min(max(failed_attempts, 1), len(RETRY_DELAYS)) - 1]
    return dt.timedelta(seconds=base * random.uniform(1 - JITTER, 1 + JITTER))


def _claim(notification_id: int, now: dt.datetime) -> bool:
    """Take the message for one attempt: a conditional UPDATE that changes one row only if it
    is due and unclaimed (or its claim lapsed), counting the attempt."""
    return bool(
        Notification.objects.filter(pk=notification_id)
        .due(now)
        .update(claimed_until=now + CLAIM, attempts=F("attempts") + 1)
    )


def _undeliverable(notification: Notification) -> str:
    """Why the message must not go out after all (checked again at send time, since people
    and tickets change between the decision and the attempt); empty when it may."""
    ticket = notification.ticket
    if notification.client_id != ticket.client_id:
        return "the ticket belongs to another client"
    if notification.kind in (Kind.TICKET_REPLY, Kind.CLIENT_REPLY) and (
        _quoted_event(notification) is None
    ):
        return "the message it quotes is no longer public"
    user = notification.user
    if user is not None:
        if not user.is_active or user.email.lower() != notification.recipient.lower():
            return "the recipient's login is inactive or changed address"
        if notification.kind not in kinds_for(user):
            return "this kind is not meant for the recipient's role"
        if _disabled([user.pk], notification.kind):
            return "the recipient turned this kind off"
        if user.is_client_side and user.client_id != ticket.client_id:
            return "the recipient belongs to another client"
        if user.is_msp_staff and not _sees_client(user, ticket.client_id):
            return "the recipient no longer works for this client"
    contact = notification.contact
    if contact is not None:
        if contact.client_id != ticket.client_id or not contact.is_active:
            return "the contact is inactive or belongs to another client"
        if contact.email.lower() != notification.recipient.lower():
            return "the contact changed address"
    if notification.audience == Audience.CLIENT and contact is None:
        return "a client-side message without its contact"
    if _other_clients_logins([notification.recipient], ticket.client_id):
        return "the address is another client's login"
    return ""


def notification_send(*, notification_id: int, now: dt.datetime | None = None) -> str | None:
    """Make one attempt at a due message and record its outcome; returns the new status, or
    None when there was nothing to do (already sent, parked, not due, claimed elsewhere)."""
    now = now or timezone.now()
    if not _claim(notification_id, now):
        return None
    notification = Notification.objects.select_related(
        "ticket__client", "ticket_event", "user", "contact"
    ).get(pk=notification_id)
    reason = _undeliverable(notification)
    if reason:
        Notification.objects.filter(pk=notification.pk).update(
            status=Status.SKIPPED, claimed_until=None, next_attempt_at=None, last_error=reason
        )
        return Status.SKIPPED
    try:
        message = notification_message(notification)
        timeout = None if settings.EMAIL_TIMEOUT else SMTP_TIMEOUT
        with get_connection(**({"timeout": timeout} if timeout else {})) as mail:
            mail.send_messages([message])
    except Exception as exc:
        return _record_failure(notification, exc, now=timezone.now())
    Notification.objects.filter(pk=notification.pk).update(
        status=Status.SENT, sent_at=timezone.now(), claimed_until=None, next_attempt_at=None,
        last_error="",
    )  # fmt: skip
    return Status.SENT


def _record_failure(notification: Notification, exc: BaseException, *, now: dt.datetime) -> str:
    """Keep the error; retry later, or park the message at the last allowed attempt."""
    error = "".join(traceback.format_exception_only(exc)).strip()[:ERROR_LIMIT]
    if notification.attempts >= max_attempts():
        Notification.objects.filter(pk=notification.pk).update(
            status=Status.PARKED, parked_at=now, next_attempt_at=None, claimed_until=None,
            last_error=error,
        )  # fmt: skip
        logger.error(
            "Notification %s parked after %s failed attempts: %s",
            notification.pk,
            notification.attempts,
            error,
        )
        return Status.PARKED
    Notification.objects.filter(pk=notification.pk).update(
        status=Status.FAILED, next_attempt_at=now + retry_delay(notification.attempts),
        claimed_until=None, last_error=error,
    )  # fmt: skip
    logger.warning("Notification %s not sent: %s", notification.pk, error)
    return Status.FAILED


def notification_due_ids(*, now: dt.datetime | None = None) -> list[int]:
    """Messages whose attempt is due (retries, and first attempts whose enqueue was lost)."""
    now = now or timezone.now()
    return list(
        Notification.objects.due(now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:DUE_BATCH]
    )


def notifications_send_due(*, now: dt.datetime | None = None) -> int:
    """Enqueue an attempt for every due message; returns how many (beat)."""
    ids = notification_due_ids(now=now)
    _enqueue(ids)
    return len(ids)


@transaction.atomic
def notifications_requeue(*, notification_ids: Iterable[int]) -> int:
    """Give parked messages a fresh set of attempts and send them after commit; returns how
    many. The last error stays until an attempt succeeds or fails again."""
    ids = list(
        Notification.objects.parked()
        .filter(pk__in=list(notification_ids))
        .values_list("pk", flat=True)
    )
    if ids:
        Notification.objects.filter(pk__in=ids).update(
            status=Status.PENDING, attempts=0, parked_at=None, next_attempt_at=timezone.now()
        )
        transaction.on_commit(partial(_enqueue, ids), robust=True)
    return len(ids)


# --- preferences ------------------------------------------------------------------------------


def preferences_for(user: User) -> dict[str, bool]:
    """Each kind meant for the user's role, and whether it is on."""
    off = set(
        NotificationPreference.objects.filter(user=user, enabled=False).values_list(
            "kind", flat=True
        )
    )
    return {kind: kind not in off for kind in kinds_for(user)}


@transaction.atomic
def preferences_save(*, user: User, choices: dict[str, bool]) -> None:
    """Store the user's own choices; kinds not meant for their role are ignored."""
    allowed = set(kinds_for(user))
    for kind, enabled in choices.items():
        if kind in allowed:
            NotificationPreference.objects.update_or_create(
                user=user, kind=kind, defaults={"enabled": bool(enabled)}
            )
