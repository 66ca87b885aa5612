"""Staff ticket pages: list, detail and the actions, each through the services."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories
from tickets import services
from tickets.models import Category, Queue, Ticket, TicketEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(acme, acme_user):
    return factories.open_ticket(acme, by=acme_user, subject="VPN refuses my password")


def url(name, ticket):
    return reverse(f"tickets:{name}", kwargs={"number": ticket.number})


def test_the_list_filters_by_status_and_search(client, tech, ticket, acme, acme_user):
    other = factories.open_ticket(acme, by=acme_user, subject="Printer jam")
    services.ticket_change_status(ticket=other, status="resolved", by=tech)
    client.force_login(tech)

    open_page = client.get(reverse("tickets:list")).content.decode()
    assert "VPN refuses" in open_page and "Printer jam" not in open_page

    resolved = client.get(reverse("tickets:list"), {"status": "resolved"}).content.decode()
    assert "Printer jam" in resolved and "VPN refuses" not in resolved

    by_number = client.get(reverse("tickets:list"), {"q": ticket.reference, "status": "all"})
    assert ticket.reference in by_number.content.decode()
    assert "Printer jam" not in by_number.content.decode()


def test_htmx_gets_only_the_rows_partial(client, tech, ticket):
    client.force_login(tech)

    response = client.get(reverse("tickets:list"), headers={"HX-Request": "true"})

    body = response.content.decode()
    assert 'id="results"' in body and "<html" not in body
    assert "HX-Request" in response["Vary"]


def test_the_ticket_page_shows_the_timeline_with_internal_notes_marked(client, tech, ticket):
    services.ticket_add_note(ticket=ticket, author=tech, body="Reset the token in the console")
    client.force_login(tech)

    body = client.get(ticket.get_absolute_url()).content.decode()

    assert "VPN refuses my password" in body
    assert "Reset the token in the console" in body


def test_a_public_reply_goes_through_the_service(client, tech, ticket):
    client.force_login(tech)

    response = client.post(url("reply", ticket), {"body": "Try again now.", "visibility": "public"})

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.first_responded_at is not None
    assert ticket.events.filter(kind=TicketEvent.Kind.REPLY, body="Try again now.").exists()


def test_an_internal_note_stays_internal(client, tech, ticket):
    client.force_login(tech)

    client.post(url("reply", ticket), {"body": "Check RADIUS logs", "visibility": "internal"})

    note = ticket.events.get(kind=TicketEvent.Kind.NOTE)
    assert note.public is False
    ticket.refresh_from_db()
    assert ticket.first_responded_at is None


def test_an_empty_reply_keeps_the_page_and_says_what_to_fix(client, tech, ticket):
    client.force_login(tech)

    response = client.post(url("reply", ticket), {"body": "", "visibility": "public"})

    assert response.status_code == 200
    assert ticket.events.count() == 1


def test_a_refused_reply_keeps_what_was_typed(client, tech, ticket):
    services.ticket_change_status(ticket=ticket, status="closed", by=tech)
    client.force_login(tech)

    response = client.post(
        url("reply", ticket), {"body": "A long careful answer", "visibility": "public"}
    )

    assert response.status_code == 200
    assert "A long careful answer" in response.content.decode()


def test_status_assignment_and_time_are_recorded(client, tech, ticket):
    client.force_login(tech)

    client.post(url("status", ticket), {"status": "in_progress"})
    client.post(url("assign", ticket), {"assignee": "me"})
    client.post(url("log_time", ticket), {"minutes": "25", "billable": "on", "note": "call"})

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.IN_PROGRESS
    assert ticket.assignee == tech
    assert ticket.time_entries.get().minutes == 25
    assert set(ticket.events.values_list("kind", flat=True)) >= {"status", "assignment", "time"}


def test_bad_minutes_are_refused_with_the_form_kept(client, tech, ticket):
    client.force_login(tech)

    response = client.post(url("log_time", ticket), {"minutes": "0", "note": "keep me"})

    assert response.status_code == 200
    assert "keep me" in response.content.decode()
    assert not ticket.time_entries.exists()


def test_actions_refuse_get(client, tech, ticket):
    client.force_login(tech)

    assert client.get(url("reply", ticket)).status_code == 405


def test_another_clients_staff_cannot_act_on_the_ticket(client, globex, ticket):
    outsider = factories.UserFactory(role="technician", sees_all_clients=False)
    outsider.allowed_clients.set([globex])
    client.force_login(outsider)

    assert client.get(ticket.get_absolute_url()).status_code == 404
    assert client.post(url("status", ticket), {"status": "closed"}).status_code == 404
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW


def test_a_client_user_cannot_use_staff_actions(client, acme_user, ticket):
    client.force_login(acme_user)

    assert (
        client.post(url("reply", ticket), {"body": "x", "visibility": "internal"}).status_code
        == 404
    )
    assert ticket.events.count() == 1


# -- the ticket page: timeline, actions through htmx, side panel, query count --------------


@pytest.fixture
def en(settings):
    settings.LANGUAGE_CODE = "en"


def htmx(client, path, data):
    return client.post(path, data, headers={"HX-Request": "true"})


def test_every_kind_of_event_reads_well_on_the_timeline(client, tech, acme, ticket, en):
    contact = factories.ContactFactory(client=acme, first_name="Jane", last_name="Roe")
    queue = Queue.objects.create(name="Network team", slug="network")
    services.ticket_reply(ticket=ticket, author=tech, body="Public answer")
    services.ticket_add_note(ticket=ticket, author=tech, body="Secret note")
    services.ticket_reply(ticket=ticket, author_contact=contact, body="Answer by mail")
    services.ticket_change_priority(ticket=ticket, impact=1, urgency=1, by=tech)
    services.ticket_assign(ticket=ticket, assignee=tech, by=tech)
    services.ticket_update(ticket=ticket, by=tech, queue=queue)
    services.ticket_log_time(ticket=ticket, technician=tech, minutes=30, billable=False)
    services.ticket_record_monitoring_event(
        ticket=ticket, body="Still failing", data={"alert": "still_down", "check_id": 7}
    )
    TicketEvent.objects.create(  # what the SLA sweep records (tests may write rows directly)
        ticket=ticket, client=acme, kind="sla", actor="system", public=False,
        data={"timer": "resolution", "level": 3},
    )  # fmt: skip
    client.force_login(tech)

    body = client.get(ticket.get_absolute_url()).content.decode()

    assert "replied to the client" in body and "Public answer" in body
    assert 'class="event event-note actor-staff event-internal"' in body
    assert "Secret note" in body
    assert "by e-mail" in body and "Answer by mail" in body
    assert "changed the priority from P4 - Low to P1 - Critical" in body
    assert "assigned the ticket to Theo Tech" in body
    assert "set queue to “Network team”" in body
    assert "(not billable)" in body
    assert "monitoring: the check is still down" in body
    assert reverse("monitoring:check_detail", args=[7]) in body
    assert "Resolution: target missed" in body


def test_a_merged_ticket_points_to_the_ticket_kept(client, tech, acme, acme_user, ticket, en):
    kept = factories.open_ticket(acme, by=acme_user, subject="VPN down for everyone")
    services.ticket_merge(target=kept, duplicates=[ticket], by=tech)
    client.force_login(tech)

    body = client.get(ticket.get_absolute_url()).content.decode()
    assert f"This ticket was merged into {kept.reference}." in body
    assert f'href="{kept.get_absolute_url()}"' in body

    kept_page = client.get(kept.get_absolute_url()).content.decode()
    assert "merged into this ticket:" in kept_page
    assert f'href="{ticket.get_absolute_url()}">{ticket.reference}</a>' in kept_page


def test_the_page_query_count_does_not_grow_with_the_timeline(
    client, tech, acme, ticket, django_assert_max_num_queries
):
    asset = factories.AssetFactory(client=acme)
    factories.CheckFactory(client=acme, asset=asset)
    services.ticket_update(ticket=ticket, by=tech, asset=asset)
    client.force_login(tech)
    with CaptureQueriesContext(connection) as few:
        client.get(ticket.get_absolute_url())

    for n in range(15):
        services.ticket_reply(ticket=ticket, author=tech, body=f"Reply {n}")
        services.ticket_add_note(ticket=ticket, author=tech, body=f"Note {n}")
        services.ticket_log_time(ticket=ticket, technician=tech, minutes=5)
        factories.open_ticket(acme, subject=f"Other {n}")
    with django_assert_max_num_queries(len(few)):
        response = client.get(ticket.get_absolute_url())

    assert response.status_code == 200
    assert len(few) <= 25


def test_an_htmx_action_answers_with_the_workspace_only(client, tech, ticket, en):
    client.force_login(tech)

    response = htmx(client, url("status", ticket), {"status": "in_progress"})

    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="ticket-page"' in body and "<html" not in body
    assert "Status: In progress." in body  # the message comes with the swapped region
    assert "HX-Request" in response["Vary"]
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.IN_PROGRESS


def test_an_htmx_refusal_keeps_what_was_typed(client, tech, ticket, en):
    services.ticket_change_status(ticket=ticket, status="closed", by=tech)
    client.force_login(tech)

    response = htmx(
        client, url("reply", ticket), {"body": "Typed with care", "visibility": "public"}
    )

    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert "Typed with care" in body
    assert "is closed" in body


def test_the_forms_post_with_htmx_and_without(client, tech, ticket):
    client.force_login(tech)

    body = client.get(ticket.get_absolute_url()).content.decode()

    for name in ("reply", "status", "assign", "priority", "fields", "asset", "log_time"):
        action = url(name, ticket)
        assert f'action="{action}" hx-post="{action}"' in body, name


def test_priority_follows_impact_and_urgency(client, tech, ticket):
    client.force_login(tech)

    response = client.post(url("priority", ticket), {"impact": "1", "urgency": "2"})

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.impact, ticket.urgency, ticket.priority) == (1, 2, "P2")
    assert ticket.events.filter(kind=TicketEvent.Kind.PRIORITY).count() == 1


def test_a_bad_priority_is_refused_with_a_message(client, tech, ticket):
    client.force_login(tech)

    response = client.post(url("priority", ticket), {"impact": "9", "urgency": "2"})

    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.impact != 9 and not ticket.events.filter(kind="priority").exists()


def test_a_closed_ticket_refuses_a_priority_change_and_says_why(client, tech, ticket, en):
    services.ticket_change_status(ticket=ticket, status="closed", by=tech)
    client.force_login(tech)

    response = client.post(url("priority", ticket), {"impact": "1", "urgency": "1"})

    assert response.status_code == 200
    assert f"Ticket {ticket.reference} is closed" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.priority != "P1"


def test_queue_and_category_are_changed_through_the_service(client, tech, ticket):
    queue = Queue.objects.create(name="Servers", slug="servers")
    category = Category.objects.create(name="Access", slug="access")
    client.force_login(tech)

    client.post(url("fields", ticket), {"queue": queue.pk, "category": category.pk})

    ticket.refresh_from_db()
    assert (ticket.queue, ticket.category) == (queue, category)
    fields = set(ticket.events.filter(kind="field").values_list("data__field", flat=True))
    assert fields == {"queue", "category"}


def test_an_asset_of_the_client_is_linked_then_unlinked(client, tech, acme, ticket):
    asset = factories.AssetFactory(client=acme, name="FW-01")
    client.force_login(tech)

    client.post(url("asset", ticket), {"asset": asset.pk})
    ticket.refresh_from_db()
    assert ticket.asset == asset

    client.post(url("asset", ticket), {"asset": ""})
    ticket.refresh_from_db()
    assert ticket.asset is None
    assert ticket.events.filter(kind="field", data__field="asset").count() == 2


def test_another_clients_asset_cannot_be_linked(client, tech, globex, ticket, en):
    foreign = factories.AssetFactory(client=globex, name="Globex NAS")
    client.force_login(tech)

    response = client.post(url("asset", ticket), {"asset": foreign.pk})

    assert response.status_code == 200
    assert "Choose one of this client" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.asset is None


def test_the_side_panel_shows_who_what_and_the_clients_other_tickets(
    client, tech, acme, globex, en
):
    contact = factories.ContactFactory(
        client=acme, first_name="Jane", last_name="Roe", email="jane@acme.test", phone="+33 1 23"
    )
    contract = factories.ContractFactory(client=acme)
    asset = factories.AssetFactory(client=acme, name="FW-01")
    factories.CheckFactory(client=acme, asset=asset, name="Firewall ping", state="down")
    ticket = factories.open_ticket(acme, contact=contact, asset=asset, subject="Internet down")
    sibling = factories.open_ticket(acme, subject="Printer jam")
    done = factories.open_ticket(acme, subject="Old done thing")
    services.ticket_change_status(ticket=done, status="resolved", by=tech)
    factories.open_ticket(globex, subject="Globex matter")
    client.force_login(tech)

    body = client.get(ticket.get_absolute_url()).content.decode()

    assert f'href="{acme.get_absolute_url()}"' in body
    assert "Jane Roe" in body and "mailto:jane@acme.test" in body and "+33 1 23" in body
    assert f'href="{contract.get_absolute_url()}"' in body
    assert reverse("contracts:policy_detail", args=[contract.sla_policy_id]) in body
    assert "Firewall ping" in body and "state-down" in body
    assert sibling.reference in body and f'href="{sibling.get_absolute_url()}"' in body
    assert "Old done thing" not in body and "Globex matter" not in body


def test_the_page_lists_its_shortcuts_and_loads_their_script_with_the_nonce(client, tech, ticket):
    client.force_login(tech)

    response = client.get(ticket.get_absolute_url())

    body = response.content.decode()
    for key in ("r", "n", "s", "a", "t", "?"):
        assert f"<kbd>{key}</kbd>" in body
    assert 'id="assign-me"' in body
    script = re.search(r'<script src="[^"]*ticket_keys\.js" nonce="([^"]+)"', body)
    assert script and script[1] in response["Content-Security-Policy"]
