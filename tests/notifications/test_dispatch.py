"""Who hears of which ticket change: each kind, in their language, threaded, exactly once."""

from __future__ import annotations

import datetime as dt
import email
from email import policy

import pytest
from django.core import mail
from django.utils import timezone

from msp_portal.core.models import OutboxEvent
from msp_portal.notifications import services
from msp_portal.notifications.models import Notification, NotificationPreference
from msp_portal.notifications.tasks import notification_send
from tests import factories
from tickets import mailrefs
from tickets import services as tickets
from tickets.models import Queue

pytestmark = pytest.mark.django_db


def to(message) -> list[str]:
    return sorted(message.to)


def html_of(message) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def by_recipient() -> dict[str, mail.EmailMultiAlternatives]:
    messages = {}
    for message in mail.outbox:
        [address] = message.to
        assert address not in messages, f"two messages for {address}"
        messages[address] = message
    return messages


@pytest.fixture
def portal_ticket(acme, acme_user, cc_contact, committed):
    """A ticket Acme's user opened through the portal, copying a colleague; the mails it
    caused are cleared so each test sees its own."""
    with committed():
        ticket = factories.open_ticket(
            acme,
            by=acme_user,
            subject="VPN down",
            description="Since 9:00",
            cc_contacts=[cc_contact],
        )
    mail.outbox.clear()
    return ticket


# --- each kind ---------------------------------------------------------------------------------


def test_an_opened_ticket_acknowledges_the_requester_and_copied_contacts_each_in_their_language(
    acme, acme_user, cc_contact, committed
):
    assert acme.language == "fr" and acme_user.language == "en"

    with committed():
        ticket = factories.open_ticket(
            acme,
            by=acme_user,
            subject="VPN down",
            description="Since 9:00",
            cc_contacts=[cc_contact],
        )

    messages = by_recipient()
    assert set(messages) == {"user@acme.test", "chloe@acme.test"}
    english, french = messages["user@acme.test"], messages["chloe@acme.test"]
    tag = f"[#{ticket.reference}]"
    assert english.subject == f"{tag} We received your request: VPN down"
    assert french.subject.startswith(tag) and "VPN down" in french.subject
    assert english.body.startswith(mailrefs.REPLY_MARKER + "\n")
    assert french.body.startswith(mailrefs.REPLY_MARKER + "\n")
    assert f"We received your request and opened ticket {ticket.reference}" in english.body
    # The new sentences are translated later; the labels already are, so each reads its own.
    assert "Subject: VPN down" in english.body and "Priority: " in english.body
    assert "Objet\xa0: VPN down" in french.body and "Priorité\xa0: " in french.body
    assert "Priority: " not in french.body and "Objet" not in english.body
    assert "Priorité" in html_of(french)
    assert "Since 9:00" in english.body and "Since 9:00" in html_of(english)
    assert mailrefs.REPLY_MARKER in html_of(english)
    portal_url = f"https://portal.msp.test/portal/tickets/{ticket.number}/"
    assert portal_url in english.body and portal_url in html_of(english)
    assert f"/tickets/{ticket.number}/" not in english.body.replace(portal_url, "")  # no staff URL
    root = mailrefs.thread_root_id(ticket)
    for message in (english, french):
        headers = message.extra_headers
        assert headers["In-Reply-To"] == root and headers["References"] == root
        assert headers["Message-ID"].startswith(f"<t{ticket.pk}.n")
        assert headers["Auto-Submitted"] == "auto-generated"
        assert message.reply_to == [mailrefs.reply_address(ticket)]
    assert english.extra_headers["Message-ID"] != french.extra_headers["Message-ID"]
    rows = Notification.objects.filter(ticket=ticket)
    assert sorted(rows.values_list("status", "language", "kind")) == [
        ("sent", "en", "ticket_opened"),
        ("sent", "fr", "ticket_opened"),
    ]
    sent = by_recipient()
    assert all(n.message_id == sent[n.recipient].extra_headers["Message-ID"] for n in rows)


