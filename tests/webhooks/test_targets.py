"""Hostile addresses are refused when a hook is saved and again before anything is sent."""

from __future__ import annotations

import socket

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from msp_portal.core.models import OutboxEvent
from msp_portal.webhooks import services
from msp_portal.webhooks.models import Webhook, WebhookDelivery

pytestmark = pytest.mark.django_db

METADATA = "http://169.254.169.254/latest/meta-data/"
PRIVATE = "http://10.20.30.40/hook"


@pytest.fixture
def production_targets(settings, loopback_only):
    """Private targets refused, as in production; any connection off loopback fails the test."""
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    return loopback_only


def hook(url: str) -> Webhook:
    return Webhook(name="Hostile", url=url, events=["ticket.opened"])


@pytest.mark.parametrize(
    "url",
    [
        METADATA,
        PRIVATE,
        "http://127.0.0.1:8000/admin/",
        "http://[::1]/",
        "http://[fd00:ec2::254]/latest/",
        "http://[::ffff:169.254.169.254]/",
        "http://100.64.0.1/",
        "http://0.0.0.0/",
        "file:///etc/passwd",
        "gopher://10.0.0.1:70/",
        "ftp://example.com/",
    ],
)
def test_a_hostile_url_is_refused_at_save_time(production_targets, url):
    with pytest.raises(ValidationError) as refused:
        hook(url).full_clean()

    assert "url" in refused.value.message_dict
    assert production_targets == []


@pytest.mark.parametrize("url", [METADATA, "http://[fd00:ec2::254]/", "http://169.254.1.1/"])
def test_metadata_addresses_stay_refused_even_when_private_targets_are_allowed(
    settings, loopback_only, url
):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True

    with pytest.raises(ValidationError):
        hook(url).full_clean()
    hook(PRIVATE).full_clean()  # a LAN receiver is fine then


def test_the_resolved_address_is_checked_not_the_name(production_targets, monkeypatch):
    real = socket.getaddrinfo

    def fake_dns(host, *args, **kwargs):
        if host == "intranet.example.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", 80))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake_dns)

    with pytest.raises(ValidationError, match=r"10\.1\.2\.3"):
        hook("https://intranet.example.test/hook").full_clean()


def test_the_admin_refuses_the_metadata_address(client, admin_user, production_targets):
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:webhooks_webhook_add"),
        {"name": "Steal credentials", "url": METADATA, "events": ["ticket.opened"]},
    )

    assert response.status_code == 200
    assert "link-local or cloud metadata" in response.content.decode()
    assert not Webhook.objects.exists()
    assert production_targets == []


@pytest.mark.parametrize("url", [METADATA, PRIVATE])
def test_a_hostile_hook_saved_behind_the_validation_sends_nothing(production_targets, url):
    # As if the row came from an older version, a shell or a DNS answer that changed since.
    bad = Webhook.objects.create(name="Hostile", url=url, events=["ticket.opened"])
    event = OutboxEvent.objects.create(topic="ticket.opened", idempotency_key="k", payload={})
    services.webhooks_dispatch(event=event)
    delivery = WebhookDelivery.objects.get(webhook=bad)

    assert services.webhook_deliver(delivery_id=delivery.pk) == "failed"

    delivery.refresh_from_db()
    assert "cannot be sent there" in delivery.error
    assert delivery.response_status is None
    assert production_targets == []
