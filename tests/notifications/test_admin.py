"""The admin: the notification log (read-only, searchable) and preferences, for MSP admins."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from msp_portal.notifications.models import Notification, NotificationPreference

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", [Notification, NotificationPreference])
def test_registered_with_search_and_filters(model):
    model_admin = admin.site._registry[model]

    assert model_admin.search_fields and model_admin.list_filter


def test_the_log_is_read_only_and_searchable(client, admin_user, acme_world):
    notification = acme_world[Notification]
    client.force_login(admin_user)

    listing = client.get(
        reverse("admin:notifications_notification_changelist"), {"q": "ACME-SECRET"}
    )
    detail = client.get(reverse("admin:notifications_notification_change", args=[notification.pk]))

    assert listing.status_code == 200 and "ACME-SECRET notification" in listing.content.decode()
    assert detail.status_code == 200
    assert client.get(reverse("admin:notifications_notification_add")).status_code == 403
    assert (
        client.get(reverse("admin:notifications_notificationpreference_changelist")).status_code
        == 200
    )


@pytest.mark.parametrize("who", ["manager", "tech", "acme_admin"])
def test_nobody_else_reads_the_log(client, request, who):
    client.force_login(request.getfixturevalue(who))

    response = client.get(reverse("admin:notifications_notification_changelist"))

    assert response.status_code == 302
