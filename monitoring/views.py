"""Staff pages for monitoring: the overview, one check, and the pages that change checks and
maintenance windows.

Every object comes through ``get_for_user`` (404 when missing or forbidden) and every change
through ``monitoring.services``; when a service refuses, the form is shown again with what was
typed and the reason next to the field it concerns.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clients.models import Client
from msp_portal.core.access import staff_required
from msp_portal.core.charts import line_chart
from msp_portal.core.htmx import render_page_or_partial
from msp_portal.core.tenancy import get_for_user

from . import services
from .forms import CheckFilterForm, CheckForm, CheckSetupForm, MaintenanceWindowForm
from .models import Check, CheckResult, CheckStateChange, MaintenanceWindow
from .selectors import (
    PERIODS,
    check_search,
    config_rows,
    last_errors,
    occurrences,
    open_outage,
    overview_order,
    overview_summary,
    response_times,
    uptimes,
    windows_for_check,
    with_next_occurrence,
    with_uptime,
)

PAGE_SIZE = 50
HISTORY_SIZE = 50
#: How often the overview refreshes its rows, in seconds.
POLL_SECONDS = 15


@require_GET
@staff_required
def check_list(request: HttpRequest) -> HttpResponse:
    """The overview: figures per state, failing checks first, grouped per client."""
    form = CheckFilterForm(request.GET, user=request.user)
    checks = Check.objects.for_user(request.user)
    now = timezone.now()
    filtered = check_search(checks.select_related("client", "asset"), now=now, **form.filters())
    page = Paginator(overview_order(filtered), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "checks": with_uptime(page.object_list, now=now),
        "summary": overview_summary(checks, now=now),
        "outage": open_outage(),
        "poll_seconds": POLL_SECONDS,
    }
    return render_page_or_partial(request, "monitoring/check_list.html", "rows", context)


def _get_check(request: HttpRequest, pk: int) -> Check:
    queryset = Check.objects.select_related("client", "asset", "open_ticket")
    return get_for_user(queryset, request.user, pk=pk)


def _chart_context(check: Check, period: str) -> dict:
    series = response_times(check, period=period)
    chart = line_chart(series.points, start=series.start, end=series.end, unit="ms", gap=series.gap)
    return {"check": check, "chart": chart, "period": period, "periods": list(PERIODS)}


def _ping_urls(check: Check) -> dict[str, str] | None:
    if check.kind != Check.Kind.HEARTBEAT:
        return None
    base = settings.PORTAL_BASE_URL.rstrip("/")
    return {
        "ok": base + reverse("ping:ping", args=[check.heartbeat_token]),
        "fail": base + reverse("ping:ping_fail", args=[check.heartbeat_token]),
    }


@require_GET
@staff_required
def check_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One check: state history, response times, uptime, last errors, its maintenance."""
    user, check = request.user, _get_check(request, pk)
    period = request.GET.get("period") if request.GET.get("period") in PERIODS else "24h"
    context = _chart_context(check, period)
    if not getattr(request, "htmx", False):
        results = CheckResult.objects.for_user(user).filter(monitor=check)
        changes = CheckStateChange.objects.for_user(user).filter(monitor=check)
        windows = windows_for_check(check).select_related("client")
        context |= {
            "config": config_rows(check.config),
            "uptime": uptimes([check])[check.pk],
            "results": results.order_by("-checked_at")[:HISTORY_SIZE],
            "changes": changes.order_by("-at", "-pk")[:HISTORY_SIZE],
            "errors": last_errors(check),
            "maintenance": occurrences(windows),
            "ping_urls": _ping_urls(check),
            "history_size": HISTORY_SIZE,
        }
    return render_page_or_partial(request, "monitoring/check_detail.html", "chart", context)


