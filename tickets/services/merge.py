"""Merging duplicate tickets into one: the duplicates close, pointing at the ticket kept."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from msp_portal.core.audit import audit_record

from ..models import Ticket, TicketEvent
from . import publish
from .sla import sla_refresh
from .tickets import _lock, _record_event, _set_status


@transaction.atomic
def ticket_merge(
    *, target: Ticket, duplicates: Sequence[Ticket], by, request=None, at: dt.datetime | None = None
) -> Ticket:
    """Close each duplicate as merged into ``target``, with a note on both sides.

    All tickets must belong to one client and the target must still be open; the duplicates'
    timelines and attachments stay where they are, reachable through the link, and the
    duplicates' requesters are copied on the target so they hear about its progress.
    """
    at = at or timezone.now()
    # Lock in number order, so two merges over the same tickets cannot deadlock.
    others = sorted({t.pk: t for t in duplicates if t.pk != target.pk}.values(), key=lambda t: t.pk)
    if not others:
        raise ValidationError(_("Choose at least two tickets to merge."))
    locked = {t.pk: _lock(t) for t in sorted([target, *others], key=lambda t: t.pk)}
    target = locked[target.pk]
    if not target.is_open:
        raise ValidationError(
            _("%(ref)s is resolved or closed: merge into an open ticket.")
            % {"ref": target.reference}
        )
    merged = []
    for other in (locked[t.pk] for t in others):
        if other.client_id != target.client_id:
            raise ValidationError(_("Only tickets of the same client can be merged."))
        if other.status == Ticket.Status.CLOSED:
            raise ValidationError(
                _("%(ref)s is already closed and cannot be merged.") % {"ref": other.reference}
            )
        other.merged_into = target
        other.save(update_fields=["merged_into"])
        _record_event(
            other, kind=TicketEvent.Kind.NOTE, at=at, author=by, public=True,
            body=_("Merged into %(ref)s; follow that ticket from now on.")
            % {"ref": target.reference},
            data={"merged_into": target.number},
        )  # fmt: skip
        previous = other.status
        event = _set_status(other, Ticket.Status.CLOSED, at=at, by=by, cause="merged")
        sla_refresh(other, now=at)
        publish.publish_updated(
            other, event, {"status": {"from": previous, "to": Ticket.Status.CLOSED}}, by=by
        )
        if other.contact_id and other.contact_id != target.contact_id:
            target.cc_contacts.add(other.contact_id)
        merged.append(other)
    _record_event(
        target, kind=TicketEvent.Kind.NOTE, at=at, author=by, public=False,
        body="\n\n".join(
            _("%(ref)s merged into this ticket: %(subject)s\n%(description)s")
            % {"ref": t.reference, "subject": t.subject, "description": t.description}
            for t in merged
        ),
        data={"merged": [t.number for t in merged]},
    )  # fmt: skip
    target.updated_at = at
    target.save(update_fields=["updated_at"])
    audit_record(
        actor=by, action="ticket.merged", request=request, client_id=target.client_id,
        obj=target, data={"target": target.number, "merged": [t.number for t in merged]},
    )  # fmt: skip
    return target
