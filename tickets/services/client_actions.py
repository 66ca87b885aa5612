"""What a client may do to a ticket from the portal besides replying: open one with its files,
confirm a resolution, reopen within a window after it.

The window is passed in by the caller (the portal reads it from its settings): ``tickets`` does
not read the portal's configuration, and a test can set any window it needs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Attachment, Ticket, TicketEvent
from . import publish
from .sla import sla_refresh
from .tickets import _lock, _set_status, attachment_add, ticket_open


def reopen_deadline(ticket: Ticket, *, days: int) -> dt.datetime | None:
    """The last instant a resolved or closed ticket may be reopened by its client, or None."""
    if ticket.status not in Ticket.DONE_STATUSES or ticket.resolved_at is None:
        return None
    return ticket.resolved_at + dt.timedelta(days=days)


def may_confirm_resolution(ticket: Ticket) -> bool:
    """Only a resolved ticket waits for its client's confirmation."""
    return ticket.status == Ticket.Status.RESOLVED


def may_reopen(ticket: Ticket, *, days: int, now: dt.datetime | None = None) -> bool:
    """Resolved or closed, and no more than ``days`` days since the resolution (inclusive)."""
    deadline = reopen_deadline(ticket, days=days)
    return deadline is not None and (now or timezone.now()) <= deadline


def _ensure_client_sees(ticket: Ticket, by) -> None:
    if by is None or not by.is_client_side:
        raise ValidationError(_("Only the client's own people confirm or reopen from the portal."))
    if not Ticket.objects.for_user(by).filter(pk=ticket.pk).exists():
        raise ValidationError(_("You can only change tickets you can see."))


@transaction.atomic
def ticket_confirm_resolution(*, ticket: Ticket, by, at: dt.datetime | None = None) -> Ticket:
    """The client agrees the problem is solved: resolved becomes closed."""
    _ensure_client_sees(ticket, by)
    ticket = _lock(ticket)
    if not may_confirm_resolution(ticket):
        raise ValidationError(_("Only a resolved ticket can be confirmed as solved."))
    event = _set_status(
        ticket, Ticket.Status.CLOSED, at=at or timezone.now(), by=by, cause="client_confirmed"
    )
    sla_refresh(ticket)
    publish.publish_updated(
        ticket, event, {"status": {"from": Ticket.Status.RESOLVED, "to": ticket.status}}, by=by
    )
    return ticket


@transaction.atomic
def ticket_reopen(
    *, ticket: Ticket, by, reason: str, days: int, at: dt.datetime | None = None
) -> Ticket:
    """The problem is back: a resolved or closed ticket opens again, within ``days`` days of its
    resolution. Closed is otherwise final; this window is the one way back for the client."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Tell us what is still wrong, so we can act on it.")})
    _ensure_client_sees(ticket, by)
    ticket = _lock(ticket)
    at = at or timezone.now()
    if not may_reopen(ticket, days=days, now=at):
        raise ValidationError(
            _("This ticket can no longer be reopened; please open a new ticket that refers to it.")
        )
    previous = ticket.status
    if previous == Ticket.Status.CLOSED:
        # _set_status clears the resolution only when leaving "resolved"; a closed ticket
        # coming back loses both stamps, so its resolution clock runs again.
        ticket.closed_at = None
        ticket.resolved_at = None
        ticket.save(update_fields=["closed_at", "resolved_at"])
    event = _set_status(
        ticket, Ticket.Status.OPEN, at=at, by=by, reason=reason[:2000], cause="client_reopened"
    )
    sla_refresh(ticket)
    publish.publish_updated(
        ticket, event, {"status": {"from": previous, "to": ticket.status}}, by=by
    )
    return ticket


def ticket_open_with_files(*, files: Iterable = (), **fields) -> Ticket:
    """Open a ticket and attach its files to the opening event: all of it is saved, or none.

    ``fields`` are those of :func:`ticket_open`; ``created_by`` also uploads the files.
    """
    saved: list[Attachment] = []
    try:
        with transaction.atomic():
            ticket = ticket_open(**fields)
            created = ticket.events.get(kind=TicketEvent.Kind.CREATED)
            for upload in files:
                saved.append(
                    attachment_add(
                        ticket=ticket,
                        uploaded_file=upload,
                        by=fields.get("created_by"),
                        event=created,
                    )
                )
    except BaseException:
        for attachment in saved:  # the rows are rolled back; their files must go too
            attachment.file.storage.delete(attachment.file.name)
        raise
    return ticket
