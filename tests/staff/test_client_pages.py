"""The staff client page: open tickets by urgency, SLA compliance this month, monitoring
figures, contracts, sites, contacts and assets, in a bounded number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from monitoring.models import CheckState
from tests import factories
from tickets import services
from tickets.models import SlaRank, SlaTimer, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def _acme_contract(acme):
    """Acme's contract, so that its tickets run SLA clocks."""
    return factories.ContractFactory(client=acme, reference="CT-ACME-0")


def detail(client, acme):
    return client.get(reverse("clients:detail", args=[acme.slug]))


def test_the_most_urgent_open_tickets_come_first_and_are_linked(client, tech, acme, acme_user):
    calm = factories.open_ticket(acme, by=acme_user, subject="Calm request")
    late = factories.open_ticket(acme, by=acme_user, subject="Late request")
    Ticket.objects.filter(pk=late.pk).update(sla_rank=SlaRank.BREACHED)
    done = factories.open_ticket(acme, by=acme_user, subject="Done request")
    services.ticket_change_status(ticket=done, status="resolved", by=tech)
    client.force_login(tech)

    body = detail(client, acme).content.decode()

    assert body.index("Late request") < body.index("Calm request")
    assert "Done request" not in body
    assert late.get_absolute_url() in body and calm.get_absolute_url() in body
    figures = detail(client, acme).context["ticket_figures"]
    assert (figures.total, figures.breached) == (2, 1)


def stop(ticket, kind, outcome, when):
    SlaTimer.objects.filter(ticket=ticket, kind=kind).update(
        state=SlaTimer.State.STOPPED, outcome=outcome, stopped_at=when
    )


def test_sla_compliance_counts_the_timers_stopped_this_month(client, tech, acme, acme_user):
    now = timezone.now()
    tickets = [factories.open_ticket(acme, by=acme_user) for _ in range(4)]
    assert SlaTimer.objects.filter(ticket=tickets[0]).count() == 2
    for ticket in tickets[:3]:
        stop(ticket, "first_response", "met", now)
    stop(tickets[3], "first_response", "breached", now)
    stop(tickets[0], "resolution", "breached", now)
    # Stopped last month: not this month's figures.
    stop(tickets[1], "resolution", "met", now - dt.timedelta(days=40))
    stranger = factories.ContractFactory().client
    other = factories.open_ticket(stranger, by=None)
    stop(other, "first_response", "breached", now)
    client.force_login(tech)

    response = detail(client, acme)

    first, resolution = response.context["compliance"]
    assert (first.met, first.breached, first.percent) == (3, 1, 75.0)
    assert (resolution.met, resolution.breached, resolution.percent) == (0, 1, 0.0)
    assert "75 %" in response.content.decode()


def test_the_monitoring_summary_counts_checks_per_state(client, tech, acme):
    factories.CheckFactory(client=acme, state=CheckState.UP)
    factories.CheckFactory(client=acme, state=CheckState.UP)
    factories.CheckFactory(client=acme, state=CheckState.DOWN, name="Mail relay")
    factories.CheckFactory(client=acme, state=CheckState.DEGRADED)
    factories.CheckFactory(state=CheckState.DOWN)  # another client's
    client.force_login(tech)

    response = detail(client, acme)

    counts = {row["value"]: row["count"] for row in response.context["check_summary"].states}
    assert counts == {"down": 1, "degraded": 1, "up": 2}
    assert response.context["checks"][0].name == "Mail relay"  # failing first


def test_the_page_lists_contracts_sites_contacts_and_assets(client, tech, acme):
    factories.ContractFactory(client=acme, reference="CT-ACME-1")
    site = factories.SiteFactory(client=acme, name="Head office")
    factories.ContactFactory(client=acme, site=site, last_name="Durand")
    factories.AssetFactory(client=acme, name="FILESRV-01")
    factories.AssetFactory(client=factories.ClientFactory(), name="NOT-OURS")
    client.force_login(tech)

    body = detail(client, acme).content.decode()

    for text in ("CT-ACME-1", "Head office", "Durand", "FILESRV-01"):
        assert text in body
    assert "NOT-OURS" not in body


def test_a_contract_ending_soon_is_flagged_on_the_client_page(client, tech, acme):
    factories.ContractFactory(
        client=acme, auto_renew=False, end_date=timezone.localdate() + dt.timedelta(days=10)
    )
    client.force_login(tech)

    body = detail(client, acme).content.decode()

    assert "does not renew automatically" in body


def add_rows(acme, requester, n):
    for i in range(n):
        ticket = factories.open_ticket(acme, by=requester, subject=f"Row {i}")
        stop(ticket, "first_response", "met", timezone.now())
        site = factories.SiteFactory(client=acme)
        factories.ContactFactory(client=acme, site=site)
        asset = factories.AssetFactory(client=acme, site=site)
        factories.CheckFactory(client=acme, asset=asset)
        factories.ContractFactory(client=acme)
        factories.MaintenanceWindowFactory(client=acme)


def test_the_page_makes_a_bounded_number_of_queries(
    client, tech, acme, acme_user, django_assert_max_num_queries
):
    client.force_login(tech)
    add_rows(acme, acme_user, 2)
    detail(client, acme)  # the session and the user are loaded once
    with django_assert_max_num_queries(22) as few:
        assert detail(client, acme).status_code == 200
    add_rows(acme, acme_user, 10)

    with django_assert_max_num_queries(len(few.captured_queries)):
        assert detail(client, acme).status_code == 200


@pytest.mark.parametrize("who", ["globex_user", "globex_tech"])
def test_another_clients_page_answers_404(client, acme_world, request, who):
    if who == "globex_tech":
        user = factories.UserFactory(role="technician", sees_all_clients=False)
        user.allowed_clients.set([request.getfixturevalue("globex")])
    else:
        user = request.getfixturevalue(who)
    client.force_login(user)

    for name in ("clients:detail", "clients:edit", "clients:asset_create"):
        assert client.get(reverse(name, args=["acme"])).status_code == 404
