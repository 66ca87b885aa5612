"""Erasing a person reaches the mail kept from them: raw copy dropped, sender pseudonymised."""

from __future__ import annotations

import pytest

from msp_portal.core.privacy import ERASED_DOMAIN, person_erase
from tests.mailin.conftest import mail
from tickets.models import InboundMessage

pytestmark = pytest.mark.django_db


def test_erasure_drops_the_raw_copy_and_pseudonymises_the_sender(receive, anna, admin_user):
    message = receive(
        mail(sender="Anna Martin <anna@acme.test>", body="Anna Martin here, printer down")
    )
    other = receive(mail(sender="someone@elsewhere.test", body="Nothing about her"))
    assert message.status == InboundMessage.Status.TICKET_OPENED
    assert b"anna@acme.test" in bytes(message.raw)

    person_erase(contact=anna, by=admin_user, reason="asked")

    message.refresh_from_db()
    assert bytes(message.raw) == b""
    assert message.sender == f"erased-contact-{anna.pk}@{ERASED_DOMAIN}"
    assert "Anna Martin" not in message.sender_name + message.body_text
    other.refresh_from_db()
    assert bytes(other.raw) != b"" and other.sender == "someone@elsewhere.test"
