"""The Django admin: every model registered, usable by MSP administrators only."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

pytestmark = pytest.mark.django_db

OWN_APPS = {
    "accounts",
    "core",
    "clients",
    "contracts",
    "tickets",
    "monitoring",
    "dashboard",
    "webhooks",
    "notifications",
    "reports",
}


def own_models():
    return [m for m in apps.get_models() if m._meta.app_label in OWN_APPS]


def test_every_model_of_ours_is_registered():
    missing = [
        m._meta.label
        for m in own_models()
        if m not in admin.site._registry and m._meta.model_name != "ticketsequence"
    ]
    assert missing == []


def test_every_changelist_has_search_and_filters():
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in OWN_APPS:
            continue
        assert model_admin.search_fields, model._meta.label
        if model._meta.model_name not in {"workerheartbeat", "queue"}:  # nothing to filter on
            assert model_admin.list_filter or model_admin.date_hierarchy, model._meta.label


def test_an_msp_admin_can_open_every_changelist(client, admin_user, acme_user):
    from tests import factories

    factories.open_ticket(acme_user.client, by=acme_user)
    client.force_login(admin_user)
    for model in admin.site._registry:
        if model._meta.app_label not in OWN_APPS:
            continue
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = client.get(url, {"q": "acme"})
        assert response.status_code == 200, url


@pytest.mark.parametrize("who", ["manager", "tech", "acme_admin", "acme_user"])
def test_nobody_else_gets_into_the_admin(client, request, who):
    client.force_login(request.getfixturevalue(who))

    response = client.get(reverse("admin:tickets_ticket_changelist"))

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_an_attachment_is_offered_through_the_checked_download_never_under_media(
    client, admin_user, acme_world
):
    from tickets.models import Attachment

    attachment = acme_world[Attachment]
    client.force_login(admin_user)
    page = client.get(reverse("admin:tickets_attachment_change", args=[attachment.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert reverse("tickets:attachment", args=[attachment.pk]) in html
    assert "/media/" not in html
