"""What ticket changes tell the outbox: the topics and their compact JSON payloads.

Built from rows the calling service already holds (the ticket with its client and assignee), so
publishing costs one INSERT and no reads. Webhooks carry these payloads to the outside world.
"""

from __future__ import annotations

from django.conf import settings

from msp_portal.core.outbox import OutboxMessage, outbox_publish

from ..models import SlaTimer, Ticket, TicketEvent

OPENED = "ticket.opened"
UPDATED = "ticket.updated"
SLA_BREACHED = "ticket.sla_breached"


def ticket_data(ticket: Ticket) -> dict:
    """The ticket as events describe it."""
    client = ticket.client
    return {
        "id": ticket.pk,
        "number": ticket.number,
        "reference": ticket.reference,
        "client": {"id": client.pk, "slug": client.slug, "name": client.name},
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "assignee": ticket.assignee.email if ticket.assignee_id else None,
        "source": ticket.source,
        "created_at": ticket.created_at.isoformat(),
        "updated_at": ticket.updated_at.isoformat(),
        "url": settings.PORTAL_BASE_URL.rstrip("/") + ticket.get_absolute_url(),
    }


def publish_opened(ticket: Ticket) -> None:
    """ticket.opened, once per ticket."""
    outbox_publish(
        topic=OPENED,
        key=f"{OPENED}:{ticket.pk}",
        client_id=ticket.client_id,
        payload={"ticket": ticket_data(ticket)},
    )


def publish_updated(ticket: Ticket, event: TicketEvent, changes: dict, *, by=None) -> None:
    """ticket.updated, once per service call: ``event`` is the timeline entry it wrote (the
    last one when it wrote several), ``changes`` what changed, ``by`` who changed it."""
    outbox_publish(
        topic=UPDATED,
        key=f"{UPDATED}:{ticket.pk}:{event.pk}",
        client_id=ticket.client_id,
        payload={
            "ticket": ticket_data(ticket),
            "changes": changes,
            "actor": getattr(by, "email", None) or None,
        },
    )


def sla_breach_message(ticket: Ticket, timer: SlaTimer, *, reached_at) -> OutboxMessage:
    """ticket.sla_breached for one timer: keyed like its escalation (ticket, timer, cycle,
    level), so a sweep that races another or runs again publishes it once."""
    return OutboxMessage(
        topic=SLA_BREACHED,
        key=f"{SLA_BREACHED}:{ticket.pk}:{timer.kind}:{timer.cycle}:{int(SlaTimer.Level.BREACHED)}",
        client_id=ticket.client_id,
        payload={
            "ticket": ticket_data(ticket),
            "sla": {
                "timer": timer.kind,
                "cycle": timer.cycle,
                "due_at": timer.due_at.isoformat() if timer.due_at else None,
                "breached_at": reached_at.isoformat(),
            },
        },
    )
