"""A technician's day in a real browser: sign in, filter the queue, work a ticket to resolution,
and assign tickets in bulk; what the page shows and the rows saved must agree."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.browser.helpers import log_in
from tickets.models import Impact, Ticket, TicketEvent, TimeEntry, Urgency

pytestmark = pytest.mark.django_db(transaction=True)

VPN = "VPN drops every hour"
MAIL = "Mail server down"
PRINTER = "Printer offline on the 2nd floor"
BACKUP = "Nightly backup failed"


@pytest.fixture
def queue(acme, globex, acme_user):
    """Four open tickets of two clients, each under a contract, of different priorities."""
    for client in (acme, globex):
        factories.ContractFactory(client=client)
    return {
        subject: factories.open_ticket(client, subject=subject, impact=impact, urgency=urgency)
        for client, subject, impact, urgency in [
            (acme, MAIL, Impact.HIGH, Urgency.HIGH),  # P1
            (acme, VPN, Impact.MEDIUM, Urgency.MEDIUM),  # P3
            (acme, PRINTER, Impact.LOW, Urgency.MEDIUM),  # P4
            (globex, BACKUP, Impact.MEDIUM, Urgency.HIGH),  # P2
        ]
    }


def queue_rows(page: Page):
    """The ticket rows of the queue's results (not its header row)."""
    return page.locator("#results tbody").get_by_role("row")


def filters(page: Page):
    return page.locator("form#ticket-filters")


def mark_document(page: Page) -> None:
    """Tag this document; the tag is gone if the browser loads a new page."""
    page.evaluate("window.__sameDocument = true")


def same_document(page: Page) -> bool:
    return page.evaluate("window.__sameDocument === true")


def is_htmx_queue_request(response) -> bool:
    return (
        "/tickets/?" in response.url
        and response.request.method == "GET"
        and response.request.headers.get("hx-request") == "true"
    )


