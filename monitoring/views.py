"""Staff pages for monitoring: the checks and their recent history (read-only for now)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from msp_portal.core.access import staff_required
from msp_portal.core.htmx import render_page_or_partial
from msp_portal.core.tenancy import get_for_user

from .forms import CheckFilterForm
from .models import Check, CheckResult, CheckStateChange
from .selectors import check_search, config_rows, state_counts

PAGE_SIZE = 50
HISTORY_SIZE = 50


@require_GET
@staff_required
def check_list(request: HttpRequest) -> HttpResponse:
    form = CheckFilterForm(request.GET, user=request.user)
    checks = Check.objects.for_user(request.user)
    filtered = check_search(checks.select_related("client", "asset"), **form.filters())
    page = Paginator(filtered, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "counts": state_counts(checks)}
    return render_page_or_partial(request, "monitoring/check_list.html", "rows", context)


@require_GET
@staff_required
def check_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    check = get_for_user(
        Check.objects.select_related("client", "asset", "open_ticket"), user, pk=pk
    )
    results = CheckResult.objects.for_user(user).filter(monitor=check).order_by("-checked_at")
    changes = CheckStateChange.objects.for_user(user).filter(monitor=check).order_by("-at")
    context = {
        "check": check,
        "config": config_rows(check.config),
        "results": results[:HISTORY_SIZE],
        "changes": changes[:HISTORY_SIZE],
        "history_size": HISTORY_SIZE,
    }
    return render(request, "monitoring/check_detail.html", context)
