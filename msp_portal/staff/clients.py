"""Staff pages for clients and their records: sites, contacts and assets.

Like the dashboard, these pages gather what other apps hold about a client (its tickets,
contracts, checks): the views read across apps, while the clients models import none of them.
Every object comes through ``get_for_user`` (404 when missing or forbidden) and every change
through ``clients.services``; when a service refuses, the form is shown again with what was
typed and the reason next to the field it concerns.
"""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from clients import services
from clients.forms import (
    AssetFilterForm,
    AssetForm,
    ClientFilterForm,
    ClientForm,
    ContactForm,
    RecordForm,
    SiteForm,
)
from clients.models import Asset, Client, Contact, Site
from clients.selectors import asset_count, asset_search, attribute_rows, client_search
from contracts.models import Contract
from contracts.selectors import contract_term_alert
from contracts.services import can_edit_contracts
from monitoring.models import Check, MaintenanceWindow
from monitoring.selectors import (
    not_over,
    overview_order,
    overview_summary,
    with_next_occurrence,
    with_uptime,
)
from msp_portal.core.access import staff_required
from msp_portal.core.htmx import render_page_or_partial
from msp_portal.core.tenancy import get_for_user
from tickets.models import SlaTimer
from tickets.selectors import open_ticket_count, tickets_for_user

from .selectors import month_bounds, most_urgent, open_first, open_ticket_figures, sla_compliance

PAGE_SIZE = 50
#: Rows of a related list on a detail page; a link leads to the full, filtered list.
SECTION_SIZE = 50
#: The most urgent open tickets shown on a client's page.
URGENT_SIZE = 8


@require_GET
@staff_required
def client_list(request: HttpRequest) -> HttpResponse:
    form = ClientFilterForm(request.GET, user=request.user)
    clients = Client.objects.for_user(request.user).annotate(
        open_ticket_count=open_ticket_count(), asset_count=asset_count()
    )
    clients = client_search(clients, **form.filters())
    page = Paginator(clients, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "can_add": services.can_add_clients(request.user)}
    return render_page_or_partial(request, "clients/client_list.html", "rows", context)