def test_technician_filters_the_queue_and_works_a_ticket_to_resolution(page, tech, queue):
    log_in(page, tech)
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Tickets").click()
    expect(page.get_by_role("heading", name="Ticket queue")).to_be_visible()
    expect(queue_rows(page)).to_have_count(4)
    assert page.evaluate("typeof htmx") == "object", "htmx did not load"

    # A priority chosen: the rows refresh through htmx, the URL keeps the filter.
    mark_document(page)
    with page.expect_response(is_htmx_queue_request):
        filters(page).get_by_label("Priority").select_option(label="P1 - Critical")
    expect(page).to_have_url(re.compile(r"[?&]priority=P1\b"))
    expect(queue_rows(page)).to_have_count(1)
    expect(queue_rows(page).first).to_contain_text(MAIL)
    assert same_document(page), "the queue reloaded the whole page instead of its rows"

    # Back to any priority, then a search typed in the box.
    with page.expect_response(is_htmx_queue_request):
        filters(page).get_by_label("Priority").select_option(label="Any priority")
    expect(queue_rows(page)).to_have_count(4)
    with page.expect_response(is_htmx_queue_request):
        filters(page).get_by_label("Search").fill("VPN")
    expect(page).to_have_url(re.compile(r"[?&]q=VPN\b"))
    expect(queue_rows(page)).to_have_count(1)
    expect(queue_rows(page).first).to_contain_text(VPN)
    assert same_document(page), "the search reloaded the whole page instead of its rows"

    # A client typed: the names offered as one types fill the list, not the results; the
    # short name picked filters the rows.
    with page.expect_response(is_htmx_queue_request):
        filters(page).get_by_label("Search").fill("")
    expect(queue_rows(page)).to_have_count(4)
    client_box = filters(page).locator("#id_client")
    with page.expect_response(lambda r: "/tickets/client-options/" in r.url):
        client_box.fill("glob")
    expect(page.locator("datalist#client-options option[value=globex]")).to_have_count(1)
    expect(queue_rows(page)).to_have_count(4)
    expect(page).not_to_have_url(re.compile(r"options"))
    with page.expect_response(is_htmx_queue_request):
        client_box.fill("globex")
        client_box.press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]client=globex\b"))
    expect(queue_rows(page)).to_have_count(1)
    expect(queue_rows(page).first).to_contain_text(BACKUP)
    with page.expect_response(is_htmx_queue_request):
        client_box.fill("")
        client_box.press("Enter")
    expect(queue_rows(page)).to_have_count(4)
    assert same_document(page), "the client filter reloaded the whole page"
    with page.expect_response(is_htmx_queue_request):
        filters(page).get_by_label("Search").fill("VPN")
    expect(queue_rows(page)).to_have_count(1)

    # The ticket, opened from its row.
    ticket = queue[VPN]
    queue_rows(page).first.get_by_role("link", name=VPN).click()
    expect(page).to_have_url(re.compile(rf"/tickets/{ticket.number}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(VPN)
    timeline = page.locator("section", has=page.get_by_role("heading", name="Timeline"))
    mark_document(page)  # every action below swaps the ticket's region through htmx

    # A public reply: it appears in the timeline.
    message = page.get_by_role("region", name="Reply or add a note")
    reply = "Hello, we are restarting the VPN concentrator now."
    message.get_by_label("Message").fill(reply)
    message.get_by_label("Public reply (sent to the client)").check()
    message.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Reply sent to the client.")
    expect(timeline).to_contain_text(reply)
    expect(timeline.locator("li", has_text=reply)).to_contain_text("replied to the client")

    # 25 billable minutes: they appear in the time list.
    time_card = page.locator("section", has=page.get_by_role("heading", name="Time logged"))
    time_card.get_by_label("Minutes").fill("25")
    expect(time_card.get_by_label("Billable")).to_be_checked()
    time_card.get_by_label("Note").fill("Restarted the concentrator")
    time_card.get_by_role("button", name="Log time").click()
    expect(page.get_by_role("status")).to_have_text("Time logged.")
    time_list = time_card.get_by_role("table")
    expect(time_list).to_contain_text("25 min")
    expect(time_list).to_contain_text("Restarted the concentrator")
    expect(time_list).not_to_contain_text("not billable")
    expect(timeline).to_contain_text("logged 25 min (billable)")

    # Resolved.
    status_card = page.locator("section", has=page.get_by_role("heading", name="Status"))
    status_card.get_by_label("Status").select_option(label="Resolved")
    status_card.get_by_role("button", name="Change status").click()
    expect(page.get_by_role("status")).to_have_text("Status: Resolved.")
    expect(page.locator(".page-head")).to_contain_text("Resolved")
    expect(timeline).to_contain_text(re.compile(r"changed the status from .+ to Resolved"))
    assert same_document(page), "an action on the ticket reloaded the whole page"

    # What the database holds now.
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED
    assert ticket.resolved_at is not None
    assert ticket.first_responded_at is not None
    replies = TicketEvent.objects.filter(ticket=ticket, kind="reply")
    assert [(e.body, e.public, e.author_id) for e in replies] == [(reply, True, tech.pk)]
    entry = TimeEntry.objects.get(ticket=ticket)
    assert (entry.minutes, entry.billable, entry.technician_id) == (25, True, tech.pk)
    assert entry.note == "Restarted the concentrator"
    # Nothing else was touched.
    assert not TimeEntry.objects.exclude(ticket=ticket).exists()
    assert Ticket.objects.exclude(pk=ticket.pk).filter(status=Ticket.Status.RESOLVED).count() == 0


def test_technician_assigns_two_tickets_to_themself_in_bulk(page, tech, queue):
    log_in(page, tech)
    page.goto("/tickets/")
    chosen = [queue[PRINTER], queue[BACKUP]]
    for ticket in chosen:
        page.get_by_label(f"Select {ticket.reference}").check()
    page.get_by_label("With the selected tickets:").select_option(label="Assign to")
    page.locator("#results").get_by_label("Assignee").select_option(label="Me")
    page.get_by_role("button", name="Apply").click()

    expect(page.get_by_role("status")).to_contain_text("2")
    for ticket in chosen:
        row = queue_rows(page).filter(has_text=ticket.subject)
        expect(row).to_contain_text(tech.full_name)
    for subject in (MAIL, VPN):
        expect(queue_rows(page).filter(has_text=subject)).to_contain_text("Unassigned")

    assigned = set(Ticket.objects.filter(assignee=tech).values_list("subject", flat=True))
    assert assigned == {PRINTER, BACKUP}
    events = TicketEvent.objects.filter(kind="assignment", ticket__in=chosen)
    assert sorted(e.ticket_id for e in events) == sorted(t.pk for t in chosen)