def test_times_are_shown_in_the_clients_time_zone(globex, committed):
    from zoneinfo import ZoneInfo

    from django.utils import formats, translation

    contact = factories.ContactFactory(client=globex, email="boss@globex.test")
    globex.language = "en"
    globex.save(update_fields=["language"])

    with committed():
        ticket = factories.open_ticket(globex, contact=contact)

    [message] = mail.outbox
    with translation.override("en"):
        montreal = formats.date_format(
            timezone.localtime(ticket.created_at, ZoneInfo("America/Montreal")), "DATETIME_FORMAT"
        )
        utc = formats.date_format(timezone.localtime(ticket.created_at, dt.UTC), "DATETIME_FORMAT")
    assert montreal != utc
    assert f"Opened: {montreal}" in message.body
    assert montreal in html_of(message)


def test_a_public_staff_reply_reaches_the_contacts_and_never_its_author(
    portal_ticket, tech, committed
):
    with committed():
        tickets.ticket_reply(ticket=portal_ticket, author=tech, body="Please restart the box.")

    messages = by_recipient()
    assert set(messages) == {"user@acme.test", "chloe@acme.test"}
    english = messages["user@acme.test"]
    assert english.subject == f"[#{portal_ticket.reference}] New reply: VPN down"
    assert "Theo Tech replied" in english.body
    assert "Please restart the box." in english.body
    assert "Please restart the box." in html_of(english)
    assert tech.email not in messages


def test_the_author_is_skipped_even_when_also_listed_as_a_contact(
    portal_ticket, acme, tech, committed
):
    portal_ticket.cc_contacts.add(factories.ContactFactory(client=acme, email=tech.email.upper()))

    with committed():
        tickets.ticket_reply(ticket=portal_ticket, author=tech, body="Done.")

    assert sorted(m.to[0] for m in mail.outbox) == ["chloe@acme.test", "user@acme.test"]


def test_an_internal_note_is_never_mailed(portal_ticket, tech, committed):
    with committed():
        tickets.ticket_add_note(ticket=portal_ticket, author=tech, body="NOTE-SECRET password 123")
        tickets.ticket_add_message(
            ticket=portal_ticket, author=tech, body="NOTE-SECRET second", internal=True
        )

    assert mail.outbox == []
    assert not Notification.objects.filter(kind__in=["ticket_reply", "client_reply"]).exists()


def test_a_reply_that_became_internal_before_sending_is_not_sent(
    portal_ticket, tech, committed, monkeypatch
):
    """Defence in depth: the quoted entry is checked public again when the message is built."""
    from tickets.models import TicketEvent

    monkeypatch.setattr(services, "_enqueue", lambda ids: None)  # decided, not yet sent
    with committed():
        event = tickets.ticket_reply(ticket=portal_ticket, author=tech, body="NOTE-SECRET oops")
    TicketEvent.objects.filter(pk=event.pk).update(public=False)

    for pk in Notification.objects.filter(kind="ticket_reply").values_list("pk", flat=True):
        assert services.notification_send(notification_id=pk) == "skipped"

    assert mail.outbox == []
    statuses = Notification.objects.filter(kind="ticket_reply").values_list("status", flat=True)
    assert set(statuses) == {"skipped"}


def test_a_resolution_tells_the_contacts(portal_ticket, tech, committed):
    with committed():
        tickets.ticket_change_status(
            ticket=portal_ticket, status="resolved", by=tech, reason="Replaced the router."
        )

    messages = by_recipient()
    assert set(messages) == {"user@acme.test", "chloe@acme.test"}
    english = messages["user@acme.test"]
    assert english.subject == f"[#{portal_ticket.reference}] Resolved: VPN down"
    assert f"Ticket {portal_ticket.reference} is resolved." in english.body
    assert "Replaced the router." in english.body
    assert "reopens the ticket" in english.body


def test_other_status_changes_mail_nobody(portal_ticket, tech, committed):
    with committed():
        tickets.ticket_change_status(ticket=portal_ticket, status="in_progress", by=tech)
        tickets.ticket_change_priority(ticket=portal_ticket, impact=1, urgency=1, by=tech)

    assert mail.outbox == []


def test_a_client_reply_goes_to_the_assignee_with_the_staff_link(
    portal_ticket, acme_user, tech, committed
):
    tickets.ticket_assign(ticket=portal_ticket, assignee=tech, by=tech)

    with committed():
        tickets.ticket_reply(ticket=portal_ticket, author=acme_user, body="Still broken.")

    [message] = mail.outbox
    assert message.to == [tech.email]
    reference = portal_ticket.reference
    assert message.subject == f"[#{reference}] Client reply (Acme Industries): VPN down"
    assert "Still broken." in message.body
    assert f"https://portal.msp.test/tickets/{portal_ticket.number}/" in message.body
    assert "/portal/" not in message.body