def _form_page(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    if request.method == "POST":
        messages.error(request, _("Nothing was saved: please correct the form below."))
    return render_page_or_partial(request, template, "form", context)


@require_http_methods(["GET", "POST"])
@staff_required
def check_create(request: HttpRequest) -> HttpResponse:
    """A new check: the client and kind come from the query string, the rest from the form."""
    setup = CheckSetupForm(request.GET if "client" in request.GET else None, user=request.user)
    if not setup.is_valid():
        context = {"setup": setup, "form": None}
        return render_page_or_partial(request, "monitoring/check_form.html", "form", context)
    client, kind = setup.cleaned_data["client"], setup.cleaned_data["kind"]
    initial = {"asset": request.GET.get("asset")}
    form = CheckForm(request.POST or None, client=client, kind=kind, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            check = services.check_create(client=client, by=request.user, **form.check_fields())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Check created: %(name)s.") % {"name": check.name})
            return redirect(check)
    context = {"setup": setup, "form": form, "client": client, "kind": kind, "check": None}
    return _form_page(request, "monitoring/check_form.html", context)


@require_http_methods(["GET", "POST"])
@staff_required
def check_edit(request: HttpRequest, pk: int) -> HttpResponse:
    check = _get_check(request, pk)
    form = CheckForm(request.POST or None, client=check.client, kind=check.kind, check=check)
    if request.method == "POST" and form.is_valid():
        try:
            services.check_update(check=check, by=request.user, **form.check_fields())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Check saved."))
            return redirect(check)
    context = {"form": form, "client": check.client, "kind": check.kind, "check": check}
    return _form_page(request, "monitoring/check_form.html", context)


@require_POST
@staff_required
def check_pause(request: HttpRequest, pk: int) -> HttpResponse:
    check = services.check_pause(check=_get_check(request, pk), by=request.user)
    messages.success(request, _("Paused: the check will not run until it is resumed."))
    return redirect(check)


@require_POST
@staff_required
def check_resume(request: HttpRequest, pk: int) -> HttpResponse:
    check = services.check_resume(check=_get_check(request, pk), by=request.user)
    messages.success(request, _("Resumed: the check runs again now."))
    return redirect(check)


@require_POST
@staff_required
def check_delete(request: HttpRequest, pk: int) -> HttpResponse:
    check = _get_check(request, pk)
    services.check_delete(check=check, by=request.user)
    messages.success(request, _("Check deleted: %(name)s.") % {"name": check.name})
    return redirect(f"{reverse('monitoring:check_list')}?client={check.client_id}")


# -- maintenance windows -----------------------------------------------------------------------


@require_GET
@staff_required
def maintenance_list(request: HttpRequest, slug: str) -> HttpResponse:
    """A client's maintenance windows: in force and coming first, then those that are over."""
    client = get_for_user(Client, request.user, slug=slug)
    windows = (
        MaintenanceWindow.objects.for_user(request.user)
        .filter(client=client)
        .select_related("client", "created_by")
        .prefetch_related("checks")
    )
    windows = with_next_occurrence(windows)
    windows.sort(key=_window_order)
    context = {"client": client, "windows": windows}
    return render(request, "monitoring/maintenance_list.html", context)


def _window_order(window: MaintenanceWindow) -> tuple:
    nxt = window.next_occurrence
    if nxt is None:  # over: the most recent first, after every current or coming one
        return (1, -window.ends_at.timestamp())
    return (0, nxt.starts_at.timestamp())


@require_http_methods(["GET", "POST"])
@staff_required
def maintenance_create(request: HttpRequest, slug: str) -> HttpResponse:
    client = get_for_user(Client, request.user, slug=slug)
    form = MaintenanceWindowForm(request.POST or None, client=client)
    if request.method == "POST" and form.is_valid():
        try:
            window = services.maintenance_window_create(
                client=client, by=request.user, **form.window_fields()
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Maintenance window saved: %(name)s.") % {"name": window})
            return redirect("monitoring:maintenance_list", slug=client.slug)
    context = {"form": form, "client": client, "window": None}
    return _form_page(request, "monitoring/maintenance_form.html", context)


def _get_window(request: HttpRequest, pk: int) -> MaintenanceWindow:
    queryset = MaintenanceWindow.objects.select_related("client")
    return get_for_user(queryset, request.user, pk=pk)


@require_http_methods(["GET", "POST"])
@staff_required
def maintenance_edit(request: HttpRequest, pk: int) -> HttpResponse:
    window = _get_window(request, pk)
    client = window.client
    form = MaintenanceWindowForm(request.POST or None, client=client, window=window)
    if request.method == "POST" and form.is_valid():
        try:
            window = services.maintenance_window_update(
                window=window, by=request.user, **form.window_fields()
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Maintenance window saved: %(name)s.") % {"name": window})
            return redirect("monitoring:maintenance_list", slug=client.slug)
    context = {"form": form, "client": client, "window": window}
    return _form_page(request, "monitoring/maintenance_form.html", context)


@require_POST
@staff_required
def maintenance_delete(request: HttpRequest, pk: int) -> HttpResponse:
    window = _get_window(request, pk)
    services.maintenance_window_delete(window=window, by=request.user)
    messages.success(request, _("Maintenance window deleted: %(name)s.") % {"name": window})
    return redirect("monitoring:maintenance_list", slug=window.client.slug)
