"""Monitoring, read-only: checks, results, state changes and maintenance windows."""

from __future__ import annotations

import pytest

from monitoring.models import Check, CheckResult, CheckStateChange, MaintenanceWindow
from tests.conftest import MARKER

pytestmark = pytest.mark.django_db

RESOURCES = {
    "checks": Check,
    "check-results": CheckResult,
    "check-state-changes": CheckStateChange,
    "maintenance-windows": MaintenanceWindow,
}


@pytest.mark.parametrize("who", ["globex_user", "globex_tech"])
@pytest.mark.parametrize("resource", sorted(RESOURCES))
def test_another_clients_monitoring_answers_404_and_stays_out_of_lists(
    api, acme_world, who, resource
):
    client = api(who)

    one = client.get(f"/api/v1/{resource}/{acme_world[RESOURCES[resource]].pk}/")
    listed = client.get(f"/api/v1/{resource}/")

    assert one.status_code == 404
    assert listed.status_code == 200
    assert listed.json()["results"] == []
    assert MARKER not in listed.content.decode()


@pytest.mark.parametrize("resource", sorted(RESOURCES))
def test_staff_list_and_retrieve(api, acme_world, resource):
    client = api("tech")
    pk = acme_world[RESOURCES[resource]].pk

    listed = client.get(f"/api/v1/{resource}/").json()["results"]
    one = client.get(f"/api/v1/{resource}/{pk}/")

    assert [row["id"] for row in listed] == [pk]
    assert one.status_code == 200


def test_results_filter_by_check(api, acme_world):
    check = acme_world[Check]
    client = api("tech")

    mine = client.get("/api/v1/check-results/", {"check": check.pk}).json()["results"]
    none = client.get("/api/v1/check-results/", {"check": check.pk + 1000}).json()["results"]

    assert [r["check"] for r in mine] == [check.pk]
    assert none == []


def test_client_users_see_their_checks_without_probe_settings(api, acme_world):
    rows = api("acme_user").get("/api/v1/checks/").json()["results"]

    assert [r["id"] for r in rows] == [acme_world[Check].pk]
    assert "config" not in rows[0]
    assert "config" in api("tech").get("/api/v1/checks/").json()["results"][0]


def test_monitoring_is_read_only_for_now(api, acme_world):
    response = api("admin_user").post("/api/v1/checks/", {"name": "x"}, format="json")

    assert response.status_code == 405
