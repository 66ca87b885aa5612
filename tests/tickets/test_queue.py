"""The technician's queue: urgency order from stored SLA fields, filters, search, keyset pages,
saved views and bulk actions, with a bounded number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from msp_portal.core.models import AuditEntry
from tests import factories
from tickets import queue_views, services
from tickets.models import Category, Queue, SavedView, SlaRank, SlaTimer, Ticket, TicketEvent
from tickets.queue import keyset_filter

pytestmark = pytest.mark.django_db

LIST = reverse("tickets:list")


@pytest.fixture
def contract(acme):
    return factories.ContractFactory(client=acme, start_date=dt.date(2025, 1, 1))


def rows(response) -> list[int]:
    """Ticket numbers of the queue's rows, in page order."""
    import re

    return [int(n) for n in re.findall(r'data-ticket="(\d+)"', response.content.decode())]


def place(ticket, rank, due=None):
    """Put a ticket at a given SLA standing (the stored fields the queue reads)."""
    Ticket.objects.filter(pk=ticket.pk).update(sla_rank=rank, sla_due_at=due)


# --- the stored SLA summary ------------------------------------------------------------------


def test_the_stored_rank_follows_the_timers_through_the_sweep(acme, acme_user, contract):
    ticket = factories.open_ticket(acme, by=acme_user)
    ticket.refresh_from_db()
    timer = SlaTimer.objects.get(ticket=ticket, kind="first_response")
    assert ticket.sla_rank == SlaRank.RUNNING
    assert ticket.sla_due_at == min(
        SlaTimer.objects.filter(ticket=ticket, state="running").values_list("due_at", flat=True)
    )

    services.sla_sweep(now=timer.warning_at + dt.timedelta(seconds=1))
    ticket.refresh_from_db()
    assert ticket.sla_rank == SlaRank.AT_RISK

    services.sla_sweep(now=timer.due_at + dt.timedelta(seconds=1))
    ticket.refresh_from_db()
    assert ticket.sla_rank == SlaRank.BREACHED


def test_a_ticket_without_sla_has_no_running_clock(acme, acme_user):
    ticket = factories.open_ticket(acme, by=acme_user)  # no contract: no SLA rules
    ticket.refresh_from_db()
    assert (ticket.sla_rank, ticket.sla_due_at) == (SlaRank.NONE, None)


def test_waiting_on_the_customer_pauses_the_resolution_clock(acme, acme_user, tech, contract):
    ticket = factories.open_ticket(acme, by=acme_user)
    services.ticket_reply(ticket=ticket, author=tech, body="Could you restart it?")
    services.ticket_change_status(ticket=ticket, status="waiting_on_customer", by=tech)
    ticket.refresh_from_db()
    assert (ticket.sla_rank, ticket.sla_due_at) == (SlaRank.PAUSED, None)


# --- order and pages -------------------------------------------------------------------------


def test_the_queue_shows_breached_then_at_risk_then_by_due_time(client, tech, acme, acme_user):
    now = timezone.now()
    later = factories.open_ticket(acme, by=acme_user, subject="later")
    soon = factories.open_ticket(acme, by=acme_user, subject="soon")
    risky = factories.open_ticket(acme, by=acme_user, subject="risky")
    late = factories.open_ticket(acme, by=acme_user, subject="late")
    paused = factories.open_ticket(acme, by=acme_user, subject="paused")
    place(later, SlaRank.RUNNING, now + dt.timedelta(hours=5))
    place(soon, SlaRank.RUNNING, now + dt.timedelta(hours=1))
    place(risky, SlaRank.AT_RISK, now + dt.timedelta(hours=9))
    place(late, SlaRank.BREACHED, now - dt.timedelta(hours=1))
    place(paused, SlaRank.PAUSED)
    client.force_login(tech)

    response = client.get(LIST)

    assert rows(response) == [t.number for t in (late, risky, soon, later, paused)]


