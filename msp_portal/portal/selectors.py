"""Reads for portal pages, and the service levels put into the client's own words."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contracts.models import Contract, Priority
from contracts.selectors import CONTRACT_PREFETCH, sla_lines
from msp_portal.core.templatetags.portal_format import duration
from tickets import services
from tickets.models import Ticket, priority_for

#: What each priority means for the person who asks, most urgent first.
PRIORITY_WORDS = {
    Priority.P1: gettext_lazy("Critical: the company, or a critical service, is stopped"),
    Priority.P2: gettext_lazy("High: a team or an important service cannot work"),
    Priority.P3: gettext_lazy("Normal: work is slowed down"),
    Priority.P4: gettext_lazy("Low: it can wait"),
}


@dataclass(frozen=True)
class PriorityPreview:
    """The priority a new ticket will get, and what we promise for it."""

    priority: str
    label: str
    meaning: str
    first_response: str  # "1 h", or "" without a contract
    hours: str


def priority_preview(user, impact: int, urgency: int) -> PriorityPreview:
    """The derived priority and, under the contract in force, the first-response target."""
    priority = priority_for(impact, urgency)
    first_response = hours = ""
    contract = services.contract_for(user.client, on=timezone.localdate())
    if contract is not None:
        prefetch_related_objects([contract], *CONTRACT_PREFETCH)
        for line in sla_lines(contract):
            if line.priority == priority:
                first_response = duration(line.first_response_minutes)
                hours = f"{line.hours} ({line.time_zone})"
    return PriorityPreview(
        priority=priority,
        label=str(Priority(priority).label),
        meaning=str(PRIORITY_WORDS[priority]),
        first_response=first_response,
        hours=hours,
    )


def sla_sentences(contract: Contract) -> list[tuple[str, str]]:
    """Each target as (priority, one plain sentence): "We answer ... within 1 h, ..."."""
    sentences = []
    for line in sla_lines(contract):
        text = _(
            "%(meaning)s. We answer within %(first)s and aim to solve it within "
            "%(resolution)s, counted in business hours: %(hours)s (%(zone)s)."
        ) % {
            "meaning": PRIORITY_WORDS.get(line.priority, line.priority_label),
            "first": duration(line.first_response_minutes),
            "resolution": duration(line.resolution_minutes),
            "hours": line.hours,
            "zone": line.time_zone,
        }
        if line.next_response_minutes:
            text += " " + _("While we work on it, you hear from us at least every %(next)s.") % {
                "next": duration(line.next_response_minutes)
            }
        sentences.append((line.priority, text))
    return sentences


def company_contracts(user):
    """The company's contracts an administrator may read, newest first, with their SLA."""
    return (
        Contract.objects.for_user(user)
        .exclude(status=Contract.Status.DRAFT)
        .select_related("sla_policy", "calendar")
        .prefetch_related(*CONTRACT_PREFETCH)
        .order_by("-start_date", "-pk")
    )


def ticket_search(tickets, *, state: str, q: str):
    """The portal list's filters: open / closed / all, and subject or number."""
    if state == "open":
        tickets = tickets.open().order_by("priority", "created_at", "pk")
    elif state == "closed":
        tickets = tickets.filter(status__in=Ticket.DONE_STATUSES).order_by("-updated_at", "-pk")
    else:
        tickets = tickets.order_by("-updated_at", "-pk")
    q = (q or "").replace("\x00", "").strip()  # PostgreSQL refuses NUL in a string literal
    if q:
        number = q.upper().removeprefix("T-").strip()
        match = Q(subject__icontains=q)
        if number.isdigit():
            match |= Q(number=int(number))
        tickets = tickets.filter(match)
    return tickets
