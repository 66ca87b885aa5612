"""Adding and changing clients, sites, contacts and assets from the staff pages: through the
services, audited, with refusals a person can act on and what they typed kept."""

from __future__ import annotations

import pytest
from django.urls import reverse

from clients.models import Asset, Client, Contact, Site
from msp_portal.core.models import AuditEntry
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def client_data(**overrides):
    data = {
        "name": "Initech",
        "slug": "",
        "status": "active",
        "time_zone": "Europe/Brussels",
        "language": "fr",
        "notes": "",
    }
    return data | overrides


def test_a_manager_adds_a_client_whose_short_name_comes_from_its_name(client, manager):
    client.force_login(manager)

    response = client.post(reverse("clients:create"), client_data(name="Société Générale"))

    added = Client.objects.get(name="Société Générale")
    assert response.status_code == 302
    assert response["Location"] == added.get_absolute_url()
    assert (added.slug, added.time_zone, added.language) == (
        "societe-generale",
        "Europe/Brussels",
        "fr",
    )
    assert AuditEntry.objects.filter(action="client.created", client=added, actor=manager).exists()


def test_a_taken_short_name_is_refused_and_the_form_keeps_what_was_typed(client, manager, acme):
    client.force_login(manager)

    response = client.post(reverse("clients:create"), client_data(name="Acme bis", slug="ACME"))

    assert response.status_code == 200
    body = response.content.decode()
    assert "A client with this short name already exists (acme)" in body
    assert 'value="Acme bis"' in body
    assert Client.objects.count() == 1


def test_an_unknown_time_zone_is_refused(client, manager):
    client.force_login(manager)

    response = client.post(reverse("clients:create"), client_data(time_zone="Mars/Olympus"))

    assert response.status_code == 200
    assert response.context["form"].errors["time_zone"]
    assert not Client.objects.filter(name="Initech").exists()


def test_a_technician_limited_to_some_clients_cannot_add_one(client, globex):
    tech = factories.UserFactory(role="technician", sees_all_clients=False)
    tech.allowed_clients.set([globex])
    client.force_login(tech)

    assert client.get(reverse("clients:create")).status_code == 403
    assert client.post(reverse("clients:create"), client_data()).status_code == 403
    assert not Client.objects.filter(name="Initech").exists()


def test_editing_a_client_changes_it_and_is_audited(client, manager, acme):
    client.force_login(manager)

    response = client.post(
        reverse("clients:edit", args=[acme.slug]),
        client_data(name="Acme Industries", slug="acme", status="suspended", time_zone="UTC"),
    )

    acme.refresh_from_db()
    assert response.status_code == 302
    assert (acme.status, acme.time_zone) == ("suspended", "UTC")
    entry = AuditEntry.objects.get(action="client.updated", client=acme)
    assert entry.data == {"fields": ["language", "status", "time_zone"]}


def test_a_site_name_taken_within_the_client_is_refused(client, tech, acme):
    factories.SiteFactory(client=acme, name="Head office")
    client.force_login(tech)

    response = client.post(
        reverse("clients:site_create", args=[acme.slug]),
        {"name": "head office", "city": "Lyon", "country": "fr"},
    )

    assert response.status_code == 200
    assert "This client already has a site named head office." in response.content.decode()
    assert Site.objects.filter(client=acme).count() == 1


def test_a_site_is_added_and_edited(client, tech, acme):
    client.force_login(tech)

    response = client.post(
        reverse("clients:site_create", args=[acme.slug]),
        {"name": "Warehouse", "city": "Lyon", "country": "fr"},
    )
    site = Site.objects.get(client=acme, name="Warehouse")
    assert response["Location"] == acme.get_absolute_url()
    assert site.country == "FR"

    client.post(reverse("clients:site_edit", args=[site.pk]), {"name": "Depot", "country": "FR"})

    site.refresh_from_db()
    assert (site.name, site.city) == ("Depot", "")