def test_keyset_pages_walk_every_ticket_once_both_ways(client, tech, acme, acme_user, monkeypatch):
    monkeypatch.setattr(queue_views, "PAGE_SIZE", 3)
    now = timezone.now()
    tickets = [factories.open_ticket(acme, by=acme_user, subject=f"t{i}") for i in range(8)]
    for i, ticket in enumerate(tickets):  # ties on the due instant, and NULLs, on purpose
        place(ticket, SlaRank.RUNNING if i < 5 else SlaRank.NONE,
              now + dt.timedelta(hours=i // 2) if i < 5 else None)  # fmt: skip
    client.force_login(tech)
    expected = rows(client.get(LIST, {"status": "all", "sort": "urgent"}))  # noqa: F841
    seen, pages, params = [], [], {"sort": "urgent"}
    while True:
        response = client.get(LIST, params)
        pages.append(rows(response))
        seen += pages[-1]
        cursor = response.context["page"].next_cursor
        if not cursor:
            break
        params = {"sort": "urgent", "after": cursor}
    assert sorted(seen) == sorted(t.number for t in tickets)
    assert len(seen) == len(set(seen)) == 8
    assert [len(p) for p in pages] == [3, 3, 2]

    # And back: "before" the first row of the last page gives the middle page again.
    first_of_last = client.get(LIST, params).context["page"].previous_cursor
    back = client.get(LIST, {"sort": "urgent", "before": first_of_last})
    assert rows(back) == pages[1]


def test_a_tampered_cursor_shows_the_first_page(client, tech, acme, acme_user):
    ticket = factories.open_ticket(acme, by=acme_user)
    client.force_login(tech)

    for cursor in ("garbage", "W10", "WyJ4Il0", "WzEsIDIsIDNd", "eyJhIjogMX0"):
        response = client.get(LIST, {"after": cursor})
        assert response.status_code == 200
        assert rows(response) == [ticket.number]


def test_keyset_filter_handles_nulls_at_the_end():
    from tickets.queue import ORDERS

    keys = ORDERS["urgent"]
    condition = str(keyset_filter(keys, [2, None, 10]))
    assert "sla_due_at__isnull" in condition and "pk__gt" in condition


# --- filters and search ----------------------------------------------------------------------


def test_filters_combine(client, tech, manager, acme, globex, acme_user):
    network = Queue.objects.create(name="Network", slug="network")
    backup = Category.objects.create(name="Backup", slug="backup")
    wanted = factories.open_ticket(
        acme, by=acme_user, subject="wanted", queue=network, category=backup, source="email"
    )
    services.ticket_assign(ticket=wanted, assignee=tech, by=tech)
    factories.open_ticket(acme, by=acme_user, subject="other queue", category=backup)
    factories.open_ticket(globex, subject="other client", queue=network, category=backup)
    client.force_login(tech)

    params = {"queue": network.pk, "category": backup.pk, "source": "email", "client": acme.slug,
              "assignee": "me"}  # fmt: skip
    assert rows(client.get(LIST, params)) == [wanted.number]
    assert rows(client.get(LIST, {**params, "assignee": "unassigned"})) == []
    assert rows(client.get(LIST, {**params, "assignee": str(tech.pk)})) == [wanted.number]
    client.force_login(manager)
    assert rows(client.get(LIST, {**params, "assignee": "me"})) == []


def test_the_created_range_is_read_in_the_users_time_zone(client, tech, acme, acme_user):
    old = factories.open_ticket(acme, by=acme_user, at=timezone.now() - dt.timedelta(days=10))
    new = factories.open_ticket(acme, by=acme_user)
    client.force_login(tech)
    today = timezone.localdate()

    recent = rows(client.get(LIST, {"created_from": today - dt.timedelta(days=1)}))
    older = rows(client.get(LIST, {"created_to": today - dt.timedelta(days=5)}))

    assert recent == [new.number] and older == [old.number]


def test_a_backwards_range_and_an_unknown_client_say_what_to_fix(client, tech, settings):
    settings.LANGUAGE_CODE = "en"
    client.force_login(tech)

    response = client.get(
        LIST, {"created_from": "2026-05-10", "created_to": "2026-05-01", "client": "nope"}
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "The end of the range is before its start." in body
    assert "No client with the short name “nope”" in body
    assert 'value="nope"' in body  # what was typed stays in the box


def test_sla_filters_read_the_stored_rank(client, tech, acme, acme_user):
    now = timezone.now()
    late = factories.open_ticket(acme, by=acme_user, subject="late")
    risky = factories.open_ticket(acme, by=acme_user, subject="risky")
    calm = factories.open_ticket(acme, by=acme_user, subject="calm")
    place(late, SlaRank.BREACHED, now - dt.timedelta(minutes=5))
    place(risky, SlaRank.AT_RISK, now + dt.timedelta(minutes=90))
    place(calm, SlaRank.RUNNING, now + dt.timedelta(hours=30))
    client.force_login(tech)

    assert rows(client.get(LIST, {"sla": "breached"})) == [late.number]
    assert rows(client.get(LIST, {"sla": "at_risk"})) == [risky.number]
    assert rows(client.get(LIST, {"due_within": 2})) == [late.number, risky.number]


def test_search_finds_number_subject_description_and_messages(client, tech, acme, acme_user):
    by_subject = factories.open_ticket(acme, by=acme_user, subject="Imprimante bloquée")
    by_text = factories.open_ticket(acme, by=acme_user, description="srv-db-042 ne répond plus")
    by_reply = factories.open_ticket(acme, by=acme_user, subject="Slow")
    services.ticket_reply(ticket=by_reply, author=tech, body="The firmware fixes the switch")
    by_note = factories.open_ticket(acme, by=acme_user, subject="Quiet")
    services.ticket_add_note(ticket=by_note, author=tech, body="Vendor case 88231 opened")
    client.force_login(tech)

    assert rows(client.get(LIST, {"q": "imprimante"})) == [by_subject.number]
    assert rows(client.get(LIST, {"q": "srv-db-042"})) == [by_text.number]
    assert rows(client.get(LIST, {"q": "firmware"})) == [by_reply.number]
    assert rows(client.get(LIST, {"q": "88231"})) == [by_note.number]
    assert rows(client.get(LIST, {"q": by_text.reference})) == [by_text.number]
    assert rows(client.get(LIST, {"q": "nothing-like-this"})) == []


def test_search_follows_the_ticket_as_its_words_change(client, tech, acme, acme_user):
    """On PostgreSQL the words live in a stored document kept by triggers: every way the
    subject or a message changes must show in the search at once."""
    ticket = factories.open_ticket(acme, by=acme_user, subject="Zephyr printer")
    reply = services.ticket_reply(ticket=ticket, author=tech, body="Replaced the quokka toner")
    services.ticket_add_note(ticket=ticket, author=tech, body="Ask about the wombat tray")
    other = factories.open_ticket(acme, by=acme_user, subject="Other")
    client.force_login(tech)

    def found(word):
        return rows(client.get(LIST, {"q": word, "status": "all"}))

    assert found("quokka") == found("wombat") == [ticket.number]

    services.ticket_update(ticket=ticket, by=tech, subject="Xylophone printer")
    assert found("zephyr") == [] and found("xylophone") == [ticket.number]
    assert found("quokka") == [ticket.number]  # the messages stay in the document

    TicketEvent.objects.filter(pk=reply.pk).update(body="Replaced the toner")
    assert found("quokka") == []

    TicketEvent.objects.filter(ticket=ticket, body__contains="wombat").update(ticket=other)
    assert found("wombat") == [other.number]

    TicketEvent.objects.filter(body__contains="wombat").delete()
    assert found("wombat") == []


def test_search_never_reaches_tickets_the_user_may_not_see(client, acme, globex, acme_user):
    factories.open_ticket(acme, by=acme_user, subject="ACME-SECRET outage")
    globex_tech = factories.UserFactory(role="technician", sees_all_clients=False)
    globex_tech.allowed_clients.set([globex])
    client.force_login(globex_tech)

    response = client.get(LIST, {"q": "ACME-SECRET", "status": "all"})

    assert rows(response) == []
    assert "ACME-SECRET outage" not in response.content.decode()


def test_client_options_offer_only_the_clients_one_may_see(client, acme, globex):
    globex_tech = factories.UserFactory(role="technician", sees_all_clients=False)
    globex_tech.allowed_clients.set([globex])
    client.force_login(globex_tech)

    body = client.get(reverse("tickets:client_options"), {"client": "a"}).content.decode()

    assert globex.slug in body and acme.slug not in body


def test_the_rows_partial_and_the_query_count_stay_flat(
    client, tech, acme, acme_user, django_assert_max_num_queries
):
    for i in range(3):
        factories.open_ticket(acme, by=acme_user, subject=f"load {i}")
    client.force_login(tech)
    with django_assert_max_num_queries(14) as few:
        client.get(LIST, {"q": "load"})
    for i in range(30):
        factories.open_ticket(acme, by=acme_user, subject=f"load {i}")
    Ticket.objects.filter(subject__in=["load 1", "load 2"]).update(assignee=tech)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(LIST, {"q": "load"})
    assert len(rows(response)) == 33

    partial = client.get(LIST, headers={"HX-Request": "true"})
    assert 'id="results"' in partial.content.decode() and "<html" not in partial.content.decode()


def test_rows_show_business_time_left_or_late(client, tech, acme, acme_user, contract, settings):
    settings.LANGUAGE_CODE = "en"
    ticket = factories.open_ticket(acme, by=acme_user)
    client.force_login(tech)
    assert " left" in client.get(LIST).content.decode()

    place(ticket, SlaRank.BREACHED, timezone.now() - dt.timedelta(days=3))
    assert "late " in client.get(LIST).content.decode()


# --- saved views -----------------------------------------------------------------------------


def test_a_saved_view_keeps_the_filters_and_can_be_shared(client, tech, manager, settings):
    settings.LANGUAGE_CODE = "en"
    client.force_login(tech)

    response = client.post(
        reverse("tickets:view_create"),
        {"name": "Network P1", "query": "priority=P1&queue=2&after=abc", "shared": "on"},
    )

    view = SavedView.objects.get(owner=tech)
    assert view.query == "priority=P1&queue=2" and view.shared
    assert response["Location"] == f"{LIST}?priority=P1&queue=2"
    client.force_login(manager)
    assert "Network P1" in client.get(LIST).content.decode()


def test_a_view_name_is_unique_per_person(client, tech, settings):
    settings.LANGUAGE_CODE = "en"
    SavedView.objects.create(owner=tech, name="Mine", query="assignee=me")
    client.force_login(tech)

    response = client.post(
        reverse("tickets:view_create"), {"name": "Mine", "query": ""}, follow=True
    )

    assert "You already have a view with this name." in response.content.decode()
    assert SavedView.objects.filter(owner=tech).count() == 1


def test_only_the_owner_or_a_manager_deletes_a_shared_view(client, tech, manager):
    other = factories.UserFactory(role="technician")
    private = SavedView.objects.create(owner=other, name="Private", query="")
    shared = SavedView.objects.create(owner=other, name="Team", query="", shared=True)
    client.force_login(tech)
    assert client.post(reverse("tickets:view_delete", args=[private.pk])).status_code == 404
    assert client.post(reverse("tickets:view_delete", args=[shared.pk])).status_code == 404
    client.force_login(manager)
    assert client.post(reverse("tickets:view_delete", args=[private.pk])).status_code == 404
    assert client.post(reverse("tickets:view_delete", args=[shared.pk])).status_code == 302
    assert list(SavedView.objects.values_list("name", flat=True)) == ["Private"]


# --- bulk actions ----------------------------------------------------------------------------


def bulk(client, tickets, action, **data):
    return client.post(
        reverse("tickets:bulk"), {"tickets": [t.number for t in tickets], "action": action, **data}
    )


def test_bulk_assign_status_and_priority_go_through_the_services(client, tech, acme, acme_user):
    a = factories.open_ticket(acme, by=acme_user, subject="a")
    b = factories.open_ticket(acme, by=acme_user, subject="b")
    client.force_login(tech)

    assert bulk(client, [a, b], "assign", assignee="me").status_code == 302
    assert bulk(client, [a, b], "priority", priority="P1").status_code == 302
    assert bulk(client, [a], "status", status="in_progress").status_code == 302

    a.refresh_from_db()
    b.refresh_from_db()
    assert a.assignee == b.assignee == tech
    assert a.priority == b.priority == "P1" and (a.impact, a.urgency) == (1, 1)
    assert a.status == "in_progress" and b.status != "in_progress"
    kinds = set(TicketEvent.objects.filter(ticket=a).values_list("kind", flat=True))
    assert {"assignment", "priority", "status"} <= kinds


def test_a_bulk_action_missing_its_value_says_so(client, tech, acme, acme_user, settings):
    settings.LANGUAGE_CODE = "en"
    a = factories.open_ticket(acme, by=acme_user)
    client.force_login(tech)

    response = client.post(
        reverse("tickets:bulk"), {"tickets": [a.number], "action": "status"}, follow=True
    )

    assert "Choose the new status." in response.content.decode()


def test_merging_closes_the_duplicates_into_the_oldest(client, tech, acme, acme_user):
    first = factories.open_ticket(acme, by=acme_user, subject="Mail down")
    other_contact = factories.ContactFactory(client=acme)
    dup = factories.open_ticket(acme, by=acme_user, subject="No e-mail", contact=other_contact)
    client.force_login(tech)

    response = bulk(client, [dup, first], "merge")

    assert response["Location"] == first.get_absolute_url()
    dup.refresh_from_db()
    first.refresh_from_db()
    assert dup.status == "closed" and dup.merged_into == first
    assert first.is_open and other_contact in first.cc_contacts.all()
    assert TicketEvent.objects.filter(
        ticket=first, kind="note", body__contains="No e-mail"
    ).exists()
    assert AuditEntry.objects.filter(action="ticket.merged", client_id=acme.pk).exists()


def test_tickets_of_two_clients_are_never_merged(client, tech, acme, globex, acme_user):
    a = factories.open_ticket(acme, by=acme_user)
    g = factories.open_ticket(globex)
    client.force_login(tech)

    bulk(client, [a, g], "merge")

    a.refresh_from_db()
    g.refresh_from_db()
    assert a.is_open and g.is_open and a.merged_into is None and g.merged_into is None


def test_bulk_refuses_a_ticket_the_user_may_not_see(client, acme, globex, acme_user):
    a = factories.open_ticket(acme, by=acme_user)
    g = factories.open_ticket(globex)
    globex_tech = factories.UserFactory(role="technician", sees_all_clients=False)
    globex_tech.allowed_clients.set([globex])
    client.force_login(globex_tech)

    bulk(client, [a, g], "status", status="in_progress")

    a.refresh_from_db()
    g.refresh_from_db()
    assert a.status != "in_progress" and g.status != "in_progress"


def test_a_client_user_cannot_use_the_queue(client, acme_user, acme):
    client.force_login(acme_user)
    assert client.get(LIST).status_code == 404
    assert client.get(reverse("tickets:client_options")).status_code == 404
    assert client.post(reverse("tickets:view_create"), {"name": "x"}).status_code == 404
