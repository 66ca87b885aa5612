"""Reading the mailboxes: each one on its own, under a lease, message by message.

For each message: fetch its bytes without marking it read, store and process it (``route``),
then mark it read, move or delete it as the mailbox says. The raw copy is stored before the
IMAP side is touched, so a crash in between means it is read again next time, recognised by
its key and not processed twice. A message too large to read whole keeps its first bytes as a
failed row and is never deleted from the server.
"""

from __future__ import annotations

import datetime as dt
import logging
import ssl
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from imap_tools import BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted, MailMessageFlags

from ..models import InboundMessage, Mailbox
from .route import inbound_receive, inbound_store

logger = logging.getLogger(__name__)


@dataclass
class PollResult:
    """What one poll of one mailbox did."""

    fetched: int = 0
    error: str = ""


def mailbox_claim(mailbox_pk: int) -> str | None:
    """Take the mailbox's lease with one conditional UPDATE; None if another poll holds it."""
    now = timezone.now()
    token = uuid.uuid4().hex
    claimed = (
        Mailbox.objects.filter(pk=mailbox_pk, active=True)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(
            lease_until=now + dt.timedelta(seconds=settings.MAIL_IN_LEASE_SECONDS),
            lease_token=token,
        )
    )
    return token if claimed == 1 else None


def mailbox_release(mailbox_pk: int, token: str, *, error: str = "") -> None:
    """Give the lease back (only if still ours) and record how the poll went."""
    Mailbox.objects.filter(pk=mailbox_pk, lease_token=token).update(
        lease_until=None, lease_token="", last_polled_at=timezone.now(), last_error=error[:500]
    )


def mailbox_connect(mailbox: Mailbox) -> BaseMailBox:
    """A logged-in imap-tools client on the mailbox's folder."""
    timeout = settings.MAIL_IN_TIMEOUT_SECONDS
    if mailbox.security == Mailbox.Security.SSL:
        client = MailBox(
            mailbox.host, mailbox.port, timeout=timeout, ssl_context=ssl.create_default_context()
        )
    elif mailbox.security == Mailbox.Security.STARTTLS:
        client = MailBoxStartTls(
            mailbox.host, mailbox.port, timeout=timeout, ssl_context=ssl.create_default_context()
        )
    else:
        client = MailBoxUnencrypted(mailbox.host, mailbox.port, timeout=timeout)
    return client.login(mailbox.username, mailbox.password, initial_folder=mailbox.folder or None)


def _fetch(client: BaseMailBox, uid: str, part: str) -> bytes:
    status, data = client.client.uid("FETCH", uid, f"({part})")
    if status != "OK":
        raise OSError(f"FETCH {uid} {part}: {status}")
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            return item[1]
    return b""


def _size(client: BaseMailBox, uid: str) -> int:
    status, data = client.client.uid("FETCH", uid, "(RFC822.SIZE)")
    for item in data if status == "OK" else ():
        text = item.decode("ascii", "replace") if isinstance(item, bytes) else ""
        if "RFC822.SIZE" in text:
            return int(text.split("RFC822.SIZE", 1)[1].strip(" )").split()[0])
    return 0


def _done(client: BaseMailBox, mailbox: Mailbox, uid: str, *, keep: bool) -> None:
    """Mark, move or delete the message on the server; a kept message is only marked read."""
    action = mailbox.processed_action
    if action == Mailbox.ProcessedAction.MOVE and mailbox.processed_folder:
        client.move(uid, mailbox.processed_folder)
    elif action == Mailbox.ProcessedAction.DELETE and not keep:
        client.delete(uid)
    else:
        client.flag(uid, MailMessageFlags.SEEN, True)


def _message_take(client: BaseMailBox, mailbox: Mailbox, uid: str) -> None:
    """Store and process one message, then clear it from the folder. Processing errors are
    recorded on the message's row (route); if even storing fails, the message stays untouched
    on the server and the error stops this poll of this mailbox only."""
    if _size(client, uid) > settings.MAIL_IN_MAX_BYTES:
        # Keep the headers, mark it failed, and leave it on the server for a person.
        raw = _fetch(client, uid, "BODY.PEEK[HEADER]")
        raw += b"\r\n[message too large: its body is left on the server]\r\n"
        row, _created = inbound_store(mailbox=mailbox, raw=raw, uid=uid)
        InboundMessage.objects.filter(pk=row.pk, status=InboundMessage.Status.RECEIVED).update(
            status=InboundMessage.Status.FAILED,
            reason=InboundMessage.Reason.TOO_LARGE,
            truncated=True,
            error="Larger than MAIL_IN_MAX_BYTES: only its headers are kept here; the message "
            "stays on the server.",
        )
        _done(client, mailbox, uid, keep=True)
        return
    inbound_receive(mailbox=mailbox, raw=_fetch(client, uid, "BODY.PEEK[]"), uid=uid)
    _done(client, mailbox, uid, keep=False)


def mailbox_poll(*, mailbox_pk: int) -> PollResult:
    """Read one mailbox's new messages, if no other poll is reading it."""
    token = mailbox_claim(mailbox_pk)
    if token is None:
        return PollResult()
    result = PollResult()
    try:
        mailbox = Mailbox.objects.get(pk=mailbox_pk)
        with mailbox_connect(mailbox) as client:
            # Moved messages leave the folder, so all of it is new; otherwise read ones are
            # done (a too-large message is only marked read, never deleted).
            move = mailbox.processed_action == Mailbox.ProcessedAction.MOVE
            criteria = "ALL" if move and mailbox.processed_folder else "UNSEEN"
            for uid in client.uids(criteria)[: settings.MAIL_IN_BATCH_SIZE]:
                _message_take(client, mailbox, uid)
                result.fetched += 1
    except Exception as exc:  # recorded on the mailbox; the others go on
        logger.exception("mail in: polling mailbox %s failed", mailbox_pk)
        result.error = f"{type(exc).__name__}: {exc}"
    finally:
        mailbox_release(mailbox_pk, token, error=result.error)
    return result


def mailboxes_poll() -> dict[int, PollResult]:
    """Poll every active mailbox, each independently: one broken mailbox stops no other."""
    results = {}
    for pk in Mailbox.objects.filter(active=True).values_list("pk", flat=True):
        results[pk] = mailbox_poll(mailbox_pk=pk)
    return results
