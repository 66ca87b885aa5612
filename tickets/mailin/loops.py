"""Mail that must never be answered: automatic replies, bounces, lists, and our own mail.

Answering any of them is how two robots end up writing to each other forever (RFC 3834).
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import parseaddr

from django.conf import settings

from .parse import header_text

_BULK_PRECEDENCE = {"bulk", "junk", "list", "auto_reply", "auto-reply"}
_ROBOT_LOCAL_PARTS = {"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"}


def own_addresses(*extra: str) -> set[str]:
    """The addresses the portal itself sends from or receives at (lower-case)."""
    found = {settings.DEFAULT_FROM_EMAIL, settings.TICKET_REPLY_ADDRESS, *extra}
    return {parseaddr(a)[1].lower() for a in found if a and "@" in a}


def _is_own(address: str, own: set[str]) -> bool:
    local, _, domain = address.partition("@")
    base = f"{local.split('+', 1)[0]}@{domain}"  # support+t42.sig@ is support@
    return address in own or base in own


def loop_reason(message: EmailMessage, sender: str, *, own: set[str]) -> str | None:
    """Why this message is automatic ('automatic' or 'own_address'), or None for a person."""
    if _is_own(sender, own):
        return "own_address"
    auto_submitted = header_text(message, "Auto-Submitted").lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return "automatic"
    if header_text(message, "Precedence").lower() in _BULK_PRECEDENCE:
        return "automatic"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Auto-Reply"):
        if name in message and header_text(message, name).lower() not in ("no", "false", "0"):
            return "automatic"
    if "Return-Path" in message and header_text(message, "Return-Path").strip() in ("<>", ""):
        return "automatic"
    if message.get_content_type() == "multipart/report":
        return "automatic"
    if sender.partition("@")[0] in _ROBOT_LOCAL_PARTS:
        return "automatic"
    return None
