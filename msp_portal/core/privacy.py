"""Personal data (RGPD/GDPR): export everything held about a person, and erase them.

A person is a client's ``Contact``, a ``User`` who signs in, or both (a portal user and the
contact that represents them are handled together). Erasure pseudonymises rather than deletes:
tickets, timelines, time entries and SLA figures stay, and now point to "Former contact #12";
copies of the name or address kept elsewhere (timeline details, outbox payloads, escalation
recipients) are replaced as well. Only MSP administrators may do either, and both are audited.
"""

from __future__ import annotations

from collections.abc import Callable

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext

from clients.models import Contact
from msp_portal.accounts.models import ApiToken, User
from msp_portal.accounts.sessions import user_sessions_end
from tickets.models import Attachment, Ticket, TicketEvent, TimeEntry
from tickets.services import ticket_history_pseudonymise

from .audit import audit_record
from .jsonscrub import json_column_scrub
from .models import AuditEntry, OutboxEvent

#: Erased addresses end with this reserved domain (RFC 2606 ``.invalid``): never delivered.
ERASED_DOMAIN = "erased.invalid"


#: ``scrubber(*, client_id, replacements) -> rows changed``: an app that keeps copies of people's
#: names or addresses (sent notifications, received mail) registers one from its ``ready()``,
#: so erasure reaches them without core knowing those apps.
Scrubber = Callable[..., int]
_scrubbers: dict[str, Scrubber] = {}


def privacy_register_scrubber(name: str, scrubber: Scrubber) -> None:
    _scrubbers[name] = scrubber


def _person(contact: Contact | None, user: User | None) -> tuple[Contact | None, User | None]:
    """The contact and the login of one person, whichever of the two was given."""
    if (contact is None) == (user is None):
        raise ValueError("Give exactly one of contact= or user=.")
    if contact is not None:
        return contact, contact.user
    return getattr(user, "contact", None), user


def _ensure_admin(by) -> None:
    if not getattr(by, "is_active", False) or not getattr(by, "is_msp_admin", False):
        raise PermissionDenied("Only MSP administrators handle personal data requests.")


def is_erased(*, contact: Contact | None = None, user: User | None = None) -> bool:
    """True once the person has been erased (their address is the placeholder)."""
    row = contact if contact is not None else user
    return bool(row and row.email.endswith("@" + ERASED_DOMAIN))


# -- Export -------------------------------------------------------------------------------------


def _contact_data(contact: Contact) -> dict:
    return {
        "id": contact.pk,
        "client": {"id": contact.client_id, "name": contact.client.name},
        "site": contact.site.name if contact.site_id else None,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "email": contact.email,
        "phone": contact.phone,
        "mobile": contact.mobile,
        "job_title": contact.job_title,
        "is_primary": contact.is_primary,
        "is_active": contact.is_active,
        "notes": contact.notes,
        "portal_login": contact.user_id,
    }


def _user_data(user: User) -> dict:
    return {
        "id": user.pk,
        "email": user.email,
        "full_name": user.full_name,
        "role": user.role,
        "client": {"id": user.client_id, "name": user.client.name} if user.client_id else None,
        "language": user.language,
        "time_zone": user.time_zone,
        "is_active": user.is_active,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
        "api_tokens": [
            {
                "name": t.name,
                "prefix": t.prefix,
                "created_at": t.created_at,
                "expires_at": t.expires_at,
                "last_used_at": t.last_used_at,
                "revoked_at": t.revoked_at,
            }
            for t in ApiToken.objects.filter(user=user).order_by("created_at")
        ],
    }


def _authored(contact: Contact | None, user: User | None) -> Q:
    """Timeline events written by the person, through their login or as the contact."""
    q = Q(pk__in=[])
    if user is not None:
        q |= Q(author=user)
    if contact is not None:
        q |= Q(author_contact=contact)
    return q


