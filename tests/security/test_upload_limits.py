"""Oversized requests are refused from their declared length, before Django reads the body.

An attachment over ATTACHMENT_MAX_BYTES is refused by the service, but only once Django has
streamed it to a temporary file: a body larger than REQUEST_MAX_BYTES must never get that far.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from tests import factories
from tickets.models import Attachment, TicketEvent

pytestmark = pytest.mark.django_db

LIMIT = 65536


@pytest.fixture
def ticket(acme, acme_user):
    return factories.open_ticket(acme, by=acme_user, subject="Printer")


def reply(client, ticket, size: int):
    upload = SimpleUploadedFile("big.pdf", b"%PDF-1.4\n" + b"0" * size, "application/pdf")
    return client.post(
        reverse("portal:reply", args=[ticket.number]), {"body": "Here it is", "files": [upload]}
    )


@override_settings(REQUEST_MAX_BYTES=LIMIT, LANGUAGE_CODE="en")
def test_a_body_over_the_limit_is_answered_413_and_nothing_is_saved(client, ticket, acme_user):
    client.force_login(acme_user)
    events = TicketEvent.objects.count()
    response = reply(client, ticket, LIMIT * 2)
    assert response.status_code == 413
    assert "too large" in response.content.decode()
    assert "the limit is 64.0\xa0KB" in response.content.decode()
    assert response["Connection"] == "close"
    assert TicketEvent.objects.count() == events
    assert not Attachment.objects.exists()


@override_settings(REQUEST_MAX_BYTES=LIMIT)
def test_a_body_under_the_limit_reaches_the_view(client, ticket, acme_user):
    client.force_login(acme_user)
    response = reply(client, ticket, LIMIT // 4)
    assert response.status_code in (200, 302)
    assert ticket.events.filter(body="Here it is").exists()


@override_settings(REQUEST_MAX_BYTES=LIMIT, LANGUAGE_CODE="fr")
def test_the_refusal_is_in_the_users_language_with_local_numbers(client, ticket, acme_user):
    client.force_login(acme_user)
    response = reply(client, ticket, LIMIT * 2)
    assert response.status_code == 413
    assert "64,0" in response.content.decode()


@override_settings(REQUEST_MAX_BYTES=LIMIT)
def test_the_api_gets_its_refusal_as_json(client, admin_user):
    response = client.post(
        "/api/tickets/", data=b"{" + b" " * (LIMIT * 2) + b"}", content_type="application/json"
    )
    assert response.status_code == 413
    assert "detail" in response.json()


def test_the_default_limit_leaves_room_for_the_largest_message(settings):
    assert (
        settings.REQUEST_MAX_BYTES > settings.ATTACHMENT_MAX_BYTES * settings.ATTACHMENT_MAX_FILES
    )
