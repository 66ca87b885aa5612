"""Mail-in fixtures: a mailbox, Acme's contacts, raw messages from files or built here."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest

from tests import factories
from tickets import mailrefs
from tickets.mailin.route import inbound_receive
from tickets.models import InboundMessage, Mailbox

FIXTURES = Path(__file__).parent / "fixtures"


def eml(name: str) -> bytes:
    """A raw fixture message, as a mail server would hand it over."""
    return (FIXTURES / name).read_bytes()


def mail(
    *,
    sender: str,
    body: str = "Hello",
    subject: str = "Question",
    to: str = "support@msp.example",
    cc: str = "",
    headers: dict[str, str] | None = None,
) -> bytes:
    """A simple message built for one test."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    if cc:
        message["Cc"] = cc
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="client.test")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    return message.as_bytes()


def reply(ticket, *, sender: str, body: str = "It works again, thanks.", signed=True, **kw):
    """An answer to one of our notifications about the ticket: quoted below our marker, with
    our signed thread headers when ``signed``, else only the subject tag."""
    quoted = f"{body}\n\n{mailrefs.REPLY_MARKER}\n> Your ticket {ticket.reference} was updated.\n"
    headers = {}
    if signed:
        headers = {
            "In-Reply-To": mailrefs.message_id(ticket, "event-1"),
            "References": mailrefs.thread_root_id(ticket),
        }
    headers.update(kw.pop("headers", {}))
    return mail(
        sender=sender,
        body=quoted,
        subject=f"Re: {mailrefs.subject_with_tag(ticket, ticket.subject)}",
        headers=headers,
        **kw,
    )


@pytest.fixture
def mailbox(db):
    return Mailbox.objects.create(
        name="Support",
        address="support@msp.example",
        host="127.0.0.1",
        port=143,
        security=Mailbox.Security.NONE,
        username="support",
        unknown_sender_policy=Mailbox.UnknownSenderPolicy.HOLD,
    )


@pytest.fixture
def anna(acme):
    return factories.ContactFactory(
        client=acme, first_name="Anna", last_name="Martin", email="anna@acme.test"
    )


@pytest.fixture
def bob(acme):
    return factories.ContactFactory(
        client=acme, first_name="Bob", last_name="Durand", email="Bob@Acme.test"
    )


@pytest.fixture
def receive(mailbox, django_capture_on_commit_callbacks):
    """Store and process one raw message as the poller does, running on-commit work."""

    def run(raw: bytes, *, box: Mailbox | None = None) -> InboundMessage:
        with django_capture_on_commit_callbacks(execute=True):
            return inbound_receive(mailbox=box or mailbox, raw=raw)

    return run
