"""How ticket mail is threaded and recognised: subject tags, Message-IDs and reply addresses.

Mail out and mail in agree here, and nowhere else, on what a ticket's e-mail looks like:

- the subject carries ``[#T-1234]``, which people see and keep when they answer;
- every message the portal sends about a ticket has a Message-ID
  ``<t{pk}.{token}.{sig}@{MAIL_DOMAIN}>`` and refers to the ticket's thread root
  ``<t{pk}.{sig}@{MAIL_DOMAIN}>`` in In-Reply-To / References, so mail clients thread them;
- its Reply-To is the signed sub-address ``support+t{pk}.{sig}@domain``.

``sig`` is an HMAC of the ticket id under the site's SECRET_KEY: an answer that carries it
(in its To/Cc, In-Reply-To or References) proves the sender saw one of our messages about that
ticket. A bare ``[#T-1234]`` in a subject is only a hint: mail in appends a reply on the strength
of it only when the sender is also a participant of the ticket, and never on the strength of
Reply-To.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import getaddresses

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

_SALT = "tickets.mailrefs"
#: The first line of every notification body; mail in keeps only what a reply writes above it.
REPLY_MARKER = "## Reply above this line / Répondez au-dessus de cette ligne ##"
SIG_LENGTH = 16

SUBJECT_TAG_RE = re.compile(r"\[#T-(\d{1,12})\]", re.IGNORECASE)
_SIG = "[0-9a-f]{%d}" % SIG_LENGTH  # noqa: UP031
_ID_RE = re.compile(r"<?t(\d{1,12})(?:\.([A-Za-z0-9_-]{1,64}))?\.(" + _SIG + r")@([^>\s]+)>?")
_ADDRESS_TAG_RE = re.compile(r"^[^@+]+\+t(\d{1,12})\.(" + _SIG + ")@", re.IGNORECASE)
_TOKEN_RE = re.compile(r"[^A-Za-z0-9_-]")


def ticket_signature(ticket_pk: int) -> str:
    return salted_hmac(_SALT, str(int(ticket_pk)), algorithm="sha256").hexdigest()[:SIG_LENGTH]


def _valid(ticket_pk: int, sig: str) -> bool:
    return constant_time_compare(ticket_signature(ticket_pk), sig.lower())


def subject_tag(ticket) -> str:
    """``[#T-1234]``: what every subject about the ticket carries."""
    return f"[#{ticket.reference}]"


def subject_with_tag(ticket, subject: str) -> str:
    """The subject with the ticket's tag, once, and no line breaks (a header must stay one)."""
    subject = " ".join((subject or "").split())
    tag = subject_tag(ticket)
    return subject if tag.lower() in subject.lower() else f"{tag} {subject}".strip()


def thread_root_id(ticket) -> str:
    """The Message-ID every message about the ticket answers: the thread's root."""
    return f"<t{ticket.pk}.{ticket_signature(ticket.pk)}@{settings.MAIL_DOMAIN}>"


def message_id(ticket, token: str | int) -> str:
    """A Message-ID for one message about the ticket; ``token`` makes it unique (an event id, a
    notification key): the same token gives the same id, so a message sent twice threads once."""
    token = _TOKEN_RE.sub("-", str(token))[:64] or "m"
    return f"<t{ticket.pk}.{token}.{ticket_signature(ticket.pk)}@{settings.MAIL_DOMAIN}>"


def thread_headers(ticket, token: str | int) -> dict[str, str]:
    """Message-ID, In-Reply-To, References and Reply-To for a message about the ticket."""
    root = thread_root_id(ticket)
    return {
        "Message-ID": message_id(ticket, token),
        "In-Reply-To": root,
        "References": root,
        "Reply-To": reply_address(ticket),
    }


def reply_address(ticket) -> str:
    """``support+t42.<sig>@domain``, from settings.TICKET_REPLY_ADDRESS."""
    local, _, domain = settings.TICKET_REPLY_ADDRESS.rpartition("@")
    local = local.split("+", 1)[0]
    return f"{local}+t{ticket.pk}.{ticket_signature(ticket.pk)}@{domain}"


@dataclass(frozen=True)
class MailReference:
    """What an incoming message says about the ticket it answers."""

    ticket_pk: int | None = None  # from a signed Message-ID reference or reply address
    number: int | None = None  # from a [#T-1234] subject tag: a hint, not a proof

    @property
    def signed(self) -> bool:
        return self.ticket_pk is not None


def _ids(header: str | None) -> list[str]:
    return re.findall(r"<[^<>\s]+>", header or "") or (header or "").split()


def references_parse(
    *,
    subject: str = "",
    in_reply_to: str | None = None,
    references: str | None = None,
    recipients: Iterable[str] = (),
) -> MailReference:
    """Find the ticket an incoming message answers.

    ``recipients`` are the raw To / Cc / Delivered-To header values. A reference counts as
    signed only when its signature checks for the ticket id it names; a forged or stale one is
    ignored, as if absent. The subject tag is returned apart, as a hint.
    """
    ticket_pk = None
    for value in [in_reply_to, *reversed(_ids(references))]:
        for candidate in _ids(value) if value else ():
            match = _ID_RE.fullmatch(candidate.strip())
            if match and match.group(4).lower() == settings.MAIL_DOMAIN.lower():
                pk = int(match.group(1))
                if _valid(pk, match.group(3)):
                    ticket_pk = pk
                    break
        if ticket_pk is not None:
            break
    if ticket_pk is None:
        for _name, address in getaddresses(list(recipients)):
            match = _ADDRESS_TAG_RE.match(address or "")
            if match and _valid(int(match.group(1)), match.group(2)):
                ticket_pk = int(match.group(1))
                break
    tag = SUBJECT_TAG_RE.search(subject or "")
    return MailReference(ticket_pk=ticket_pk, number=int(tag.group(1)) if tag else None)
