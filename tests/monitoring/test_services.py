"""The write services of monitoring: checks and maintenance windows, by staff only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from monitoring import services
from monitoring.models import Check, CheckStateChange, MaintenanceWindow
from msp_portal.core.models import AuditEntry
from tests import factories

pytestmark = pytest.mark.django_db

TCP = {"kind": "tcp", "config": {"host": "127.0.0.1", "port": 9}}


def new_check(client, by, **fields):
    return services.check_create(client=client, by=by, name="Mail server", **{**TCP, **fields})


def test_a_check_is_created_with_cleaned_settings_and_audited(acme, tech):
    asset = factories.AssetFactory(client=acme)

    check = new_check(acme, tech, asset=asset, interval_seconds=120)

    check.refresh_from_db()
    assert (check.client, check.asset, check.kind) == (acme, asset, "tcp")
    assert check.config == {"host": "127.0.0.1", "port": 9}
    assert check.state == Check.State.UNKNOWN and check.enabled
    assert check.next_run_at <= timezone.now()
    assert AuditEntry.objects.filter(action="check.created", object_id=str(check.pk)).exists()


def test_an_asset_of_another_client_is_refused(acme, globex, tech):
    other = factories.AssetFactory(client=globex)

    with pytest.raises(ValidationError) as error:
        new_check(acme, tech, asset=other)

    assert "asset" in error.value.message_dict
    assert not Check.objects.exists()


@pytest.mark.parametrize(
    "config",
    [
        {"url": "http://169.254.169.254/latest/meta-data/"},
        {"url": "http://[fd00:ec2::254]/"},
        {"url": "http://100.100.100.200/"},
    ],
)
def test_a_cloud_metadata_target_is_refused(acme, tech, config):
    with pytest.raises(ValidationError) as error:
        new_check(acme, tech, kind="http", config=config)

    [refusal] = error.value.error_dict["config"]
    assert refusal.code == "refused_address"
    assert "MONITORING_ALLOWED_NETWORKS" in refusal.messages[0]
    assert not Check.objects.exists()


def test_settings_that_do_not_validate_are_refused(acme, tech):
    with pytest.raises(ValidationError) as error:
        new_check(acme, tech, config={"host": "127.0.0.1"})

    assert "port" in " ".join(error.value.message_dict["config"])


def test_the_models_own_limits_apply(acme, tech):
    with pytest.raises(ValidationError) as error:
        new_check(acme, tech, interval_seconds=1)

    assert "interval_seconds" in error.value.message_dict


@pytest.mark.parametrize("who", ["acme_admin", "acme_user"])
def test_client_users_cannot_create_checks(request, acme, who):
    with pytest.raises(PermissionDenied):
        new_check(acme, request.getfixturevalue(who))


def test_a_technician_cannot_create_checks_for_a_client_they_do_not_serve(acme, globex):
    globex_tech = factories.UserFactory(role="technician", sees_all_clients=False)
    globex_tech.allowed_clients.set([globex])

    with pytest.raises(PermissionDenied):
        new_check(acme, globex_tech)
    assert new_check(globex, globex_tech).client == globex


def test_an_update_changes_settings_and_keeps_the_state(acme, tech):
    check = new_check(acme, tech)
    Check.objects.filter(pk=check.pk).update(state="up", consecutive_successes=4)

    services.check_update(
        check=check, by=tech, name="Mail (SMTP)", config={"host": "127.0.0.1", "port": 25}
    )

    check.refresh_from_db()
    assert check.name == "Mail (SMTP)" and check.config["port"] == 25
    assert check.state == "up" and check.consecutive_successes == 4
    entry = AuditEntry.objects.get(action="check.updated")
    assert entry.data["fields"] == ["config", "name"]


def test_a_shorter_interval_takes_effect_now(acme, tech):
    check = new_check(acme, tech, interval_seconds=3600)
    later = timezone.now() + dt.timedelta(hours=1)
    Check.objects.filter(pk=check.pk).update(next_run_at=later)

    services.check_update(check=check, by=tech, interval_seconds=60)

    check.refresh_from_db()
    assert check.next_run_at <= timezone.now() + dt.timedelta(seconds=61)


def test_an_update_is_validated_like_a_creation(acme, globex, tech):
    check = new_check(acme, tech)

    with pytest.raises(ValidationError):
        services.check_update(check=check, by=tech, asset=factories.AssetFactory(client=globex))
    with pytest.raises(ValidationError):
        services.check_update(check=check, by=tech, config={"host": "169.254.169.254", "port": 80})

    check.refresh_from_db()
    assert check.asset is None and check.config["host"] == "127.0.0.1"


def test_pausing_stops_the_check_and_records_who(acme, tech):
    check = new_check(acme, tech)
    Check.objects.filter(pk=check.pk).update(state="down", lease_token="abc")

    services.check_pause(check=check, by=tech)
    services.check_pause(check=check, by=tech)  # twice: nothing more happens

    check.refresh_from_db()
    assert not check.enabled and check.state == Check.State.PAUSED
    assert check.lease_token == "" and check.lease_expires_at is None
    change = CheckStateChange.objects.get(monitor=check)
    assert (change.from_state, change.to_state) == ("down", "paused")
    assert change.reason == f"Paused by {tech}"


def test_resuming_starts_again_from_unknown(acme, tech):
    check = new_check(acme, tech)
    services.check_pause(check=check, by=tech)
    Check.objects.filter(pk=check.pk).update(
        consecutive_failures=5, consecutive_successes=1, recent_outcomes="ffsf", flapping=True
    )

    before = timezone.now()
    services.check_resume(check=check, by=tech)

    check.refresh_from_db()
    assert check.enabled and check.state == Check.State.UNKNOWN
    assert (check.consecutive_failures, check.consecutive_successes) == (0, 0)
    assert check.recent_outcomes == "" and not check.flapping
    assert before <= check.next_run_at <= timezone.now()
    last = CheckStateChange.objects.filter(monitor=check).order_by("-at", "-pk").first()
    assert (last.from_state, last.to_state) == ("paused", "unknown")
    assert last.reason == f"Resumed by {tech}"


def test_deleting_a_check_removes_it_and_its_history(acme, tech):
    check = new_check(acme, tech)
    factories.CheckResultFactory(monitor=check)

    services.check_delete(check=check, by=tech)

    assert not Check.objects.filter(pk=check.pk).exists()
    assert AuditEntry.objects.get(action="check.deleted").data["name"] == "Mail server"


# -- maintenance windows -----------------------------------------------------------------------

START = dt.datetime(2026, 7, 5, 6, 0, tzinfo=dt.UTC)


def window(client, by, **fields):
    values = {
        "name": "Patch night",
        "starts_at": START,
        "ends_at": START + dt.timedelta(hours=2),
        "recurrence": "none",
        "repeat_until": None,
        "reason": "",
    }
    return services.maintenance_window_create(client=client, by=by, **{**values, **fields})


def test_a_window_for_some_checks_of_the_client(acme, tech):
    one, two = factories.CheckFactory(client=acme), factories.CheckFactory(client=acme)

    created = window(acme, tech, checks=[one])

    assert list(created.checks.all()) == [one]
    assert created.created_by == tech
    services.maintenance_window_update(window=created, by=tech, checks=[one, two])
    assert set(created.checks.all()) == {one, two}


def test_a_window_cannot_cover_another_clients_checks(acme, globex, tech):
    with pytest.raises(ValidationError) as error:
        window(acme, tech, checks=[factories.CheckFactory(client=globex)])

    assert "checks" in error.value.message_dict
    assert not MaintenanceWindow.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"ends_at": START}, "ends_at"),
        ({"recurrence": "daily", "ends_at": START + dt.timedelta(hours=25)}, "ends_at"),
        ({"recurrence": "weekly", "repeat_until": dt.date(2026, 7, 1)}, "repeat_until"),
    ],
)
def test_windows_that_make_no_sense_are_refused(acme, tech, fields, field):
    with pytest.raises(ValidationError) as error:
        window(acme, tech, **fields)

    assert field in error.value.message_dict


def test_a_one_off_window_has_no_repeat_until(acme, tech):
    created = window(acme, tech, repeat_until=dt.date(2026, 12, 31))

    assert created.repeat_until is None


def test_updating_and_deleting_a_window(acme, tech):
    created = window(acme, tech)

    services.maintenance_window_update(
        window=created, by=tech, name="Firmware", recurrence="weekly"
    )
    created.refresh_from_db()
    assert (created.name, created.recurrence) == ("Firmware", "weekly")

    services.maintenance_window_delete(window=created, by=tech)
    assert not MaintenanceWindow.objects.exists()
    assert AuditEntry.objects.filter(action="maintenance.deleted").count() == 1


def test_client_users_cannot_plan_maintenance(acme, acme_admin):
    with pytest.raises(PermissionDenied):
        window(acme, acme_admin)
