"""Staff pages for clients and their assets.

Like the dashboard, these pages gather what other apps hold about a client (its tickets,
contracts, checks): the views read across apps, while the clients models import none of them.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from clients.forms import AssetFilterForm, ClientFilterForm
from clients.models import Asset, Client, Contact, Site
from clients.selectors import asset_count, asset_search, attribute_rows, client_search
from contracts.models import Contract
from monitoring.models import Check, MaintenanceWindow
from monitoring.selectors import not_over, with_next_occurrence, with_uptime
from msp_portal.core.access import staff_required
from msp_portal.core.htmx import render_page_or_partial
from msp_portal.core.tenancy import get_for_user
from tickets.selectors import open_ticket_count, tickets_for_user

PAGE_SIZE = 50
#: Rows of a related list on a detail page; a link leads to the full, filtered list.
SECTION_SIZE = 50


@require_GET
@staff_required
def client_list(request: HttpRequest) -> HttpResponse:
    form = ClientFilterForm(request.GET, user=request.user)
    clients = Client.objects.for_user(request.user).annotate(
        open_ticket_count=open_ticket_count(), asset_count=asset_count()
    )
    clients = client_search(clients, **form.filters())
    page = Paginator(clients, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page}
    return render_page_or_partial(request, "clients/client_list.html", "rows", context)


@require_GET
@staff_required
def client_detail(request: HttpRequest, slug: str) -> HttpResponse:
    user = request.user
    client = get_for_user(Client, user, slug=slug)
    open_tickets = tickets_for_user(user).filter(client=client).open()
    assets = Asset.objects.for_user(user).filter(client=client).in_service()
    context = {
        "client": client,
        "sites": Site.objects.for_user(user).filter(client=client),
        "contacts": Contact.objects.for_user(user).filter(client=client).select_related("site"),
        "contracts": Contract.objects.for_user(user)
        .filter(client=client)
        .select_related("sla_policy"),
        "assets": assets.select_related("site")[:SECTION_SIZE],
        "asset_total": assets.count(),
        "open_tickets": open_tickets.order_by("priority", "created_at", "pk")[:SECTION_SIZE],
        "open_ticket_total": open_tickets.count(),
        "checks": with_uptime(
            Check.objects.for_user(user).filter(client=client).select_related("asset")
        ),
        "windows": _current_windows(user, client),
        "section_size": SECTION_SIZE,
    }
    return render(request, "clients/client_detail.html", context)


def _current_windows(user, client: Client) -> list[MaintenanceWindow]:
    """The client's maintenance windows in force or to come (those that are over are left to
    the monitoring page)."""
    windows = not_over(MaintenanceWindow.objects.for_user(user).filter(client=client))
    windows = windows.select_related("client").prefetch_related("checks")
    current = [w for w in with_next_occurrence(windows) if w.next_occurrence is not None]
    return sorted(current, key=lambda w: w.next_occurrence.starts_at)


@require_GET
@staff_required
def asset_list(request: HttpRequest) -> HttpResponse:
    form = AssetFilterForm(request.GET, user=request.user)
    assets = Asset.objects.for_user(request.user).select_related("client", "site", "owner")
    assets = asset_search(assets, **form.filters())
    page = Paginator(assets, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page}
    return render_page_or_partial(request, "clients/asset_list.html", "rows", context)


@require_GET
@staff_required
def asset_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    queryset = Asset.objects.select_related("client", "site", "owner")
    asset = get_for_user(queryset, user, pk=pk)
    context = {
        "asset": asset,
        "attributes": attribute_rows(asset.attributes),
        "tickets": tickets_for_user(user)
        .filter(asset=asset)
        .order_by("-created_at")[:SECTION_SIZE],
        "checks": with_uptime(Check.objects.for_user(user).filter(asset=asset)),
        "contracts": Contract.objects.for_user(user).filter(covered_assets=asset),
        "section_size": SECTION_SIZE,
    }
    return render(request, "clients/asset_detail.html", context)
