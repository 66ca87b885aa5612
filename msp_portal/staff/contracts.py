"""Staff pages for contracts: what each client bought, its SLA and the hours used this month.

The hours come from the tickets app: like the dashboard, these pages read across apps, while the
contracts models import only clients.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from clients.models import Asset, Site
from contracts.forms import ContractFilterForm
from contracts.models import Contract
from contracts.selectors import CONTRACT_PREFETCH, contract_search, pause_status_labels, sla_lines
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
    context = {"form": form, "page": page}
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
    }
    return render(request, "contracts/contract_detail.html", context)
