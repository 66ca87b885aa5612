"""Clients and their inventory: rows stay within one client."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from clients.models import Asset, Client
from tests import factories

pytestmark = pytest.mark.django_db


def test_an_asset_cannot_sit_on_another_clients_site_or_belong_to_their_contact(acme, globex):
    site = factories.SiteFactory(client=globex)
    owner = factories.ContactFactory(client=globex)
    asset = Asset(client=acme, kind="laptop", name="LT-01", site=site, owner=owner)

    with pytest.raises(ValidationError) as err:
        asset.full_clean()

    assert set(err.value.message_dict) == {"site", "owner"}


def test_asset_attributes_must_be_an_object(acme):
    asset = Asset(client=acme, kind="server", name="SRV", attributes=["ram", 16])

    with pytest.raises(ValidationError) as err:
        asset.full_clean()

    assert "attributes" in err.value.message_dict


def test_a_client_time_zone_must_exist():
    client = Client(name="Initech", slug="initech", time_zone="Europe/Atlantis")

    with pytest.raises(ValidationError) as err:
        client.full_clean()

    assert "time_zone" in err.value.message_dict


def test_a_contact_login_must_belong_to_the_same_client(acme, globex_user):
    contact = factories.ContactFactory.build(client=acme, user=globex_user)

    with pytest.raises(ValidationError):
        contact.clean()


def test_the_address_shown_prefers_url_then_host_then_ip(acme):
    asset = Asset(client=acme, kind="server", name="x", ip_address="192.0.2.1")
    assert asset.address == "192.0.2.1"
    asset.hostname = "srv.example.test"
    assert asset.address == "srv.example.test"
    asset.url = "https://srv.example.test/"
    assert asset.address == "https://srv.example.test/"
