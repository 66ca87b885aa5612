"""Raw RFC 822 bytes -> what mail in needs: addresses, threading headers, text and files.

The standard ``email`` package with ``policy.default`` does the MIME work. What it leaves to us:
charsets that are wrong or unknown (decoded with replacement characters, never a crash),
8-bit headers sent without encoded words (read as UTF-8, else Windows-1252), and HTML-only
bodies (sanitised, then turned into text).
"""

from __future__ import annotations

import datetime as dt
import email
import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime

from django.utils import timezone

from ..mailrefs import REPLY_MARKER
from .text import html_to_text, text_clean, text_trim


class UnparseableMail(ValueError):
    """The bytes are not a mail message we can read (no headers, no sender...)."""


@dataclass(frozen=True)
class MailFile:
    """One attached file, as sent."""

    name: str
    content_type: str
    data: bytes


@dataclass
class ParsedMail:
    """One incoming message, read."""

    message: EmailMessage
    message_id: str
    sender: str  # the From address, lower-case: the only thing that decides identity
    sender_name: str
    senders: list[str]  # every From address (more than one: held)
    subject: str
    date: dt.datetime | None
    in_reply_to: str
    references: str
    recipients: list[str]  # raw To / Cc / Delivered-To / X-Original-To values
    recipient_addresses: list[str]  # the addresses in To and Cc, lower-case
    text: str  # the whole text body (HTML converted), not trimmed
    body: str  # what the sender wrote: quoted history and signature trimmed
    forwarded: bool
    forwarded_sender: str  # the original sender of a forwarded message, when it says
    files: list[MailFile] = field(default_factory=list)


def _decode_bytes(data: bytes, charset: str | None) -> str:
    """Bytes in a declared charset; latin-1 read as its superset cp1252, unknown -> UTF-8."""
    charset = (charset or "utf-8").strip().strip('"').lower()
    if charset in ("iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii"):
        charset = "cp1252"
    try:
        return data.decode(charset, errors="replace")
    except LookupError:
        return data.decode("utf-8", errors="replace")


def header_text(message: EmailMessage, name: str) -> str:
    """A header as text, whatever the sender did to it; '' when absent or unreadable."""
    try:
        value = message.get(name)
    except Exception:  # a header the parser chokes on is as good as absent
        raw = message.get_all(name, failobj=[]) if hasattr(message, "get_all") else []
        value = raw[0] if raw else None
    if value is None:
        return ""
    value = str(value)
    raw = next((v for k, v in message.raw_items() if k.lower() == name.lower()), "")
    if isinstance(raw, str) and any("\udc80" <= ch <= "\udcff" for ch in raw):
        # 8-bit bytes without encoded words: the parser keeps them as surrogates in the raw
        # value (and U+FFFD in the parsed one): recover the bytes and read them.
        data = raw.encode("ascii", "surrogateescape")
        try:
            value = data.decode("utf-8")
        except UnicodeDecodeError:
            value = data.decode("cp1252", errors="replace")
    return text_clean(" ".join(value.split()))


def _part_text(part: EmailMessage) -> str:
    payload = part.get_payload(decode=True) or b""
    return text_clean(_decode_bytes(payload, part.get_content_charset()))


def _addresses(message: EmailMessage, *names: str) -> list[tuple[str, str]]:
    values = [header_text(message, name) for name in names]
    return [(n, a.lower()) for n, a in getaddresses([v for v in values if v]) if "@" in (a or "")]


_FORWARD_SUBJECT = re.compile(r"^\s*(?:fwd?|tr|wg|rv|enc)\s*:", re.IGNORECASE)
_FORWARD_MARKERS = re.compile(
    r"^\s*(?:-{3,}\s*(?:Forwarded message|Message transféré)\s*-{3,}|Begin forwarded message:|"
    r"Début du message réexpédié\s*:)",
    re.IGNORECASE | re.MULTILINE,
)
_FORWARDED_FROM = re.compile(r"^\s*(?:From|De)\s*:\s*(.+)$", re.IGNORECASE | re.MULTILINE)


def _forwarded_sender(text: str, attached: list[EmailMessage]) -> str:
    """The original sender named by a forward: the attached message's From, else the first
    "From:" line after the forward marker in the text."""
    for inner in attached:
        found = _addresses(inner, "From")
        if found:
            return found[0][1]
    marker = _FORWARD_MARKERS.search(text)
    if marker:
        line = _FORWARDED_FROM.search(text, marker.end())
        if line:
            found = [a.lower() for _n, a in getaddresses([line.group(1)]) if "@" in a]
            if found:
                return found[0]
    return ""


