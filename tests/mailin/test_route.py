"""What incoming messages become: tickets, replies, held, ignored, rate-limited or failed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail as django_mail
from django.urls import reverse

from tests import factories
from tickets import mailrefs, services
from tickets.mailin import route
from tickets.models import Attachment, InboundMessage, Mailbox, SlaTimer, Ticket, TicketEvent

from .conftest import eml, mail, reply

pytestmark = pytest.mark.django_db

Status = InboundMessage.Status


# --- New tickets ---------------------------------------------------------------------------


def test_a_message_from_a_known_contact_opens_a_ticket_for_that_contacts_client(
    receive, anna, bob, acme
):
    message = receive(eml("plain.eml"))

    assert message.status == Status.TICKET_OPENED
    ticket = message.ticket
    assert (ticket.client, ticket.contact, ticket.source) == (acme, anna, Ticket.Source.EMAIL)
    assert ticket.subject == "Printer offline on the 2nd floor"
    assert ticket.description.startswith("Hello,\n\nThe printer on the 2nd floor")
    assert "+33" not in ticket.description
    assert list(ticket.cc_contacts.all()) == [bob]  # the stranger in Cc is nobody's contact
    assert message.client == acme
    assert message.event.kind == TicketEvent.Kind.CREATED
    assert bytes(message.raw) == eml("plain.eml")


def test_reply_to_never_decides_who_wrote(receive, anna, acme):
    """plain.eml says Reply-To: mallory@evil.test; the From address alone is the requester."""
    factories.ContactFactory(client=acme, email="mallory@evil.test")

    ticket = receive(eml("plain.eml")).ticket

    assert ticket.contact == anna


def test_a_stranger_pretending_through_reply_to_is_still_a_stranger(receive, anna, mailbox):
    mailbox.unknown_sender_policy = Mailbox.UnknownSenderPolicy.REJECT
    mailbox.save()
    raw = mail(sender="mallory@evil.test", headers={"Reply-To": "anna@acme.test"})

    message = receive(raw)

    assert (message.status, message.ticket) == (Status.REJECTED, None)
    assert [m.to for m in django_mail.outbox] == [["mallory@evil.test"]]


def test_html_bodies_reach_no_page_as_markup(receive, anna, client, tech, acme_admin):
    ticket = receive(eml("html_xss.eml")).ticket

    assert "My screen flickers since Monday." in ticket.description
    for payload in ("<script", "alert(", "onerror", "javascript:"):
        assert payload not in ticket.description
    client.force_login(tech)
    page = client.get(reverse("tickets:detail", args=[ticket.number])).content.decode()
    assert "My screen flickers since Monday." in page
    assert "alert(" not in page and "onerror" not in page


def test_attachments_are_kept_and_refused_ones_are_noted_on_the_ticket(receive, anna):
    message = receive(eml("multipart_attachments.eml"))

    ticket = message.ticket
    assert sorted(
        Attachment.objects.filter(ticket=ticket).values_list("original_name", flat=True)
    ) == [
        "scan.pdf",
        "server.log",
    ]
    assert all(a.event_id == message.event_id for a in ticket.attachments.all())
    assert "setup.exe" in ticket.description  # the note, in the ticket's own text
    assert "setup.exe" in message.error


def test_non_utf8_mail_opens_a_ticket_with_the_right_characters(receive, acme):
    factories.ContactFactory(client=acme, email="renee@acme.test")

    ticket = receive(eml("latin1.eml")).ticket

    assert ticket.subject == "Imprimante du 2ème étage"
    assert (
        ticket.description
        == "Bonjour,\n\nL'imprimante du 2ème étage ne répond plus. Merci d'avance !"
    )


def test_a_technician_forwarding_a_clients_mail_opens_the_ticket_for_that_client(
    receive, anna, tech, acme
):
    message = receive(eml("forwarded.eml"))

    assert message.status == Status.TICKET_OPENED
    ticket = message.ticket
    assert (ticket.client, ticket.contact, ticket.created_by) == (acme, anna, tech)
    assert 'the VPN says "authentication failed"' in ticket.description


def test_a_technician_forwarding_mail_from_nobody_known_is_held(receive, tech):
    message = receive(eml("forwarded.eml"))

    assert (message.status, message.reason) == (Status.HELD, "forward_unknown")


def test_a_contact_of_several_clients_is_not_guessed(receive, anna, globex):
    factories.ContactFactory(client=globex, email="ANNA@acme.test")

    message = receive(eml("plain.eml"))

    assert (message.status, message.reason, message.ticket) == (
        Status.HELD,
        "ambiguous_sender",
        None,
    )


# --- Replies -------------------------------------------------------------------------------


@pytest.fixture
def contract(acme):
    return factories.ContractFactory(client=acme, start_date=dt.date(2025, 1, 1))


def test_a_reply_on_a_ticket_waiting_on_the_customer_resumes_its_sla(receive, anna, tech, contract):
    ticket = receive(eml("plain.eml")).ticket
    services.ticket_reply(ticket=ticket, author=tech, body="Is it plugged in?")
    services.ticket_change_status(ticket=ticket, status="waiting_on_customer", by=tech)
    assert SlaTimer.objects.get(ticket=ticket, kind="resolution").state == "paused"

    message = receive(reply(ticket, sender="Anna <anna@acme.test>"))

    assert message.status == Status.REPLIED
    assert message.ticket == ticket
    event = message.event
    assert (event.kind, event.public, event.author_contact) == ("reply", True, anna)
    assert event.body == "It works again, thanks."  # our quoted notification is trimmed off
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert SlaTimer.objects.get(ticket=ticket, kind="resolution").state == "running"


def test_the_signed_reply_address_alone_finds_the_ticket(receive, anna):
    ticket = receive(eml("plain.eml")).ticket
    raw = reply(ticket, sender="anna@acme.test", signed=False, to=mailrefs.reply_address(ticket))

    message = receive(raw)

    assert (message.status, message.ticket) == (Status.REPLIED, ticket)


def test_a_copied_contact_may_reply(receive, anna, bob):
    ticket = receive(eml("plain.eml")).ticket

    message = receive(reply(ticket, sender="bob@acme.test"))

    assert (message.status, message.event.author_contact) == (Status.REPLIED, bob)


def test_a_technician_replying_by_mail_adds_a_public_staff_reply(receive, anna, tech):
    ticket = receive(eml("plain.eml")).ticket

    message = receive(reply(ticket, sender="Theo <TECH@msp.test>", body="On my way."))

    event = message.event
    assert (event.author, event.actor, event.public, event.body) == (
        tech,
        TicketEvent.Actor.STAFF,
        True,
        "On my way.",
    )


def test_staff_replies_by_mail_can_be_switched_off(receive, anna, tech, settings):
    settings.MAIL_IN_STAFF_REPLIES = False
    ticket = receive(eml("plain.eml")).ticket

    message = receive(reply(ticket, sender="tech@msp.test"))

    assert (message.status, message.reason) == (Status.HELD, "not_participant")


def test_a_bare_subject_tag_from_a_participant_is_held(receive, anna):
    ticket = receive(eml("plain.eml")).ticket
    events = ticket.events.count()

    message = receive(reply(ticket, sender="anna@acme.test", signed=False))

    assert (message.status, message.reason) == (Status.HELD, "unsigned_reference")
    assert ticket.events.count() == events


def test_a_forged_signature_counts_as_none(receive, anna):
    ticket = receive(eml("plain.eml")).ticket
    forged = f"<t{ticket.pk}.event-1.{'0' * mailrefs.SIG_LENGTH}@msp.example>"

    message = receive(
        reply(ticket, sender="anna@acme.test", signed=False, headers={"In-Reply-To": forged})
    )

    assert (message.status, message.reason) == (Status.HELD, "unsigned_reference")


def test_a_signed_reply_from_a_non_participant_is_held(receive, anna, acme):
    factories.ContactFactory(client=acme, email="carol@acme.test")
    ticket = receive(eml("plain.eml")).ticket
    events = ticket.events.count()

    message = receive(reply(ticket, sender="carol@acme.test"))

    assert (message.status, message.reason) == (Status.HELD, "not_participant")
    assert ticket.events.count() == events


def test_another_clients_contact_never_lands_on_the_ticket(receive, anna, globex, globex_user):
    ticket = receive(eml("plain.eml")).ticket
    events = ticket.events.count()

    for sender in ("it@globex.test", "Anna <anna@acme.test>, it@globex.test"):
        message = receive(reply(ticket, sender=sender, body=f"from {sender}"))
        assert message.status == Status.HELD

    assert ticket.events.count() == events
    assert not Ticket.objects.filter(client=globex).exists()


def test_a_reply_on_a_closed_ticket_opens_a_new_one_naming_the_old(receive, anna, tech):
    ticket = receive(eml("plain.eml")).ticket
    services.ticket_change_status(ticket=ticket, status="closed", by=tech)

    message = receive(reply(ticket, sender="anna@acme.test", body="It broke again."))

    assert message.status == Status.TICKET_OPENED
    assert message.ticket != ticket
    assert ticket.reference in message.ticket.description
    assert "It broke again." in message.ticket.description


# --- Loops and floods ----------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["auto_reply.eml", "out_of_office.eml", "bounce.eml"])
def test_automatic_mail_is_recorded_and_never_answered(receive, mailbox, anna, fixture):
    mailbox.unknown_sender_policy = Mailbox.UnknownSenderPolicy.REJECT
    mailbox.save()

    message = receive(eml(fixture))

    assert (message.status, message.reason) == (Status.IGNORED_LOOP, "automatic")
    assert message.ticket is None
    assert not Ticket.objects.exists()
    assert django_mail.outbox == []


def test_an_auto_reply_on_a_waiting_ticket_is_linked_but_does_not_reopen_it(receive, anna, tech):
    ticket = receive(eml("plain.eml")).ticket
    services.ticket_change_status(ticket=ticket, status="waiting_on_customer", by=tech)
    events = ticket.events.count()

    message = receive(
        reply(ticket, sender="anna@acme.test", headers={"Auto-Submitted": "auto-replied"})
    )

    assert (message.status, message.ticket) == (Status.IGNORED_LOOP, ticket)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.WAITING_ON_CUSTOMER
    assert ticket.events.count() == events


def test_mail_from_our_own_address_is_a_loop(receive, mailbox):
    message = receive(mail(sender="Support <support+t1.abc@msp.example>"))

    assert (message.status, message.reason) == (Status.IGNORED_LOOP, "own_address")


def test_a_flooding_sender_is_rate_limited_and_kept(receive, anna, settings):
    settings.MAIL_IN_FLOOD_LIMIT = 3

    results = [receive(mail(sender="anna@acme.test", body=f"n{i}")) for i in range(5)]

    assert [m.status for m in results] == [Status.TICKET_OPENED] * 3 + [Status.RATE_LIMITED] * 2
    assert Ticket.objects.count() == 3
    assert all(bytes(m.raw) for m in results)


# --- Never lost, never twice ---------------------------------------------------------------


def test_garbage_is_kept_as_failed(receive):
    message = receive(eml("garbage.eml"))

    assert (message.status, message.reason) == (Status.FAILED, "unparseable")
    assert bytes(message.raw) == eml("garbage.eml")
    assert "no headers" in message.error


def test_a_processing_error_keeps_the_message_and_the_next_one_goes_through(
    receive, anna, monkeypatch
):
    real = route.services.ticket_open

    def broken(**kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(route.services, "ticket_open", broken)
    failed = receive(eml("plain.eml"))
    monkeypatch.setattr(route.services, "ticket_open", real)
    opened = receive(eml("html_xss.eml"))

    assert (failed.status, failed.reason, failed.ticket) == (Status.FAILED, "error", None)
    assert "database hiccup" in failed.error
    assert failed.sender == "anna@acme.test"
    assert opened.status == Status.TICKET_OPENED
    assert Ticket.objects.count() == 1


def test_the_same_message_twice_is_processed_once(receive, anna):
    first = receive(eml("plain.eml"))
    second = receive(eml("plain.eml"))

    assert first.pk == second.pk
    assert InboundMessage.objects.count() == 1
    assert Ticket.objects.count() == 1


def test_a_message_without_message_id_is_recognised_by_its_bytes(receive, anna):
    raw = b"From: anna@acme.test\r\nSubject: No id\r\n\r\nBody\r\n"

    receive(raw)
    receive(raw)

    assert InboundMessage.objects.count() == 1
    assert Ticket.objects.count() == 1


def test_a_message_too_large_keeps_its_first_bytes_and_waits_for_a_person(receive, anna, settings):
    settings.MAIL_IN_MAX_BYTES = 200

    message = receive(eml("plain.eml"))

    assert (message.status, message.reason, message.truncated) == (Status.FAILED, "too_large", True)
    assert bytes(message.raw) == eml("plain.eml")[:200]
    assert not Ticket.objects.exists()


# --- Unknown senders -----------------------------------------------------------------------


def test_reject_policy_answers_once_politely_and_threaded(receive, mailbox, settings):
    settings.LANGUAGE_CODE = "en"
    mailbox.unknown_sender_policy = Mailbox.UnknownSenderPolicy.REJECT
    mailbox.save()
    raw = mail(sender="Stranger <stranger@elsewhere.test>", subject="Need help")

    first = receive(raw)
    second = receive(mail(sender="stranger@elsewhere.test", subject="Again"))

    assert (first.status, second.status) == (Status.REJECTED, Status.REJECTED)
    assert first.answered_at is not None and second.answered_at is None
    assert len(django_mail.outbox) == 1
    sent = django_mail.outbox[0]
    assert sent.to == ["stranger@elsewhere.test"]
    assert sent.subject == "Re: Need help"
    assert sent.extra_headers["In-Reply-To"] == first.message_id
    assert first.message_id in sent.extra_headers["References"]
    assert sent.extra_headers["Auto-Submitted"] == "auto-replied"
    assert sent.extra_headers["Message-ID"].endswith("@msp.example>")
    assert "could not match your e-mail address" in sent.body
    assert not Ticket.objects.exists()


def test_hold_policy_keeps_the_message_for_triage_without_answering(receive):
    message = receive(mail(sender="stranger@elsewhere.test"))

    assert (message.status, message.reason) == (Status.HELD, "unknown_sender")
    assert django_mail.outbox == []


# --- Triage ----------------------------------------------------------------------------------


def test_a_held_message_can_become_a_ticket_for_a_chosen_contact(receive, anna, admin_user):
    held = receive(mail(sender="anna.private@home.test", body="From home"))

    route.inbound_ticket_open(message_pk=held.pk, contact=anna, by=admin_user)

    held.refresh_from_db()
    assert (held.status, held.handled_by) == (Status.TICKET_OPENED, admin_user)
    assert held.ticket.contact == anna
    assert held.ticket.description == "From home"


def test_a_held_message_from_a_stranger_is_added_to_a_ticket_as_an_internal_note(
    receive, anna, admin_user
):
    ticket = receive(eml("plain.eml")).ticket
    held = receive(mail(sender="vendor@printers.test", body="Part shipped"))

    route.inbound_ticket_append(message_pk=held.pk, ticket=ticket, by=admin_user)

    held.refresh_from_db()
    assert held.status == Status.REPLIED
    assert (held.event.kind, held.event.public) == (TicketEvent.Kind.NOTE, False)
    assert "vendor@printers.test" in held.event.body and "Part shipped" in held.event.body


def test_a_held_message_is_reprocessed_after_its_sender_became_a_contact(receive, acme, tech):
    held = receive(mail(sender="new@acme.test"))
    factories.ContactFactory(client=acme, email="new@acme.test")

    route.inbound_reprocess(message_pk=held.pk, by=tech)

    held.refresh_from_db()
    assert held.status == Status.TICKET_OPENED
    assert held.ticket.client == acme


def test_the_admin_triage_form_opens_a_ticket_and_discards(client, receive, anna, acme, admin_user):
    held = receive(mail(sender="anna.private@home.test"))
    other = receive(mail(sender="spam@elsewhere.test"))
    client.force_login(admin_user)
    url = reverse("admin:tickets_inboundmessage_change", args=[held.pk])
    assert client.get(url).status_code == 200

    response = client.post(
        url,
        {
            "triage_action": "open",
            "triage_client": acme.pk,
            "triage_contact_email": "anna@acme.test",
        },
    )
    client.post(
        reverse("admin:tickets_inboundmessage_change", args=[other.pk]),
        {"triage_action": "discard"},
    )

    assert response.status_code == 302
    held.refresh_from_db()
    other.refresh_from_db()
    assert (held.status, held.ticket.contact) == (Status.TICKET_OPENED, anna)
    assert other.status == Status.DISCARDED
    raw = client.get(reverse("admin:tickets_inboundmessage_raw", args=[held.pk]))
    assert raw["Content-Type"] == "application/octet-stream"
    assert b"".join(raw) == bytes(held.raw)


def test_only_waiting_messages_can_be_triaged(receive, anna, admin_user):
    opened = receive(eml("plain.eml"))

    with pytest.raises(route.ValidationError):
        route.inbound_discard(message_pk=opened.pk, by=admin_user)


def test_a_contact_forwarding_mail_opens_their_own_ticket_with_the_forward_whole(receive, anna):
    raw = mail(
        sender="anna@acme.test",
        subject="Fwd: Your licence expires",
        body="See below.\n\n---------- Forwarded message ---------\nFrom: Vendor "
        "<sales@vendor.test>\nSubject: Your licence expires\n\nRenew before Friday.\n",
    )

    ticket = receive(raw).ticket

    assert ticket.contact == anna
    assert "Renew before Friday." in ticket.description
    assert "sales@vendor.test" in ticket.description


def test_a_client_user_who_can_see_the_ticket_may_reply(receive, acme_user):
    ticket = factories.open_ticket(acme_user.client, by=acme_user)

    message = receive(reply(ticket, sender="user@acme.test"))

    assert message.status == Status.REPLIED
    assert message.event.actor == TicketEvent.Actor.CLIENT


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-generated"},
        {"Precedence": "junk"},
        {"Precedence": "list"},
        {"X-Autorespond": "yes"},
        {"Return-Path": "<>"},
    ],
)
def test_every_kind_of_automatic_header_is_a_loop(receive, anna, headers):
    message = receive(mail(sender="anna@acme.test", headers=headers))

    assert message.status == Status.IGNORED_LOOP


def test_auto_submitted_no_is_a_person(receive, anna):
    message = receive(mail(sender="anna@acme.test", headers={"Auto-Submitted": "no"}))

    assert message.status == Status.TICKET_OPENED


def test_a_hostile_held_message_is_shown_as_text_in_the_triage_page(receive, client, admin_user):
    payload = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    held = receive(mail(sender=f'"{payload}" <x@elsewhere.test>', subject=payload, body=payload))
    client.force_login(admin_user)

    for url in (
        reverse("admin:tickets_inboundmessage_change", args=[held.pk]),
        reverse("admin:tickets_inboundmessage_changelist"),
    ):
        page = client.get(url).content.decode()
        assert "&lt;script&gt;alert(1)" in page
        assert "<script>alert(1)" not in page and "<img src=x" not in page


def test_the_mailbox_password_is_never_shown_and_kept_when_left_empty(client, admin_user, mailbox):
    Mailbox.objects.filter(pk=mailbox.pk).update(password="s3cret-imap")
    client.force_login(admin_user)
    url = reverse("admin:tickets_mailbox_change", args=[mailbox.pk])

    assert "s3cret-imap" not in client.get(url).content.decode()
    data = {
        "name": "Support desk", "address": "support@msp.example", "host": "imap.msp.test",
        "port": 993, "security": "ssl", "username": "support", "password": "",
        "folder": "INBOX", "processed_action": "seen", "processed_folder": "",
        "unknown_sender_policy": "reject", "active": "on",
    }  # fmt: skip
    assert client.post(url, data).status_code == 302

    mailbox.refresh_from_db()
    assert (mailbox.name, mailbox.password) == ("Support desk", "s3cret-imap")
    assert mailbox.unknown_sender_policy == "reject"