def _tickets(contact: Contact | None, user: User | None, client_id: int | None) -> list[dict]:
    """Tickets the person opened, requested or is copied on, with their own messages only."""
    related = Q(pk__in=[])
    if contact is not None:
        related |= Q(contact=contact) | Q(cc_contacts=contact)
    if user is not None:
        related |= Q(created_by=user)
    tickets = Ticket.objects.filter(related)
    if client_id is not None:
        # A client's person never takes another client's rows with them.
        tickets = tickets.filter(client_id=client_id)
    tickets = tickets.distinct().select_related("client").order_by("created_at", "pk")
    cc_ids = (
        set(
            Ticket.cc_contacts.through.objects.filter(contact=contact).values_list(
                "ticket_id", flat=True
            )
        )
        if contact is not None
        else set()
    )
    messages: dict[int, list[dict]] = {}
    events = TicketEvent.objects.filter(_authored(contact, user), ticket__in=tickets)
    for event in events.order_by("created_at", "pk"):
        messages.setdefault(event.ticket_id, []).append(_event_data(event))
    result = []
    for ticket in tickets:
        roles = []
        if contact is not None and ticket.contact_id == contact.pk:
            roles.append("requester")
        if ticket.pk in cc_ids:
            roles.append("copied")
        if user is not None and ticket.created_by_id == user.pk:
            roles.append("opened")
        result.append(
            {
                "reference": ticket.reference,
                "client": ticket.client.name,
                "subject": ticket.subject,
                "status": ticket.status,
                "priority": ticket.priority,
                "created_at": ticket.created_at,
                "roles": roles,
                "messages": messages.get(ticket.pk, []),
            }
        )
    return result


def _event_data(event: TicketEvent) -> dict:
    return {
        "ticket": event.ticket.reference,
        "kind": event.kind,
        "public": event.public,
        "at": event.created_at,
        "text": event.body,
    }


def _other_messages(contact, user, client_id, exported_refs: set[str]) -> list[dict]:
    """Messages the person wrote on tickets not listed above (a technician's replies)."""
    events = TicketEvent.objects.filter(_authored(contact, user)).select_related("ticket")
    if client_id is not None:
        events = events.filter(client_id=client_id)
    return [
        _event_data(e)
        for e in events.order_by("created_at", "pk")
        if e.ticket.reference not in exported_refs
    ]


def _attachments(contact, user, client_id) -> list[dict]:
    q = Q(event__in=TicketEvent.objects.filter(_authored(contact, user)))
    if user is not None:
        q |= Q(uploaded_by=user)
    rows = Attachment.objects.filter(q)
    if client_id is not None:
        rows = rows.filter(client_id=client_id)
    return [
        {
            "ticket": a.ticket.reference,
            "file_name": a.original_name,
            "content_type": a.content_type,
            "size": a.size,
            "uploaded_at": a.created_at,
        }
        for a in rows.select_related("ticket").distinct().order_by("created_at", "pk")
    ]


def _time_entries(user: User | None) -> list[dict]:
    if user is None or not user.is_msp_staff:
        return []
    return [
        {
            "ticket": t.ticket.reference,
            "work_date": t.work_date,
            "minutes": t.minutes,
            "billable": t.billable,
            "note": t.note,
        }
        for t in TimeEntry.objects.filter(technician=user)
        .select_related("ticket")
        .order_by("work_date", "pk")
    ]


def _audit_about(contact: Contact | None, user: User | None) -> Q:
    q = Q(pk__in=[])
    if user is not None:
        q |= Q(actor=user) | Q(object_type="accounts.user", object_id=str(user.pk))
        q |= Q(action="login_failed", data__email=user.email)
    if contact is not None:
        q |= Q(object_type="clients.contact", object_id=str(contact.pk))
    return q


def _audit_entries(contact, user) -> list[dict]:
    return [
        {
            "at": e.at,
            "action": e.action,
            "object_type": e.object_type,
            "object_id": e.object_id,
            "ip_address": e.ip_address,
            "details": e.data,
        }
        for e in AuditEntry.objects.filter(_audit_about(contact, user)).order_by("at", "pk")
    ]


def person_export(
    *,
    contact: Contact | None = None,
    user: User | None = None,
    by,
    request: HttpRequest | None = None,
) -> dict:
    """Everything held about one person, as JSON-ready data (the right of access, art. 15)."""
    _ensure_admin(by)
    contact, user = _person(contact, user)
    # A client-side person's data lives in their client only; staff work across clients.
    client_id = contact.client_id if contact is not None else user.client_id
    tickets = _tickets(contact, user, client_id)
    data = {
        "exported_at": timezone.now(),
        "contact": _contact_data(contact) if contact is not None else None,
        "user": _user_data(user) if user is not None else None,
        "tickets": tickets,
        "other_messages": _other_messages(
            contact, user, client_id, {t["reference"] for t in tickets}
        ),
        "attachments": _attachments(contact, user, client_id),
        "time_entries": _time_entries(user),
        "audit_entries": _audit_entries(contact, user),
    }
    audit_record(
        actor=by,
        action="person.exported",
        request=request,
        client_id=client_id,
        obj=contact if contact is not None else user,
        data={"contact": getattr(contact, "pk", None), "user": getattr(user, "pk", None)},
    )
    return data


