"""A manager reads the SLA dashboard in a real browser; its figures are those of the data.

The history is built so that every figure is known in advance: in the last 30 days four tickets
were opened (three for Acme, one for Globex), two resolved, half the first responses and a
quarter of the resolutions in time, two open tickets breached now, 25 billable and 35 other
minutes logged. One more ticket, two months old, must count nowhere.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from msp_portal.dashboard.rollups import msp_zone, rollups_rebuild
from tests import factories
from tests.browser.helpers import cell_texts, log_in
from tickets import services
from tickets.models import Impact, SlaTimer, Ticket, TimeEntry, Urgency

pytestmark = pytest.mark.django_db(transaction=True)

RESOLVED = Ticket.Status.RESOLVED


@pytest.fixture
def history(acme, globex, tech, manager):
    """Five tickets whose SLA outcomes do not depend on the day or hour the test runs: replies
    five minutes after opening are always in time, waits of several days always late (the
    calendars have no holidays), and the rollups rebuilt over them."""
    for client in (acme, globex):
        factories.ContractFactory(client=client)
    now = timezone.now()

    def opened(client, subject, days_ago, impact, urgency, assignee=tech):
        return services.ticket_open(
            client=client, subject=subject, source=Ticket.Source.STAFF, impact=impact,
            urgency=urgency, assignee=assignee, at=now - dt.timedelta(days=days_ago),
        )  # fmt: skip

    def work_day(at):
        return timezone.localdate(at, timezone=msp_zone())

    # P1, answered and resolved in time, 25 billable minutes.
    quick = opened(acme, "Mail server down", 12, Impact.HIGH, Urgency.HIGH)
    services.ticket_reply(ticket=quick, author=tech, body="On it", at=quick.created_at + MIN * 5)
    services.ticket_change_status(
        ticket=quick, status=RESOLVED, by=tech, at=quick.created_at + MIN * 15
    )
    services.ticket_log_time(
        ticket=quick, technician=tech, minutes=25, work_date=work_day(quick.created_at)
    )
    # P3, answered in time, still open long after its resolution target.
    slow = opened(acme, "VPN drops every hour", 10, Impact.MEDIUM, Urgency.MEDIUM)
    services.ticket_reply(ticket=slow, author=tech, body="Looking", at=slow.created_at + MIN * 5)
    # P4, never answered.
    opened(acme, "Printer offline", 8, Impact.LOW, Urgency.MEDIUM, assignee=None)
    # P2, answered five days late, then resolved; 35 minutes not billable.
    late = opened(globex, "Backup failed", 6, Impact.MEDIUM, Urgency.HIGH)
    answered = late.created_at + dt.timedelta(days=5)
    services.ticket_reply(ticket=late, author=tech, body="Sorry", at=answered)
    services.ticket_change_status(ticket=late, status=RESOLVED, by=tech, at=answered + MIN * 10)
    services.ticket_log_time(
        ticket=late, technician=tech, minutes=35, billable=False, work_date=work_day(answered)
    )
    # Two months ago: outside the default period of 30 days.
    old = opened(acme, "Old request", 60, Impact.LOW, Urgency.LOW)
    services.ticket_reply(ticket=old, author=tech, body="Done", at=old.created_at + MIN * 5)
    services.ticket_change_status(ticket=old, status=RESOLVED, by=tech, at=old.created_at + MIN * 9)
    services.ticket_log_time(
        ticket=old, technician=tech, minutes=60, work_date=work_day(old.created_at)
    )

    services.sla_sweep(now=now)
    today = timezone.localdate(timezone=msp_zone())
    rollups_rebuild(start=today - dt.timedelta(days=70), end=today)
    return {"quick": quick, "slow": slow, "late": late, "old": old}


MIN = dt.timedelta(minutes=1)


def test_the_history_is_what_the_dashboard_test_expects(history):
    """The premises of the browser test below, checked on the rows themselves."""
    in_period = Ticket.objects.exclude(pk=history["old"].pk)
    assert in_period.count() == 4
    assert in_period.filter(resolved_at__isnull=False).count() == 2
    timers = SlaTimer.objects.filter(ticket__in=in_period)
    outcomes = {
        (t.ticket.subject, t.kind): "breached" if t.breached else t.outcome
        for t in timers.filter(kind__in=["first_response", "resolution"])
    }
    assert outcomes == {
        ("Mail server down", "first_response"): "met",
        ("Mail server down", "resolution"): "met",
        ("VPN drops every hour", "first_response"): "met",
        ("VPN drops every hour", "resolution"): "breached",
        ("Printer offline", "first_response"): "breached",
        ("Printer offline", "resolution"): "breached",
        ("Backup failed", "first_response"): "breached",
        ("Backup failed", "resolution"): "breached",
    }
    assert in_period.open().filter(sla_rank=0).count() == 2  # breached now
    assert sum(TimeEntry.objects.values_list("minutes", flat=True)) == 25 + 35 + 60


def kpi(page: Page, label: str):
    """The figure of one of the key numbers at the top of the dashboard."""
    return page.locator(".dashboard-kpi").filter(has_text=label).locator("strong")


def card(page: Page, heading: str):
    return page.locator("section", has=page.get_by_role("heading", name=heading, exact=True))


def figures_table(page: Page, heading: str):
    """Open a chart's "figures as a table" and return the table."""
    section = card(page, heading)
    section.get_by_text("Show the figures as a table").click()
    table = section.get_by_role("table")
    expect(table).to_be_visible()
    return table