def test_a_client_reply_by_email_on_an_unassigned_ticket_goes_to_the_queue(
    portal_ticket, cc_contact, committed
):
    queue = Queue.objects.create(name="Desk", slug="desk", email="desk@msp.test")
    tickets.ticket_update(ticket=portal_ticket, by=None, queue=queue)

    with committed():
        tickets.ticket_reply(ticket=portal_ticket, author_contact=cc_contact, body="Any news?")

    [message] = mail.outbox
    assert message.to == ["desk@msp.test"]
    assert "Chloé Copie (Acme Industries) replied" in message.body


def test_a_queue_address_that_is_a_clients_login_is_not_used(
    portal_ticket, acme_user, globex_user, committed
):
    queue = Queue.objects.create(name="Oops", slug="oops", email=globex_user.email.upper())
    tickets.ticket_update(ticket=portal_ticket, by=None, queue=queue)

    with committed():
        tickets.ticket_reply(ticket=portal_ticket, author=acme_user, body="ACME-SECRET")

    assert mail.outbox == []


def test_a_client_reply_without_assignee_or_queue_mails_nobody(portal_ticket, acme_user, committed):
    with committed():
        tickets.ticket_reply(ticket=portal_ticket, author=acme_user, body="Hello?")

    assert mail.outbox == []


def test_an_sla_breach_mails_the_managers_once_and_not_through_the_escalation(
    acme, acme_user, tech, manager, committed
):
    factories.ContractFactory(client=acme)
    restricted_tech = factories.UserFactory(role="technician", sees_all_clients=False)
    factories.UserFactory(role="manager", email="gone@msp.test", is_active=False)
    ticket = factories.open_ticket(acme, by=acme_user, assignee=tech)
    later = timezone.now() + dt.timedelta(days=30)

    with committed():
        tickets.sla_sweep(now=later)
        tickets.sla_escalations_send(now=later)

    to_manager = [m for m in mail.outbox if m.to == [manager.email]]
    assert len(to_manager) == 2  # first response and resolution, each breached once
    assert all(m.subject.startswith(f"[#{ticket.reference}] SLA breached (") for m in to_manager)
    assert {m.subject.split("(")[1].split(")")[0] for m in to_manager} == {
        "First response",
        "Resolution",
    }
    assert all(f"https://portal.msp.test/tickets/{ticket.number}/" in m.body for m in to_manager)
    assert "target was missed at" in to_manager[0].body
    assert not any(restricted_tech.email in m.to or "gone@msp.test" in m.to for m in mail.outbox)

    with committed():  # a later sweep publishes nothing new
        tickets.sla_sweep(now=later + dt.timedelta(minutes=5))
    assert len([m for m in mail.outbox if m.to == [manager.email]]) == 2


# --- preferences and who is skipped ------------------------------------------------------------


def test_a_kind_turned_off_is_not_sent(portal_ticket, acme_user, tech, manager, committed):
    NotificationPreference.objects.create(user=acme_user, kind="ticket_reply", enabled=False)

    with committed():
        tickets.ticket_reply(ticket=portal_ticket, author=tech, body="Restarted.")

    assert [m.to for m in mail.outbox] == [["chloe@acme.test"]]  # the colleague without a login


def test_a_manager_who_turned_breaches_off_gets_none(acme, acme_user, manager, committed):
    factories.ContractFactory(client=acme)
    NotificationPreference.objects.create(user=manager, kind="sla_breach", enabled=False)
    factories.open_ticket(acme, by=acme_user)

    with committed():
        tickets.sla_sweep(now=timezone.now() + dt.timedelta(days=30))

    assert not [m for m in mail.outbox if manager.email in m.to]


def test_an_assignee_who_turned_client_replies_off_gets_none(
    portal_ticket, acme_user, tech, committed
):
    tickets.ticket_assign(ticket=portal_ticket, assignee=tech, by=tech)
    NotificationPreference.objects.create(user=tech, kind="client_reply", enabled=False)

    with committed():
        tickets.ticket_reply(ticket=portal_ticket, author=acme_user, body="Ping")

    assert mail.outbox == []


