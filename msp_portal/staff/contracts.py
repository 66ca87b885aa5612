"""Staff pages for contracts: what each client bought, its SLA and the hours used this month.

The hours come from the tickets app: like the dashboard, these pages read across apps, while the
contracts models import only clients.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from clients.models import Asset, Client, Site
from contracts import services
from contracts.forms import ContractFilterForm, ContractForm
from contracts.models import BusinessCalendar, Contract, SLAPolicy
from contracts.selectors import (
    CONTRACT_PREFETCH,
    POLICY_PREFETCH,
    calendar_sentence,
    calendar_summary,
    contract_search,
    contract_term_alert,
    holidays_in,
    pause_status_labels,
    sla_lines,
)
from msp_portal.core.access import staff_required
from msp_portal.core.htmx import render_page_or_partial
from msp_portal.core.tenancy import get_for_user
from tickets.selectors import contract_month_usage

PAGE_SIZE = 50


@require_GET
@staff_required
def contract_list(request: HttpRequest) -> HttpResponse:
    form = ContractFilterForm(request.GET, user=request.user)
    contracts = Contract.objects.for_user(request.user).select_related("client", "sla_policy")
    contracts = contract_search(contracts, **form.filters())
    page = Paginator(contracts, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "can_edit": services.can_edit_contracts(request.user)}
    return render_page_or_partial(request, "contracts/contract_list.html", "rows", context)


@require_GET
@staff_required
def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    queryset = Contract.objects.select_related("client", "sla_policy", "calendar").prefetch_related(
        *CONTRACT_PREFETCH, "calendar__holidays"
    )
    contract = get_for_user(queryset, user, pk=pk)
    today = timezone.localdate(timezone=ZoneInfo(contract.client.time_zone))
    context = {
        "contract": contract,
        "targets": sla_lines(contract),
        "pause_statuses": pause_status_labels(contract.sla_policy.pause_statuses),
        "usage": contract_month_usage(contract, user, today=today),
        "covered_sites": Site.objects.for_user(user).filter(contracts=contract),
        "covered_assets": Asset.objects.for_user(user).filter(contracts=contract),
        "active_today": contract.is_active_on(today),
        "term_alert": contract_term_alert(contract, today=today),
        "can_edit": services.can_edit_contracts(user),
    }
    return render(request, "contracts/contract_detail.html", context)


def _contract_form_page(
    request: HttpRequest, form: ContractForm, client: Client, contract: Contract | None
) -> HttpResponse:
    """Save through the service on a valid POST; otherwise show the form as typed, with the
    reasons by their fields."""
    if request.method == "POST":
        if form.is_valid():
            try:
                if contract is None:
                    saved = services.contract_create(
                        client=client, by=request.user, request=request, **form.values()
                    )
                else:
                    saved = services.contract_update(
                        contract=contract, by=request.user, request=request, **form.values()
                    )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("Contract saved: %(name)s.") % {"name": saved})
                return redirect(saved)
        messages.error(request, _("Nothing was saved: please correct the form below."))
    context = {"form": form, "client": client, "contract": contract}
    return render(request, "contracts/contract_form.html", context)


@require_http_methods(["GET", "POST"])
@staff_required
def contract_create(request: HttpRequest, slug: str) -> HttpResponse:
    """A new contract for a client (administrators and managers)."""
    client = get_for_user(Client, request.user, slug=slug)
    if not services.can_edit_contracts(request.user):
        raise PermissionDenied
    today = timezone.localdate(timezone=ZoneInfo(client.time_zone))
    form = ContractForm(request.POST or None, client=client, initial={"start_date": today})
    return _contract_form_page(request, form, client, None)


@require_http_methods(["GET", "POST"])
@staff_required
def contract_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a contract's terms, SLA or coverage (administrators and managers; audited)."""
    queryset = Contract.objects.select_related("client", "sla_policy", "calendar")
    contract = get_for_user(queryset, request.user, pk=pk)
    if not services.can_edit_contracts(request.user):
        raise PermissionDenied
    form = ContractForm(request.POST or None, record=contract, client=contract.client)
    return _contract_form_page(request, form, contract.client, contract)


@require_GET
@staff_required
def sla_overview(request: HttpRequest) -> HttpResponse:
    """Every SLA policy and business calendar, each summed up in a sentence."""
    year = timezone.localdate().year
    policies = SLAPolicy.objects.for_user(request.user).prefetch_related(*POLICY_PREFETCH)
    calendars = BusinessCalendar.objects.for_user(request.user).prefetch_related(
        "windows", "holidays"
    )
    context = {
        "policies": policies,
        "calendars": [(c, calendar_sentence(c, year)) for c in calendars],
        "year": year,
    }
    return render(request, "contracts/sla_overview.html", context)


@require_GET
@staff_required
def policy_detail(request: HttpRequest, pk: int) -> HttpResponse:
    queryset = SLAPolicy.objects.prefetch_related(*POLICY_PREFETCH)
    policy = get_for_user(queryset, request.user, pk=pk)
    contracts = (
        Contract.objects.for_user(request.user)
        .filter(sla_policy=policy)
        .select_related("client", "calendar")
        .prefetch_related("calendar__windows")
    )
    context = {
        "policy": policy,
        "pause_statuses": pause_status_labels(policy.pause_statuses),
        "contracts": contracts,
        "targets": sorted(policy.targets.all(), key=lambda t: t.priority),
    }
    return render(request, "contracts/policy_detail.html", context)


@require_GET
@staff_required
def calendar_detail(request: HttpRequest, pk: int) -> HttpResponse:
    queryset = BusinessCalendar.objects.prefetch_related("windows", "holidays")
    calendar = get_for_user(queryset, request.user, pk=pk)
    year = timezone.localdate().year
    context = {
        "calendar": calendar,
        "summary": calendar_summary(calendar),
        "windows": sorted(calendar.windows.all(), key=lambda w: (w.weekday, w.start)),
        "years": [(y, holidays_in(calendar, y)) for y in (year, year + 1)],
        "contracts": Contract.objects.for_user(request.user)
        .filter(calendar=calendar)
        .select_related("client"),
    }
    return render(request, "contracts/calendar_detail.html", context)
