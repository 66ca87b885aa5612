"""Client portal pages: the company's open work, its tickets, its assets and its contracts.

Every read goes through ``for_user``: a client administrator sees the company's tickets, a client
user only those they opened, requested or are copied on, and neither sees internal events.
Ticket pages and actions are in ``tickets_views``; the company's users in ``users_views``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from clients.models import Asset
from contracts.models import Contract
from contracts.selectors import CONTRACT_PREFETCH, sla_lines
from monitoring.models import Check
from msp_portal.core.access import client_required
from msp_portal.core.tenancy import get_for_user
from tickets.attachments import attachment_for_user, attachment_response
from tickets.models import Ticket

from .selectors import company_contracts, sla_sentences, ticket_search

PAGE_SIZE = 50
HOME_TICKETS = 20
#: The portal list's filter: open (default), closed (resolved or closed) or all.
TICKET_STATES = ("open", "closed", "all")
#: A client administrator's scope on the list: the whole company (default) or their own.
TICKET_SCOPES = ("all", "mine")


def client_admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Client administrators only; a client user gets a 404, as if the page did not exist."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_client_admin:
            raise Http404
        return view(request, *args, **kwargs)

    return client_required(wrapper)


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
    user = request.user
    state = request.GET.get("state", "open")
    if state not in TICKET_STATES:
        state = "open"
    scope = request.GET.get("scope", "all")
    if scope not in TICKET_SCOPES or not user.is_client_admin:
        scope = "all"
    q = request.GET.get("q", "")[:100]
    tickets = Ticket.objects.for_user(user).select_related("contact")
    if scope == "mine":
        tickets = tickets.for_client_user(user)  # the rule a client user is held to
    tickets = ticket_search(tickets, state=state, q=q)
    page = Paginator(tickets, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "state": state, "scope": scope, "q": q}
    return render(request, "portal/ticket_list.html", context)


@require_GET
@client_required
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """A file of a ticket this client user may see, from a public message only; else 404."""
    return attachment_response(attachment_for_user(request.user, pk))


def _visible_checks(user) -> Prefetch:
    return Prefetch(
        "checks", queryset=Check.objects.for_user(user).order_by("name"), to_attr="visible_checks"
    )


@require_GET
@client_required
def asset_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    assets = (
        Asset.objects.for_user(user)
        .in_service()
        .select_related("site", "owner")
        .prefetch_related(_visible_checks(user))
        .order_by("name", "pk")
    )
    page = Paginator(assets, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/asset_list.html", {"page": page})


@require_GET
@client_required
def asset_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One asset, read-only: its checks' state and the tickets about it this user may see."""
    user = request.user
    asset = get_for_user(Asset.objects.select_related("site", "owner"), user, pk=pk)
    checks = Check.objects.for_user(user).filter(asset=asset).order_by("name", "pk")
    tickets = (
        Ticket.objects.for_user(user)
        .filter(asset=asset)
        .select_related("contact")
        .order_by("-updated_at", "-pk")[:PAGE_SIZE]
    )
    context = {"asset": asset, "checks": checks, "tickets": tickets}
    return render(request, "portal/asset_detail.html", context)


@require_GET
@client_admin_required
def contract_list(request: HttpRequest) -> HttpResponse:
    """The company's contracts and what their service levels promise, in plain words."""
    contracts = [(c, sla_sentences(c)) for c in company_contracts(request.user)]
    return render(request, "portal/contract_list.html", {"contracts": contracts})
