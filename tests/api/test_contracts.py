"""Contracts, SLA policies and calendars: read-only; client administrators see their own."""

from __future__ import annotations

import pytest

from contracts.models import Contract
from tests import factories
from tests.conftest import MARKER

pytestmark = pytest.mark.django_db


def ids(w) -> dict[str, int]:
    contract = w[Contract]
    return {
        "contracts": contract.pk,
        "sla-policies": contract.sla_policy_id,
        "calendars": contract.calendar_id,
    }


@pytest.mark.parametrize("resource", ["contracts", "sla-policies", "calendars"])
def test_a_globex_user_gets_404_on_acmes_rows_and_sees_none(api, acme_world, resource):
    client = api("globex_user")

    one = client.get(f"/api/v1/{resource}/{ids(acme_world)[resource]}/")
    listed = client.get(f"/api/v1/{resource}/")

    assert one.status_code == 404
    assert listed.json()["results"] == []


def test_a_technician_restricted_to_globex_does_not_see_acmes_contracts(api, acme_world):
    client = api("globex_tech")
    pk = acme_world[Contract].pk

    assert client.get(f"/api/v1/contracts/{pk}/").status_code == 404
    assert MARKER not in client.get("/api/v1/contracts/").content.decode()


def test_staff_read_contracts_policies_and_calendars(api, acme_world):
    client = api("tech")
    contract = acme_world[Contract]

    one = client.get(f"/api/v1/contracts/{contract.pk}/").json()
    policy = client.get(f"/api/v1/sla-policies/{contract.sla_policy_id}/").json()
    calendar = client.get(f"/api/v1/calendars/{contract.calendar_id}/").json()

    assert one["title"] == contract.title
    assert [t["priority"] for t in policy["targets"]] == ["P1", "P2", "P3", "P4"]
    assert calendar["windows"][0] == {"weekday": 0, "start": "09:00", "end": "17:00"}


def test_client_admin_reads_own_contracts_and_their_rules_only(api, acme_world):
    factories.ContractFactory(client=factories.ClientFactory(slug="other"))
    client = api("acme_admin")

    contracts = client.get("/api/v1/contracts/").json()["results"]
    policies = client.get("/api/v1/sla-policies/").json()["results"]

    assert [c["id"] for c in contracts] == [acme_world[Contract].pk]
    assert "notes" not in contracts[0]
    assert [p["id"] for p in policies] == [acme_world[Contract].sla_policy_id]


def test_client_users_see_no_commercial_terms(api, acme_world):
    client = api("acme_user")

    assert client.get("/api/v1/contracts/").json()["results"] == []
    assert client.get(f"/api/v1/contracts/{acme_world[Contract].pk}/").status_code == 404


def test_contracts_are_read_only(api, acme_world):
    response = api("admin_user").patch(
        f"/api/v1/contracts/{acme_world[Contract].pk}/", {"title": "x"}, format="json"
    )

    assert response.status_code == 405
    assert "detail" in response.json()
