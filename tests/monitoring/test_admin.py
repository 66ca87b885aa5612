"""The monitoring admin: raw settings checked like everywhere else, changes through services."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from monitoring.models import Check, CheckStateChange
from msp_portal.core.models import AuditEntry
from tests import factories

pytestmark = pytest.mark.django_db


def form_data(client_obj, **overrides):
    data = {
        "client": client_obj.pk,
        "name": "Router",
        "kind": "tcp",
        "config": json.dumps({"host": "127.0.0.1", "port": 22}),
        "interval_seconds": 60,
        "retry_interval_seconds": 30,
        "timeout_seconds": 10,
        "grace_seconds": 300,
        "failure_threshold": 3,
        "recovery_threshold": 2,
        "enabled": "on",
    }
    return {**data, **overrides}


def test_the_admin_refuses_a_metadata_target(client, admin_user, acme):
    client.force_login(admin_user)
    config = json.dumps({"url": "http://169.254.169.254/"})

    response = client.post(
        reverse("admin:monitoring_check_add"), form_data(acme, kind="http", config=config)
    )

    assert response.status_code == 200
    assert "169.254.169.254" in response.content.decode()
    assert not Check.objects.exists()


def test_the_admin_creates_and_pauses_through_the_services(client, admin_user, acme):
    client.force_login(admin_user)

    response = client.post(reverse("admin:monitoring_check_add"), form_data(acme))

    assert response.status_code == 302
    check = Check.objects.get()
    assert AuditEntry.objects.filter(action="check.created", object_id=str(check.pk)).exists()

    data = form_data(acme)
    del data["enabled"]
    client.post(reverse("admin:monitoring_check_change", args=[check.pk]), data)

    check.refresh_from_db()
    assert not check.enabled and check.state == "paused"
    assert CheckStateChange.objects.filter(monitor=check, to_state="paused").exists()


def test_the_admin_deletes_through_the_service(client, admin_user, acme):
    check = factories.CheckFactory(client=acme)
    client.force_login(admin_user)

    client.post(reverse("admin:monitoring_check_delete", args=[check.pk]), {"post": "yes"})

    assert not Check.objects.exists()
    assert AuditEntry.objects.filter(action="check.deleted").exists()
