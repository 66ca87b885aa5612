"""The staff asset page: details, its tickets with the open ones first, its checks."""

from __future__ import annotations

import pytest
from django.urls import reverse

from monitoring.models import CheckState
from tests import factories
from tickets import services

pytestmark = pytest.mark.django_db


def test_open_tickets_come_first_and_checks_show_their_state(
    client, settings, tech, acme, acme_user
):
    settings.LANGUAGE_CODE = "en"
    asset = factories.AssetFactory(client=acme, name="MAILSRV", serial_number="SN-42")
    old_open = factories.open_ticket(acme, by=acme_user, asset=asset, subject="Still open")
    closed = factories.open_ticket(acme, by=acme_user, asset=asset, subject="Fixed since")
    services.ticket_change_status(ticket=closed, status="resolved", by=tech)
    factories.open_ticket(acme, by=acme_user, subject="Another asset's ticket")
    factories.CheckFactory(client=acme, asset=asset, name="SMTP port", state=CheckState.DOWN)
    client.force_login(tech)

    response = client.get(asset.get_absolute_url())

    body = response.content.decode()
    assert [t.subject for t in response.context["tickets"]] == ["Still open", "Fixed since"]
    assert old_open.get_absolute_url() in body
    assert "Another asset&#x27;s ticket" not in body
    assert "SMTP port" in body and "state-down" in body
    assert "SN-42" in body
    assert reverse("clients:asset_edit", args=[asset.pk]) in body


def test_the_asset_page_makes_a_bounded_number_of_queries(
    client, tech, acme, acme_user, django_assert_max_num_queries
):
    asset = factories.AssetFactory(client=acme)
    client.force_login(tech)
    client.get(asset.get_absolute_url())

    def grow():
        for _ in range(5):
            factories.open_ticket(acme, by=acme_user, asset=asset)
            factories.CheckFactory(client=acme, asset=asset)

    grow()
    with django_assert_max_num_queries(14) as few:
        client.get(asset.get_absolute_url())
    grow()
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(asset.get_absolute_url())


def test_another_clients_asset_answers_404(client, globex_user, acme):
    asset = factories.AssetFactory(client=acme)
    client.force_login(globex_user)

    for name in ("clients:asset_detail", "clients:asset_edit"):
        assert client.get(reverse(name, args=[asset.pk])).status_code == 404
