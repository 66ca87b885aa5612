"""Tickets through the API: reads scoped like the pages, every write through tickets.services."""

from __future__ import annotations

import pytest

from tests import factories
from tests.conftest import MARKER
from tickets import services
from tickets.models import Ticket, TicketEvent, TimeEntry

pytestmark = pytest.mark.django_db

SUB_LISTS = ["events", "attachments", "sla-timers", "time-entries"]


def url(ticket: Ticket, sub: str = "") -> str:
    return f"/api/v1/tickets/{ticket.number}/" + (f"{sub}/" if sub else "")


# Cross-client: another client's user, or a technician restricted to another client, gets 404.


@pytest.mark.parametrize("who", ["globex_user", "globex_tech"])
@pytest.mark.parametrize(
    ("method", "sub", "body"),
    [
        ("get", "", None),
        ("patch", "", {"status": "closed"}),
        ("get", "events", None),
        ("get", "attachments", None),
        ("get", "sla-timers", None),
        ("post", "replies", {"body": "x"}),
        ("post", "notes", {"body": "x"}),
        ("get", "time-entries", None),
        ("post", "time-entries", {"minutes": 5}),
    ],
)
def test_another_clients_ticket_answers_404_and_nothing_is_written(
    api, acme_world, who, method, sub, body
):
    ticket = acme_world[Ticket]
    events = ticket.events.count()
    client = api(who)

    response = getattr(client, method)(url(ticket, sub), body, format="json")

    staff_only = sub in {"notes", "time-entries"} or method == "patch"
    if who == "globex_user" and staff_only:
        assert response.status_code == 403  # staff-only endpoints refuse before any lookup
    else:
        assert response.status_code == 404
    assert MARKER not in response.content.decode()
    assert ticket.events.count() == events
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN


@pytest.mark.parametrize("who", ["globex_user", "globex_tech"])
def test_lists_do_not_show_another_clients_tickets(api, acme_world, globex, who):
    factories.open_ticket(globex, subject="Globex printer")

    response = api(who).get("/api/v1/tickets/", {"status": ["open", "new"]})

    assert response.status_code == 200
    assert [t["subject"] for t in response.json()["results"]] == ["Globex printer"]
    assert MARKER not in response.content.decode()


# Reads


def test_staff_list_and_retrieve_tickets(api, acme_world):
    ticket = acme_world[Ticket]
    client = api("tech")

    listed = client.get("/api/v1/tickets/")
    one = client.get(url(ticket))

    assert listed.status_code == 200
    assert [t["number"] for t in listed.json()["results"]] == [ticket.number]
    assert one.json()["reference"] == ticket.reference
    assert one.json()["status"] == "open"


def test_client_user_sees_only_public_events(api, acme_world, tech):
    ticket = acme_world[Ticket]
    services.ticket_add_note(ticket=ticket, body="internal only", author=tech)

    staff = api("tech").get(url(ticket, "events")).json()["results"]
    client = api("acme_user").get(url(ticket, "events")).json()["results"]

    assert "internal only" in [e["body"] for e in staff]
    assert "internal only" not in [e["body"] for e in client]
    assert all(e["public"] for e in client)
    assert staff[0]["kind"] == "created"  # oldest first


def test_sub_lists_answer_for_staff(api, acme_world):
    ticket = acme_world[Ticket]
    client = api("tech")

    bodies = {sub: client.get(url(ticket, sub)).json() for sub in SUB_LISTS}

    assert bodies["attachments"]["results"][0]["original_name"] == MARKER
    assert "file" not in bodies["attachments"]["results"][0]
    assert {t["kind"] for t in bodies["sla-timers"]["results"]} >= {"resolution"}
    assert bodies["time-entries"]["results"][0]["minutes"] == 15


def test_client_users_cannot_read_time_entries(api, acme_world):
    response = api("acme_admin").get(url(acme_world[Ticket], "time-entries"))

    assert response.status_code == 403
    assert "detail" in response.json()


