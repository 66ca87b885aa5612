"""Every change to a ticket: one function per action, atomic, written to the timeline.

Views, the portal, mail ingestion, the API, monitoring alerts and management commands call
these; none of them writes ticket rows itself. Each service locks the ticket row, applies the
change, appends the matching ``TicketEvent`` and saves named fields, all in one transaction.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clients.models import Asset, Client, Contact
from contracts.models import Contract
from contracts.services import sla_snapshot_for
from msp_portal.core.jsonscrub import json_column_scrub

from ..attachments import CheckedFile, check_upload, storage_name
from ..models import (
    Attachment,
    Category,
    Impact,
    Queue,
    SlaEscalation,
    Ticket,
    TicketEvent,
    TicketSequence,
    TimeEntry,
    Urgency,
    priority_for,
)
from . import publish
from .sla import sla_refresh

ACTIVE_STATUSES = frozenset(
    {
        Ticket.Status.NEW,
        Ticket.Status.OPEN,
        Ticket.Status.IN_PROGRESS,
        Ticket.Status.WAITING_ON_CUSTOMER,
        Ticket.Status.WAITING_ON_THIRD_PARTY,
    }
)


def _actor(user) -> str:
    if user is None:
        return TicketEvent.Actor.SYSTEM
    return TicketEvent.Actor.STAFF if user.is_msp_staff else TicketEvent.Actor.CLIENT


def _lock(ticket: Ticket) -> Ticket:
    """The ticket row, re-read under a row lock for the rest of the transaction."""
    return (
        Ticket.objects.select_related("sla_snapshot", "client", "assignee")
        .select_for_update(of=("self",))
        .get(pk=ticket.pk)
    )


def _record_event(
    ticket: Ticket,
    *,
    kind: str,
    at: dt.datetime,
    author=None,
    author_contact: Contact | None = None,
    actor: str | None = None,
    public: bool = True,
    automated: bool = False,
    body: str = "",
    data: dict | None = None,
) -> TicketEvent:
    """Append one timeline entry; the single place where events are written."""
    return TicketEvent.objects.create(
        ticket=ticket,
        client_id=ticket.client_id,
        kind=kind,
        actor=actor or _actor(author),
        author=author,
        author_contact=author_contact,
        public=public,
        automated=automated,
        body=body,
        data=data or {},
        created_at=at,
    )


def _next_number() -> int:
    """The next ticket number, from a counter row held locked until commit."""
    updated = TicketSequence.objects.filter(name="ticket").update(last_value=F("last_value") + 1)
    if not updated:
        TicketSequence.objects.get_or_create(name="ticket")
        TicketSequence.objects.filter(name="ticket").update(last_value=F("last_value") + 1)
    return TicketSequence.objects.values_list("last_value", flat=True).get(name="ticket")


def contract_for(client: Client, *, on: dt.date, asset: Asset | None = None) -> Contract | None:
    """The client's contract in force on a day: one covering the asset first, else the newest."""
    contracts = list(
        Contract.objects.for_client(client).active_on(on).order_by("-start_date", "-pk")
    )
    if asset is not None and len(contracts) > 1:
        covering = set(
            Contract.covered_assets.through.objects.filter(
                asset_id=asset.pk, contract_id__in=[c.pk for c in contracts]
            ).values_list("contract_id", flat=True)
        )
        contracts.sort(key=lambda c: c.pk not in covering)
    return contracts[0] if contracts else None


def _check_assignee(assignee, client_id: int) -> None:
    if assignee is None:
        return
    if not (assignee.is_active and assignee.is_msp_staff):
        raise ValidationError({"assignee": _("Tickets can only be assigned to active MSP staff.")})
    if not Client.objects.for_user(assignee).filter(pk=client_id).exists():
        raise ValidationError({"assignee": _("This technician does not work for this client.")})


_BELONGS_MESSAGES = {
    "contact": gettext_lazy("This contact belongs to another client."),
    "cc_contacts": gettext_lazy("A copied contact belongs to another client."),
    "asset": gettext_lazy("This asset belongs to another client."),
}