def row_of(table, label: str):
    return table.get_by_role("row").filter(has=table.page.get_by_text(label, exact=True))


def test_manager_sees_the_figures_of_the_data(page, manager, tech, acme, history):
    log_in(page, manager)
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", name="SLA dashboard")).to_be_visible()

    expect(kpi(page, "Opened")).to_have_text("4")
    expect(kpi(page, "Closed")).to_have_text("2")
    expect(kpi(page, "First response in time")).to_have_text("50.0 %")
    expect(kpi(page, "Resolved in time")).to_have_text("25.0 %")
    expect(kpi(page, "Breached now")).to_have_text("2")
    expect(kpi(page, "At risk now")).to_have_text("0")

    # The SLA chart by priority, as a table.
    expect(card(page, "Compliance by priority").get_by_role("img")).to_be_visible()
    by_priority = figures_table(page, "Compliance by priority")
    rows = {cells[0]: cells[1:] for cells in map(cell_texts, by_priority.get_by_role("row").all())}
    expect_rows = {
        "P1": ["1", "1", "1 / 0", "100.0 %", "1 / 0", "100.0 %"],
        "P2": ["1", "1", "0 / 1", "0.0 %", "0 / 1", "0.0 %"],
        "P3": ["1", "0", "1 / 0", "100.0 %", "0 / 1", "0.0 %"],
        "P4": ["1", "0", "0 / 1", "0.0 %", "0 / 1", "0.0 %"],
        "All": ["4", "2", "2 / 2", "50.0 %", "1 / 3", "25.0 %"],
    }
    for label, cells in expect_rows.items():
        found = [value for key, value in rows.items() if key == label or key.startswith(label)]
        assert found == [cells], f"row {label} of the priority table: {rows}"

    # By client.
    by_client = figures_table(page, "Compliance by client")
    assert cell_texts(row_of(by_client, "Acme Industries")) == [
        "Acme Industries", "3", "1", "2 / 1", "66.7 %", "1 / 2", "33.3 %",
    ]  # fmt: skip
    assert cell_texts(row_of(by_client, "Globex SA")) == [
        "Globex SA", "1", "1", "0 / 1", "0.0 %", "0 / 1", "0.0 %",
    ]  # fmt: skip

    # Breached now: the two open Acme tickets, by name.
    now_table = card(page, "Breached and at risk now").get_by_role("table")
    expect(now_table.locator("tbody").get_by_role("row")).to_have_count(2)
    expect(now_table).to_contain_text("VPN drops every hour")
    expect(now_table).to_contain_text("Printer offline")

    # The backlog chart's table: one row a day, the sums are the period's.
    backlog = figures_table(page, "Backlog: opened and closed per day")
    days = [cell_texts(row) for row in backlog.locator("tbody").get_by_role("row").all()]
    assert len(days) == 30
    assert sum(int(day[1]) for day in days) == 4
    assert sum(int(day[2]) for day in days) == 2

    # Hours: per technician and per contract.
    workload = figures_table(page, "Technician workload")
    assert cell_texts(row_of(workload, tech.full_name)) == [tech.full_name, "1", "25 min", "35 min"]
    hours = figures_table(page, "Hours against contracts")
    assert cell_texts(row_of(hours, "Acme Industries"))[2:4] == ["0.42", "0.00"]
    assert cell_texts(row_of(hours, "Globex SA"))[2:4] == ["0.00", "0.58"]

    # One client chosen: the figures refresh in place and the URL keeps the choice.
    page.evaluate("window.__sameDocument = true")
    client_box = page.locator("#id_client")
    client_box.fill(acme.slug)
    client_box.press("Enter")
    expect(page).to_have_url(re.compile(rf"[?&]client={acme.slug}\b"))
    expect(kpi(page, "Opened")).to_have_text("3")
    expect(kpi(page, "Closed")).to_have_text("1")
    expect(kpi(page, "First response in time")).to_have_text("66.7 %")
    expect(kpi(page, "Resolved in time")).to_have_text("33.3 %")
    expect(kpi(page, "Breached now")).to_have_text("2")
    assert page.evaluate("window.__sameDocument === true"), "the dashboard reloaded the page"