def test_filters_and_ordering(api, acme, acme_user, tech):
    first = factories.open_ticket(acme, by=acme_user, subject="first", impact=1, urgency=1)
    second = factories.open_ticket(acme, by=acme_user, subject="second")
    services.ticket_assign(ticket=second, assignee=tech, by=tech)
    client = api("tech")

    p1 = client.get("/api/v1/tickets/", {"priority": "P1"}).json()["results"]
    mine = client.get("/api/v1/tickets/", {"assignee": tech.pk}).json()["results"]
    by_number = client.get("/api/v1/tickets/", {"ordering": "number"}).json()["results"]
    since = client.get("/api/v1/tickets/", {"created_after": "2100-01-01T00:00:00Z"})

    assert [t["number"] for t in p1] == [first.number]
    assert [t["number"] for t in mine] == [second.number]
    assert [t["number"] for t in by_number] == [first.number, second.number]
    assert since.json()["results"] == []


def test_cursor_pagination_walks_every_ticket_once(api, acme, acme_user):
    numbers = {factories.open_ticket(acme, by=acme_user).number for _ in range(5)}
    client = api("tech")

    seen, page = [], client.get("/api/v1/tickets/", {"page_size": 2}).json()
    while True:
        seen += [t["number"] for t in page["results"]]
        if not page["next"]:
            break
        page = client.get(page["next"]).json()

    assert sorted(seen) == sorted(numbers)


# Writes go through the services


def test_staff_opens_a_ticket_through_the_service(api, acme, tech):
    factories.ContractFactory(client=acme)

    response = api("tech").post(
        "/api/v1/tickets/",
        {"client": acme.pk, "subject": "VPN down", "impact": 1, "urgency": 1, "assignee": tech.pk},
        format="json",
    )

    assert response.status_code == 201, response.json()
    ticket = Ticket.objects.get(number=response.json()["number"])
    assert ticket.source == Ticket.Source.API
    assert ticket.priority == "P1"
    assert ticket.contract is not None and ticket.sla_timers.exists()
    assert ticket.events.get().kind == TicketEvent.Kind.CREATED


def test_client_user_opens_a_ticket_for_their_own_company(api, acme, acme_user):
    response = api("acme_user").post("/api/v1/tickets/", {"subject": "Mouse"}, format="json")

    assert response.status_code == 201
    ticket = Ticket.objects.get(number=response.json()["number"])
    assert ticket.client == acme
    assert ticket.created_by == acme_user
    assert ticket.contact == acme_user.contact


def test_client_user_cannot_open_a_ticket_for_another_company(api, acme_user, globex):
    response = api("acme_user").post(
        "/api/v1/tickets/", {"client": globex.pk, "subject": "x"}, format="json"
    )

    assert response.status_code == 400
    assert "client" in response.json()["errors"]
    assert not Ticket.objects.exists()


def test_client_user_cannot_set_assignee_or_queue(api, acme_user, tech):
    response = api("acme_user").post(
        "/api/v1/tickets/", {"subject": "x", "assignee": tech.pk, "queue": 1}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"assignee", "queue"}


def test_staff_cannot_attach_another_clients_asset(api, acme, globex):
    globex_asset = factories.AssetFactory(client=globex)

    response = api("tech").post(
        "/api/v1/tickets/",
        {"client": acme.pk, "subject": "x", "asset": globex_asset.pk},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"asset": ["This asset belongs to another client."]}


def test_a_staff_reply_stamps_the_first_response_and_writes_the_timeline(api, acme, acme_user):
    ticket = factories.open_ticket(acme, by=acme_user)

    response = api("tech").post(url(ticket, "replies"), {"body": "On it"}, format="json")

    assert response.status_code == 201
    assert response.json()["kind"] == "reply"
    ticket.refresh_from_db()
    assert ticket.first_responded_at is not None
    assert ticket.status == Ticket.Status.OPEN
    assert ticket.events.filter(kind=TicketEvent.Kind.REPLY, body="On it").exists()


