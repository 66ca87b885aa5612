"""The service report as downloads: a PDF (WeasyPrint) and a CSV with one block per section.

WeasyPrint is given a URL fetcher that refuses every URL: the print template carries its CSS
inline and no image, so the PDF never reaches the network, even if a check's name (typed by
someone) contained an ``<img src="http://...">`` -- it is escaped anyway, this is the second lock.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.http import HttpResponse, StreamingHttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from msp_portal.core.csv import csv_response, download_disposition

from .report import ServiceReport


class NoNetworkFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that fetches nothing: no http(s), no file, no data URL."""

    def fetch(self, url, headers=None):
        raise ValueError(f"The report does not load external resources: {url[:80]}")


def report_filename(report: ServiceReport, ext: str) -> str:
    return f"service-report-{report.client.slug}-{report.month:%Y-%m}.{ext}"


def report_html(report: ServiceReport, *, show_contracts: bool) -> str:
    """The print version of the report, in the active language."""
    context = {"report": report, "show_contracts": show_contracts}
    return render_to_string("reports/report_print.html", context)


def report_pdf(report: ServiceReport, *, show_contracts: bool) -> bytes:
    """The report as PDF bytes, rendered without any network access."""
    html = report_html(report, show_contracts=show_contracts)
    return HTML(string=html, url_fetcher=NoNetworkFetcher()).write_pdf()


def report_pdf_response(report: ServiceReport, *, show_contracts: bool) -> HttpResponse:
    response = HttpResponse(
        report_pdf(report, show_contracts=show_contracts), content_type="application/pdf"
    )
    response["Content-Disposition"] = download_disposition(report_filename(report, "pdf"))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _minutes(seconds: float | None) -> int | None:
    """Business seconds as whole minutes (a started minute counts), for spreadsheets."""
    return None if seconds is None else int(-(-float(seconds) // 60))


def report_csv_rows(report: ServiceReport, *, show_contracts: bool) -> Iterator[list]:
    """The report's blocks one after the other, each with its own heading and column names.

    Numbers are written as numbers (a dot for decimals) so that a spreadsheet can compute with
    them; the labels are in the reader's language.
    """
    yield [_("Client"), report.client.name]
    yield [_("Month"), f"{report.month:%Y-%m}"]
    yield [_("From"), report.start.isoformat()]
    yield [_("Until"), report.end.isoformat()]
    yield [_("Time zone"), report.client.time_zone]
    yield []
    yield [_("Tickets")]
    yield [_("Measure"), _("Value")]
    yield [_("Tickets opened"), report.opened]
    yield [_("Tickets resolved"), report.resolved]
    yield []
    yield [_("Service levels")]
    yield [_("Promise"), _("Kept"), _("Missed"), _("Kept (%)")]
    for label, figures in (
        (_("First response"), report.first_response),
        (_("Resolution"), report.resolution),
    ):
        yield [label, figures.met, figures.breached, figures.percent]
    yield []
    yield [_("Business time taken")]
    yield [_("Timer"), _("Tickets"), _("Median (minutes)"), _("90th percentile (minutes)")]
    for label, durations in (
        (_("First response"), report.response_times),
        (_("Resolution"), report.resolution_times),
    ):
        yield [label, durations.count, _minutes(durations.median), _minutes(durations.p90)]
    yield []
    yield [_("Monitored services")]
    yield [_("Service"), _("Kind"), _("Availability (%)"), _("Downtime (minutes)")]
    for row in report.services:
        percent = None if row.percent is None else round(row.percent, 3)
        yield [row.name, row.kind_label, percent, row.down_minutes]
    yield []
    yield [_("Hours")]
    if show_contracts:
        yield [
            _("Contract"),
            _("Title"),
            _("Hours included"),
            _("Billable hours"),
            _("Non-billable hours"),
            _("Used (%)"),
        ]
        for row in report.hours:
            yield [
                row.reference,
                row.title,
                row.included_hours,
                row.billable_hours,
                row.other_hours,
                row.used_pct,
            ]
    else:
        yield [_("Billable hours"), _("Non-billable hours")]
        yield [
            round(report.billable_minutes / 60, 2),
            round(report.other_minutes / 60, 2),
        ]
    yield []
    yield [_("SLA compliance over six months")]
    yield [_("Month"), _("First response (%)"), _("Resolution (%)")]
    for point in report.trend:
        yield [f"{point.month:%Y-%m}", point.first_response.percent, point.resolution.percent]


def report_csv_response(report: ServiceReport, *, show_contracts: bool) -> StreamingHttpResponse:
    header = [_("Service report")]
    rows = report_csv_rows(report, show_contracts=show_contracts)
    return csv_response(report_filename(report, "csv"), header, rows)
