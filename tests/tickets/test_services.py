"""Ticket services: every change is atomic, validated and written to the timeline."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests import factories
from tickets import services
from tickets.models import Ticket, TicketEvent, priority_for

pytestmark = pytest.mark.django_db


def kinds(ticket: Ticket) -> list[str]:
    return list(ticket.events.order_by("created_at", "id").values_list("kind", flat=True))


def test_opening_a_ticket_numbers_it_and_starts_the_timeline(acme, tech):
    first = factories.open_ticket(acme, by=tech)
    second = factories.open_ticket(acme, by=tech)

    assert second.number == first.number + 1
    assert first.reference == f"T-{first.number}"
    assert first.status == Ticket.Status.NEW
    assert kinds(first) == [TicketEvent.Kind.CREATED]
    assert first.events.get().actor == TicketEvent.Actor.STAFF


def test_ticket_numbers_are_unique_across_clients(acme, globex, tech):
    numbers = {factories.open_ticket(c, by=tech).number for c in (acme, globex, acme, globex)}

    assert len(numbers) == 4


def test_the_priority_is_derived_from_impact_and_urgency(acme, tech):
    ticket = factories.open_ticket(acme, by=tech, impact=1, urgency=1)

    assert ticket.priority == "P1"
    assert priority_for(3, 3) == "P4"
    assert priority_for(1, 3) == priority_for(3, 1) == "P3"
    assert priority_for(2, 1) == priority_for(1, 2) == "P2"


def test_the_contract_in_force_is_attached(acme, tech):
    old = factories.ContractFactory(
        client=acme,
        start_date=dt.date(2020, 1, 1),
        end_date=dt.date(2020, 12, 31),
    )
    current = factories.ContractFactory(client=acme)
    factories.ContractFactory(client=acme, status="draft")

    ticket = factories.open_ticket(acme, by=tech)

    assert ticket.contract == current
    assert ticket.contract != old


def test_a_contract_covering_the_asset_wins(acme, tech):
    asset = factories.AssetFactory(client=acme)
    covering = factories.ContractFactory(
        client=acme, start_date=timezone.localdate() - dt.timedelta(days=900)
    )
    covering.covered_assets.add(asset)
    factories.ContractFactory(client=acme)

    assert factories.open_ticket(acme, by=tech, asset=asset).contract == covering


def test_a_ticket_without_a_contract_still_opens(acme, tech):
    assert factories.open_ticket(acme, by=tech).contract is None


def test_another_clients_asset_or_contact_is_refused(acme, globex, tech):
    asset = factories.AssetFactory(client=globex)
    contact = factories.ContactFactory(client=globex)

    with pytest.raises(ValidationError) as err:
        factories.open_ticket(acme, by=tech, asset=asset, contact=contact)

    assert set(err.value.message_dict) == {"asset", "contact"}
    assert not Ticket.objects.exists()


def test_a_client_user_cannot_open_a_ticket_for_another_company(globex, acme_user):
    with pytest.raises(ValidationError):
        factories.open_ticket(globex, by=acme_user)


def test_a_portal_ticket_has_the_client_user_as_requester(acme, acme_user):
    ticket = factories.open_ticket(acme, by=acme_user)

    assert ticket.contact == acme_user.contact
    assert ticket.events.get().actor == TicketEvent.Actor.CLIENT


def test_a_blank_subject_is_refused(acme, tech):
    with pytest.raises(ValidationError) as err:
        factories.open_ticket(acme, by=tech, subject="   ")

    assert "subject" in err.value.message_dict


def test_the_first_staff_reply_is_the_first_response_and_opens_the_ticket(acme, acme_user, tech):
    ticket = factories.open_ticket(acme, by=acme_user)
    at = timezone.now()

    services.ticket_reply(ticket=ticket, author=tech, body="Looking into it.", at=at)
    services.ticket_reply(ticket=ticket, author=tech, body="Still on it.")

    ticket.refresh_from_db()
    assert ticket.first_responded_at == at
    assert ticket.status == Ticket.Status.OPEN
    assert kinds(ticket) == ["created", "reply", "status", "reply"]


def test_an_automated_reply_is_not_a_first_response(acme, acme_user, tech):
    ticket = factories.open_ticket(acme, by=acme_user)

    services.ticket_reply(ticket=ticket, author=tech, body="We got your request.", automated=True)

    ticket.refresh_from_db()
    assert ticket.first_responded_at is None
    assert ticket.status == Ticket.Status.NEW


def test_a_client_reply_resumes_a_ticket_waiting_on_the_customer(acme, acme_user, tech):
    ticket = factories.open_ticket(acme, by=acme_user)
    services.ticket_change_status(ticket=ticket, status="waiting_on_customer", by=tech)

    services.ticket_reply(ticket=ticket, author=acme_user, body="Here is the screenshot.")

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    last = ticket.events.filter(kind="status").last()
    assert last.data == {"from": "waiting_on_customer", "to": "open", "cause": "client_replied"}
    assert last.actor == TicketEvent.Actor.SYSTEM


def test_a_client_reply_reopens_a_resolved_ticket(acme, acme_user, tech):
    ticket = factories.open_ticket(acme, by=acme_user)
    services.ticket_change_status(ticket=ticket, status="resolved", by=tech)

    services.ticket_reply(ticket=ticket, author=acme_user, body="It broke again.")

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert ticket.resolved_at is None


def test_an_e_mail_reply_from_a_contact_counts_as_the_client(acme, tech):
    contact = factories.ContactFactory(client=acme)
    ticket = factories.open_ticket(acme, by=tech, contact=contact)
    services.ticket_change_status(ticket=ticket, status="waiting_on_customer", by=tech)

    event = services.ticket_reply(ticket=ticket, author_contact=contact, body="Done.")

    assert event.actor == TicketEvent.Actor.CLIENT
    assert event.author_name == contact.full_name
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN


def test_a_client_cannot_reply_to_another_companys_ticket(acme, globex_user, tech):
    ticket = factories.open_ticket(acme, by=tech)

    with pytest.raises(ValidationError):
        services.ticket_reply(ticket=ticket, author=globex_user, body="Hello")
    assert kinds(ticket) == ["created"]


def test_a_client_user_cannot_reply_to_a_colleagues_ticket_they_cannot_see(acme, acme_user, tech):
    colleague = factories.ContactFactory(client=acme)
    ticket = factories.open_ticket(acme, by=tech, contact=colleague)

    with pytest.raises(ValidationError):
        services.ticket_reply(ticket=ticket, author=acme_user, body="Let me in")
    assert kinds(ticket) == ["created"]


def test_time_is_logged_on_the_clients_calendar_day(globex, tech):
    ticket = factories.open_ticket(globex, by=tech)
    # 03:00 UTC on 2 March is still 1 March in Montreal.
    at = dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC)

    entry = services.ticket_log_time(ticket=ticket, technician=tech, minutes=10, at=at)

    assert entry.work_date == dt.date(2026, 3, 1)


def test_an_empty_reply_is_refused(acme, tech):
    ticket = factories.open_ticket(acme, by=tech)

    with pytest.raises(ValidationError) as err:
        services.ticket_reply(ticket=ticket, author=tech, body=" \n ")

    assert "body" in err.value.message_dict


def test_internal_notes_are_private_and_staff_only(acme, acme_user, tech):
    ticket = factories.open_ticket(acme, by=acme_user)

    note = services.ticket_add_note(ticket=ticket, author=tech, body="Call the ISP.")

    assert note.public is False
    with pytest.raises(ValidationError):
        services.ticket_add_note(ticket=ticket, author=acme_user, body="sneaky")


def test_resolving_and_closing_stamp_the_times_and_closed_is_final(acme, tech):
    ticket = factories.open_ticket(acme, by=tech)
    resolved_at = timezone.now()
    services.ticket_change_status(ticket=ticket, status="resolved", by=tech, at=resolved_at)
    ticket = services.ticket_change_status(ticket=ticket, status="closed", by=tech)

    assert ticket.resolved_at == resolved_at
    assert ticket.closed_at is not None
    for action in (
        lambda: services.ticket_change_status(ticket=ticket, status="open", by=tech),
        lambda: services.ticket_reply(ticket=ticket, author=tech, body="hi"),
        lambda: services.ticket_change_priority(ticket=ticket, impact=1, urgency=1, by=tech),
        lambda: services.ticket_assign(ticket=ticket, assignee=tech, by=tech),
    ):
        with pytest.raises(ValidationError):
            action()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED


def test_closing_directly_also_stamps_the_resolution(acme, tech):
    ticket = factories.open_ticket(acme, by=tech)

    ticket = services.ticket_change_status(ticket=ticket, status="closed", by=tech)

    assert ticket.resolved_at == ticket.closed_at


def test_an_unchanged_status_writes_no_event(acme, tech):
    ticket = factories.open_ticket(acme, by=tech)

    services.ticket_change_status(ticket=ticket, status="new", by=tech)

    assert kinds(ticket) == ["created"]


def test_an_unknown_status_is_refused(acme, tech):
    ticket = factories.open_ticket(acme, by=tech)

    with pytest.raises(ValidationError):
        services.ticket_change_status(ticket=ticket, status="archived", by=tech)


def test_a_priority_change_is_recorded_with_both_priorities(acme, tech):
    ticket = factories.open_ticket(acme, by=tech, impact=3, urgency=3)

    ticket = services.ticket_change_priority(ticket=ticket, impact=1, urgency=1, by=tech)

    assert ticket.priority == "P1"
    event = ticket.events.get(kind="priority")
    assert (event.data["from"], event.data["to"]) == ("P4", "P1")


def test_assignment_only_to_staff_who_work_for_the_client(acme, globex, acme_user, tech):
    ticket = factories.open_ticket(acme, by=tech)
    elsewhere = factories.UserFactory(role="technician", sees_all_clients=False)
    elsewhere.allowed_clients.set([globex])

    for assignee in (acme_user, elsewhere):
        with pytest.raises(ValidationError):
            services.ticket_assign(ticket=ticket, assignee=assignee, by=tech)

    ticket = services.ticket_assign(ticket=ticket, assignee=tech, by=tech)
    assert ticket.assignee == tech
    ticket = services.ticket_assign(ticket=ticket, assignee=None, by=tech)
    assert ticket.assignee is None
    assert [e.data["to"] for e in ticket.events.filter(kind="assignment")] == [tech.pk, None]


def test_field_updates_are_recorded_one_event_each(acme, globex, tech):
    ticket = factories.open_ticket(acme, by=tech)
    asset = factories.AssetFactory(client=acme)

    ticket = services.ticket_update(ticket=ticket, by=tech, subject="New subject", asset=asset)

    assert (ticket.subject, ticket.asset) == ("New subject", asset)
    assert ticket.events.filter(kind="field").count() == 2
    with pytest.raises(ValidationError):
        services.ticket_update(ticket=ticket, by=tech, asset=factories.AssetFactory(client=globex))


def test_logging_time_records_an_entry_and_a_private_event(acme, tech, acme_user):
    ticket = factories.open_ticket(acme, by=tech)

    entry = services.ticket_log_time(
        ticket=ticket, technician=tech, minutes=45, billable=False, note="Remote session"
    )

    assert (entry.client, entry.minutes, entry.billable) == (acme, 45, False)
    assert ticket.events.get(kind="time").public is False
    for bad in (0, -5, 2000):
        with pytest.raises(ValidationError):
            services.ticket_log_time(ticket=ticket, technician=tech, minutes=bad)
    with pytest.raises(ValidationError):
        services.ticket_log_time(ticket=ticket, technician=acme_user, minutes=5)


def test_a_ticket_opened_by_monitoring_has_a_system_author(acme):
    ticket = services.ticket_open(client=acme, subject="SRV-01 is down", source="monitoring")

    assert ticket.events.get().actor == TicketEvent.Actor.SYSTEM
