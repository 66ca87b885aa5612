"""Portal tickets: opening one, following it, confirming or reopening, always for one company."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tests.portal.conftest import text_file
from tickets import services
from tickets.models import Attachment, Category, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(acme, acme_user):
    return factories.open_ticket(acme, by=acme_user, subject="VPN drops every hour")


def resolved(ticket, tech, *, days_ago: float = 0):
    services.ticket_change_status(
        ticket=ticket,
        status=Ticket.Status.RESOLVED,
        by=tech,
        at=timezone.now() - dt.timedelta(days=days_ago),
    )
    ticket.refresh_from_db()
    return ticket


def new_ticket_data(**overrides):
    data = {
        "subject": "Printer jams",
        "description": "Paper jam on every page since this morning.",
        "impact": "3",
        "urgency": "2",
    }
    data.update(overrides)
    return data


# -- Opening a ticket ------------------------------------------------------------------------


def test_a_client_user_opens_a_ticket_with_files_and_a_derived_priority(
    client, acme, acme_user, django_capture_on_commit_callbacks
):
    asset = factories.AssetFactory(client=acme, name="PRN-01")
    colleague = factories.ContactFactory(client=acme, first_name="Chloe", last_name="Colleague")
    category = Category.objects.create(name="Printing", slug="printing")
    client.force_login(acme_user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("portal:ticket_new"),
            new_ticket_data(
                impact="2",
                urgency="1",
                asset=asset.pk,
                category=category.pk,
                cc_contacts=[colleague.pk],
                attachments=[text_file("one.txt"), text_file("two.txt")],
            ),
        )

    ticket = Ticket.objects.get(subject="Printer jams")
    assert response.status_code == 302
    assert response["Location"] == ticket.get_portal_url()
    assert (ticket.impact, ticket.urgency, ticket.priority) == (2, 1, "P2")
    assert ticket.source == Ticket.Source.PORTAL and ticket.created_by == acme_user
    assert ticket.asset == asset and ticket.category == category
    assert list(ticket.cc_contacts.all()) == [colleague]
    assert ticket.contact == acme_user.contact
    names = sorted(Attachment.objects.filter(ticket=ticket).values_list("original_name", flat=True))
    assert names == ["one.txt", "two.txt"]
    page = client.get(ticket.get_portal_url()).content.decode()
    assert "Chloe Colleague" in page and "one.txt" in page


def test_the_new_ticket_page_offers_only_the_companys_rows(client, acme, globex, acme_user):
    factories.AssetFactory(client=acme, name="ACME-PC-1")
    factories.AssetFactory(client=globex, name="GLOBEX-PC-1")
    factories.ContactFactory(client=globex, last_name="Globexian")
    Category.objects.create(name="Visible category", slug="visible")
    Category.objects.create(name="Staff category", slug="staff", client_visible=False)
    client.force_login(acme_user)

    body = client.get(reverse("portal:ticket_new")).content.decode()

    assert "ACME-PC-1" in body and "Visible category" in body
    assert "GLOBEX-PC-1" not in body and "Globexian" not in body and "Staff category" not in body
    assert "Just me" in body and "I cannot work" in body


@pytest.mark.parametrize("field", ["asset", "cc_contacts", "category"])
def test_another_companys_ids_are_rejected_with_the_typed_text_kept(
    client, globex, acme_user, field
):
    foreign = {
        "asset": lambda: factories.AssetFactory(client=globex, name="GLOBEX-SRV").pk,
        "cc_contacts": lambda: [factories.ContactFactory(client=globex).pk],
        "category": lambda: (
            Category.objects.create(name="Hidden", slug="hidden", client_visible=False).pk
        ),
    }[field]()
    client.force_login(acme_user)

    response = client.post(
        reverse("portal:ticket_new"), new_ticket_data(subject="Kept subject", **{field: foreign})
    )

    assert response.status_code == 200
    assert not Ticket.objects.exists()
    body = response.content.decode()
    assert "Kept subject" in body and "Paper jam on every page" in body
    assert "GLOBEX-SRV" not in body
    assert response.context["form"].errors[field]


def test_a_refused_attachment_opens_nothing(client, acme_user, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    client.force_login(acme_user)

    response = client.post(
        reverse("portal:ticket_new"),
        new_ticket_data(attachments=[text_file("big.txt", b"x" * 2048), text_file("ok.txt")]),
    )

    assert response.status_code == 200
    assert "too large" in response.content.decode()
    assert not Ticket.objects.exists() and not Attachment.objects.exists()


def test_too_many_attachments_are_refused(client, acme_user, settings):
    settings.ATTACHMENT_MAX_FILES = 1
    client.force_login(acme_user)

    response = client.post(
        reverse("portal:ticket_new"),
        new_ticket_data(attachments=[text_file("a.txt"), text_file("b.txt")]),
    )

    assert response.status_code == 200
    assert "at most 1 files" in response.content.decode()
    assert not Ticket.objects.exists()


def test_a_file_failing_at_storage_rolls_the_whole_ticket_back(acme, acme_user, monkeypatch):
    from tickets.services import client_actions

    calls = []

    def flaky(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise ValidationError("disk full")
        return real(**kwargs)

    real = client_actions.attachment_add
    monkeypatch.setattr(client_actions, "attachment_add", flaky)

    with pytest.raises(ValidationError):
        services.ticket_open_with_files(
            client=acme,
            subject="x",
            source="portal",
            created_by=acme_user,
            files=[text_file("a.txt"), text_file("b.txt")],
        )

    assert not Ticket.objects.exists() and not Attachment.objects.exists()


def test_the_priority_explanation_follows_the_answers(client, acme, acme_user):
    factories.ContractFactory(client=acme)
    client.force_login(acme_user)

    response = client.get(
        reverse("portal:priority_explain"), {"impact": "1", "urgency": "1"}, HTTP_HX_REQUEST="true"
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "P1" in body and "Critical" in body and "within 1 h" in body
    assert "<html" not in body


def test_a_follow_up_link_prefills_the_reference_of_a_visible_ticket_only(
    client, acme, acme_user, globex
):
    mine = factories.open_ticket(acme, by=acme_user, subject="Old VPN issue")
    theirs = factories.open_ticket(globex, subject="Globex secret")
    client.force_login(acme_user)

    body = client.get(reverse("portal:ticket_new"), {"related": mine.number}).content.decode()
    assert mine.reference in body and "Old VPN issue" in body
    body = client.get(reverse("portal:ticket_new"), {"related": theirs.number}).content.decode()
    assert "Globex secret" not in body


# -- Following a ticket -----------------------------------------------------------------------


def test_the_ticket_page_shows_status_priority_and_public_timeline_only(
    client, acme_user, tech, ticket
):
    services.ticket_reply(ticket=ticket, author=tech, body="Please update the VPN client.")
    services.ticket_add_note(ticket=ticket, author=tech, body="INTERNAL-ONLY remark")
    client.force_login(acme_user)

    body = client.get(ticket.get_portal_url()).content.decode()

    assert "Please update the VPN client." in body
    assert "INTERNAL-ONLY" not in body
    assert ticket.get_status_display() in body and ticket.get_priority_display() in body


def test_a_reply_with_a_file_is_saved_and_another_company_gets_404(
    client, acme_user, globex_user, ticket
):
    url = reverse("portal:reply", kwargs={"number": ticket.number})
    client.force_login(globex_user)
    assert client.post(url, {"body": "intruder"}).status_code == 404

    client.force_login(acme_user)
    response = client.post(url, {"body": "Logs attached", "attachments": [text_file()]})

    assert response.status_code == 302
    event = ticket.events.get(body="Logs attached")
    assert event.attachments.get().original_name == "error.txt"


def test_a_client_user_sees_tickets_they_are_copied_on_but_not_others(
    client, acme, acme_user, tech
):
    other = factories.ContactFactory(client=acme)
    copied = factories.open_ticket(
        acme, by=tech, contact=other, cc_contacts=[acme_user.contact], subject="Copied"
    )
    hidden = factories.open_ticket(acme, by=tech, contact=other, subject="Not mine")
    client.force_login(acme_user)

    assert client.get(copied.get_portal_url()).status_code == 200
    assert client.get(hidden.get_portal_url()).status_code == 404
    body = client.get(reverse("portal:ticket_list"), {"state": "all"}).content.decode()
    assert "Copied" in body and "Not mine" not in body


def test_the_list_searches_by_subject_and_number_and_admins_can_show_only_theirs(
    client, acme, acme_admin, acme_user
):
    own = factories.open_ticket(acme, by=acme_admin, subject="Admin own laptop")
    colleague = factories.open_ticket(acme, by=acme_user, subject="Colleague printer")
    client.force_login(acme_admin)
    url = reverse("portal:ticket_list")

    body = client.get(url, {"scope": "mine"}).content.decode()
    assert "Admin own laptop" in body and "Colleague printer" not in body
    body = client.get(url, {"scope": "all"}).content.decode()
    assert "Admin own laptop" in body and "Colleague printer" in body
    body = client.get(url, {"q": "printer"}).content.decode()
    assert "Colleague printer" in body and "Admin own laptop" not in body
    body = client.get(url, {"q": colleague.reference}).content.decode()
    assert "Colleague printer" in body and own.subject not in body


# -- Confirming and reopening ----------------------------------------------------------------


def test_confirming_a_resolution_closes_the_ticket(client, acme_user, tech, ticket):
    resolved(ticket, tech)
    client.force_login(acme_user)
    assert "Confirm the resolution" in client.get(ticket.get_portal_url()).content.decode()

    response = client.post(reverse("portal:ticket_confirm", kwargs={"number": ticket.number}))

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED and ticket.closed_at is not None
    assert ticket.events.filter(kind="status", data__to="closed", author=acme_user).exists()


def test_an_open_ticket_cannot_be_confirmed(client, acme_user, ticket):
    client.force_login(acme_user)
    assert "Confirm the resolution" not in client.get(ticket.get_portal_url()).content.decode()

    response = client.post(
        reverse("portal:ticket_confirm", kwargs={"number": ticket.number}), follow=True
    )

    assert "Only a resolved ticket" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW


def test_another_company_cannot_confirm_or_reopen(client, globex_user, tech, ticket):
    resolved(ticket, tech)
    client.force_login(globex_user)

    for name in ("portal:ticket_confirm", "portal:ticket_reopen"):
        response = client.post(reverse(name, kwargs={"number": ticket.number}), {"reason": "x"})
        assert response.status_code == 404
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED


def test_a_colleague_cannot_confirm_a_ticket_they_do_not_see(client, acme, tech, ticket):
    other = factories.portal_user(acme, email="other@acme.test")
    resolved(ticket, tech)
    client.force_login(other)

    response = client.post(reverse("portal:ticket_confirm", kwargs={"number": ticket.number}))

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("days_ago", "allowed"),
    [(3, True), (7, True), (7.01, False), (30, False)],
    ids=["inside", "at-the-edge", "just-after", "long-after"],
)
def test_reopening_is_allowed_within_the_window_of_days(
    client, settings, acme_user, tech, ticket, days_ago, allowed
):
    settings.PORTAL_REOPEN_DAYS = 7
    resolved(ticket, tech)
    # Move the resolution back in time: at the edge, allow a few seconds for the request.
    at = timezone.now() - dt.timedelta(days=days_ago) + dt.timedelta(seconds=30 if allowed else 0)
    Ticket.objects.filter(pk=ticket.pk).update(resolved_at=at)
    client.force_login(acme_user)

    page = client.get(ticket.get_portal_url()).content.decode()
    response = client.post(
        reverse("portal:ticket_reopen", kwargs={"number": ticket.number}),
        {"reason": "Still dropping"},
        follow=True,
    )

    ticket.refresh_from_db()
    if allowed:
        assert 'id="reopen"' in page and "Reopen" in page
        assert "open again" in response.content.decode()
        assert ticket.status == Ticket.Status.OPEN and ticket.resolved_at is None
        assert ticket.events.filter(kind="status", body="Still dropping").exists()
    else:
        assert "can no longer be reopened" in page
        assert f"?related={ticket.number}" in page
        assert "can no longer be reopened" in response.content.decode()
        assert ticket.status == Ticket.Status.RESOLVED


def test_a_closed_ticket_can_be_reopened_within_the_window(client, acme_user, tech, ticket):
    resolved(ticket, tech)
    services.ticket_confirm_resolution(ticket=ticket, by=acme_user)
    client.force_login(acme_user)

    response = client.post(
        reverse("portal:ticket_reopen", kwargs={"number": ticket.number}),
        {"reason": "It is back"},
    )

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert ticket.closed_at is None and ticket.resolved_at is None


def test_reopening_needs_a_reason_and_an_open_ticket_cannot_be_reopened(
    client, acme_user, tech, ticket
):
    client.force_login(acme_user)
    url = reverse("portal:ticket_reopen", kwargs={"number": ticket.number})

    response = client.post(url, {"reason": "x"}, follow=True)
    assert "can no longer be reopened" in response.content.decode()

    resolved(ticket, tech)
    response = client.post(url, {"reason": "  "})
    assert response.status_code == 200
    assert response.context["reopen_form"].errors["reason"]
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED


def test_staff_cannot_use_the_client_actions(acme, tech, ticket):
    resolved(ticket, tech)

    with pytest.raises(ValidationError):
        services.ticket_confirm_resolution(ticket=ticket, by=tech)
    with pytest.raises(ValidationError):
        services.ticket_reopen(ticket=ticket, by=tech, reason="x", days=7)
