"""The service report and the reversibility export, for the client portal and for MSP staff.

The portal pages are about the signed-in user's company only (``request.user.client``); the
staff pages reach the client through ``get_for_user(Client, ...)`` like every staff client page,
so a technician limited to other clients gets a 404. Jobs come through
``ExportJob.objects.for_user`` and are further narrowed to the page's client.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from clients.models import Client
from msp_portal.core.access import client_required, staff_required
from msp_portal.core.audit import audit_record
from msp_portal.core.csv import download_disposition
from msp_portal.core.htmx import render_page_or_partial
from msp_portal.core.tenancy import get_for_user

from . import documents, services
from .models import ExportJob
from .report import available_months, current_month, month_parse, service_report

#: Jobs listed on the export page.
JOBS_SHOWN = 5


def _month(request: HttpRequest, client: Client, months: list[dt.date]) -> dt.date | None:
    """The month asked for; this month when none is given; None when the value is unusable."""
    raw = request.GET.get("month")
    if raw is None or raw == "":
        return current_month(client)
    return month_parse(raw, months)


def _invalid_month_message() -> str:
    return _("This month cannot be shown: choose a month of your company's history (YYYY-MM).")


def _report_page(request: HttpRequest, client: Client, urls: dict, **extra) -> HttpResponse:
    months = available_months(client)
    month = _month(request, client, months)
    if month is None:
        messages.warning(request, _invalid_month_message())
        month = current_month(client)
    report = service_report(client, month)
    query = f"?month={month:%Y-%m}"
    context = {
        "report": report,
        "months": months,
        "pdf_url": urls["pdf"] + query,
        "csv_url": urls["csv"] + query,
        "page_url": urls["page"],
        **extra,
    }
    return render(request, "reports/report.html", context)


def _report_download(request: HttpRequest, client: Client, kind: str, show_contracts: bool):
    month = _month(request, client, available_months(client))
    if month is None:
        return HttpResponseBadRequest(_invalid_month_message(), content_type="text/plain")
    report = service_report(client, month)
    audit_record(
        actor=request.user,
        action="report.exported",
        request=request,
        client_id=client.pk,
        data={"format": kind, "month": f"{month:%Y-%m}"},
    )
    if kind == "pdf":
        return documents.report_pdf_response(report, show_contracts=show_contracts)
    return documents.report_csv_response(report, show_contracts=show_contracts)


def _portal_urls() -> dict:
    return {
        "page": reverse("reports:portal_report"),
        "pdf": reverse("reports:portal_report_pdf"),
        "csv": reverse("reports:portal_report_csv"),
    }


def _staff_urls(client: Client) -> dict:
    return {
        "page": reverse("reports:client_report", args=[client.slug]),
        "pdf": reverse("reports:client_report_pdf", args=[client.slug]),
        "csv": reverse("reports:client_report_csv", args=[client.slug]),
    }


# -- the service report ------------------------------------------------------------------------


@require_GET
@client_required
def portal_report(request: HttpRequest) -> HttpResponse:
    """The company's service report; hours per contract for its administrators only, as the
    contracts themselves (commercial terms are theirs)."""
    user = request.user
    return _report_page(
        request, user.client, _portal_urls(), show_contracts=user.is_client_admin, staff=False
    )


@require_GET
@client_required
def portal_report_pdf(request: HttpRequest) -> HttpResponse:
    user = request.user
    return _report_download(request, user.client, "pdf", user.is_client_admin)


@require_GET
@client_required
def portal_report_csv(request: HttpRequest) -> HttpResponse:
    user = request.user
    return _report_download(request, user.client, "csv", user.is_client_admin)


@require_GET
@staff_required
def client_report(request: HttpRequest, slug: str) -> HttpResponse:
    client = get_for_user(Client, request.user, slug=slug)
    return _report_page(request, client, _staff_urls(client), show_contracts=True, staff=True)


@require_GET
@staff_required
def client_report_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    client = get_for_user(Client, request.user, slug=slug)
    return _report_download(request, client, "pdf", True)


@require_GET
@staff_required
def client_report_csv(request: HttpRequest, slug: str) -> HttpResponse:
    client = get_for_user(Client, request.user, slug=slug)
    return _report_download(request, client, "csv", True)


# -- the reversibility export ------------------------------------------------------------------


def _jobs(user, client: Client) -> list[ExportJob]:
    return list(
        ExportJob.objects.for_user(user)
        .filter(client=client)
        .select_related("requested_by")
        .order_by("-created_at", "-pk")[:JOBS_SHOWN]
    )


def _export_page(request: HttpRequest, client: Client, urls: dict, staff: bool) -> HttpResponse:
    """GET: the jobs (the htmx poll gets the ``jobs`` partial); POST: start one, then back."""
    if request.method == "POST":
        services.export_start(
            client=client,
            by=request.user,
            include_internal=staff and request.POST.get("include_internal") == "1",
            request=request,
        )
        messages.success(request, _("Your export is being prepared; this page shows its progress."))
        return redirect(urls["page"])
    jobs = _jobs(request.user, client)
    cutoff = timezone.now() - services.stale_after()
    context = {
        "client": client,
        "jobs": jobs,
        "running": any(job.is_active and not job.is_stale(cutoff) for job in jobs),
        "staff": staff,
        "urls": urls,
        "now": timezone.now(),
    }
    return render_page_or_partial(request, "reports/export.html", "jobs", context)


def _job_download(request: HttpRequest, client: Client, pk: int) -> FileResponse:
    job = get_for_user(ExportJob.objects.filter(client=client), request.user, pk=pk)
    if not job.is_ready:
        raise Http404
    try:
        handle = job.file.open("rb")
    except OSError:  # deleted from storage behind our back: as good as expired
        raise Http404 from None
    services.export_downloaded(job=job, by=request.user, request=request)
    name = f"data-export-{client.slug}-{job.finished_at:%Y-%m-%d}.zip"
    response = FileResponse(handle, content_type="application/zip")
    response["Content-Disposition"] = download_disposition(name, fallback="export.zip")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _portal_admin_client(request: HttpRequest) -> Client:
    """The company of a client administrator; a client user gets the 404 of a missing page."""
    if not request.user.is_client_admin:
        raise Http404
    return request.user.client


@require_http_methods(["GET", "POST"])
@client_required
def portal_export(request: HttpRequest) -> HttpResponse:
    client = _portal_admin_client(request)
    urls = {"page": reverse("reports:portal_export"), "download": "reports:portal_export_download"}
    return _export_page(request, client, urls, staff=False)


@require_GET
@client_required
def portal_export_download(request: HttpRequest, pk: int) -> FileResponse:
    return _job_download(request, _portal_admin_client(request), pk)


@require_http_methods(["GET", "POST"])
@staff_required
def client_export(request: HttpRequest, slug: str) -> HttpResponse:
    client = get_for_user(Client, request.user, slug=slug)
    urls = {
        "page": reverse("reports:client_export", args=[client.slug]),
        "download": "reports:client_export_download",
    }
    return _export_page(request, client, urls, staff=True)


@require_GET
@staff_required
def client_export_download(request: HttpRequest, slug: str, pk: int) -> FileResponse:
    client = get_for_user(Client, request.user, slug=slug)
    return _job_download(request, client, pk)
