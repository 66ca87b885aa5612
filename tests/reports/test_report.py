"""The report's figures on a hand-built month: exact numbers, cut at the client's midnights."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from msp_portal.reports.report import (
    available_months,
    month_parse,
    service_report,
)
from tests import factories
from tests.reports.conftest import NOW

pytestmark = pytest.mark.django_db
OCTOBER = dt.date(2026, 10, 1)


def test_tickets_are_counted_in_the_clients_month_not_in_utc(october, globex):
    report = service_report(globex, OCTOBER, now=NOW)

    # t1 and t4, plus t3 opened at 23:00 on 31 October in Montreal (1 November in UTC); t2 was
    # opened on 30 September in Montreal although 1 October in UTC.
    assert report.opened == 3
    assert report.resolved == 2  # t2 and t4
    assert report.partial is False


def test_sla_compliance_counts_met_when_stopped_and_breached_when_the_deadline_passed(
    october, globex
):
    report = service_report(globex, OCTOBER, now=NOW)

    assert (report.first_response.met, report.first_response.breached) == (2, 1)
    assert report.first_response.percent == 66.7
    # The resolution of t1 is still running but went past its target in October.
    assert (report.resolution.met, report.resolution.breached) == (2, 1)
    assert report.resolution.percent == 66.7


def test_medians_and_90th_percentiles_are_exact_over_the_timers_stopped_in_the_month(
    october, globex
):
    report = service_report(globex, OCTOBER, now=NOW)

    assert report.response_times.count == 3
    assert report.response_times.median == 1200
    assert report.response_times.p90 == 4000
    assert (report.resolution_times.median, report.resolution_times.p90) == (3600, 7200)


def test_availability_excludes_maintenance_and_counts_downtime(october, globex):
    report = service_report(globex, OCTOBER, now=NOW)

    assert [row.name for row in report.services] == ["Web shop"]  # the other came later
    row = report.services[0]
    month_minutes = 31 * 24 * 60
    counted = month_minutes - 120  # two hours of maintenance
    assert row.down_minutes == 30
    assert row.percent == pytest.approx(100 * (counted - 30) / counted)


def test_hours_are_summed_per_contract_against_the_hours_included(october, globex):
    report = service_report(globex, OCTOBER, now=NOW)

    (row,) = report.hours
    assert row.reference == "GX-1"
    assert row.included_hours == Decimal("10.00")
    assert (row.billable_minutes, row.other_minutes) == (90, 30)
    assert row.hours == Decimal("2.00")
    assert row.used_pct == 20.0


def test_the_trend_covers_six_months_ending_with_the_report_month(october, globex):
    report = service_report(globex, OCTOBER, now=NOW)

    assert [p.month for p in report.trend] == [dt.date(2026, m, 1) for m in (5, 6, 7, 8, 9, 10)]
    september = report.trend[-2]
    assert (september.first_response.met, september.first_response.breached) == (1, 0)
    assert report.trend[0].first_response.percent is None


def test_the_running_month_stops_at_now(october, globex):
    report = service_report(globex, dt.date(2026, 11, 1), now=NOW)

    assert report.partial is True
    assert report.end == NOW
    assert report.first_response.met == 0  # t3's response was on 31 October locally


def test_nothing_of_another_client_is_counted(october, globex, acme, tech):
    ticket = factories.open_ticket(acme, subject="Acme in October")
    ticket.__class__.objects.filter(pk=ticket.pk).update(
        created_at=dt.datetime(2026, 10, 5, tzinfo=dt.UTC)
    )
    factories.CheckFactory(client=acme, name="Acme check")

    report = service_report(globex, OCTOBER, now=NOW)

    assert report.opened == 3
    assert [row.name for row in report.services] == ["Web shop"]


def test_the_report_reads_a_constant_number_of_queries(
    october, globex, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            service_report(globex, OCTOBER, now=NOW)
        return len(captured)

    before = queries()
    for n in range(5):
        factories.CheckFactory(client=globex, name=f"More {n}")
        ticket = factories.open_ticket(globex, subject=f"More {n}")
        ticket.__class__.objects.filter(pk=ticket.pk).update(created_at=october["t4"].created_at)

    with django_assert_max_num_queries(7):
        service_report(globex, OCTOBER, now=NOW)
    assert queries() == before


def test_the_month_picker_offers_the_clients_history_only(october, globex):
    months = available_months(globex, now=NOW)

    assert months[0] == dt.date(2026, 11, 1)
    assert months[-1] == dt.date(2026, 9, 1)  # t2, opened on 30 September in Montreal
    assert month_parse("2026-10", months) == OCTOBER
    for garbage in ("2026-13", "2025-01", "2027-01", "x", "2026-1", "2026-10-01", "", None):
        assert month_parse(garbage, months) is None


def test_compliance_and_counts_agree_with_the_dashboard_rollups(october, globex, settings):
    from django.db.models import Sum

    from msp_portal.dashboard.models import SlaDaily
    from msp_portal.dashboard.rollups import rollups_rebuild

    globex.time_zone = settings.TIME_ZONE  # the rollups' days are the MSP's days
    globex.save(update_fields=["time_zone"])
    rollups_rebuild(start=OCTOBER, end=dt.date(2026, 10, 31))
    names = ("opened", "resolved", "first_response_met", "first_response_breached",
             "resolution_met", "resolution_breached")  # fmt: skip
    sums = SlaDaily.objects.filter(client=globex).aggregate(**{n: Sum(n) for n in names})

    report = service_report(globex, OCTOBER, now=NOW)

    assert sums == {
        "opened": report.opened,
        "resolved": report.resolved,
        "first_response_met": report.first_response.met,
        "first_response_breached": report.first_response.breached,
        "resolution_met": report.resolution.met,
        "resolution_breached": report.resolution.breached,
    }


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["October 2026", "66.7 %", "10.00", "99.933 %", "30 min"]),
        ("fr", ["octobre 2026", "66,7 %", "10,00", "99,933 %", "30\u00a0min"]),
    ],
)
def test_numbers_and_dates_follow_the_language(october, globex, language, expected):
    from django.utils import translation

    from msp_portal.reports.documents import report_html

    report = service_report(globex, OCTOBER, now=NOW)
    with translation.override(language):
        html = report_html(report, show_contracts=True)

    for text in expected:
        assert text in html, text
    assert "Globex SA" in html and "America/Montreal" in html
