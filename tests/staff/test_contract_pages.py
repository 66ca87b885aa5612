"""The staff contract page (SLA in plain words, calendar, hours used, renewal warnings) and the
contract form: managers only, audited, refusals next to their fields."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from contracts.models import Contract
from msp_portal.core.models import AuditEntry
from tests import factories
from tickets import services

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def contract(acme):
    return factories.ContractFactory(client=acme, reference="CT-ACME", included_hours=10)


def today():
    return timezone.localdate()


def test_the_page_puts_the_sla_in_plain_words_with_hours_used(
    client, tech, acme, acme_user, contract
):
    asset = factories.AssetFactory(client=acme, name="FILESRV")
    contract.covered_assets.set([asset])
    ticket = factories.open_ticket(acme, by=acme_user)
    services.ticket_log_time(ticket=ticket, technician=tech, minutes=90)
    client.force_login(tech)

    response = client.get(contract.get_absolute_url())

    body = response.content.decode()
    assert "a first answer within 1 h and a resolution within 4 h of business time" in body
    assert "Mon-Fri 09:00-17:00" in body
    assert "FILESRV" in body
    assert response.context["usage"].minutes == 90
    assert "15% used" in body
    assert "Edit contract" not in body  # a technician reads only


@pytest.mark.parametrize(
    ("auto_renew", "days_left", "notice_days", "expected"),
    [
        (False, 20, 90, "Ends in 20 days"),
        (True, 100, 90, "unless notice is given within 10 days"),
        (True, 30, 90, "the notice deadline has passed"),
        (True, -3, 90, "new tickets no longer find it"),
        (True, 400, 90, None),
    ],
)
def test_a_close_end_or_notice_deadline_is_warned(
    client, tech, contract, auto_renew, days_left, notice_days, expected
):
    contract.auto_renew = auto_renew
    contract.end_date = today() + dt.timedelta(days=days_left)
    contract.notice_period_days = notice_days
    contract.save()
    client.force_login(tech)

    response = client.get(contract.get_absolute_url())

    alert = response.context["term_alert"]
    if expected is None:
        assert alert is None
    else:
        assert expected in alert.message
        assert expected in response.content.decode()


def contract_data(contract, **overrides):
    data = {
        "reference": contract.reference,
        "title": contract.title,
        "status": "active",
        "start_date": contract.start_date.isoformat(),
        "end_date": "",
        "auto_renew": "on",
        "notice_period_days": "90",
        "billing_model": "monthly_flat",
        "monthly_fee": "1200.00",
        "currency": "eur",
        "included_hours": "10",
        "sla_policy": str(contract.sla_policy_id),
        "calendar": str(contract.calendar_id),
        "notes": "",
    }
    return data | overrides


def test_a_technician_cannot_edit_or_add_contracts(client, tech, acme, contract):
    client.force_login(tech)

    assert client.get(reverse("contracts:edit", args=[contract.pk])).status_code == 403
    response = client.post(
        reverse("contracts:edit", args=[contract.pk]), contract_data(contract, title="Changed")
    )
    assert response.status_code == 403
    assert client.get(reverse("contracts:create", args=[acme.slug])).status_code == 403
    contract.refresh_from_db()
    assert contract.title == "Managed services"


def test_a_manager_changes_the_sla_policy_and_it_is_audited(client, manager, contract):
    gold = factories.PolicyFactory(name="Gold")
    old_policy = contract.sla_policy
    client.force_login(manager)

    response = client.post(
        reverse("contracts:edit", args=[contract.pk]),
        contract_data(contract, sla_policy=str(gold.pk), included_hours="12.5"),
    )

    assert response.status_code == 302
    contract.refresh_from_db()
    assert (contract.sla_policy, contract.included_hours, contract.currency) == (
        gold, 12.5, "EUR"
    )  # fmt: skip
    updated = AuditEntry.objects.get(action="contract.updated", object_id=str(contract.pk))
    assert updated.data["changes"]["sla_policy"] == [old_policy.pk, gold.pk]
    assert updated.data["changes"]["included_hours"] == ["10.00", "12.5"]
    sla = AuditEntry.objects.get(action="contract.sla_changed", object_id=str(contract.pk))
    assert sla.actor == manager
    assert sla.data["names"]["sla_policy"] == "Gold"


def test_an_end_before_the_start_is_refused_and_the_form_keeps_what_was_typed(
    client, manager, contract
):
    client.force_login(manager)
    start = contract.start_date

    response = client.post(
        reverse("contracts:edit", args=[contract.pk]),
        contract_data(contract, title="Typed title", end_date=(start - dt.timedelta(days=1))),
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "The end date must be on or after the start date" in errors["end_date"][0]
    assert 'value="Typed title"' in response.content.decode()
    contract.refresh_from_db()
    assert contract.title == "Managed services"
    assert not AuditEntry.objects.filter(action="contract.updated").exists()


def test_a_manager_adds_a_contract_covering_the_clients_assets_only(
    client, manager, acme, globex, contract
):
    ours = factories.AssetFactory(client=acme, name="OURS")
    theirs = factories.AssetFactory(client=globex, name="THEIRS")
    client.force_login(manager)
    url = reverse("contracts:create", args=[acme.slug])
    data = contract_data(contract, reference="CT-NEW", covered_assets=[ours.pk, theirs.pk])

    refused = client.post(url, data)

    assert refused.status_code == 200
    assert f"Asset {theirs.pk} is not one of Acme Industries" in refused.content.decode()
    assert not Contract.objects.filter(reference="CT-NEW").exists()

    added = client.post(url, data | {"covered_assets": [ours.pk]})

    new = Contract.objects.get(reference="CT-NEW")
    assert added["Location"] == new.get_absolute_url()
    assert list(new.covered_assets.all()) == [ours]
    entry = AuditEntry.objects.get(action="contract.created", object_id=str(new.pk))
    assert entry.data["terms"]["covered_assets"] == [ours.pk]


def test_a_taken_reference_and_a_calendar_without_hours_are_refused(client, manager, contract):
    closed = factories.CalendarFactory(name="Never open", office_hours=False)
    client.force_login(manager)

    response = client.post(
        reverse("contracts:create", args=[contract.client.slug]),
        contract_data(contract, reference="ct-acme", calendar=str(closed.pk)),
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["reference"] == ["A contract with this reference already exists."]
    assert "no business hours" in errors["calendar"][0]
    assert Contract.objects.count() == 1


@pytest.mark.parametrize("name", ["contracts:edit", "contracts:detail"])
def test_another_clients_contract_answers_404(client, globex, contract, name):
    tech = factories.UserFactory(role="manager")
    globex_admin = factories.portal_user(globex, email="a@globex.test", role="client_admin")
    limited = factories.UserFactory(role="technician", sees_all_clients=False)
    limited.allowed_clients.set([globex])

    for user in (globex_admin, limited):
        client.force_login(user)
        assert client.get(reverse(name, args=[contract.pk])).status_code == 404
    client.force_login(tech)
    assert client.get(reverse(name, args=[contract.pk])).status_code == 200