def test_marking_a_contact_primary_unmarks_the_previous_one(client, tech, acme):
    previous = factories.ContactFactory(client=acme, is_primary=True)
    client.force_login(tech)

    response = client.post(
        reverse("clients:contact_create", args=[acme.slug]),
        {"first_name": "Lea", "last_name": "Martin", "email": "Lea@Acme.test",
         "is_primary": "on", "is_active": "on"},
    )  # fmt: skip

    assert response.status_code == 302
    lea = Contact.objects.get(last_name="Martin")
    previous.refresh_from_db()
    assert (lea.is_primary, previous.is_primary, lea.email) == (True, False, "lea@acme.test")


def test_a_contact_e_mail_taken_within_the_client_is_refused(client, tech, acme):
    factories.ContactFactory(client=acme, email="it@acme.test")
    client.force_login(tech)

    response = client.post(
        reverse("clients:contact_create", args=[acme.slug]),
        {"first_name": "Ann", "last_name": "Other", "email": "IT@acme.test", "is_active": "on"},
    )

    assert response.status_code == 200
    assert "Another contact of this client already has this e-mail address." in (
        response.content.decode()
    )


def asset_data(**overrides):
    data = {"name": "NAS-01", "kind": "server", "status": "active", "attributes": ""}
    return data | overrides


def test_an_asset_cannot_be_put_at_another_clients_site(client, tech, acme, globex):
    elsewhere = factories.SiteFactory(client=globex, name="Globex HQ")
    client.force_login(tech)

    response = client.post(
        reverse("clients:asset_create", args=[acme.slug]),
        asset_data(site=str(elsewhere.pk), serial_number="SN-123"),
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "not one of Acme Industries&#x27;s sites" in body
    assert 'value="SN-123"' in body  # what was typed stays
    assert "Globex HQ" not in body  # and the other client's site is not offered
    assert not Asset.objects.filter(name="NAS-01").exists()


def test_the_service_refuses_another_clients_site_too(tech, acme, globex):
    from django.core.exceptions import ValidationError

    from clients.services import asset_create

    with pytest.raises(ValidationError) as error:
        asset_create(
            client=acme, by=tech, name="X", kind="server",
            site=factories.SiteFactory(client=globex),
        )  # fmt: skip

    assert "site" in error.value.error_dict


def test_an_asset_is_added_with_its_attributes_and_edited(client, tech, acme):
    site = factories.SiteFactory(client=acme)
    client.force_login(tech)

    response = client.post(
        reverse("clients:asset_create", args=[acme.slug]),
        asset_data(site=str(site.pk), attributes='{"ram_gb": 16}', purchase_date="2024-03-01"),
    )

    asset = Asset.objects.get(name="NAS-01")
    assert response["Location"] == asset.get_absolute_url()
    assert (asset.site, asset.attributes) == (site, {"ram_gb": 16})
    assert AuditEntry.objects.filter(action="asset.created", client=acme).exists()

    response = client.post(
        reverse("clients:asset_edit", args=[asset.pk]),
        asset_data(purchase_date="2024-03-01", expires_on="2023-01-01", attributes="[1]"),
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "cannot be before the purchase date" in errors["expires_on"][0]
    assert "JSON object" in errors["attributes"][0]
    asset.refresh_from_db()
    assert asset.site == site  # nothing saved


def test_a_client_user_cannot_reach_the_forms(client, acme_admin, acme):
    client.force_login(acme_admin)

    for url in (reverse("clients:create"), reverse("clients:edit", args=[acme.slug])):
        assert client.get(url).status_code == 404


def test_another_clients_records_answer_404_to_a_restricted_technician(client, globex):
    site = factories.SiteFactory(name="Acme site", client=factories.ClientFactory(slug="acme"))
    contact = factories.ContactFactory(client=site.client)
    tech = factories.UserFactory(role="technician", sees_all_clients=False)
    tech.allowed_clients.set([globex])
    client.force_login(tech)

    for url in (
        reverse("clients:site_edit", args=[site.pk]),
        reverse("clients:contact_edit", args=[contact.pk]),
    ):
        assert client.post(url, {"name": "Stolen", "last_name": "Stolen"}).status_code == 404
    site.refresh_from_db()
    assert site.name == "Acme site"