def _check_belongs(client: Client, **objects) -> None:
    errors = {
        field: _BELONGS_MESSAGES[field]
        for field, obj in objects.items()
        if obj is not None and obj.client_id != client.pk
    }
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def ticket_open(
    *,
    client: Client,
    subject: str,
    source: str,
    description: str = "",
    created_by=None,
    contact: Contact | None = None,
    asset: Asset | None = None,
    queue: Queue | None = None,
    category: Category | None = None,
    impact: int = Impact.LOW,
    urgency: int = Urgency.MEDIUM,
    assignee=None,
    cc_contacts: Iterable[Contact] = (),
    at: dt.datetime | None = None,
) -> Ticket:
    """Open a ticket: number it, attach the contract in force and start its timeline."""
    subject = (subject or "").strip()
    if not subject:
        raise ValidationError({"subject": _("Give the ticket a subject.")})
    if source not in Ticket.Source.values:
        raise ValidationError({"source": _("Unknown ticket source.")})
    if created_by is not None and created_by.is_client_side and created_by.client_id != client.pk:
        raise ValidationError({"client": _("You can only open tickets for your own company.")})
    cc_contacts = list(cc_contacts)
    _check_belongs(client, contact=contact, asset=asset)
    for cc in cc_contacts:
        _check_belongs(client, cc_contacts=cc)
    _check_assignee(assignee, client.pk)
    if contact is None and created_by is not None and created_by.is_client_side:
        contact = getattr(created_by, "contact", None)

    at = at or timezone.now()
    local_day = timezone.localtime(at, ZoneInfo(client.time_zone)).date()
    contract = contract_for(client, on=local_day, asset=asset)
    ticket = Ticket.objects.create(
        number=_next_number(),
        client=client,
        contact=contact,
        asset=asset,
        contract=contract,
        sla_snapshot=sla_snapshot_for(contract) if contract else None,
        queue=queue,
        category=category,
        subject=subject[:255],
        description=description,
        status=Ticket.Status.NEW,
        impact=impact,
        urgency=urgency,
        priority=priority_for(impact, urgency),
        assignee=assignee,
        source=source,
        created_by=created_by,
        created_at=at,
        updated_at=at,
    )
    if cc_contacts:
        ticket.cc_contacts.set(cc_contacts)
    _record_event(
        ticket,
        kind=TicketEvent.Kind.CREATED,
        at=at,
        author=created_by,
        actor=TicketEvent.Actor.SYSTEM if created_by is None else None,
        body=description,
        data={"source": source, "priority": ticket.priority},
    )
    sla_refresh(ticket)
    publish.publish_opened(ticket)
    return ticket


def _set_status(
    ticket: Ticket, status: str, *, at: dt.datetime, by, reason: str = "", cause: str = ""
) -> TicketEvent:
    """Change the status of a locked ticket, stamping resolution and closure times.

    ``reason`` is what a person typed; ``cause`` names an automatic change (shown translated).
    """
    previous = ticket.status
    ticket.status = status
    fields = ["status", "updated_at"]
    if status == Ticket.Status.RESOLVED:
        ticket.resolved_at = at
        fields.append("resolved_at")
    elif status == Ticket.Status.CLOSED:
        ticket.closed_at = at
        fields.append("closed_at")
        if ticket.resolved_at is None:
            ticket.resolved_at = at
            fields.append("resolved_at")
    elif previous == Ticket.Status.RESOLVED:
        ticket.resolved_at = None  # reopened: the resolution clock resumes
        fields.append("resolved_at")
    ticket.updated_at = at
    ticket.save(update_fields=fields)
    return _record_event(
        ticket,
        kind=TicketEvent.Kind.STATUS,
        at=at,
        author=by,
        body=reason,
        data={"from": previous, "to": status, **({"cause": cause} if cause else {})},
    )


def _ensure_not_closed(ticket: Ticket) -> None:
    if ticket.status == Ticket.Status.CLOSED:
        raise ValidationError(
            _("Ticket %(ref)s is closed; open a new ticket instead.") % {"ref": ticket.reference}
        )


@transaction.atomic
def ticket_reply(
    *,
    ticket: Ticket,
    body: str,
    author=None,
    author_contact: Contact | None = None,
    automated: bool = False,
    at: dt.datetime | None = None,
) -> TicketEvent:
    """Add a public message; a client's message reopens a ticket waiting on them or resolved."""
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write a message before sending it.")})
    ticket = _lock(ticket)
    _ensure_not_closed(ticket)
    at = at or timezone.now()
    from_client = author_contact is not None or (author is not None and author.is_client_side)
    if (
        author is not None
        and author.is_client_side
        and not Ticket.objects.for_user(author).filter(pk=ticket.pk).exists()
    ):
        raise ValidationError(_("You can only reply to tickets you can see."))
    if author_contact is not None and author_contact.client_id != ticket.client_id:
        raise ValidationError(_("This contact belongs to another client."))
    event = _record_event(
        ticket,
        kind=TicketEvent.Kind.REPLY,
        at=at,
        author=author,
        author_contact=author_contact,
        actor=TicketEvent.Actor.CLIENT if from_client else None,
        automated=automated,
        body=body,
    )
    fields = ["updated_at"]
    ticket.updated_at = at
    previous_status = ticket.status
    if from_client:
        if ticket.status in (Ticket.Status.WAITING_ON_CUSTOMER, Ticket.Status.RESOLVED):
            _set_status(ticket, Ticket.Status.OPEN, at=at, by=None, cause="client_replied")
    elif author is not None and not automated:
        if ticket.first_responded_at is None:
            ticket.first_responded_at = at
            fields.append("first_responded_at")
        if ticket.status == Ticket.Status.NEW:
            _set_status(ticket, Ticket.Status.OPEN, at=at, by=author)
    ticket.save(update_fields=fields)
    sla_refresh(ticket)
    changes = {
        "reply": {
            "event_id": event.pk,
            "from_client": from_client,
            "author": (author or author_contact).email if (author or author_contact) else None,
            "body": body,
        }
    }
    if ticket.status != previous_status:
        changes["status"] = {"from": previous_status, "to": ticket.status}
    publish.publish_updated(ticket, event, changes, by=author or author_contact)
    return event


