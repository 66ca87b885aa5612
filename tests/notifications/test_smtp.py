"""Through a real SMTP server (aiosmtpd on loopback): two messages of one ticket, threaded."""

from __future__ import annotations

import email
import socket
from email import policy

import pytest
from aiosmtpd.controller import Controller

from tests import factories
from tickets import mailrefs
from tickets import services as tickets

pytestmark = pytest.mark.django_db


class Inbox:
    """An aiosmtpd handler keeping what it receives: the envelope and the raw bytes."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    settings.DEFAULT_FROM_EMAIL = "support@msp.test"
    yield inbox
    controller.stop()


def test_two_notifications_of_one_ticket_arrive_threaded(
    acme, acme_user, tech, smtp_server, committed
):
    with committed():
        ticket = factories.open_ticket(acme, by=acme_user, subject="Écran noir")
    with committed():
        tickets.ticket_reply(ticket=ticket, author=tech, body="Rebooted <b>it</b>.")

    assert len(smtp_server.received) == 2
    (sender, rcpts_1, raw_1), (_, rcpts_2, raw_2) = smtp_server.received
    assert sender == "support@msp.test"
    assert rcpts_1 == rcpts_2 == ["user@acme.test"]
    first = email.message_from_bytes(raw_1, policy=policy.default)
    second = email.message_from_bytes(raw_2, policy=policy.default)
    tag = f"[#{ticket.reference}]"
    root = mailrefs.thread_root_id(ticket)
    # Python's compat32 folding puts an encoded subject on a continuation line: strip it.
    assert str(first["Subject"]).strip().startswith(tag) and "Écran noir" in str(first["Subject"])
    assert str(second["Subject"]).strip() == f"{tag} New reply: Écran noir"
    assert first["Message-ID"] != second["Message-ID"]
    assert first["Message-ID"].startswith(f"<t{ticket.pk}.")
    assert second["In-Reply-To"] == root and second["References"] == root
    assert first["In-Reply-To"] == root
    assert str(second["Reply-To"]) == mailrefs.reply_address(ticket)
    assert (
        mailrefs.references_parse(
            in_reply_to=second["In-Reply-To"], references=second["References"]
        ).ticket_pk
        == ticket.pk
    )
    text = second.get_body(preferencelist=("plain",)).get_content()
    html = second.get_body(preferencelist=("html",)).get_content()
    assert text.startswith(mailrefs.REPLY_MARKER)
    assert "Rebooted <b>it</b>." in text
    assert "Rebooted &lt;b&gt;it&lt;/b&gt;." in html