def test_a_client_reply_reopens_a_ticket_waiting_on_them(api, acme, acme_user, tech):
    ticket = factories.open_ticket(acme, by=acme_user)
    services.ticket_change_status(ticket=ticket, status="waiting_on_customer", by=tech)

    response = api("acme_user").post(url(ticket, "replies"), {"body": "Done"}, format="json")

    assert response.status_code == 201
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN


def test_replying_to_a_closed_ticket_is_a_conflict(api, acme, acme_user, tech):
    ticket = factories.open_ticket(acme, by=acme_user)
    services.ticket_change_status(ticket=ticket, status="closed", by=tech)
    events = ticket.events.count()

    response = api("acme_user").post(url(ticket, "replies"), {"body": "Hello?"}, format="json")

    assert response.status_code == 409
    assert ticket.reference in response.json()["detail"]
    assert ticket.events.count() == events


def test_an_empty_reply_is_a_field_error(api, acme_world):
    response = api("tech").post(url(acme_world[Ticket], "replies"), {"body": ""}, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["body"]


def test_notes_are_staff_only_and_private(api, acme_world):
    ticket = acme_world[Ticket]

    refused = api("acme_admin").post(url(ticket, "notes"), {"body": "psst"}, format="json")
    added = api("tech").post(url(ticket, "notes"), {"body": "psst"}, format="json")

    assert refused.status_code == 403
    assert added.status_code == 201
    assert added.json()["public"] is False


def test_time_is_logged_through_the_service(api, acme_world, tech):
    ticket = acme_world[Ticket]

    response = api("tech").post(
        url(ticket, "time-entries"), {"minutes": 30, "note": "cabling"}, format="json"
    )

    assert response.status_code == 201, response.json()
    entry = TimeEntry.objects.get(pk=response.json()["id"])
    assert (entry.minutes, entry.technician) == (30, tech)
    assert ticket.events.filter(kind=TicketEvent.Kind.TIME, data__time_entry=entry.pk).exists()


def test_patch_maps_each_change_to_its_service(api, acme, acme_user, tech):
    ticket = factories.open_ticket(acme, by=acme_user)

    response = api("tech").patch(
        url(ticket),
        {"subject": "New subject", "impact": 1, "urgency": 1, "assignee": tech.pk,
         "status": "in_progress", "reason": "starting"},
        format="json",
    )  # fmt: skip

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["subject"], body["priority"], body["assignee"], body["status"]) == (
        "New subject", "P1", tech.pk, "in_progress",
    )  # fmt: skip
    kinds = set(ticket.events.values_list("kind", flat=True))
    assert {"field", "priority", "assignment", "status"} <= kinds


def test_patch_is_all_or_nothing(api, acme, acme_user, globex):
    ticket = factories.open_ticket(acme, by=acme_user)
    outsider = factories.UserFactory(role="technician", sees_all_clients=False)
    outsider.allowed_clients.set([globex])

    response = api("tech").patch(
        url(ticket), {"subject": "Changed", "assignee": outsider.pk}, format="json"
    )

    assert response.status_code == 400
    assert "assignee" in response.json()["errors"]
    ticket.refresh_from_db()
    assert ticket.subject != "Changed"


def test_changing_a_closed_ticket_is_a_conflict(api, acme, acme_user, tech):
    ticket = factories.open_ticket(acme, by=acme_user)
    services.ticket_change_status(ticket=ticket, status="closed", by=tech)

    response = api("tech").patch(url(ticket), {"status": "open"}, format="json")

    assert response.status_code == 409


def test_client_users_cannot_patch_tickets(api, acme_world):
    response = api("acme_admin").patch(url(acme_world[Ticket]), {"status": "closed"}, format="json")

    assert response.status_code == 403