# -- Erasure ------------------------------------------------------------------------------------


def _erase_contact(contact: Contact) -> dict[str, str]:
    old_name, old_email = contact.full_name, contact.email
    contact.first_name = gettext("Former contact")
    contact.last_name = f"#{contact.pk}"
    contact.email = f"erased-contact-{contact.pk}@{ERASED_DOMAIN}"
    contact.phone = contact.mobile = contact.job_title = contact.notes = ""
    contact.is_active = contact.is_primary = False
    contact.save(
        update_fields=[
            "first_name",
            "last_name",
            "email",
            "phone",
            "mobile",
            "job_title",
            "notes",
            "is_active",
            "is_primary",
        ]
    )
    return {k: v for k, v in ((old_name, contact.full_name), (old_email, contact.email)) if k}


def _erase_user(user: User) -> dict[str, str]:
    old_name, old_email = str(user), user.email
    user.full_name = gettext("Former user #%(id)s") % {"id": user.pk}
    user.email = f"erased-user-{user.pk}@{ERASED_DOMAIN}"
    user.time_zone = ""
    user.is_active = False
    user.set_unusable_password()
    user.save(update_fields=["full_name", "email", "time_zone", "is_active", "password"])
    ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    user_sessions_end(user)
    if apps.is_installed("django_otp"):
        import django_otp

        # Second-factor secrets and recovery codes go with the login.
        for device in list(django_otp.devices_for_user(user, confirmed=None)):
            device.delete()
    if apps.is_installed("axes"):
        from axes.models import AccessAttempt, AccessFailureLog, AccessLog

        for model in (AccessAttempt, AccessFailureLog, AccessLog):
            model.objects.filter(username__iexact=old_email).delete()
    return {k: v for k, v in ((old_name, user.full_name), (old_email, user.email)) if k}


def person_erase(
    *,
    contact: Contact | None = None,
    user: User | None = None,
    by,
    reason: str,
    request: HttpRequest | None = None,
) -> bool:
    """Pseudonymise one person everywhere (the right to erasure, art. 17), keeping tickets and
    figures; returns False when they were already erased. Audited with who and why, never
    with the erased values."""
    _ensure_admin(by)
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("An erasure needs a reason.")
    with transaction.atomic():
        contact, user = _person(contact, user)
        if contact is not None:
            contact = Contact.objects.select_for_update().get(pk=contact.pk)
        if user is not None:
            if user.pk == by.pk:
                raise PermissionDenied("Administrators cannot erase themselves.")
            user = User.objects.select_for_update().get(pk=user.pk)
        if (contact is None or is_erased(contact=contact)) and (
            user is None or is_erased(user=user)
        ):
            return False
        replacements: dict[str, str] = {}
        if contact is not None and not is_erased(contact=contact):
            replacements |= _erase_contact(contact)
        if user is not None and not is_erased(user=user):
            replacements |= _erase_user(user)
        # Copies of the name or address outside the person's own rows.
        client_id = contact.client_id if contact is not None else user.client_id
        outbox = OutboxEvent.objects.all()
        if client_id is not None:
            outbox = outbox.filter(client_id=client_id)
        scrubbed = ticket_history_pseudonymise(client_id=client_id, replacements=replacements)
        scrubbed += json_column_scrub(outbox, "payload", replacements)
        for scrubber in _scrubbers.values():
            scrubbed += scrubber(client_id=client_id, replacements=replacements)
        audit_record(
            actor=by,
            action="person.erased",
            request=request,
            client_id=client_id,
            obj=contact if contact is not None else user,
            data={
                "contact": getattr(contact, "pk", None),
                "user": getattr(user, "pk", None),
                "reason": reason[:1000],
                "rows_scrubbed": scrubbed,
            },
        )
    return True
