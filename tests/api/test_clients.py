"""Clients, sites, contacts and assets: staff read and write, client users read their own."""

from __future__ import annotations

import pytest

from clients.models import Asset, Client, Contact, Site
from tests import factories
from tests.conftest import MARKER

pytestmark = pytest.mark.django_db

RESOURCES = {"clients": Client, "sites": Site, "contacts": Contact, "assets": Asset}


@pytest.mark.parametrize("who", ["globex_user", "globex_tech"])
@pytest.mark.parametrize("resource", sorted(RESOURCES))
def test_another_clients_rows_answer_404_and_stay_out_of_lists(
    api, acme_world, globex, who, resource
):
    pk = acme_world[RESOURCES[resource]].pk
    client = api(who)

    one = client.get(f"/api/v1/{resource}/{pk}/")
    listed = client.get(f"/api/v1/{resource}/")
    changed = client.patch(f"/api/v1/{resource}/{pk}/", {"notes": "x"}, format="json")

    assert one.status_code == 404
    assert listed.status_code == 200
    assert MARKER not in listed.content.decode() and "Acme" not in listed.content.decode()
    assert changed.status_code == (403 if who == "globex_user" else 404)


def test_staff_list_and_retrieve(api, acme_world):
    client = api("tech")
    asset = acme_world[Asset]

    assets = client.get("/api/v1/assets/").json()["results"]
    one = client.get(f"/api/v1/assets/{asset.pk}/").json()

    assert [a["name"] for a in assets] == [asset.name]
    assert one["site"] == acme_world[Site].pk and one["owner"] == acme_world[Contact].pk


def test_client_users_read_their_company_without_internal_notes(api, acme_world):
    Client.objects.filter(pk=acme_world[Client].pk).update(notes="pays late")
    client = api("acme_user")

    company = client.get("/api/v1/clients/").json()["results"]

    assert [c["slug"] for c in company] == ["acme"]
    assert "notes" not in company[0]
    assert client.get("/api/v1/assets/").json()["results"][0]["name"] == acme_world[Asset].name


@pytest.mark.parametrize("resource", sorted(RESOURCES))
def test_client_users_cannot_write(api, acme_world, resource):
    pk = acme_world[RESOURCES[resource]].pk

    response = api("acme_admin").patch(f"/api/v1/{resource}/{pk}/", {"notes": "x"}, format="json")

    assert response.status_code == 403
    assert response.json() == {"detail": str(response.json()["detail"])}


def test_staff_create_and_change_an_asset(api, acme_world):
    acme, site = acme_world[Client], acme_world[Site]
    client = api("tech")

    created = client.post(
        "/api/v1/assets/",
        {"client": acme.pk, "kind": "laptop", "name": "LT-01", "site": site.pk,
         "attributes": {"ram_gb": 16}},
        format="json",
    )  # fmt: skip
    changed = client.patch(
        f"/api/v1/assets/{created.json()['id']}/", {"status": "in_repair"}, format="json"
    )

    assert created.status_code == 201, created.json()
    assert changed.status_code == 200
    asset = Asset.objects.get(name="LT-01")
    assert (asset.client, asset.site, asset.status) == (acme, site, "in_repair")


def test_a_site_of_another_client_is_a_400(api, acme, globex):
    globex_site = factories.SiteFactory(client=globex)

    response = api("tech").post(
        "/api/v1/assets/",
        {"client": acme.pk, "kind": "server", "name": "x", "site": globex_site.pk},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"site": ["This site belongs to another client."]}
    assert not Asset.objects.exists()


def test_an_owner_of_another_client_is_a_400_on_change(api, acme_world, globex):
    stranger = factories.ContactFactory(client=globex)
    asset = acme_world[Asset]

    response = api("tech").patch(f"/api/v1/assets/{asset.pk}/", {"owner": stranger.pk})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["owner"]


def test_a_restricted_technician_cannot_create_for_a_client_they_do_not_see(api, acme):
    response = api("globex_tech").post(
        "/api/v1/sites/", {"client": acme.pk, "name": "HQ"}, format="json"
    )

    assert response.status_code == 400
    assert "client" in response.json()["errors"]


def test_rows_do_not_move_to_another_client(api, acme_world, globex):
    site = acme_world[Site]

    response = api("tech").patch(f"/api/v1/sites/{site.pk}/", {"client": globex.pk})

    assert response.status_code == 400
    site.refresh_from_db()
    assert site.client == acme_world[Client]


def test_duplicate_names_are_a_field_error_not_a_crash(api, acme_world):
    site = acme_world[Site]

    response = api("tech").post(
        "/api/v1/sites/", {"client": site.client_id, "name": site.name}, format="json"
    )

    assert response.status_code == 400
    assert "errors" in response.json()


def test_only_staff_who_see_every_client_create_clients(api, globex):
    refused = api("globex_tech").post(
        "/api/v1/clients/", {"name": "Initech", "slug": "initech"}, format="json"
    )
    created = api("manager").post(
        "/api/v1/clients/", {"name": "Initech", "slug": "initech"}, format="json"
    )

    assert refused.status_code == 403
    assert created.status_code == 201
    assert Client.objects.filter(slug="initech").count() == 1


@pytest.mark.parametrize("zone", ["Mars/Olympus", "x" * 300])
def test_an_unknown_time_zone_is_a_field_error(api, zone):
    response = api("manager").post(
        "/api/v1/clients/", {"name": "X", "slug": "x", "time_zone": zone}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["time_zone"]


def test_assets_filter_by_kind_and_client(api, acme, globex):
    factories.AssetFactory(client=acme, kind="printer", name="PRN")
    factories.AssetFactory(client=acme, kind="server", name="SRV")
    factories.AssetFactory(client=globex, kind="printer", name="GLX")

    rows = api("tech").get("/api/v1/assets/", {"kind": "printer", "client": acme.pk}).json()

    assert [a["name"] for a in rows["results"]] == ["PRN"]


def test_null_characters_in_attributes_are_a_400(api, acme):
    response = api("tech").post(
        "/api/v1/assets/",
        {"client": acme.pk, "kind": "server", "name": "x", "attributes": {"a": "b\x00"}},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["attributes"]