def test_inactive_contacts_logins_and_empty_addresses_are_skipped(acme, acme_user, committed):
    inactive = factories.ContactFactory(client=acme, email="old@acme.test", is_active=False)
    no_address = factories.ContactFactory(client=acme, email="")
    left = factories.portal_user(acme, email="left@acme.test")
    left.is_active = False
    left.save(update_fields=["is_active"])

    with committed():
        factories.open_ticket(acme, by=acme_user, cc_contacts=[inactive, no_address, left.contact])

    assert [m.to for m in mail.outbox] == [["user@acme.test"]]


def test_a_change_recorded_long_ago_mails_nobody(acme, acme_user, committed):
    """An import or the demo's history replays old changes: no customer hears of them."""
    with committed():
        factories.open_ticket(acme, by=acme_user, at=timezone.now() - dt.timedelta(days=3))

    assert mail.outbox == []


# --- never another client's person ------------------------------------------------------------


def test_an_acme_ticket_never_mails_a_globex_person_even_when_misconfigured(
    portal_ticket, acme, globex, globex_user, tech, committed
):
    globex_contact = factories.ContactFactory(client=globex, email="spy@globex.test")
    # Bypassing the services' checks, as a bad import or a bug could:
    portal_ticket.cc_contacts.add(globex_contact)
    disguised = factories.ContactFactory(client=acme, email=globex_user.email.upper())
    portal_ticket.cc_contacts.add(disguised)
    wrong_login = factories.ContactFactory(client=acme, email="wrong@acme.test")
    wrong_login.user = factories.UserFactory(role="client_user", client=globex)
    wrong_login.save(update_fields=["user"])
    portal_ticket.cc_contacts.add(wrong_login)

    with committed():
        tickets.ticket_reply(ticket=portal_ticket, author=tech, body="Update")

    recipients = {m.to[0] for m in mail.outbox}
    assert recipients == {"user@acme.test", "chloe@acme.test"}
    assert not Notification.objects.filter(recipient__icontains="globex").exists()


def test_a_technician_restricted_to_another_client_is_not_mailed_an_acme_reply(
    portal_ticket, acme_user, globex, committed
):
    restricted = factories.UserFactory(
        role="technician", email="globex-only@msp.test", sees_all_clients=False
    )
    restricted.allowed_clients.set([globex])
    type(portal_ticket).objects.filter(pk=portal_ticket.pk).update(assignee=restricted)

    with committed():
        tickets.ticket_reply(ticket=portal_ticket, author=acme_user, body="ACME-SECRET details")

    assert mail.outbox == []


# --- exactly once, and safe ------------------------------------------------------------------


def test_dispatching_an_event_twice_and_sending_twice_mails_once(portal_ticket, tech, committed):
    with committed():
        tickets.ticket_reply(ticket=portal_ticket, author=tech, body="Once")
    event = OutboxEvent.objects.get(topic="ticket.updated")
    rows = list(Notification.objects.filter(outbox_event=event).values_list("pk", flat=True))
    assert len(rows) == 2 and len(mail.outbox) == 2

    with committed():
        assert services.notifications_dispatch(event=event) == []  # the consumer again
        for pk in rows:  # and the tasks again, as a redelivery would
            assert notification_send.delay(pk).get() is None

    assert Notification.objects.filter(outbox_event=event).count() == 2
    assert len(mail.outbox) == 2


def test_user_text_is_escaped_in_the_html_part(portal_ticket, tech, committed):
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    with committed():
        tickets.ticket_reply(ticket=portal_ticket, author=tech, body=payload)

    message = by_recipient()["user@acme.test"]
    html = html_of(message)
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert payload in message.body  # the text part is plain text: as written


@pytest.mark.parametrize(
    "subject",
    ["Printer\r\nBcc: attacker@evil.test", "Printer\u2028Bcc: attacker@evil.test"],
)
def test_a_subject_with_line_breaks_stays_one_header(acme, acme_user, subject, committed):
    with committed():
        factories.open_ticket(acme, by=acme_user, subject=subject)

    [message] = mail.outbox
    raw = message.message().as_bytes()
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert parsed["Bcc"] is None
    assert "\n" not in message.subject and "\r" not in message.subject
    assert message.recipients() == ["user@acme.test"]
    assert "Printer" in str(parsed["Subject"])
