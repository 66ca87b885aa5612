"""Client portal pages: the company's open work, its tickets (public timeline only), its assets.

Every read goes through ``for_user``: a client administrator sees the company's tickets, a client
user only those they opened, requested or are copied on, and neither sees internal events.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from clients.models import Asset
from contracts.models import Contract
from contracts.selectors import CONTRACT_PREFETCH, sla_lines
from monitoring.models import Check
from msp_portal.core.access import client_required
from msp_portal.core.tenancy import get_for_user
from tickets import services
from tickets.attachments import (
    attachment_for_user,
    attachment_response,
    prefetch_timeline_attachments,
)
from tickets.forms import ReplyForm
from tickets.models import Ticket
from tickets.selectors import sla_timer_views, ticket_timeline

PAGE_SIZE = 50
HOME_TICKETS = 20
#: The portal list's filter: open (default), closed (resolved or closed) or all.
TICKET_STATES = ("open", "closed", "all")


@require_GET
@client_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    open_tickets = Ticket.objects.for_user(user).open().select_related("contact")
    contracts = (
        Contract.objects.for_user(user)  # none for client users: terms are for administrators
        .active_on(timezone.localdate())
        .select_related("sla_policy", "calendar")
        .prefetch_related(*CONTRACT_PREFETCH)
    )
    context = {
        "company": user.client,
        "open_tickets": open_tickets.order_by("priority", "created_at", "pk")[:HOME_TICKETS],
        "open_count": open_tickets.count(),
        "asset_count": Asset.objects.for_user(user).in_service().count(),
        "contracts": [(contract, sla_lines(contract)) for contract in contracts],
    }
    return render(request, "portal/home.html", context)


@require_GET
@client_required
def ticket_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "open")
    if state not in TICKET_STATES:
        state = "open"
    tickets = Ticket.objects.for_user(request.user).select_related("contact")
    if state == "open":
        tickets = tickets.open().order_by("priority", "created_at", "pk")
    elif state == "closed":
        tickets = tickets.filter(status__in=Ticket.DONE_STATUSES).order_by("-updated_at", "-pk")
    else:
        tickets = tickets.order_by("-updated_at", "-pk")
    page = Paginator(tickets, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/ticket_list.html", {"page": page, "state": state})


def _render_ticket(request: HttpRequest, ticket: Ticket, form: ReplyForm | None = None):
    timeline = ticket_timeline(ticket, request.user)
    prefetch_timeline_attachments(timeline, request.user)
    context = {
        "ticket": ticket,
        "closed": ticket.status == Ticket.Status.CLOSED,
        "timeline": timeline,
        "timers": sla_timer_views(ticket, request.user),
        "form": form or ReplyForm(),
    }
    return render(request, "portal/ticket_detail.html", context)


def _get_ticket(request: HttpRequest, number: int) -> Ticket:
    return get_for_user(
        Ticket.objects.select_related("client", "contact", "asset", "sla_snapshot"),
        request.user,
        number=number,
    )


@require_GET
@client_required
def ticket_detail(request: HttpRequest, number: int) -> HttpResponse:
    return _render_ticket(request, _get_ticket(request, number))


@require_POST
@client_required
def ticket_reply(request: HttpRequest, number: int) -> HttpResponse:
    ticket = _get_ticket(request, number)
    form = ReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Your message was not sent: please correct it below."))
        return _render_ticket(request, ticket, form)
    try:
        services.ticket_add_message(
            ticket=ticket,
            body=form.cleaned_data["body"],
            author=request.user,
            files=form.cleaned_data["attachments"],
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return _render_ticket(request, ticket, form)
    messages.success(request, _("Your message was sent."))
    return redirect("portal:ticket_detail", number=ticket.number)


@require_GET
@client_required
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """A file of a ticket this client user may see, from a public message only; else 404."""
    return attachment_response(attachment_for_user(request.user, pk))


@require_GET
@client_required
def asset_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    checks = Prefetch(
        "checks", queryset=Check.objects.for_user(user).order_by("name"), to_attr="visible_checks"
    )
    assets = (
        Asset.objects.for_user(user)
        .in_service()
        .select_related("site", "owner")
        .prefetch_related(checks)
        .order_by("name", "pk")
    )
    page = Paginator(assets, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/asset_list.html", {"page": page})
