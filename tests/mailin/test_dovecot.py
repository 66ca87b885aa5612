"""Against a real IMAP server: Debian's Dovecot, started for these tests on a free port.

Outside CI a machine without /usr/sbin/dovecot skips them and says why; in CI (CI set) a missing
Dovecot fails them, as tests/browser does with Chromium.
"""

from __future__ import annotations

import getpass
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from imap_tools import MailBoxUnencrypted

from tickets import tasks
from tickets.mailin.poll import mailbox_claim, mailbox_poll
from tickets.models import InboundMessage, Mailbox, Ticket, TicketEvent

from .conftest import eml, reply

pytestmark = pytest.mark.django_db

DOVECOT = Path("/usr/sbin/dovecot")
USER, PASSWORD = "support", "imap-test-password"


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _config(root: Path, port: int) -> str:
    """Plain IMAP on loopback, one user from a passwd file, maildirs under ``root``.

    As root, Dovecot refuses to hand mail to uid 0 and wants unprivileged helper users: the
    Debian package's ``dovecot`` and ``dovenull`` do. As anyone else, everything runs as them.
    """
    if os.geteuid() == 0:
        owner = pwd.getpwnam("dovecot")
        internal, login = "dovecot", "dovenull"
        uid, gid = owner.pw_uid, owner.pw_gid
        os.chown(root / "mail", uid, gid)
    else:
        internal = login = getpass.getuser()
        uid, gid = os.getuid(), os.getgid()
    return f"""
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = {internal}
default_login_user = {login}
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


@pytest.fixture
def dovecot():
    """A running Dovecot: (host, port); stopped after the test, its files removed."""
    if not DOVECOT.exists():
        if _in_ci():
            pytest.fail(f"Dovecot not found at {DOVECOT}: CI must install dovecot-imapd")
        pytest.skip(f"Dovecot not found at {DOVECOT}: install dovecot-imapd to run this test")
    # Not under pytest's tmp_path, whose parents are private: Dovecot's auth and login
    # processes run as other users and must reach the passwd file and base_dir.
    root = Path(tempfile.mkdtemp(prefix="mailin-dovecot-"))
    root.chmod(0o755)
    (root / "mail").mkdir()
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    port = _free_port()
    conf = root / "dovecot.conf"
    conf.write_text(_config(root, port))
    process = subprocess.Popen(
        [str(DOVECOT), "-F", "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log = (
                        (root / "dovecot.log").read_text()
                        if (root / "dovecot.log").exists()
                        else ""
                    )
                    output = process.stdout.read().decode() if process.poll() is not None else ""
                    pytest.fail(f"Dovecot did not start:\n{output}\n{log}")
                time.sleep(0.05)
        yield "127.0.0.1", port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def imap_mailbox(dovecot, db):
    host, port = dovecot
    with MailBoxUnencrypted(host, port).login(USER, PASSWORD) as client:
        client.folder.create("Processed")
    return Mailbox.objects.create(
        name="Dovecot",
        address="support@msp.example",
        host=host,
        port=port,
        security=Mailbox.Security.NONE,
        username=USER,
        password=PASSWORD,
        processed_action=Mailbox.ProcessedAction.MOVE,
        processed_folder="Processed",
    )


def _deliver(mailbox: Mailbox, raw: bytes) -> None:
    with MailBoxUnencrypted(mailbox.host, mailbox.port).login(USER, PASSWORD) as client:
        client.append(raw, "INBOX")


def _count(mailbox: Mailbox, folder: str) -> int:
    with MailBoxUnencrypted(mailbox.host, mailbox.port).login(
        USER, PASSWORD, initial_folder=folder
    ) as client:
        return len(client.uids("ALL"))


def test_a_delivered_message_becomes_a_ticket_and_its_reply_lands_on_it(
    imap_mailbox, anna, django_capture_on_commit_callbacks
):
    broken = Mailbox.objects.create(
        name="Broken", host=imap_mailbox.host, port=imap_mailbox.port, security="none",
        username=USER, password="wrong",
    )  # fmt: skip
    _deliver(imap_mailbox, eml("plain.eml"))

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.mail_poll.delay().get() == 1

    ticket = Ticket.objects.get()
    assert (ticket.contact, ticket.source) == (anna, Ticket.Source.EMAIL)
    assert (_count(imap_mailbox, "INBOX"), _count(imap_mailbox, "Processed")) == (0, 1)
    broken.refresh_from_db()
    assert broken.last_error and broken.lease_until is None  # failed alone, lease given back
    Mailbox.objects.filter(pk=broken.pk).update(active=False)  # each failed login costs seconds

    _deliver(imap_mailbox, reply(ticket, sender="Anna Martin <anna@acme.test>"))
    with django_capture_on_commit_callbacks(execute=True):
        tasks.mail_poll.delay()

    assert Ticket.objects.count() == 1
    event = ticket.events.get(kind=TicketEvent.Kind.REPLY)
    assert (event.public, event.author_contact, event.body) == (
        True,
        anna,
        "It works again, thanks.",
    )
    assert set(InboundMessage.objects.values_list("status", flat=True)) == {
        "ticket_opened",
        "replied",
    }
    imap_mailbox.refresh_from_db()
    assert imap_mailbox.last_error == "" and imap_mailbox.last_polled_at is not None


def test_a_mailbox_being_polled_is_not_polled_twice_and_mark_seen_reads_each_once(
    imap_mailbox, anna
):
    imap_mailbox.processed_action = Mailbox.ProcessedAction.SEEN
    imap_mailbox.save()
    _deliver(imap_mailbox, eml("plain.eml"))
    _deliver(imap_mailbox, eml("garbage.eml"))

    assert mailbox_claim(imap_mailbox.pk) is not None
    assert mailbox_poll(mailbox_pk=imap_mailbox.pk).fetched == 0  # someone else holds it
    Mailbox.objects.filter(pk=imap_mailbox.pk).update(lease_until=None)

    assert mailbox_poll(mailbox_pk=imap_mailbox.pk).fetched == 2
    assert mailbox_poll(mailbox_pk=imap_mailbox.pk).fetched == 0  # both marked read
    assert _count(imap_mailbox, "INBOX") == 2  # kept on the server
    statuses = sorted(InboundMessage.objects.values_list("status", flat=True))
    assert statuses == ["failed", "ticket_opened"]


def test_a_message_too_large_is_kept_on_the_server_even_when_read_mail_is_deleted(
    imap_mailbox, anna, settings
):
    settings.MAIL_IN_MAX_BYTES = 300
    imap_mailbox.processed_action = Mailbox.ProcessedAction.DELETE
    imap_mailbox.save()
    _deliver(imap_mailbox, eml("plain.eml"))

    assert mailbox_poll(mailbox_pk=imap_mailbox.pk).fetched == 1
    assert mailbox_poll(mailbox_pk=imap_mailbox.pk).fetched == 0

    message = InboundMessage.objects.get()
    assert (message.status, message.reason, message.truncated) == ("failed", "too_large", True)
    assert b"Subject: Printer offline on the 2nd floor" in bytes(message.raw)
    assert _count(imap_mailbox, "INBOX") == 1
    assert not Ticket.objects.exists()
