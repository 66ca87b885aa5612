"""The manager's SLA dashboard and its CSV downloads (staff only; client users get 404)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from msp_portal.core import charts
from msp_portal.core.access import staff_required
from msp_portal.core.audit import audit_record
from msp_portal.core.csv import csv_response
from msp_portal.core.htmx import render_page_or_partial

from . import exports
from .forms import DashboardFilterForm, quick_periods
from .selectors import TOP_ROWS, Figures, dashboard_figures


def _filters(request: HttpRequest) -> tuple[DashboardFilterForm, Figures]:
    form = DashboardFilterForm(request.GET or None, user=request.user)
    figures = dashboard_figures(
        user=request.user, period=form.period(), client=form.chosen_client()
    )
    return form, figures


def _query(figures: Figures, **overrides) -> str:
    params = {"start": figures.period.start.isoformat(), "end": figures.period.end.isoformat()}
    if figures.scope.client is not None:
        params["client"] = figures.scope.client.slug
    params.update(overrides)
    return urlencode(params)


def _charts(figures: Figures) -> dict[str, charts.BarChart]:
    """The SVG charts, built here so their labels use the reader's language."""
    fr, res = _("First response"), _("Resolution")
    worst = figures.by_client[:TOP_ROWS]
    return {
        "by_priority": charts.bar_chart(
            [(r.key, [r.first_response_pct, r.resolution_pct]) for r in figures.by_priority],
            series=[fr, res], unit="%", decimals=1, max_value=100, label_width=60,
        ),
        "by_client": charts.bar_chart(
            [(r.label, [r.first_response_pct, r.resolution_pct]) for r in worst],
            series=[fr, res], unit="%", decimals=1, max_value=100,
        ),
        "backlog": charts.column_chart(
            [day for day, _o, _c in figures.trend],
            [(_("Opened"), [o for _d, o, _c in figures.trend]),
             (_("Closed"), [c for _d, _o, c in figures.trend])],
        ),
        "categories": charts.bar_chart(
            [(name, [n]) for name, n in figures.mix.categories[:TOP_ROWS]], series=[_("Tickets")]
        ),
        "sources": charts.bar_chart(
            [(name, [n]) for name, n in figures.mix.sources], series=[_("Tickets")]
        ),
        "workload": charts.bar_chart(
            [(r.name, [r.open_tickets]) for r in figures.workload[:TOP_ROWS]],
            series=[_("Open tickets")],
        ),
        "hours": charts.bar_chart(
            [(f"{r.client_name} {r.reference}".strip(), [float(r.hours), float(r.included_hours)])
             for r in figures.contracts[:TOP_ROWS]],
            series=[_("Hours logged"), _("Hours included")], unit="h", decimals=1,
        ),
    }  # fmt: skip


@require_GET
@staff_required
def manager(request: HttpRequest) -> HttpResponse:
    """SLA compliance, durations, backlog, mix, workload and hours for a period."""
    form, figures = _filters(request)
    client_param = {"client": figures.scope.client.slug} if figures.scope.client else {}
    context = {
        "form": form,
        "figures": figures,
        "charts": _charts(figures),
        "top_rows": TOP_ROWS,
        "query": _query(figures),
        "quick": [
            (
                label,
                urlencode({"start": p.start, "end": p.end, **client_param}),
                p == figures.period,
            )
            for label, p in quick_periods()
        ],
        "now": timezone.now(),
    }
    return render_page_or_partial(request, "dashboard/manager.html", "figures", context)


@require_GET
@staff_required
def manager_csv(request: HttpRequest, chart: str) -> HttpResponse:
    """One chart's figures as CSV, same filters as the page; the export is audited."""
    export = exports.EXPORTS.get(chart)
    if export is None:
        raise Http404
    _form, figures = _filters(request)
    client = figures.scope.client
    audit_record(
        actor=request.user,
        action="dashboard.exported",
        request=request,
        client_id=client.pk if client else None,
        data={
            "chart": chart,
            "start": figures.period.start.isoformat(),
            "end": figures.period.end.isoformat(),
        },
    )
    header, rows = export(figures)
    name = f"dashboard-{chart}-{figures.period.start:%Y%m%d}-{figures.period.end:%Y%m%d}.csv"
    return csv_response(name, header, rows)
