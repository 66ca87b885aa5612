"""SLA rules edited by admins (validated, versioned), generated holidays, readable pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from contracts.models import Holiday
from contracts.services import calendar_add_public_holidays
from tests import factories

pytestmark = pytest.mark.django_db


def calendar_form(calendar, windows):
    data = {
        "name": calendar.name,
        "time_zone": calendar.time_zone,
        "description": "",
        "holiday_country": "",
        "holiday_subdivision": "",
        "windows-TOTAL_FORMS": str(len(windows)),
        "windows-INITIAL_FORMS": "0",
        "holidays-TOTAL_FORMS": "0",
        "holidays-INITIAL_FORMS": "0",
    }
    for i, (day, start, end) in enumerate(windows):
        data |= {f"windows-{i}-weekday": str(day), f"windows-{i}-start": start,
                 f"windows-{i}-end": end}  # fmt: skip
    return data


@pytest.fixture
def empty_calendar(db):
    return factories.CalendarFactory(office_hours=False)


def change_url(calendar):
    return reverse("admin:contracts_businesscalendar_change", args=[calendar.pk])


def test_an_admin_cannot_save_a_calendar_without_business_hours(client, admin_user, empty_calendar):
    client.force_login(admin_user)

    response = client.post(change_url(empty_calendar), calendar_form(empty_calendar, []))

    assert response.status_code == 200
    assert "needs business hours" in response.content.decode()


def test_an_admin_cannot_save_overlapping_windows(client, admin_user, empty_calendar):
    client.force_login(admin_user)
    windows = [(0, "09:00", "13:00"), (0, "12:00", "17:00")]

    response = client.post(change_url(empty_calendar), calendar_form(empty_calendar, windows))

    assert response.status_code == 200
    assert "not valid" in response.content.decode()
    assert not empty_calendar.windows.exists()


def test_a_saved_edit_counts_a_new_version(client, admin_user, empty_calendar):
    client.force_login(admin_user)
    windows = [(0, "09:00", "12:00"), (0, "12:00", "17:00"), (5, "22:00", "06:00")]

    response = client.post(change_url(empty_calendar), calendar_form(empty_calendar, windows))

    assert response.status_code == 302
    empty_calendar.refresh_from_db()
    assert empty_calendar.version == 2
    assert empty_calendar.weekly_minutes == 8 * 60 + 8 * 60


def test_public_holidays_are_generated_for_a_country_and_years(db):
    calendar = factories.CalendarFactory(holiday_country="FR")

    added = calendar_add_public_holidays(calendar=calendar, years=[2026, 2027])
    again = calendar_add_public_holidays(calendar=calendar, years=[2026])

    dates = set(calendar.holidays.values_list("date", flat=True))
    assert added == 22 and again == 0
    assert {dt.date(2026, 7, 14), dt.date(2026, 4, 6), dt.date(2027, 5, 1)} <= dates
    calendar.refresh_from_db()
    assert calendar.version == 2


def test_regional_holidays_and_unknown_countries(db):
    calendar = factories.CalendarFactory()

    calendar_add_public_holidays(calendar=calendar, years=[2026], country="CA", subdivision="QC")
    assert calendar.holidays.filter(date=dt.date(2026, 6, 24)).exists()  # Fête nationale

    with pytest.raises(ValidationError):
        calendar_add_public_holidays(calendar=calendar, years=[2026], country="XX")
    with pytest.raises(ValidationError):
        calendar_add_public_holidays(calendar=factories.CalendarFactory(), years=[2026])


def test_the_holidays_command(db, capsys):
    calendar = factories.CalendarFactory(name="Bureau Paris")

    call_command("calendar_holidays", "Bureau Paris", "--year", "2026", "--country", "FR")

    assert Holiday.objects.filter(calendar=calendar).count() == 11
    with pytest.raises(Exception, match="No calendar named"):
        call_command("calendar_holidays", "Nowhere", "--year", "2026")


def test_the_sla_pages_describe_policies_and_calendars(client, tech, acme):
    contract = factories.ContractFactory(client=acme)
    calendar_add_public_holidays(calendar=contract.calendar, years=[2026], country="FR")
    client.force_login(tech)

    overview = client.get(reverse("contracts:sla_overview")).content.decode()
    policy = client.get(reverse("contracts:policy_detail", args=[contract.sla_policy_id]))
    calendar = client.get(reverse("contracts:calendar_detail", args=[contract.calendar_id]))

    assert "Europe/Paris" in overview and contract.sla_policy.name in overview
    assert "P1" in overview
    assert policy.status_code == calendar.status_code == 200
    assert contract.reference in policy.content.decode()
    assert "July 14, 2026" in calendar.content.decode()


@pytest.mark.parametrize("name", ["sla_overview", "policy_detail", "calendar_detail"])
def test_client_users_cannot_read_the_msp_sla_pages(client, acme_admin, acme, name):
    contract = factories.ContractFactory(client=acme)
    args = {"policy_detail": [contract.sla_policy_id], "calendar_detail": [contract.calendar_id]}
    client.force_login(acme_admin)

    assert client.get(reverse(f"contracts:{name}", args=args.get(name, []))).status_code == 404


def test_a_calendar_that_another_client_uses_does_not_show_that_client(client, acme, globex):
    calendar = factories.CalendarFactory()
    factories.ContractFactory(client=acme, calendar=calendar, title="ACME-SECRET")
    outsider = factories.UserFactory(role="technician", sees_all_clients=False)
    outsider.allowed_clients.set([globex])
    client.force_login(outsider)

    body = client.get(reverse("contracts:calendar_detail", args=[calendar.pk])).content.decode()

    assert "Acme" not in body


def test_a_contract_cannot_cover_another_clients_assets(client, admin_user, acme, globex):
    contract = factories.ContractFactory(client=acme)
    foreign = factories.AssetFactory(client=globex, name="GLOBEX-SRV")
    client.force_login(admin_user)
    data = {
        "client": acme.pk, "reference": contract.reference, "title": contract.title,
        "status": "active", "start_date": "2026-01-01", "auto_renew": "on",
        "notice_period_days": "90", "billing_model": "monthly_flat", "monthly_fee": "100",
        "currency": "EUR", "included_hours": "0", "sla_policy": contract.sla_policy_id,
        "calendar": contract.calendar_id, "covered_assets": [foreign.pk],
    }  # fmt: skip

    response = client.post(reverse("admin:contracts_contract_change", args=[contract.pk]), data)

    assert response.status_code == 200
    assert "belong to another client" in response.content.decode()
    assert not contract.covered_assets.exists()