@transaction.atomic
def ticket_add_note(
    *, ticket: Ticket, body: str, author, at: dt.datetime | None = None
) -> TicketEvent:
    """Add an internal note, never shown to the client."""
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write the note before saving it.")})
    if author is None or not author.is_msp_staff:
        raise ValidationError(_("Only MSP staff can write internal notes."))
    ticket = _lock(ticket)
    at = at or timezone.now()
    ticket.updated_at = at
    ticket.save(update_fields=["updated_at"])
    return _record_event(
        ticket, kind=TicketEvent.Kind.NOTE, at=at, author=author, public=False, body=body
    )


@transaction.atomic
def ticket_record_monitoring_event(
    *, ticket: Ticket, body: str, data: dict | None = None, at: dt.datetime | None = None
) -> TicketEvent:
    """Add what monitoring saw (still down, recovered, flapping) to the timeline, as the system.

    Internal like a note: the client follows the check's state on the portal, in plain words.
    """
    ticket = _lock(ticket)
    at = at or timezone.now()
    ticket.updated_at = at
    ticket.save(update_fields=["updated_at"])
    return _record_event(
        ticket,
        kind=TicketEvent.Kind.MONITORING,
        at=at,
        actor=TicketEvent.Actor.SYSTEM,
        public=False,
        automated=True,
        body=body,
        data=data or {},
    )


@transaction.atomic
def ticket_history_pseudonymise(*, client_id: int | None, replacements: dict[str, str]) -> int:
    """After a person's erasure: replace the copies of their name or address that timeline
    entries keep in their data (assignments, requester changes) and drop their address from
    escalation recipient lists, for one client (or all, for an MSP user). Tickets, messages and
    figures stay as they are. Returns the rows changed."""
    events = TicketEvent.objects.all()
    escalations = SlaEscalation.objects.all()
    if client_id is not None:
        events = events.filter(client_id=client_id)
        escalations = escalations.filter(client_id=client_id)
    changed = json_column_scrub(events, "data", replacements)
    emails = {old for old in replacements if "@" in old}
    mentioned = Q(pk__in=[])
    for email in emails:
        mentioned |= Q(recipients__icontains=email)
    for escalation in escalations.filter(mentioned).only("pk", "recipients").iterator():
        kept = [r for r in escalation.recipients if r.get("email") not in emails]
        if kept != escalation.recipients:
            SlaEscalation.objects.filter(pk=escalation.pk).update(recipients=kept)
            changed += 1
    return changed


@transaction.atomic
def ticket_change_status(
    *, ticket: Ticket, status: str, by, reason: str = "", at: dt.datetime | None = None
) -> Ticket:
    """Move a ticket to another status; closed is final."""
    if status not in Ticket.Status.values:
        raise ValidationError({"status": _("Unknown status.")})
    ticket = _lock(ticket)
    if ticket.status == status:
        return ticket
    _ensure_not_closed(ticket)
    previous = ticket.status
    event = _set_status(ticket, status, at=at or timezone.now(), by=by, reason=reason)
    sla_refresh(ticket)
    publish.publish_updated(ticket, event, {"status": {"from": previous, "to": status}}, by=by)
    return ticket


#: Tickets closed per transaction by :func:`tickets_auto_close`.
AUTO_CLOSE_BATCH = 200


