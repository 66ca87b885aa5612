"""Canned responses: filling placeholders from a ticket, inserting one, and who may change them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories
from tickets.models import CannedResponse
from tickets.selectors import canned_fill

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact(acme):
    return factories.ContactFactory(client=acme, first_name="Jane", last_name="Roe")


@pytest.fixture
def ticket(acme, contact):
    return factories.open_ticket(acme, contact=contact, subject="VPN refuses my password")


@pytest.fixture
def shared():
    return CannedResponse.objects.create(title="Greeting", body="Hello {contact_first_name},")


def insert_url(ticket, canned):
    return reverse("tickets:canned_insert", kwargs={"number": ticket.number, "pk": canned.pk})


def test_every_placeholder_is_filled_from_the_ticket(ticket, tech):
    text = (
        "{contact_name}|{contact_first_name}|{ticket_reference}|{ticket_subject}|"
        "{client_name}|{technician_name}"
    )

    filled = canned_fill(text, ticket=ticket, technician=tech)

    assert filled == (
        f"Jane Roe|Jane|{ticket.reference}|VPN refuses my password|Acme Industries|Theo Tech"
    )


def test_unknown_placeholders_and_braces_stay_as_typed(ticket, tech):
    text = "Hi {contact_first_name}, {unknown} {{ticket_subject}} {0} {ticket_subject"

    filled = canned_fill(text, ticket=ticket, technician=tech)

    assert filled == "Hi Jane, {unknown} {VPN refuses my password} {0} {ticket_subject"


def test_template_syntax_is_never_run(ticket, tech):
    text = "{{ ticket.client.name }} {% now 'Y' %} {contact_name.__class__}"

    assert canned_fill(text, ticket=ticket, technician=tech) == text


def test_a_placeholder_the_ticket_cannot_fill_is_left_to_complete(acme, tech):
    ticket = factories.open_ticket(acme, subject="No requester")

    filled = canned_fill(
        "Dear {contact_name}, about {ticket_subject}", ticket=ticket, technician=tech
    )

    assert filled == "Dear {contact_name}, about No requester"


def test_inserting_with_htmx_returns_the_filled_field_after_what_was_typed(
    client, tech, ticket, shared
):
    client.force_login(tech)

    response = client.get(
        insert_url(ticket, shared), {"body": "Already typed"}, headers={"HX-Request": "true"}
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert body.strip().startswith('<div class="field" id="reply-body">')
    assert "Already typed\n\nHello Jane,</textarea>" in body
    assert "<html" not in body


def test_inserting_without_javascript_shows_the_page_with_the_text(client, tech, ticket, shared):
    client.force_login(tech)

    response = client.get(insert_url(ticket, shared))

    body = response.content.decode()
    assert "<html" in body and ">\nHello Jane,</textarea>" in body


def test_the_page_offers_own_and_shared_responses_only(client, tech, manager, ticket, shared):
    CannedResponse.objects.create(title="Mine", body="x", owner=tech)
    CannedResponse.objects.create(title="Max private", body="x", owner=manager)
    client.force_login(tech)

    body = client.get(ticket.get_absolute_url()).content.decode()

    assert insert_url(ticket, shared) in body and "Mine" in body
    assert "Max private" not in body


def test_someone_elses_private_response_cannot_be_inserted(client, tech, manager, ticket):
    private = CannedResponse.objects.create(title="Max only", body="secret", owner=manager)
    client.force_login(tech)

    assert client.get(insert_url(ticket, private)).status_code == 404


def test_filling_against_another_clients_ticket_answers_404(client, globex, ticket, shared):
    outsider = factories.UserFactory(role="technician", sees_all_clients=False)
    outsider.allowed_clients.set([globex])
    client.force_login(outsider)

    response = client.get(insert_url(ticket, shared), headers={"HX-Request": "true"})

    assert response.status_code == 404
    assert "Jane" not in response.content.decode()


def test_a_client_user_cannot_use_canned_responses(client, acme_user, ticket, shared):
    client.force_login(acme_user)

    assert client.get(insert_url(ticket, shared)).status_code == 404
    assert client.get(reverse("tickets:canned_list")).status_code == 404


# -- the management page -------------------------------------------------------------------


def test_a_technician_adds_a_response_of_their_own(client, tech):
    client.force_login(tech)

    response = client.post(
        reverse("tickets:canned_list"),
        {"title": "Reboot", "body": "Please reboot", "shared": "on"},  # not theirs to share
    )

    assert response.status_code == 302
    canned = CannedResponse.objects.get()
    assert (canned.title, canned.owner) == ("Reboot", tech)


def test_a_manager_can_share_a_response(client, manager):
    client.force_login(manager)

    client.post(reverse("tickets:canned_list"), {"title": "Hi", "body": "Hello", "shared": "on"})

    assert CannedResponse.objects.get().owner is None


def test_an_invalid_response_keeps_what_was_typed(client, tech, settings):
    settings.LANGUAGE_CODE = "en"
    client.force_login(tech)

    response = client.post(reverse("tickets:canned_list"), {"title": "", "body": "Long text"})

    body = response.content.decode()
    assert response.status_code == 200
    assert "Long text" in body and "This field is required." in body
    assert not CannedResponse.objects.exists()


def test_the_list_shows_own_and_shared_responses(client, tech, manager, shared):
    CannedResponse.objects.create(title="Mine", body="x", owner=tech)
    CannedResponse.objects.create(title="Max private", body="x", owner=manager)
    client.force_login(tech)

    body = client.get(reverse("tickets:canned_list")).content.decode()

    assert "Greeting" in body and "Mine" in body and "Max private" not in body


def test_the_owner_edits_and_deletes_their_response(client, tech):
    canned = CannedResponse.objects.create(title="Mine", body="x", owner=tech)
    client.force_login(tech)

    client.post(reverse("tickets:canned_edit", args=[canned.pk]), {"title": "Mine", "body": "y"})
    canned.refresh_from_db()
    assert canned.body == "y" and canned.owner == tech

    client.post(reverse("tickets:canned_delete", args=[canned.pk]))
    assert not CannedResponse.objects.exists()


def test_a_technician_cannot_change_a_shared_response(client, tech, shared):
    client.force_login(tech)

    edit = client.post(
        reverse("tickets:canned_edit", args=[shared.pk]), {"title": "t", "body": "b"}
    )
    delete = client.post(reverse("tickets:canned_delete", args=[shared.pk]))

    assert (edit.status_code, delete.status_code) == (403, 403)
    shared.refresh_from_db()
    assert shared.title == "Greeting"


def test_a_manager_edits_a_shared_response(client, manager, shared):
    client.force_login(manager)

    client.post(
        reverse("tickets:canned_edit", args=[shared.pk]),
        {"title": "Greeting", "body": "Hi {contact_name}", "shared": "on"},
    )

    shared.refresh_from_db()
    assert shared.body == "Hi {contact_name}" and shared.owner is None


def test_nobody_else_sees_or_changes_a_private_response(client, tech, manager):
    private = CannedResponse.objects.create(title="Max", body="x", owner=manager)
    client.force_login(tech)

    assert client.get(reverse("tickets:canned_edit", args=[private.pk])).status_code == 404
    assert client.post(reverse("tickets:canned_delete", args=[private.pk])).status_code == 404
    assert CannedResponse.objects.filter(pk=private.pk).exists()
