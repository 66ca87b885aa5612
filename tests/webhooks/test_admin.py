"""The webhook admin: register, test with a ping, re-enable, read the delivery log."""

from __future__ import annotations

import pytest
from django.urls import reverse

from msp_portal.core.models import AuditEntry
from msp_portal.webhooks.models import Webhook, WebhookDelivery

pytestmark = pytest.mark.django_db


def test_an_admin_registers_a_hook_and_sees_its_secret(client, admin_user, receiver, acme):
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:webhooks_webhook_add"),
        {
            "name": "PSA bridge",
            "url": receiver.url,
            "events": ["ticket.opened", "ticket.sla_breached"],
            "client": acme.pk,
            "is_active": "on",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    hook = Webhook.objects.get()
    assert hook.events == ["ticket.opened", "ticket.sla_breached"]
    assert (hook.client, hook.created_by) == (acme, admin_user)
    assert hook.secret.startswith("whsec_") and len(hook.secret) > 40
    page = client.get(reverse("admin:webhooks_webhook_change", args=[hook.pk]))
    assert hook.secret in page.content.decode()


def test_the_ping_action_sends_a_signed_test_event_to_that_hook_only(
    client, admin_user, receiver, make_hook, django_capture_on_commit_callbacks
):
    hook = make_hook(name="Pinged")
    other = make_hook(name="Left alone")
    receiver.secret = hook.secret
    client.force_login(admin_user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:webhooks_webhook_changelist"),
            {"action": "send_test_ping", "_selected_action": [hook.pk]},
        )

    assert response.status_code == 302
    [request] = receiver.requests
    assert request.verified
    assert request.headers["X-MSP-Event"] == "webhook.ping"
    assert request.json["data"] == {"webhook": {"id": hook.pk, "name": "Pinged"}, "message": "ping"}
    assert not WebhookDelivery.objects.filter(webhook=other).exists()
    assert AuditEntry.objects.filter(action="webhook.ping", actor=admin_user).count() == 1


def test_the_re_enable_action_turns_a_disabled_hook_back_on(client, admin_user, make_hook):
    hook = make_hook()
    Webhook.objects.filter(pk=hook.pk).update(
        is_active=False, consecutive_failures=10, disabled_reason="HTTP 500"
    )
    client.force_login(admin_user)

    client.post(
        reverse("admin:webhooks_webhook_changelist"),
        {"action": "re_enable", "_selected_action": [hook.pk]},
    )

    hook.refresh_from_db()
    assert (hook.is_active, hook.consecutive_failures, hook.disabled_at) == (True, 0, None)


def test_the_logs_open_read_only_for_an_admin(
    client, admin_user, acme, tech, receiver, make_hook, django_capture_on_commit_callbacks
):
    from tests import factories

    make_hook()
    with django_capture_on_commit_callbacks(execute=True):
        factories.open_ticket(acme, by=tech)
    delivery = WebhookDelivery.objects.get()
    client.force_login(admin_user)

    for name in ("webhooks_webhook", "webhooks_webhookdelivery", "core_outboxevent"):
        assert client.get(reverse(f"admin:{name}_changelist"), {"q": "ticket"}).status_code == 200
    page = client.get(reverse("admin:webhooks_webhookdelivery_change", args=[delivery.pk]))
    assert page.status_code == 200
    assert "ticket.opened" in page.content.decode()
    assert client.get(reverse("admin:webhooks_webhookdelivery_add")).status_code == 403


@pytest.mark.parametrize("who", ["manager", "tech", "acme_admin"])
def test_nobody_but_msp_admins_reaches_the_webhooks(client, request, who):
    client.force_login(request.getfixturevalue(who))

    response = client.get(reverse("admin:webhooks_webhook_changelist"))

    assert response.status_code == 302
