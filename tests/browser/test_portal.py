"""A client user's round trip in a real browser: sign in, open a ticket with a file, read the
technician's answer, confirm the resolution; what the page shows and the rows saved must agree."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.helpers import log_in
from tickets import services
from tickets.models import Attachment, Ticket

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_client_user_opens_a_ticket_reads_the_reply_and_confirms_the_resolution(
    page, acme, acme_user, tech, tmp_path
):
    factories.ContractFactory(client=acme)
    screenshot = tmp_path / "error-message.txt"
    screenshot.write_text("Outlook: error 0x800CCC0E when sending\n")
    log_in(page, acme_user)

    page.get_by_role("link", name="New ticket").first.click()
    page.get_by_label("Subject").fill("Outlook cannot send mail")
    page.get_by_label("What happened?").fill("Every message stays in the outbox since 9:00.")
    page.get_by_label("I cannot work").check()
    expect(page.locator("#priority")).to_contain_text("P3")  # one person, work stopped
    page.get_by_label("Attachments").set_input_files(str(screenshot))
    page.get_by_role("button", name="Open the ticket").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Outlook cannot send mail")
    expect(page.get_by_role("link", name="error-message.txt")).to_be_visible()
    ticket = Ticket.objects.get(subject="Outlook cannot send mail")
    assert ticket.created_by == acme_user and ticket.priority == "P3"
    assert Attachment.objects.get(ticket=ticket).original_name == "error-message.txt"

    services.ticket_reply(ticket=ticket, author=tech, body="Your mailbox was full; emptied it.")
    page.reload()
    expect(page.locator("#timeline")).to_contain_text("Your mailbox was full; emptied it.")
    page.get_by_label("Message").fill("Thanks, sending works again.")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#timeline")).to_contain_text("Thanks, sending works again.")
    expect(page.get_by_role("status")).to_contain_text("Your message was sent.")

    services.ticket_change_status(ticket=ticket, status=Ticket.Status.RESOLVED, by=tech)
    page.reload()
    page.get_by_role("button", name="Confirm the resolution").click()

    expect(page.locator(".page-head .badges")).to_contain_text("Closed")
    expect(page.get_by_role("status")).to_contain_text(re.compile("ticket is closed"))
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED
