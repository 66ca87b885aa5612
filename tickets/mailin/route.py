"""What an incoming message becomes: a new ticket, a reply, a held or an ignored message.

Rules, in order (each message gets exactly one outcome, recorded on its InboundMessage row):

1. Automatic mail (auto-replies, bounces, lists, our own addresses) -> ``ignored_loop``; never
   answered, never added to a ticket (an auto-reply that references a ticket is only linked).
2. More than MAIL_IN_FLOOD_LIMIT messages from the sender within an hour -> ``rate_limited``.
3. A signed reference (HMAC in the reply address, In-Reply-To or References) to a ticket, from
   a participant of that ticket -> a public reply on it (a client's reply reopens a ticket
   waiting on them, so its SLA clock runs again). Participants: the ticket's requester and
   copied contacts, client users who can see the ticket, and, with MAIL_IN_STAFF_REPLIES,
   technicians who can see it (their mail is a public staff reply). Anyone else -> held.
   On a closed ticket, a participating contact's reply opens a new ticket that names the old.
4. A bare ``[#T-1234]`` subject tag of an existing ticket, without a signature -> held.
5. A new message from an active contact (one client only: several -> held) or a client user
   -> a new ticket for that client; other To/Cc contacts of the client are copied.
   A technician forwarding a client's mail opens the ticket for the original sender's contact
   (read from the forward), with the forwarded text whole; otherwise their mail is held.
6. Anyone else: the mailbox's policy: ``reject`` (one polite reply per sender per
   MAIL_IN_REJECT_REPLY_HOURS) or ``hold`` for triage.

Only the From address decides identity; Reply-To is never read. Ticket changes go through
tickets.services.
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from dataclasses import dataclass, field
from email.utils import make_msgid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clients.models import Client, Contact

from .. import services
from ..attachments import CheckedFile, check_upload, max_files
from ..mailrefs import references_parse
from ..models import InboundMessage, Mailbox, Queue, Ticket, TicketEvent
from .loops import loop_reason, own_addresses
from .parse import ParsedMail, header_text, mail_key, mail_parse, message_id_of

logger = logging.getLogger(__name__)

Status = InboundMessage.Status
Reason = InboundMessage.Reason


@dataclass
class Outcome:
    """What routing decided, written to the InboundMessage row in the same transaction."""

    status: str
    reason: str = ""
    ticket: Ticket | None = None
    event: TicketEvent | None = None
    client_id: int | None = None
    answer: bool = False  # send the polite reply to an unknown sender
    notes: list[str] = field(default_factory=list)


# --- Storing -------------------------------------------------------------------------------


def inbound_store(*, mailbox: Mailbox, raw: bytes, uid: str = "") -> tuple[InboundMessage, bool]:
    """Keep the raw message first, in its own transaction: (row, created). A message already
    stored for this mailbox (same Message-ID, or same bytes) gives the existing row."""
    limit = settings.MAIL_IN_MAX_BYTES
    message_id = message_id_of(raw)
    key = mail_key(raw, message_id)
    existing = InboundMessage.objects.filter(mailbox=mailbox, dedupe_key=key).first()
    if existing is not None:
        return existing, False
    too_large = len(raw) > limit
    try:
        with transaction.atomic():
            row = InboundMessage.objects.create(
                mailbox=mailbox,
                dedupe_key=key,
                uid=str(uid or "")[:40],
                message_id=message_id,
                raw=raw[:limit],
                size=len(raw),
                truncated=too_large,
                status=Status.FAILED if too_large else Status.RECEIVED,
                reason=Reason.TOO_LARGE if too_large else "",
                error=(
                    f"{len(raw)} bytes, more than MAIL_IN_MAX_BYTES={limit}: only the first "
                    "bytes are kept here; the message stays in the mailbox."
                    if too_large
                    else ""
                ),
            )
    except IntegrityError:  # stored by a concurrent poll in the meantime
        return InboundMessage.objects.get(mailbox=mailbox, dedupe_key=key), False
    return row, True


def inbound_receive(*, mailbox: Mailbox, raw: bytes, uid: str = "") -> InboundMessage:
    """Store a message, then process it once: a message read twice is processed once."""
    message, _created = inbound_store(mailbox=mailbox, raw=raw, uid=uid)
    if message.status == Status.RECEIVED:
        inbound_process(message_pk=message.pk)
        message.refresh_from_db()
    return message


# --- Processing ----------------------------------------------------------------------------


def _error_text(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()[:2000]


def inbound_process(*, message_pk: int, by=None, flood_check: bool = True) -> InboundMessage:
    """Route one stored message. Whatever happens, the row ends with an outcome: a message
    that cannot be read or whose processing raises is marked failed with the error."""
    message = InboundMessage.objects.select_related("mailbox").get(pk=message_pk)
    try:
        parsed = mail_parse(bytes(message.raw))
    except Exception as exc:  # anything unreadable waits for a person
        InboundMessage.objects.filter(pk=message.pk, status=Status.RECEIVED).update(
            status=Status.FAILED,
            reason=Reason.UNPARSEABLE,
            error=_error_text(exc),
            processed_at=timezone.now(),
        )
        return InboundMessage.objects.get(pk=message.pk)
    try:
        # What triage needs to see, kept even if routing fails below.
        InboundMessage.objects.filter(pk=message.pk).update(
            message_id=parsed.message_id or message.message_id,
            sender=parsed.sender[:254],
            sender_name=parsed.sender_name,
            subject=parsed.subject,
            body_text=parsed.body,
            received_at=parsed.date or message.received_at,
        )
        with transaction.atomic():
            locked = InboundMessage.objects.select_for_update().get(pk=message.pk)
            if locked.status != Status.RECEIVED:
                return locked  # processed meanwhile by someone else
            outcome = _route(locked, parsed, flood_check=flood_check)
            _finish(locked, outcome, by=by)
    except Exception as exc:  # the raw copy stays; a person takes over
        logger.exception("mail in: processing inbound message %s failed", message.pk)
        InboundMessage.objects.filter(pk=message.pk).update(
            status=Status.FAILED,
            reason=Reason.ERROR,
            error=_error_text(exc),
            processed_at=timezone.now(),
        )
    return InboundMessage.objects.get(pk=message.pk)


def _finish(message: InboundMessage, outcome: Outcome, *, by=None) -> None:
    now = timezone.now()
    message.status = outcome.status
    message.reason = outcome.reason
    message.ticket = outcome.ticket
    message.event = outcome.event
    message.client_id = outcome.ticket.client_id if outcome.ticket else outcome.client_id
    message.error = "\n".join(outcome.notes)[:2000]
    message.processed_at = now
    fields = ["status", "reason", "ticket", "event", "client", "error", "processed_at"]
    if by is not None:
        message.handled_by = by
        fields.append("handled_by")
    if outcome.answer:
        message.answered_at = now
        fields.append("answered_at")
        pk = message.pk
        transaction.on_commit(lambda: unknown_sender_reply_send(message_pk=pk))
    message.save(update_fields=fields)


def _own(mailbox: Mailbox) -> set[str]:
    extra = [mailbox.address, mailbox.username if "@" in mailbox.username else ""]
    extra += list(Queue.objects.exclude(email="").values_list("email", flat=True))
    extra += list(
        Mailbox.objects.exclude(address="").exclude(pk=mailbox.pk).values_list("address", flat=True)
    )
    return own_addresses(*extra)


def _route(message: InboundMessage, parsed: ParsedMail, *, flood_check: bool) -> Outcome:
    mailbox = message.mailbox
    own = _own(mailbox)
    reference = references_parse(
        subject=parsed.subject,
        in_reply_to=parsed.in_reply_to,
        references=parsed.references,
        recipients=parsed.recipients,
    )
    loop = loop_reason(parsed.message, parsed.sender, own=own)
    if loop:
        ticket = _ticket(reference.ticket_pk) if reference.signed else None
        linked = ticket if ticket is not None and _participant(ticket, parsed.sender) else None
        return Outcome(Status.IGNORED_LOOP, loop, ticket=linked)
    if flood_check and _flooding(message, parsed.sender):
        return Outcome(Status.RATE_LIMITED, Reason.FLOOD)
    if len(set(parsed.senders)) > 1:
        return Outcome(Status.HELD, Reason.AMBIGUOUS_SENDER)
    if reference.signed:
        ticket = _ticket(reference.ticket_pk)
        if ticket is not None:
            return _reply_or_hold(ticket, parsed, own=own)
    if reference.number is not None:
        tagged = Ticket.objects.filter(number=reference.number).first()
        if tagged is not None:
            return Outcome(Status.HELD, Reason.UNSIGNED_REFERENCE, client_id=tagged.client_id)
    return _open_or_hold(mailbox, parsed, own=own)


def _flooding(message: InboundMessage, sender: str) -> bool:
    since = timezone.now() - dt.timedelta(hours=1)
    recent = (
        InboundMessage.objects.filter(sender=sender, created_at__gte=since)
        .exclude(pk=message.pk)
        .count()
    )
    return recent >= settings.MAIL_IN_FLOOD_LIMIT


def _ticket(pk: int | None) -> Ticket | None:
    """The ticket a reference names, following merges to the ticket that lives on."""
    ticket = Ticket.objects.select_related("client").filter(pk=pk).first() if pk else None
    for _hop in range(5):
        if ticket is None or ticket.merged_into_id is None:
            break
        ticket = Ticket.objects.select_related("client").filter(pk=ticket.merged_into_id).first()
    return ticket


def _user(address: str):
    return get_user_model().objects.filter(email__iexact=address, is_active=True).first()


def _participant(ticket: Ticket, address: str) -> tuple[Contact | None, object | None] | None:
    """(contact, user) for a participant of the ticket with this address, else None."""
    contacts = Contact.objects.filter(client_id=ticket.client_id, is_active=True)
    requester = contacts.filter(pk=ticket.contact_id, email__iexact=address).first()
    if requester is not None:
        return requester, None
    copied = contacts.filter(pk__in=ticket.cc_contacts.values("pk"), email__iexact=address).first()
    if copied is not None:
        return copied, None
    user = _user(address)
    if user is None or not Ticket.objects.for_user(user).filter(pk=ticket.pk).exists():
        return None
    if user.is_client_side:
        return None, user
    if user.is_msp_staff and settings.MAIL_IN_STAFF_REPLIES:
        return None, user
    return None


def _files_checked(parsed: ParsedMail) -> tuple[list[CheckedFile], list[str]]:
    """The files attachment_add will take, and a line for each one it would refuse."""
    accepted, refused = [], []
    for index, mail_file in enumerate(parsed.files):
        upload = SimpleUploadedFile(mail_file.name, mail_file.data, mail_file.content_type)
        if index >= max_files():
            refused.append(
                _("“%(name)s”: more than %(max)s files in one message.")
                % {"name": upload.name, "max": max_files()}
            )
            continue
        try:
            accepted.append(check_upload(upload))
        except ValidationError as error:
            refused.extend(error.messages)
    return accepted, refused


def _with_refusals(body: str, refused: list[str]) -> str:
    if not refused:
        return body
    lines = "\n".join(f"- {line}" for line in refused)
    return f"{body}\n\n{_('Attachments not kept:')}\n{lines}".strip()


def _attach(ticket: Ticket, event: TicketEvent, files: list[CheckedFile], by) -> list[str]:
    """Store the accepted files on the event; one that still fails is noted, not fatal."""
    notes = []
    for checked in files:
        try:
            with transaction.atomic():
                services.attachment_add(ticket=ticket, uploaded_file=checked, by=by, event=event)
        except (ValidationError, OSError) as error:
            notes.append(f"{checked.name}: {error}")
    return notes


def _reply_or_hold(ticket: Ticket, parsed: ParsedMail, *, own: set[str]) -> Outcome:
    found = _participant(ticket, parsed.sender)
    if found is None:
        return Outcome(Status.HELD, Reason.NOT_PARTICIPANT, ticket=ticket)
    contact, user = found
    if ticket.status == Ticket.Status.CLOSED:
        if contact is None and (user is None or not user.is_client_side):
            return Outcome(Status.HELD, Reason.STAFF_SENDER, ticket=ticket)
        follow_up = _("Follow-up to the closed ticket %(ref)s.") % {"ref": ticket.reference}
        return _ticket_open(
            ticket.client,
            parsed,
            own=own,
            contact=contact,
            user=user,
            queue=ticket.queue,
            intro=follow_up,
        )
    accepted, refused = _files_checked(parsed)
    body = _with_refusals(parsed.body or _("(no text)"), refused)
    event = services.ticket_reply(ticket=ticket, body=body, author=user, author_contact=contact)
    notes = _attach(ticket, event, accepted, by=user)
    return Outcome(Status.REPLIED, ticket=ticket, event=event, notes=refused + notes)


def _sender_contacts(address: str):
    return Contact.objects.filter(
        email__iexact=address, is_active=True, client__status__in=_OPEN_CLIENT_STATUSES
    ).select_related("client")


_OPEN_CLIENT_STATUSES = ("onboarding", "active", "suspended")


def _open_or_hold(mailbox: Mailbox, parsed: ParsedMail, *, own: set[str]) -> Outcome:
    user = _user(parsed.sender)
    if user is not None and user.is_msp_staff:
        return _forward_by_staff(mailbox, parsed, user, own=own)
    contacts = list(_sender_contacts(parsed.sender))
    if len({c.client_id for c in contacts}) > 1:
        return Outcome(Status.HELD, Reason.AMBIGUOUS_SENDER)
    if contacts:
        contact = contacts[0]
        return _ticket_open(
            contact.client, parsed, own=own, contact=contact, queue=mailbox.default_queue
        )
    if user is not None and user.is_client_side and user.client_id:
        return _ticket_open(
            user.client,
            parsed,
            own=own,
            contact=getattr(user, "contact", None),
            user=user,
            queue=mailbox.default_queue,
        )
    if mailbox.unknown_sender_policy == Mailbox.UnknownSenderPolicy.REJECT:
        return Outcome(Status.REJECTED, Reason.UNKNOWN_SENDER, answer=_may_answer(parsed.sender))
    return Outcome(Status.HELD, Reason.UNKNOWN_SENDER)


def _forward_by_staff(mailbox: Mailbox, parsed: ParsedMail, user, *, own: set[str]) -> Outcome:
    """A technician forwards a client's mail to the desk: the ticket is the original sender's."""
    if not parsed.forwarded:
        return Outcome(Status.HELD, Reason.STAFF_SENDER)
    contacts = list(_sender_contacts(parsed.forwarded_sender)) if parsed.forwarded_sender else []
    if len({c.client_id for c in contacts}) != 1:
        return Outcome(Status.HELD, Reason.FORWARD_UNKNOWN)
    contact = contacts[0]
    if not Client.objects.for_user(user).filter(pk=contact.client_id).exists():
        return Outcome(Status.HELD, Reason.FORWARD_UNKNOWN)
    return _ticket_open(
        contact.client, parsed, own=own, contact=contact, user=user, queue=mailbox.default_queue
    )


def _ticket_open(
    client, parsed: ParsedMail, *, own: set[str], contact=None, user=None, queue=None, intro=""
) -> Outcome:
    accepted, refused = _files_checked(parsed)
    body = parsed.body or _("(no text)")
    if intro:
        body = f"{intro}\n\n{body}"
    skip = own | {parsed.sender, getattr(contact, "email", "").lower()}
    copied_addresses = [a for a in parsed.recipient_addresses if a not in skip]
    copied = []
    if copied_addresses:
        match = Q(pk__in=[])
        for address in copied_addresses:
            match |= Q(email__iexact=address)
        copied = list(Contact.objects.filter(match, client=client, is_active=True))
    ticket = services.ticket_open(
        client=client,
        subject=parsed.subject or _("(no subject)"),
        source=Ticket.Source.EMAIL,
        description=_with_refusals(body, refused),
        contact=contact,
        created_by=user,
        cc_contacts=copied,
        queue=queue,
    )
    event = ticket.events.filter(kind=TicketEvent.Kind.CREATED).first()
    notes = _attach(ticket, event, accepted, by=user)
    return Outcome(Status.TICKET_OPENED, ticket=ticket, event=event, notes=refused + notes)


# --- The polite reply to unknown senders ----------------------------------------------------


def _may_answer(sender: str) -> bool:
    """At most one polite reply per sender per MAIL_IN_REJECT_REPLY_HOURS."""
    since = timezone.now() - dt.timedelta(hours=settings.MAIL_IN_REJECT_REPLY_HOURS)
    return not InboundMessage.objects.filter(sender=sender, answered_at__gte=since).exists()


def unknown_sender_reply_send(*, message_pk: int) -> None:
    """Tell an unknown sender, once, that their mail did not open a ticket. Threaded on their
    message and marked Auto-Submitted, so their own robots do not answer it."""
    message = InboundMessage.objects.filter(pk=message_pk).first()
    if message is None or not message.sender:
        return
    references = " ".join(
        part for part in (_header(message, "References"), message.message_id) if part
    )
    with translation.override(settings.LANGUAGE_CODE):
        context = {"subject": message.subject, "portal_url": settings.PORTAL_BASE_URL}
        subject = render_to_string("tickets/email/unknown_sender_subject.txt", context)
        body = render_to_string("tickets/email/unknown_sender.txt", context)
    headers = {
        "Message-ID": make_msgid("mailin", domain=settings.MAIL_DOMAIN),
        "Auto-Submitted": "auto-replied",
        "X-Auto-Response-Suppress": "All",
        "Precedence": "auto_reply",
    }
    if message.message_id:
        headers["In-Reply-To"] = message.message_id
    if references:
        headers["References"] = references[:2000]
    try:
        EmailMessage(
            subject=" ".join(subject.split())[:255],
            body=body.strip() + "\n",
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.sender],
            headers=headers,
        ).send()
    except Exception:  # a lost courtesy reply is logged, never retried in a loop
        logger.exception("mail in: polite reply to inbound message %s not sent", message_pk)


def _header(message: InboundMessage, name: str) -> str:
    try:
        return header_text(mail_parse(bytes(message.raw)).message, name)
    except Exception:  # threading is a nicety; the reply goes without it
        return ""


# --- Triage: what a person does with a held, rejected, rate-limited or failed message --------

TRIAGE_STATUSES = (Status.HELD, Status.REJECTED, Status.RATE_LIMITED, Status.FAILED)


def _for_triage(message_pk: int) -> tuple[InboundMessage, ParsedMail]:
    message = InboundMessage.objects.select_for_update().get(pk=message_pk)
    if message.status not in TRIAGE_STATUSES:
        raise ValidationError(_("This message has already been dealt with."))
    try:
        parsed = mail_parse(bytes(message.raw))
    except Exception as exc:
        raise ValidationError(
            _("This message cannot be read: %(error)s") % {"error": _error_text(exc)}
        ) from None
    return message, parsed


@transaction.atomic
def inbound_ticket_open(*, message_pk: int, contact: Contact, by) -> InboundMessage:
    """Open a ticket from a held message for the contact a person chose."""
    message, parsed = _for_triage(message_pk)
    if not Client.objects.for_user(by).filter(pk=contact.client_id).exists():
        raise ValidationError(_("You do not work for this contact's client."))
    outcome = _ticket_open(
        contact.client,
        parsed,
        own=_own(message.mailbox),
        contact=contact,
        queue=message.mailbox.default_queue,
    )
    _finish(message, outcome, by=by)
    return message


@transaction.atomic
def inbound_ticket_append(*, message_pk: int, ticket: Ticket, by) -> InboundMessage:
    """Add a held message to the ticket a person chose. From a contact of the ticket's client
    it is that contact's public reply; from anyone else, an internal note by the person, since
    the client never vouched for that sender."""
    message, parsed = _for_triage(message_pk)
    if not Ticket.objects.for_user(by).filter(pk=ticket.pk).exists():
        raise ValidationError(_("You cannot see this ticket."))
    contact = (
        Contact.objects.filter(client_id=ticket.client_id, is_active=True)
        .filter(email__iexact=parsed.sender)
        .first()
    )
    accepted, refused = _files_checked(parsed)
    body = _with_refusals(parsed.body or _("(no text)"), refused)
    if contact is not None:
        event = services.ticket_reply(ticket=ticket, body=body, author_contact=contact)
        notes = _attach(ticket, event, accepted, by=None)
    else:
        intro = _("E-mail from %(sender)s:") % {"sender": parsed.sender}
        event = services.ticket_add_note(ticket=ticket, body=f"{intro}\n\n{body}", author=by)
        notes = _attach(ticket, event, accepted, by=by)
    _finish(
        message, Outcome(Status.REPLIED, ticket=ticket, event=event, notes=refused + notes), by=by
    )
    return message


@transaction.atomic
def inbound_discard(*, message_pk: int, by) -> InboundMessage:
    """A person looked and decided it needs nothing; the raw copy stays."""
    message = InboundMessage.objects.select_for_update().get(pk=message_pk)
    if message.status not in TRIAGE_STATUSES:
        raise ValidationError(_("This message has already been dealt with."))
    _finish(message, Outcome(Status.DISCARDED, reason=message.reason), by=by)
    return message


def inbound_reprocess(*, message_pk: int, by) -> InboundMessage:
    """Route a held, rejected, rate-limited or failed message again (after a contact was added,
    a bug fixed...), without the flood limit, which a person lifts by asking."""
    updated = InboundMessage.objects.filter(
        pk=message_pk, status__in=TRIAGE_STATUSES, truncated=False
    ).update(status=Status.RECEIVED, reason="", error="")
    if not updated:
        raise ValidationError(_("This message cannot be processed again."))
    return inbound_process(message_pk=message_pk, by=by, flood_check=False)