def tickets_auto_close(*, days: int, now: dt.datetime | None = None) -> int:
    """Close the tickets resolved more than ``days`` days ago that nobody answered since.

    A resolved ticket waits for its client to confirm or answer; after ``days`` silence is
    taken for agreement. A client's answer in the meantime reopened it, so what is still
    resolved past the cut-off is closed, each under its row lock and re-checked (a reply that
    lands meanwhile wins). The client can still reopen it from the portal within the portal's
    window. ``days`` = 0 turns this off. Returns how many were closed.
    """
    if days <= 0:
        return 0
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=days)
    closed = 0
    while True:
        ids = list(
            Ticket.objects.filter(status=Ticket.Status.RESOLVED, resolved_at__lte=cutoff)
            .order_by("resolved_at", "pk")
            .values_list("pk", flat=True)[:AUTO_CLOSE_BATCH]
        )
        if not ids:
            return closed
        for pk in ids:
            with transaction.atomic():
                ticket = (
                    Ticket.objects.select_for_update(of=("self",))
                    .select_related("client", "assignee")
                    .filter(pk=pk, status=Ticket.Status.RESOLVED, resolved_at__lte=cutoff)
                    .first()
                )
                if ticket is None:
                    continue
                event = _set_status(
                    ticket, Ticket.Status.CLOSED, at=now, by=None, cause="auto_closed"
                )
                sla_refresh(ticket)
                publish.publish_updated(
                    ticket,
                    event,
                    {"status": {"from": Ticket.Status.RESOLVED, "to": Ticket.Status.CLOSED}},
                )
                closed += 1


@transaction.atomic
def ticket_change_priority(
    *, ticket: Ticket, impact: int, urgency: int, by, at: dt.datetime | None = None
) -> Ticket:
    """Set impact and urgency; the priority follows from them."""
    if impact not in Impact.values or urgency not in Urgency.values:
        raise ValidationError(_("Impact and urgency must each be 1 (high), 2 or 3 (low)."))
    ticket = _lock(ticket)
    _ensure_not_closed(ticket)
    priority = priority_for(impact, urgency)
    if (ticket.impact, ticket.urgency) == (impact, urgency):
        return ticket
    at = at or timezone.now()
    previous = ticket.priority
    ticket.impact, ticket.urgency, ticket.priority = impact, urgency, priority
    ticket.updated_at = at
    ticket.save(update_fields=["impact", "urgency", "priority", "updated_at"])
    event = _record_event(
        ticket,
        kind=TicketEvent.Kind.PRIORITY,
        at=at,
        author=by,
        data={"from": previous, "to": priority, "impact": impact, "urgency": urgency},
    )
    sla_refresh(ticket)
    publish.publish_updated(
        ticket,
        event,
        {"priority": {"from": previous, "to": priority}, "impact": impact, "urgency": urgency},
        by=by,
    )
    return ticket


@transaction.atomic
def ticket_assign(*, ticket: Ticket, assignee, by, at: dt.datetime | None = None) -> Ticket:
    """Give the ticket to a technician, or take it back (assignee=None)."""
    ticket = _lock(ticket)
    _ensure_not_closed(ticket)
    if ticket.assignee_id == getattr(assignee, "pk", None):
        return ticket
    _check_assignee(assignee, ticket.client_id)
    at = at or timezone.now()
    previous = ticket.assignee
    ticket.assignee, ticket.updated_at = assignee, at
    ticket.save(update_fields=["assignee", "updated_at"])
    event = _record_event(
        ticket,
        kind=TicketEvent.Kind.ASSIGNMENT,
        at=at,
        author=by,
        public=False,
        data={
            "from": previous.pk if previous else None,
            "from_name": str(previous) if previous else "",
            "to": assignee.pk if assignee else None,
            "to_name": str(assignee) if assignee else "",
        },
    )
    publish.publish_updated(
        ticket,
        event,
        {
            "assignee": {
                "from": previous.email if previous else None,
                "to": assignee.email if assignee else None,
            }
        },
        by=by,
    )
    return ticket


@transaction.atomic
def ticket_update(
    *,
    ticket: Ticket,
    by,
    at: dt.datetime | None = None,
    **changes,
) -> Ticket:
    """Change descriptive fields (subject, queue, category, asset, contact), one event each."""
    allowed = {"subject", "queue", "category", "asset", "contact"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"ticket_update cannot change {sorted(unknown)}")
    ticket = _lock(ticket)
    _ensure_not_closed(ticket)
    client = ticket.client
    _check_belongs(client, **{k: v for k, v in changes.items() if k in {"asset", "contact"}})
    if "subject" in changes and not (changes["subject"] or "").strip():
        raise ValidationError({"subject": _("Give the ticket a subject.")})
    at = at or timezone.now()
    changed, event = {}, None
    for field, new in changes.items():
        old = getattr(ticket, field)
        if old == new:
            continue
        setattr(ticket, field, new)
        changed[field] = {"from": str(old or ""), "to": str(new or "")}
        event = _record_event(
            ticket,
            kind=TicketEvent.Kind.FIELD,
            at=at,
            author=by,
            public=field in {"subject", "asset"},
            data={"field": field, "from": str(old or ""), "to": str(new or "")},
        )
    if changed:
        ticket.updated_at = at
        ticket.save(update_fields=[*changed, "updated_at"])
        publish.publish_updated(ticket, event, changed, by=by)
    return ticket


