"""Personal data requests (RGPD/GDPR): a person's data is exported on request and erased by
pseudonymisation, keeping the tickets and the figures, with an audit trail."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from clients.models import Contact
from msp_portal.accounts.models import ApiToken, User
from msp_portal.core.models import AuditEntry, OutboxEvent
from msp_portal.core.privacy import ERASED_DOMAIN, person_erase, person_export
from tests import factories
from tests.conftest import MARKER
from tickets import services
from tickets.models import SlaEscalation, SlaTimer, Ticket, TicketEvent, TimeEntry

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Pseudonyms are written in the language active at erasure; these tests read English."""
    from django.utils import translation

    with translation.override("en"):
        yield


GLOBEX_MARKER = "GLOBEX-SECRET"


def dumped(data) -> str:
    from django.core.serializers.json import DjangoJSONEncoder

    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)


@pytest.fixture
def person(acme_world, acme, tech):
    """An Acme contact who requested one ticket, is copied on another, wrote a message, and
    was named as requester by a field change; plus Globex rows that must never leak."""
    contact = acme_world[Contact]
    contact.phone, contact.mobile, contact.job_title = "+33 1 23 45 67 89", "0600", "CFO"
    contact.notes = "Prefers calls"
    contact.save()
    requested = factories.open_ticket(acme, by=tech, contact=contact, subject="VPN down")
    services.ticket_reply(ticket=requested, body="My own words", author_contact=contact)
    services.ticket_reply(ticket=requested, body="Tech words", author=tech)
    copied = factories.open_ticket(acme, by=tech, subject="Printer", cc_contacts=[contact])
    renamed = factories.open_ticket(acme, by=tech, subject="Laptop")
    services.ticket_update(ticket=renamed, by=tech, contact=contact)
    return {
        "contact": contact,
        "name": contact.full_name,
        "email": contact.email,
        "requested": requested,
        "copied": copied,
        "renamed": renamed,
    }


@pytest.fixture
def globex_world(globex, tech):
    contact = factories.ContactFactory(client=globex, last_name=f"{GLOBEX_MARKER} contact")
    ticket = factories.open_ticket(globex, by=tech, contact=contact, subject=GLOBEX_MARKER)
    services.ticket_reply(ticket=ticket, body=GLOBEX_MARKER, author_contact=contact)
    return {"contact": contact, "ticket": ticket}


def figures() -> dict:
    return {
        "tickets": Ticket.objects.count(),
        "events": TicketEvent.objects.count(),
        "minutes": sorted(TimeEntry.objects.values_list("minutes", flat=True)),
        "timers": sorted(
            SlaTimer.objects.values_list("ticket_id", "kind", "due_at", "state", "breached")
        ),
    }


# -- Export -------------------------------------------------------------------------------------


def test_a_contact_export_holds_their_data_and_nothing_of_another_client(
    person, globex_world, admin_user
):
    data = person_export(contact=person["contact"], by=admin_user)

    assert data["contact"]["email"] == person["email"]
    assert data["contact"]["phone"] == "+33 1 23 45 67 89"
    refs = {t["reference"]: t for t in data["tickets"]}
    assert refs[person["requested"].reference]["roles"] == ["requester"]
    assert refs[person["copied"].reference]["roles"] == ["copied"]
    messages = [m["text"] for m in refs[person["requested"].reference]["messages"]]
    assert messages == ["My own words"]
    text = dumped(data)
    assert GLOBEX_MARKER not in text
    assert "Globex" not in text
    assert "Tech words" not in text  # other people's messages are theirs, not this person's
    assert f"{MARKER} reply" not in text


def test_the_export_is_audited_without_the_data(person, admin_user):
    person_export(contact=person["contact"], by=admin_user)

    entry = AuditEntry.objects.get(action="person.exported")
    assert entry.actor == admin_user
    assert entry.client_id == person["contact"].client_id
    assert entry.object_id == str(person["contact"].pk)
    assert person["email"] not in dumped(entry.data)


def test_a_portal_user_export_includes_their_login_contact_and_tickets(
    acme_world, acme_user, admin_user, globex_world
):
    ApiToken.objects.create(user=acme_user, name="script", prefix="abcd1234", key_hash="x" * 64)

    data = person_export(user=acme_user, by=admin_user)

    assert data["user"]["email"] == acme_user.email
    assert data["user"]["api_tokens"][0]["prefix"] == "abcd1234"
    assert data["contact"]["id"] == acme_user.contact.pk
    ticket = acme_world[Ticket]
    exported = {t["reference"]: t for t in data["tickets"]}
    assert set(exported[ticket.reference]["roles"]) == {"requester", "opened"}
    assert data["time_entries"] == []
    assert GLOBEX_MARKER not in dumped(data)


def test_a_technician_export_includes_their_time_and_replies(acme_world, tech, admin_user):
    data = person_export(user=tech, by=admin_user)

    assert [e["minutes"] for e in data["time_entries"]] == [15]
    assert f"{MARKER} reply" in [m["text"] for m in data["other_messages"]]
    assert data["contact"] is None


