"""Contracts, policies and calendars: the row-level rules."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from contracts.models import BusinessHours, Contract, Holiday, SLAPolicy, SLATarget
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_contract_is_active_between_its_dates_and_only_when_active(acme):
    contract = factories.ContractFactory(
        client=acme, start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 12, 31)
    )

    assert contract.is_active_on(dt.date(2026, 6, 1))
    assert not contract.is_active_on(dt.date(2025, 12, 31))
    assert not contract.is_active_on(dt.date(2027, 1, 1))
    assert list(Contract.objects.active_on(dt.date(2026, 12, 31))) == [contract]
    contract.status = Contract.Status.TERMINATED
    contract.save(update_fields=["status"])
    assert not Contract.objects.active_on(dt.date(2026, 6, 1)).exists()


def test_notice_deadline_and_renewal(acme):
    contract = factories.ContractFactory(
        client=acme, start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 12, 31)
    )

    assert contract.notice_deadline == dt.date(2026, 10, 2)
    assert contract.renewal_date == dt.date(2026, 12, 31)


def test_a_contract_cannot_end_before_it_starts(acme):
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.ContractFactory(
            client=acme, start_date=dt.date(2026, 2, 1), end_date=dt.date(2026, 1, 1)
        )


def test_window_lengths_handle_overnight_and_full_days():
    def window(start, end):
        return BusinessHours(weekday=0, start=dt.time(*start), end=dt.time(*end))

    assert window((9, 0), (17, 30)).minutes == 510
    assert window((22, 0), (6, 0)).minutes == 480
    assert window((0, 0), (0, 0)).minutes == 1440


def test_a_calendars_weekly_minutes_add_up(db):
    calendar = factories.CalendarFactory()

    assert calendar.weekly_minutes == 5 * 8 * 60


def test_an_empty_window_is_refused():
    with pytest.raises(ValidationError):
        BusinessHours(weekday=0, start=dt.time(9), end=dt.time(9)).clean()


@pytest.mark.parametrize(
    "fields",
    [
        {"end_date": dt.date(2026, 4, 30)},  # before the first day
        {"end_date": dt.date(2026, 5, 10), "recurring": True},
        {"closed_from": dt.time(14)},  # no end
        {"closed_from": dt.time(14), "closed_to": dt.time(12)},
    ],
)
def test_inconsistent_holidays_are_refused(fields):
    with pytest.raises(ValidationError):
        Holiday(name="Pont", date=dt.date(2026, 5, 1), **fields).clean()


def test_a_policy_may_only_pause_on_real_statuses(db):
    policy = SLAPolicy(name="Standard", pause_statuses=["waiting_on_customer", "lunch"])

    with pytest.raises(ValidationError) as err:
        policy.full_clean()

    assert "pause_statuses" in err.value.message_dict
    assert SLAPolicy(name="Default").pause_statuses == ["waiting_on_customer"]


def test_thresholds_must_be_ordered(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        SLAPolicy.objects.create(name="Odd", warning_percent=95, critical_percent=90)


def test_one_target_per_priority(db):
    policy = factories.PolicyFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        SLATarget.objects.create(
            policy=policy, priority="P1", first_response_minutes=5, resolution_minutes=10
        )


def test_a_closure_until_midnight_is_valid_and_reaches_the_end_of_the_day():
    from contracts import sla

    eve = Holiday(name="Réveillon", date=dt.date(2026, 12, 24), recurring=True,
                  closed_from=dt.time(12), closed_to=dt.time(0))  # fmt: skip
    eve.clean()

    assert eve.to_spec() == {"recurring": "12-24", "closed_from": "12:00", "closed_to": "24:00"}
    calendar = sla.Calendar.from_spec(
        {"tz": "Europe/Paris", "weekly": {"thu": [["09:00", "18:00"]]}, "holidays": [eve.to_spec()]}
    )
    day = dt.datetime(2026, 12, 24, 8, 0, tzinfo=dt.UTC)
    assert sla.business_seconds_between(calendar, day, day + dt.timedelta(hours=12)) == 3 * 3600


def test_calendar_and_policy_specs_are_what_the_sla_core_reads(db):
    from contracts import sla

    calendar = factories.CalendarFactory()
    BusinessHours.objects.create(calendar=calendar, weekday=5, start=dt.time(22), end=dt.time(6))
    Holiday.objects.create(calendar=calendar, name="Noël", date=dt.date(2026, 12, 25))
    Holiday.objects.create(
        calendar=calendar, name="Fermeture", date=dt.date(2026, 8, 3), end_date=dt.date(2026, 8, 14)
    )
    policy = factories.PolicyFactory()

    spec = policy.to_spec(calendar)
    parsed = sla.Policy.from_spec(spec, {})

    assert spec["calendar"]["weekly"]["mon"] == [["09:00", "17:00"]]
    assert spec["calendar"]["weekly"]["sat"] == [["22:00", "06:00"]]
    assert {"from_date": "2026-08-03", "to_date": "2026-08-14"} in spec["calendar"]["holidays"]
    assert parsed.targets["P1"].first_response == 60
    assert parsed.pause_statuses == frozenset({"waiting_on_customer"})