@require_GET
@staff_required
def client_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """Everything about one client, in a constant number of queries."""
    user = request.user
    client = get_for_user(Client, user, slug=slug)
    tickets = tickets_for_user(user).filter(client=client)
    assets = Asset.objects.for_user(user).filter(client=client).in_service()
    checks = Check.objects.for_user(user).filter(client=client)
    today = timezone.localdate(timezone=ZoneInfo(client.time_zone))
    contracts = Contract.objects.for_user(user).filter(client=client).select_related("sla_policy")
    month_start, now = month_bounds(client.time_zone)
    timers = SlaTimer.objects.for_user(user).filter(client=client)
    context = {
        "client": client,
        "can_edit": services.can_edit_client_records(user, client),
        "can_edit_contracts": can_edit_contracts(user),
        "ticket_figures": open_ticket_figures(tickets),
        "urgent_tickets": most_urgent(tickets)[:URGENT_SIZE],
        "sites": Site.objects.for_user(user).filter(client=client),
        "contacts": Contact.objects.for_user(user).filter(client=client).select_related("site"),
        "contracts": [(c, contract_term_alert(c, today=today)) for c in contracts],
        "assets": assets.select_related("site")[:SECTION_SIZE],
        "asset_total": assets.count(),
        "check_summary": overview_summary(checks, now=now),
        "checks": with_uptime(overview_order(checks.select_related("asset"))[:SECTION_SIZE]),
        "windows": _current_windows(user, client),
        "compliance": sla_compliance(timers, start=month_start, end=now),
        "month_start": month_start,
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


def _get_asset(request: HttpRequest, pk: int) -> Asset:
    queryset = Asset.objects.select_related("client", "site", "owner")
    return get_for_user(queryset, request.user, pk=pk)


@require_GET
@staff_required
def asset_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One asset: its details, its tickets (open first) and its checks with their state."""
    user = request.user
    asset = _get_asset(request, pk)
    tickets = tickets_for_user(user).filter(asset=asset)
    context = {
        "asset": asset,
        "can_edit": services.can_edit_client_records(user, asset.client),
        "attributes": attribute_rows(asset.attributes),
        "tickets": open_first(tickets)[:SECTION_SIZE],
        "ticket_figures": open_ticket_figures(tickets),
        "checks": with_uptime(overview_order(Check.objects.for_user(user).filter(asset=asset))),
        "contracts": Contract.objects.for_user(user).filter(covered_assets=asset),
        "section_size": SECTION_SIZE,
    }
    return render(request, "clients/asset_detail.html", context)


# -- forms --------------------------------------------------------------------------------------


def _form_page(
    request: HttpRequest,
    form: RecordForm,
    save: Callable[[dict], Model],
    *,
    saved: str,
    context: dict,
    template: str = "clients/record_form.html",
) -> HttpResponse:
    """Show the form; on a valid POST, save through the service and go to what was saved.
    A refusal of the service shows the form again, as typed, with the reason by its field."""
    if request.method == "POST":
        if form.is_valid():
            try:
                obj = save(form.values())
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, saved % {"name": obj})
                return redirect(obj.get_absolute_url())
        messages.error(request, _("Nothing was saved: please correct the form below."))
    return render(request, template, context | {"form": form})


def _ensure_may_edit(request: HttpRequest, client: Client) -> None:
    if not services.can_edit_client_records(request.user, client):
        raise PermissionDenied


@require_http_methods(["GET", "POST"])
@staff_required
def client_create(request: HttpRequest) -> HttpResponse:
    if not services.can_add_clients(request.user):
        raise PermissionDenied
    form = ClientForm(request.POST or None)

    def save(values: dict) -> Client:
        return services.client_create(by=request.user, request=request, **values)

    context = {"title": _("New client"), "client": None}
    return _form_page(request, form, save, saved=_("Client added: %(name)s."), context=context)


@require_http_methods(["GET", "POST"])
@staff_required
def client_edit(request: HttpRequest, slug: str) -> HttpResponse:
    client = get_for_user(Client, request.user, slug=slug)
    _ensure_may_edit(request, client)
    form = ClientForm(request.POST or None, record=client)

    def save(values: dict) -> Client:
        return services.client_update(client=client, by=request.user, request=request, **values)

    context = {"title": _("Edit %(name)s") % {"name": client.name}, "client": client}
    return _form_page(request, form, save, saved=_("Client saved: %(name)s."), context=context)


class _OnClientPage:
    """What a site or contact form saves returns to: the client's page."""

    def __init__(self, obj: Model, client: Client) -> None:
        self.obj, self.client = obj, client

    def __str__(self) -> str:
        return str(self.obj)

    def get_absolute_url(self) -> str:
        return self.client.get_absolute_url()


@require_http_methods(["GET", "POST"])
@staff_required
def site_create(request: HttpRequest, slug: str) -> HttpResponse:
    client = get_for_user(Client, request.user, slug=slug)
    _ensure_may_edit(request, client)
    form = SiteForm(request.POST or None)

    def save(values: dict) -> _OnClientPage:
        site = services.site_create(client=client, by=request.user, request=request, **values)
        return _OnClientPage(site, client)

    context = {"title": _("New site"), "client": client}
    return _form_page(request, form, save, saved=_("Site added: %(name)s."), context=context)


@require_http_methods(["GET", "POST"])
@staff_required
def site_edit(request: HttpRequest, pk: int) -> HttpResponse:
    site = get_for_user(Site.objects.select_related("client"), request.user, pk=pk)
    _ensure_may_edit(request, site.client)
    form = SiteForm(request.POST or None, record=site)

    def save(values: dict) -> _OnClientPage:
        saved = services.site_update(site=site, by=request.user, request=request, **values)
        return _OnClientPage(saved, site.client)

    context = {"title": _("Edit site %(name)s") % {"name": site.name}, "client": site.client}
    return _form_page(request, form, save, saved=_("Site saved: %(name)s."), context=context)


@require_http_methods(["GET", "POST"])
@staff_required
def contact_create(request: HttpRequest, slug: str) -> HttpResponse:
    client = get_for_user(Client, request.user, slug=slug)
    _ensure_may_edit(request, client)
    form = ContactForm(request.POST or None, client=client)

    def save(values: dict) -> _OnClientPage:
        contact = services.contact_create(client=client, by=request.user, request=request, **values)
        return _OnClientPage(contact, client)

    context = {"title": _("New contact"), "client": client}
    return _form_page(request, form, save, saved=_("Contact added: %(name)s."), context=context)


@require_http_methods(["GET", "POST"])
@staff_required
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_for_user(Contact.objects.select_related("client"), request.user, pk=pk)
    client = contact.client
    _ensure_may_edit(request, client)
    form = ContactForm(request.POST or None, record=contact, client=client)

    def save(values: dict) -> _OnClientPage:
        saved = services.contact_update(contact=contact, by=request.user, request=request, **values)
        return _OnClientPage(saved, client)

    context = {"title": _("Edit %(name)s") % {"name": contact.full_name}, "client": client}
    return _form_page(request, form, save, saved=_("Contact saved: %(name)s."), context=context)


@require_http_methods(["GET", "POST"])
@staff_required
def asset_create(request: HttpRequest, slug: str) -> HttpResponse:
    client = get_for_user(Client, request.user, slug=slug)
    _ensure_may_edit(request, client)
    form = AssetForm(request.POST or None, client=client)

    def save(values: dict) -> Asset:
        return services.asset_create(client=client, by=request.user, request=request, **values)

    context = {"title": _("New asset"), "client": client}
    return _form_page(request, form, save, saved=_("Asset added: %(name)s."), context=context)


@require_http_methods(["GET", "POST"])
@staff_required
def asset_edit(request: HttpRequest, pk: int) -> HttpResponse:
    asset = _get_asset(request, pk)
    _ensure_may_edit(request, asset.client)
    form = AssetForm(request.POST or None, record=asset, client=asset.client)

    def save(values: dict) -> Asset:
        return services.asset_update(asset=asset, by=request.user, request=request, **values)

    context = {"title": _("Edit %(name)s") % {"name": asset.name}, "client": asset.client}
    return _form_page(request, form, save, saved=_("Asset saved: %(name)s."), context=context)