@pytest.mark.parametrize("who", ["manager", "tech", "acme_admin", "acme_user"])
def test_only_an_msp_admin_may_export_or_erase(person, request, who):
    by = request.getfixturevalue(who)

    with pytest.raises(PermissionDenied):
        person_export(contact=person["contact"], by=by)
    with pytest.raises(PermissionDenied):
        person_erase(contact=person["contact"], by=by, reason="asked")

    person["contact"].refresh_from_db()
    assert person["contact"].email == person["email"]
    assert not AuditEntry.objects.filter(action__startswith="person.").exists()


# -- Erasure ------------------------------------------------------------------------------------


def test_erasing_a_contact_pseudonymises_them_and_keeps_tickets_and_figures(
    person, globex_world, admin_user
):
    contact = person["contact"]
    before = figures()

    assert person_erase(contact=contact, by=admin_user, reason="Request 2026-11-23 #42")

    contact.refresh_from_db()
    assert contact.full_name == f"Former contact #{contact.pk}"
    assert contact.email == f"erased-contact-{contact.pk}@{ERASED_DOMAIN}"
    assert (contact.phone, contact.mobile, contact.job_title, contact.notes) == ("", "", "", "")
    assert not contact.is_active
    assert figures() == before
    requested = Ticket.objects.get(pk=person["requested"].pk)
    assert requested.contact_id == contact.pk
    assert list(Ticket.objects.filter(cc_contacts=contact)) == [person["copied"]]
    message = TicketEvent.objects.get(body="My own words")
    assert message.author_name == f"Former contact #{contact.pk}"
    globex_contact = Contact.objects.get(pk=globex_world["contact"].pk)
    assert GLOBEX_MARKER in globex_contact.last_name


def test_erasure_scrubs_copies_of_the_name_in_history_and_outbox(person, admin_user):
    old_name, old_email = person["name"], person["email"]
    field_event = TicketEvent.objects.get(ticket=person["renamed"], kind="field")
    assert field_event.data["to"] == old_name
    assert OutboxEvent.objects.filter(payload__icontains=old_name).exists()

    person_erase(contact=person["contact"], by=admin_user, reason="asked")

    field_event.refresh_from_db()
    assert field_event.data == {
        "field": "contact",
        "from": "",
        "to": f"Former contact #{person['contact'].pk}",
    }
    for column, model in (("data", TicketEvent), ("payload", OutboxEvent)):
        for old in (old_name, old_email):
            assert not model.objects.filter(**{f"{column}__icontains": old}).exists()


def test_erasure_scrubs_names_with_accents_too(acme, tech, admin_user):
    contact = factories.ContactFactory(client=acme, first_name="Zoë", last_name="Lefèvre")
    ticket = factories.open_ticket(acme, by=tech, subject="Badge")
    services.ticket_update(ticket=ticket, by=tech, contact=contact)

    person_erase(contact=contact, by=admin_user, reason="asked")

    event = TicketEvent.objects.get(ticket=ticket, kind="field")
    assert event.data["to"] == f"Former contact #{contact.pk}"


def test_erasure_is_audited_with_who_and_why_but_not_the_erased_data(person, admin_user):
    person_erase(contact=person["contact"], by=admin_user, reason="Ticket RGPD-7")

    entry = AuditEntry.objects.get(action="person.erased")
    assert entry.actor == admin_user
    assert entry.at is not None
    assert entry.client_id == person["contact"].client_id
    assert entry.data["reason"] == "Ticket RGPD-7"
    assert entry.data["contact"] == person["contact"].pk
    text = dumped(entry.data)
    assert person["email"] not in text and person["name"] not in text


def test_erasure_is_idempotent(person, admin_user):
    assert person_erase(contact=person["contact"], by=admin_user, reason="asked")
    person["contact"].refresh_from_db()
    snapshot = Contact.objects.filter(pk=person["contact"].pk).values().get()

    assert not person_erase(contact=person["contact"], by=admin_user, reason="asked again")

    assert Contact.objects.filter(pk=person["contact"].pk).values().get() == snapshot
    assert AuditEntry.objects.filter(action="person.erased").count() == 1


def test_erasure_needs_a_reason(person, admin_user):
    with pytest.raises(ValueError):
        person_erase(contact=person["contact"], by=admin_user, reason="  ")

    person["contact"].refresh_from_db()
    assert person["contact"].email == person["email"]