@transaction.atomic
def ticket_log_time(
    *,
    ticket: Ticket,
    technician,
    minutes: int,
    billable: bool = True,
    work_date: dt.date | None = None,
    note: str = "",
    at: dt.datetime | None = None,
) -> TimeEntry:
    """Record time a technician spent on the ticket."""
    if technician is None or not technician.is_msp_staff:
        raise ValidationError({"technician": _("Only MSP staff log time.")})
    if not isinstance(minutes, int) or not 0 < minutes <= 24 * 60:
        raise ValidationError(
            {"minutes": _("Enter between 1 and %(max)s minutes.") % {"max": 24 * 60}}
        )
    ticket = _lock(ticket)
    at = at or timezone.now()
    ticket.updated_at = at
    ticket.save(update_fields=["updated_at"])
    entry = TimeEntry.objects.create(
        client_id=ticket.client_id,
        ticket=ticket,
        technician=technician,
        minutes=minutes,
        billable=billable,
        work_date=work_date or timezone.localdate(at, ZoneInfo(ticket.client.time_zone)),
        note=note[:500],
        created_at=at,
    )
    _record_event(
        ticket,
        kind=TicketEvent.Kind.TIME,
        at=at,
        author=technician,
        public=False,
        body=note,
        data={"minutes": minutes, "billable": billable, "time_entry": entry.pk},
    )
    return entry


@transaction.atomic
def attachment_add(*, ticket: Ticket, uploaded_file, by, event: TicketEvent | None = None):
    """Store one file under a generated name and record it on the ticket's timeline.

    ``uploaded_file`` is an upload (checked here) or a ``CheckedFile`` from the form. With an
    ``event`` (the reply or note it came with) the file shares that event's visibility; without
    one, a public timeline entry records it. The file is written before the row; if the row
    cannot be written the file is removed again.
    """
    checked = (
        uploaded_file if isinstance(uploaded_file, CheckedFile) else check_upload(uploaded_file)
    )
    if by is not None and not Ticket.objects.for_user(by).filter(pk=ticket.pk).exists():
        raise ValidationError(_("You can only attach files to tickets you can see."))
    if event is not None:
        if event.ticket_id != ticket.pk:
            raise ValidationError(_("This message belongs to another ticket."))
        if by is not None and by.is_client_side and not event.public:
            raise ValidationError(_("You can only attach files to your own messages."))
    ticket = _lock(ticket)
    at = timezone.now()
    if event is None:
        if by is not None and by.is_client_side:
            _ensure_not_closed(ticket)
        event = _record_event(
            ticket,
            kind=TicketEvent.Kind.FIELD,
            at=at,
            author=by,
            data={"field": "attachment", "to": checked.name},
        )
        ticket.updated_at = at
        ticket.save(update_fields=["updated_at"])
    storage = Attachment._meta.get_field("file").storage
    stored = storage.save(storage_name(ticket.client_id, checked.ext, now=at), checked.upload)
    try:
        return Attachment.objects.create(
            client_id=ticket.client_id,
            ticket=ticket,
            event=event,
            file=stored,
            original_name=checked.name,
            content_type=(mimetypes.guess_type(checked.name)[0] or "")[:100],
            size=checked.size,
            uploaded_by=by,
            created_at=at,
        )
    except BaseException:
        storage.delete(stored)
        raise


def ticket_add_message(
    *, ticket: Ticket, body: str, author, internal: bool = False, files: Iterable = ()
) -> TicketEvent:
    """A public reply or an internal note with its files: all of it is saved, or none."""
    saved: list[Attachment] = []
    try:
        with transaction.atomic():
            if internal:
                event = ticket_add_note(ticket=ticket, body=body, author=author)
            else:
                event = ticket_reply(ticket=ticket, body=body, author=author)
            for upload in files:
                saved.append(
                    attachment_add(ticket=ticket, uploaded_file=upload, by=author, event=event)
                )
    except BaseException:
        for attachment in saved:  # the rows are rolled back; their files must go too
            attachment.file.storage.delete(attachment.file.name)
        raise
    return event
