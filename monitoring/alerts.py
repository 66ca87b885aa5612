"""Monitoring alerts become tickets: the outbox consumer for ``monitoring.alert`` events.

It runs in the outbox dispatch task, under the event's row lock and in its transaction, never in
the probe loop. The check's row is locked too, so two alerts of one check are handled one after
the other, and the check's ``open_ticket`` decides whether to open or to annotate:

- down: opens one ticket (source monitoring, linked to the check's asset, client and contract,
  so the SLA clock runs) -- or, if the check's ticket is still open, notes it went down again;
- still down: notes the count of failures and the last error on that ticket;
- recovered: notes "recovered after X" and, if the check says so, resolves the ticket;
- flapping: opens (or annotates) one ticket saying the check keeps bouncing, instead of one
  ticket per bounce.

All tickets go through ``tickets.services``; nothing here writes ticket rows itself.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import translation
from django.utils.dateparse import parse_datetime
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tickets import services as ticket_services
from tickets.models import Impact, Ticket, Urgency

from . import states
from .models import Check

logger = logging.getLogger(__name__)

#: The outbox topic of alerts, published by the engine.
ALERT_TOPIC = "monitoring.alert"


def monitoring_alerts_dispatch(*, event) -> None:
    """The outbox consumer: act on monitoring alerts, ignore every other topic."""
    if event.topic != ALERT_TOPIC:
        return
    payload = event.payload or {}
    with transaction.atomic():
        check = (
            Check.objects.select_for_update(of=("self",))
            .select_related("client", "asset", "open_ticket")
            .filter(pk=payload.get("check_id"))
            .first()
        )
        if check is None:  # deleted since: nothing to tell
            return
        with translation.override(check.client.language):
            alert_handle(check=check, payload=payload)


def _ticket_open(ticket: Ticket | None) -> bool:
    return ticket is not None and ticket.status not in Ticket.DONE_STATUSES


def _duration(payload: dict, at: dt.datetime) -> str:
    since = parse_datetime(payload.get("since") or "")
    return timesince(since, at) if since else ""


def _opening_text(check: Check, alert: str, payload: dict, message: str) -> tuple[str, str]:
    """Subject and first words of a ticket about this check, in the active language."""
    names = {
        "check": check.name,
        "target": check.target or check.get_kind_display(),
        "error": message or _("no detail"),
    }
    if alert == states.ALERT_FLAPPING:
        return (
            _("%(check)s keeps going up and down") % names,
            _(
                "Monitoring: %(check)s (%(target)s) is flapping: its results keep changing "
                "between ok and failing. Last error: %(error)s"
            )
            % names,
        )
    if check.kind == Check.Kind.HEARTBEAT:
        return (
            _("%(check)s did not report in") % names,
            _("Monitoring: %(check)s: %(error)s") % names,
        )
    failures = payload.get("failures") or check.failure_threshold
    body = ngettext(
        "Monitoring: %(check)s (%(target)s) failed %(n)s time in a row: %(error)s",
        "Monitoring: %(check)s (%(target)s) failed %(n)s times in a row: %(error)s",
        failures,
    )
    return _("%(check)s is down") % names, body % {**names, "n": failures}


def alert_handle(*, check: Check, payload: dict) -> Ticket | None:
    """Apply one alert to the check's ticket; returns the ticket touched, if any."""
    alert = payload.get("alert")
    at = parse_datetime(payload.get("at") or "") or None
    message = payload.get("message") or ""
    ticket = check.open_ticket if _ticket_open(check.open_ticket) else None
    data = {"check_id": check.pk, "alert": alert, "message": message}

    if alert in (states.ALERT_DOWN, states.ALERT_FLAPPING):
        subject, text = _opening_text(check, alert, payload, message)
        if ticket is not None:
            ticket_services.ticket_record_monitoring_event(
                ticket=ticket, body=text, data=data, at=at
            )
            return ticket
        ticket = ticket_services.ticket_open(
            client=check.client,
            subject=subject,
            description=text,
            source=Ticket.Source.MONITORING,
            asset=check.asset,
            impact=Impact.MEDIUM,
            urgency=Urgency.HIGH,
            at=at,
        )
        check.open_ticket = ticket
        check.save(update_fields=["open_ticket"])
        logger.info("Check %s opened ticket %s", check.pk, ticket.reference)
        return ticket

    if ticket is None:  # nothing open to tell (the ticket was closed by hand)
        return None
    if alert == states.ALERT_STILL_DOWN:
        text = _("Still down: %(n)s failures in a row. Last error: %(error)s") % {
            "n": payload.get("failures"),
            "error": message or _("no detail"),
        }
        ticket_services.ticket_record_monitoring_event(ticket=ticket, body=text, data=data, at=at)
    elif alert == states.ALERT_RECOVERED:
        duration = _duration(payload, at) if at else ""
        text = (
            _("Recovered after %(duration)s.") % {"duration": duration}
            if duration
            else _("Recovered.")
        )
        ticket_services.ticket_record_monitoring_event(ticket=ticket, body=text, data=data, at=at)
        if check.resolve_ticket_on_recovery:
            ticket_services.ticket_change_status(
                ticket=ticket,
                status=Ticket.Status.RESOLVED,
                by=None,
                reason=_("The check recovered: resolved by monitoring."),
                at=at,
            )
    return ticket