def test_erasing_a_portal_user_disables_the_login_and_ends_sessions(
    client, acme_world, acme_user, admin_user
):
    token = ApiToken.objects.create(user=acme_user, name="s", prefix="p1", key_hash="y" * 64)
    TOTPDevice.objects.create(user=acme_user, name="authenticator", confirmed=True)
    client.force_login(acme_user)
    old_email = acme_user.email
    before = figures()

    person_erase(user=acme_user, by=admin_user, reason="Left the company")

    acme_user.refresh_from_db()
    assert acme_user.full_name == f"Former user #{acme_user.pk}"
    assert acme_user.email == f"erased-user-{acme_user.pk}@{ERASED_DOMAIN}"
    assert not acme_user.is_active
    assert not acme_user.has_usable_password()
    assert acme_user.contact.email.endswith(ERASED_DOMAIN)  # the same person, both rows
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert SESSION_KEY not in client.session
    assert not TOTPDevice.objects.filter(user=acme_user).exists()
    assert figures() == before
    assert not User.objects.filter(email=old_email).exists()
    assert Ticket.objects.get(pk=acme_world[Ticket].pk).created_by_id == acme_user.pk


def test_erasing_a_technician_keeps_their_time_and_scrubs_assignment_names(
    acme_world, acme, tech, manager, admin_user
):
    ticket = acme_world[Ticket]
    services.ticket_assign(ticket=ticket, assignee=tech, by=manager)
    escalation = acme_world[SlaEscalation]
    SlaEscalation.objects.filter(pk=escalation.pk).update(
        recipients=[{"email": tech.email, "language": "en"}, {"email": "boss@msp.test"}]
    )
    old_name, old_email = tech.full_name, tech.email
    before = figures()

    person_erase(user=tech, by=admin_user, reason="GDPR request")

    tech.refresh_from_db()
    assert figures() == before
    assert TimeEntry.objects.filter(technician=tech).count() == 1
    assignment = TicketEvent.objects.get(ticket=ticket, kind="assignment")
    assert assignment.data["to_name"] == f"Former user #{tech.pk}"
    assert assignment.data["to"] == tech.pk
    escalation.refresh_from_db()
    assert escalation.recipients == [{"email": "boss@msp.test"}]
    for old in (old_name, old_email):
        assert not TicketEvent.objects.filter(data__icontains=old).exists()
        assert not OutboxEvent.objects.filter(payload__icontains=old).exists()


def test_an_admin_cannot_erase_themselves(admin_user):
    with pytest.raises(PermissionDenied):
        person_erase(user=admin_user, by=admin_user, reason="oops")


# -- The admin actions --------------------------------------------------------------------------


def test_an_admin_downloads_a_contact_export_as_json(client, person, admin_user):
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:clients_contact_changelist"),
        {"action": "export_personal_data", "_selected_action": [person["contact"].pk]},
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith("attachment;")
    assert json.loads(response.content)["contact"]["email"] == person["email"]


def test_an_admin_downloads_a_user_export_as_json(client, acme_user, admin_user):
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "export_personal_data", "_selected_action": [acme_user.pk]},
    )

    assert json.loads(response.content)["user"]["email"] == acme_user.email


def test_the_erase_action_asks_for_a_reason_then_erases(client, person, admin_user):
    client.force_login(admin_user)
    url = reverse("admin:clients_contact_changelist")
    selection = {"action": "erase_personal_data", "_selected_action": [person["contact"].pk]}

    confirm = client.post(url, selection)
    assert confirm.status_code == 200
    assert 'name="reason"' in confirm.content.decode()
    empty = client.post(url, {**selection, "confirm": "yes", "reason": ""})
    assert empty.status_code == 200
    person["contact"].refresh_from_db()
    assert person["contact"].email == person["email"]

    done = client.post(url, {**selection, "confirm": "yes", "reason": "Request #9"})

    assert done.status_code == 302
    person["contact"].refresh_from_db()
    assert person["contact"].email.endswith(ERASED_DOMAIN)
    assert AuditEntry.objects.get(action="person.erased").data["reason"] == "Request #9"


@pytest.mark.parametrize("who", ["manager", "tech", "acme_admin", "acme_user"])
def test_nobody_else_can_trigger_the_admin_actions(client, request, who, person):
    client.force_login(request.getfixturevalue(who))

    for action in ("export_personal_data", "erase_personal_data"):
        response = client.post(
            reverse("admin:clients_contact_changelist"),
            {
                "action": action,
                "_selected_action": [person["contact"].pk],
                "confirm": "yes",
                "reason": "x",
            },
        )
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]

    person["contact"].refresh_from_db()
    assert person["contact"].email == person["email"]
    assert not AuditEntry.objects.filter(action__startswith="person.").exists()


def test_erasure_reaches_the_notifications_sent_to_the_person(
    person, admin_user, django_capture_on_commit_callbacks
):
    from msp_portal.notifications.models import Notification

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_reply(ticket=person["requested"], body="On it", author=admin_user)
    old_email = person["email"]
    assert Notification.objects.filter(recipient__iexact=old_email).exists()

    person_erase(contact=person["contact"], by=admin_user, reason="asked")

    assert not Notification.objects.filter(recipient__iexact=old_email).exists()
    assert Notification.objects.filter(
        recipient=f"erased-contact-{person['contact'].pk}@{ERASED_DOMAIN}"
    ).exists()