def _bodies(message: EmailMessage) -> tuple[str, str]:
    """(plain text, HTML) of the message's body; either may be ''."""
    plain = html = ""
    try:
        body = message.get_body(preferencelist=("plain", "html"))
    except Exception:  # a broken MIME tree: fall back to walking it
        body = None
    candidates = [body] if body is not None else []
    try:
        html_part = message.get_body(preferencelist=("html",))
    except Exception:
        html_part = None
    if html_part is not None:
        candidates.append(html_part)
    if not candidates:
        candidates = [
            p for p in message.walk() if p.get_content_maintype() == "text" and not p.get_filename()
        ][:2]
    for part in candidates:
        subtype = part.get_content_subtype()
        if subtype == "html" and not html:
            html = _part_text(part)
        elif not plain and subtype != "html":
            plain = _part_text(part)
    return plain, html


def _files(message: EmailMessage) -> tuple[list[MailFile], list[EmailMessage]]:
    files, attached = [], []
    try:
        parts = list(message.iter_attachments()) if message.is_multipart() else []
    except Exception:
        parts = []
    stack = parts
    while stack:
        part = stack.pop(0)
        if part.get_content_type() == "message/rfc822":
            inner = part.get_payload(0) if part.is_multipart() else None
            if isinstance(inner, EmailMessage):
                attached.append(inner)
                subject = header_text(inner, "Subject") or "message"
                files.append(MailFile(f"{subject[:80]}.eml", "message/rfc822", inner.as_bytes()))
            continue
        if part.is_multipart():
            # A multipart inside the attachments (e.g. multipart/related under mixed).
            stack.extend(p for p in part.iter_parts() if p.get_filename())
            continue
        name = part.get_filename() or ""
        data = part.get_payload(decode=True) or b""
        if not name and part.get_content_maintype() == "text":
            continue  # a second text body part, not a file
        files.append(MailFile(text_clean(name) or "attachment", part.get_content_type(), data))
    return files, attached


def _date(message: EmailMessage) -> dt.datetime | None:
    try:
        value = parsedate_to_datetime(header_text(message, "Date"))
    except (TypeError, ValueError, IndexError):
        return None
    if value is None:
        return None
    return value if timezone.is_aware(value) else timezone.make_aware(value, dt.UTC)


def mail_key(raw: bytes, message_id: str) -> str:
    """What makes a message the same message twice: its Message-ID, else a hash of its bytes."""
    if message_id and len(message_id) <= 250:
        return message_id
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def message_id_of(raw: bytes) -> str:
    """The Message-ID, read cheaply and safely even when the rest cannot be parsed."""
    match = re.search(rb"^message-id:[ \t]*(<[^<>\s]{1,900}>)", raw[:65536], re.I | re.M)
    return match.group(1).decode("ascii", "replace") if match else ""


def mail_parse(raw: bytes) -> ParsedMail:
    """Read one raw message; UnparseableMail when it has no usable sender."""
    message = email.message_from_bytes(raw, policy=policy.default)
    if not message.keys():
        raise UnparseableMail("no headers")
    senders = _addresses(message, "From")
    if not senders:
        raise UnparseableMail("no sender address in From")
    plain, html = _bodies(message)
    text = plain if plain.strip() else html_to_text(html, drop_quotes=False)
    files, attached = _files(message)
    subject = header_text(message, "Subject")
    forwarded = bool(_FORWARD_SUBJECT.match(subject) or _FORWARD_MARKERS.search(text) or attached)
    if forwarded:
        # A forward is the substance: keep it whole, cut only our marker and what is under it.
        body = text_trim_marker_only(text)
    elif plain.strip():
        body = text_trim(plain)
    else:
        body = text_trim(html_to_text(html, drop_quotes=True))
    recipients_headers = ("To", "Cc", "Delivered-To", "X-Original-To")
    return ParsedMail(
        message=message,
        message_id=header_text(message, "Message-ID")[:998],
        sender=senders[0][1],
        sender_name=senders[0][0][:255],
        senders=[a for _n, a in senders],
        subject=subject[:255],
        date=_date(message),
        in_reply_to=header_text(message, "In-Reply-To"),
        references=header_text(message, "References"),
        recipients=[header_text(message, h) for h in recipients_headers if message.get(h)],
        recipient_addresses=[a for _n, a in _addresses(message, "To", "Cc")],
        text=text,
        body=body,
        forwarded=forwarded,
        forwarded_sender=_forwarded_sender(text, attached) if forwarded else "",
        files=files,
    )


def text_trim_marker_only(text: str) -> str:
    """Forwarded mail: everything above our reply marker, nothing else cut."""
    return (text or "").split(REPLY_MARKER, 1)[0].strip()
