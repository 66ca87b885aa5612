"""Portal pages besides tickets: assets with their monitoring, contracts in plain words, the
navigation, and list pages whose number of queries does not grow with their rows."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tickets import services

pytestmark = pytest.mark.django_db


def test_the_asset_list_shows_monitoring_state_and_links_to_each_asset(client, acme, acme_user):
    asset = factories.AssetFactory(client=acme, name="ACME-FW-1")
    factories.CheckFactory(
        client=acme, asset=asset, name="HTTPS", state="down", last_run_at=timezone.now()
    )
    client.force_login(acme_user)

    body = client.get(reverse("portal:asset_list")).content.decode()

    assert "ACME-FW-1" in body and "state-down" in body and "last check" in body
    assert reverse("portal:asset_detail", kwargs={"pk": asset.pk}) in body


def test_the_asset_page_shows_checks_and_the_tickets_about_it_this_user_may_see(
    client, acme, acme_user, tech
):
    asset = factories.AssetFactory(client=acme, name="ACME-NAS")
    factories.CheckFactory(client=acme, asset=asset, name="Ping NAS", state="degraded")
    factories.open_ticket(acme, by=acme_user, asset=asset, subject="NAS is slow")
    other = factories.ContactFactory(client=acme)
    factories.open_ticket(acme, by=tech, contact=other, asset=asset, subject="Colleague NAS")
    client.force_login(acme_user)

    body = client.get(reverse("portal:asset_detail", kwargs={"pk": asset.pk})).content.decode()

    assert "Ping NAS" in body and "state-degraded" in body
    assert "NAS is slow" in body and "Colleague NAS" not in body


def test_another_companys_asset_is_404(client, globex, acme_user):
    asset = factories.AssetFactory(client=globex, name="GLOBEX-SRV")
    client.force_login(acme_user)

    response = client.get(reverse("portal:asset_detail", kwargs={"pk": asset.pk}))

    assert response.status_code == 404


def test_an_admin_reads_the_contracts_in_plain_words(client, acme, globex, acme_admin):
    factories.ContractFactory(client=acme, title="Acme care plan")
    factories.ContractFactory(client=globex, title="Globex plan")
    client.force_login(acme_admin)

    body = client.get(reverse("portal:contract_list")).content.decode()

    assert "Acme care plan" in body and "Globex plan" not in body
    assert "We answer within 1 h and aim to solve it within 4 h" in body
    assert "Mon-Fri 09:00-17:00" in body and "Europe/Paris" in body


def test_the_navigation_depends_on_the_role(client, acme_admin, acme_user):
    client.force_login(acme_user)
    body = client.get(reverse("portal:home")).content.decode()
    assert reverse("portal:ticket_new") in body and reverse("account:security") in body
    assert reverse("portal:user_list") not in body and reverse("portal:contract_list") not in body

    client.force_login(acme_admin)
    body = client.get(reverse("portal:home")).content.decode()
    assert reverse("portal:user_list") in body and reverse("portal:contract_list") in body


def test_staff_keep_their_own_navigation(client, tech):
    client.force_login(tech)

    body = client.get(reverse("tickets:list")).content.decode()

    assert reverse("portal:ticket_new") not in body


def test_the_portal_pages_load_the_responsive_stylesheet(client, acme_user):
    client.force_login(acme_user)

    body = client.get(reverse("portal:ticket_list")).content.decode()

    assert "css/portal.css" in body and 'name="viewport"' in body and "table stack" in body


def _rows(acme, requester, tech, n):
    for i in range(n):
        asset = factories.AssetFactory(client=acme)
        factories.CheckFactory(client=acme, asset=asset)
        ticket = factories.open_ticket(acme, by=requester, asset=asset, subject=f"Row {i}")
        services.ticket_reply(ticket=ticket, author=tech, body="On it")
        factories.ContractFactory(client=acme)
        factories.portal_user(acme, email=f"person{i}-{n}@acme.test")


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("portal:ticket_list", {"state": "all"}),
        ("portal:ticket_list", {"q": "Row", "scope": "mine"}),
        ("portal:asset_list", {}),
        ("portal:contract_list", {}),
        ("portal:user_list", {}),
        ("portal:ticket_new", {}),
    ],
)
def test_list_pages_make_a_bounded_number_of_queries(
    client, acme, acme_admin, tech, django_assert_max_num_queries, name, params
):
    client.force_login(acme_admin)
    _rows(acme, acme_admin, tech, 2)
    client.get(reverse(name), params)  # warm the session and caches
    _rows(acme, acme_admin, tech, 10)

    with django_assert_max_num_queries(14):
        response = client.get(reverse(name), params)

    assert response.status_code == 200


def test_the_asset_page_does_not_grow_with_its_tickets(
    client, acme, acme_admin, tech, django_assert_max_num_queries
):
    asset = factories.AssetFactory(client=acme)
    for i in range(12):
        factories.CheckFactory(client=acme, asset=asset)
        factories.open_ticket(acme, by=acme_admin, asset=asset, subject=f"About {i}")
    client.force_login(acme_admin)

    with django_assert_max_num_queries(10):
        response = client.get(reverse("portal:asset_detail", kwargs={"pk": asset.pk}))

    assert response.status_code == 200
