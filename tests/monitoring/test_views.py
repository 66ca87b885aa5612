"""Staff monitoring pages: the overview, one check, and the pages that change checks and
maintenance windows; client users and other clients' staff get 404."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import socket
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone, translation

from monitoring import services
from monitoring.models import (
    Check,
    CheckRollup,
    CheckStateChange,
    MaintenanceWindow,
    MonitoringOutage,
)
from tests import factories

pytestmark = pytest.mark.django_db

NOW = timezone.now


@pytest.fixture
def check(acme):
    return factories.CheckFactory(client=acme, name="Web front", kind="tcp")


@pytest.fixture
def globex_tech(globex):
    user = factories.UserFactory(role="technician", sees_all_clients=False)
    user.allowed_clients.set([globex])
    return user


@pytest.fixture
def no_outside_connections(monkeypatch):
    """Fail the test if anything connects anywhere but loopback, even if the code were wrong."""

    def loopback(host) -> bool:
        try:
            return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
        except ValueError:
            return host == "localhost"

    real_connect, real_create = socket.socket.connect, socket.create_connection

    def connect(sock, address):
        if isinstance(address, tuple) and not loopback(address[0]):
            pytest.fail(f"connect() to {address[0]}")
        return real_connect(sock, address)

    def create_connection(address, *args, **kwargs):
        if not loopback(address[0]):
            pytest.fail(f"create_connection() to {address[0]}")
        return real_create(address, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "create_connection", create_connection)


def change(check, to_state, at, from_state="unknown"):
    CheckStateChange.objects.create(
        client=check.client, monitor=check, from_state=from_state, to_state=to_state, at=at
    )


# -- the overview ------------------------------------------------------------------------------


def test_the_overview_puts_failing_checks_and_their_clients_first(client, tech, acme, globex):
    factories.CheckFactory(client=acme, name="Acme fine", state="up")
    factories.CheckFactory(client=globex, name="Globex slow", state="degraded")
    factories.CheckFactory(client=globex, name="Globex fine", state="up")
    factories.CheckFactory(client=globex, name="Globex broken", state="down")
    client.force_login(tech)

    page = client.get(reverse("monitoring:check_list")).content.decode()

    body = page[page.index('id="results"') :]  # the rows, not the filter's client list
    order = [body.index(name) for name in ("Globex broken", "Globex slow", "Globex fine")]
    assert order == sorted(order)
    assert body.index("Globex SA") < body.index("Acme Industries") < body.index("Acme fine")


def test_the_overview_counts_states_stale_and_flapping_checks(client, tech, acme):
    late = NOW() - dt.timedelta(seconds=200)
    factories.CheckFactory(client=acme, state="down", interval_seconds=60, next_run_at=late)
    factories.CheckFactory(client=acme, state="up", interval_seconds=120, next_run_at=late)
    factories.CheckFactory(client=acme, state="up", flapping=True)
    factories.CheckFactory(client=acme, state="paused", enabled=False, next_run_at=late)
    client.force_login(tech)

    response = client.get(reverse("monitoring:check_list"))

    summary = response.context["summary"]
    counts = {row["value"]: row["count"] for row in summary.states}
    assert counts["down"] == 1 and counts["up"] == 2 and counts["paused"] == 1
    assert summary.stale == 1  # 200 s late is two intervals only for the 60-second check
    assert summary.flapping == 1
    stale = client.get(reverse("monitoring:check_list"), {"state": "stale"})
    assert stale.context["page"].paginator.count == 1


def test_the_rows_refresh_themselves_with_the_current_filters(client, tech, check):
    client.force_login(tech)

    body = client.get(reverse("monitoring:check_list"), {"kind": "tcp", "q": "Web"}).content
    partial = client.get(
        reverse("monitoring:check_list"), {"kind": "tcp"}, headers={"HX-Request": "true"}
    )

    section = re.search(rb'<section id="results"[^>]*>', body).group(0).decode()
    assert 'hx-trigger="every 15s"' in section
    assert "kind=tcp" in section and "q=Web" in section
    assert "<html" not in partial.content.decode() and "Web front" in partial.content.decode()
    assert "HX-Request" in partial["Vary"]


def test_an_open_monitoring_outage_is_announced(client, tech, check):
    MonitoringOutage.objects.create(clients_failing=7, clients_seen=9, held_transitions=31)
    client.force_login(tech)

    body = client.get(reverse("monitoring:check_list")).content.decode()

    assert "Monitoring degraded" in body
    assert "7 out of 9 clients" in body and "31" in body


def test_no_banner_once_the_outage_is_over(client, tech, check):
    MonitoringOutage.objects.create(is_open=False, ended_at=NOW())
    client.force_login(tech)

    body = client.get(reverse("monitoring:check_list")).content.decode()
    assert "Monitoring degraded" not in body


def test_the_overview_does_not_grow_with_checks(client, tech, acme, globex):
    def add(n):
        for i in range(n):
            c = factories.CheckFactory(client=globex if i % 2 else acme, state="up")
            change(c, "up", NOW() - dt.timedelta(hours=3))
            change(c, "down", NOW() - dt.timedelta(hours=1), from_state="up")

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("monitoring:check_list")).status_code == 200
        return len(ctx)

    client.force_login(tech)
    add(2)
    few = count()
    add(18)

    assert count() == few


def test_a_restricted_technician_sees_only_their_clients_checks(client, globex_tech, check):
    client.force_login(globex_tech)

    body = client.get(reverse("monitoring:check_list")).content.decode()

    assert "Web front" not in body
    assert client.get(check.get_absolute_url()).status_code == 404


# -- one check ---------------------------------------------------------------------------------


def test_the_check_page_shows_uptime_errors_history_and_the_ticket(client, tech, acme, check):
    now = NOW()
    Check.objects.filter(pk=check.pk).update(created_at=now - dt.timedelta(days=40))
    change(check, "up", now - dt.timedelta(days=35))
    change(check, "down", now - dt.timedelta(hours=6), from_state="up")
    change(check, "up", now - dt.timedelta(hours=3), from_state="down")
    factories.CheckResultFactory(
        monitor=check,
        outcome="failure",
        message="Connection refused (stored in English)",
        data={"code": "connection_refused", "params": {"address": "127.0.0.1", "port": 9}},
    )
    factories.CheckResultFactory(monitor=check, outcome="error", message="old text, no code")
    ticket = factories.open_ticket(acme, subject="Web front is down")
    Check.objects.filter(pk=check.pk).update(open_ticket=ticket)
    client.force_login(tech)

    response = client.get(check.get_absolute_url())

    body = response.content.decode()
    uptime = response.context["uptime"]
    assert uptime["24h"].ratio == pytest.approx(21 / 24, abs=1e-4)
    assert uptime["7d"].down_seconds == pytest.approx(3 * 3600, abs=1)
    assert uptime["30d"].excluded_seconds == 0
    assert "87.50 %" in body
    assert "Connection refused by 127.0.0.1 on port 9." in body
    assert "old text, no code" in body
    assert ticket.get_absolute_url() in body
    assert "No figures for this period." in body  # failed runs only: nothing to plot


def test_the_chart_switches_period_with_an_htmx_partial(client, tech, check):
    start = (NOW() - dt.timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    for hour in range(5):
        CheckRollup.objects.create(
            client=check.client, monitor=check, period="hour",
            start=start + dt.timedelta(hours=hour), successes=60, latency_avg_ms=100 + hour,
        )  # fmt: skip
    client.force_login(tech)

    partial = client.get(check.get_absolute_url(), {"period": "7d"}, headers={"HX-Request": "true"})

    body = partial.content.decode()
    assert body.lstrip().startswith('<section class="card" id="chart">')
    assert "<polyline" in body and "<html" not in body
    assert 'aria-current="page">7 days' in body
    # The same figures as a table, for those who cannot see the chart.
    assert "<details" in body and body.count("<tr>") >= 5
    assert "HX-Request" in partial["Vary"]


def test_the_24_hour_chart_plots_every_result_and_leaves_failures_as_gaps(client, tech, check):
    for minutes, outcome, ms in [(50, "success", 10), (40, "success", 30), (30, "failure", 5)]:
        factories.CheckResultFactory(
            monitor=check, outcome=outcome, latency_ms=ms,
            checked_at=NOW() - dt.timedelta(minutes=minutes),
        )  # fmt: skip
    client.force_login(tech)

    chart = client.get(check.get_absolute_url()).context["chart"]

    assert len(chart.rows) == 2
    assert (chart.minimum, chart.maximum, chart.average) == ("10", "30", "20")


def test_a_heartbeat_check_shows_its_ping_addresses(client, tech, acme):
    beat = factories.CheckFactory(client=acme, kind="heartbeat", config={})
    client.force_login(tech)

    body = client.get(beat.get_absolute_url()).content.decode()

    assert reverse("ping:ping", args=[beat.heartbeat_token]) in body
    assert reverse("ping:ping_fail", args=[beat.heartbeat_token]) in body


def test_maintenance_covering_the_check_is_shown_in_the_clients_time_zone(client, tech, globex):
    check = factories.CheckFactory(client=globex)
    other = factories.CheckFactory(client=globex)
    starts = (NOW() + dt.timedelta(days=1)).replace(hour=6, minute=0, second=0, microsecond=0)
    factories.MaintenanceWindowFactory(client=globex, name="All of Globex", starts_at=starts)
    only_other = factories.MaintenanceWindowFactory(client=globex, name="Other only")
    only_other.checks.set([other])
    tech.time_zone = "Asia/Tokyo"
    tech.save(update_fields=["time_zone"])
    client.force_login(tech)

    body = client.get(check.get_absolute_url()).content.decode()

    assert "All of Globex" in body and "Other only" not in body
    assert "America/Montreal" in body
    with translation.override("en"):
        montreal = starts.astimezone(ZoneInfo("America/Montreal"))
        tokyo = starts.astimezone(ZoneInfo("Asia/Tokyo"))
        assert formats.date_format(montreal, "SHORT_DATETIME_FORMAT") in body
        assert formats.date_format(tokyo, "SHORT_DATETIME_FORMAT") not in body


# -- changing checks ---------------------------------------------------------------------------


def create_url(client_obj, kind="tcp"):
    return f"{reverse('monitoring:check_create')}?client={client_obj.pk}&kind={kind}"


TCP_POST = {
    "name": "SMTP",
    "host": "127.0.0.1",
    "port": "25",
    "interval_seconds": "60",
    "retry_interval_seconds": "30",
    "timeout_seconds": "10",
    "failure_threshold": "3",
    "recovery_threshold": "2",
}


def test_creating_a_check_starts_with_choosing_client_and_kind(client, tech, acme, globex):
    client.force_login(tech)

    first = client.get(reverse("monitoring:check_create")).content.decode()
    fields = client.get(create_url(acme, "http")).content.decode()

    assert "Acme Industries" in first and 'name="url"' not in first
    assert 'name="url"' in fields and 'name="expected_status"' in fields
    assert 'name="config"' not in fields  # no raw JSON for people


def test_choosing_another_kind_reloads_only_the_fields(client, tech, acme):
    client.force_login(tech)

    response = client.get(create_url(acme, "dns"), headers={"HX-Request": "true"})

    body = response.content.decode()
    assert body.lstrip().startswith('<section id="check-form">') and "<html" not in body
    assert 'name="dns_name"' in body and 'name="record_type"' in body
    assert f"client={acme.pk}&amp;kind=dns" in body  # where the form posts


def test_a_new_check_is_saved_through_the_service(client, tech, acme):
    asset = factories.AssetFactory(client=acme, name="MX-01")
    client.force_login(tech)

    response = client.post(create_url(acme), {**TCP_POST, "asset": asset.pk})

    check = Check.objects.get(name="SMTP")
    assert response.status_code == 302 and response["Location"] == check.get_absolute_url()
    assert (check.client, check.asset) == (acme, asset)
    assert check.config == {"host": "127.0.0.1", "port": 25}


def test_http_settings_are_typed_in_plain_fields(client, tech, acme):
    client.force_login(tech)
    post = {
        **TCP_POST, "name": "Site", "url": "http://127.0.0.1:8000/health/", "method": "GET",
        "expected_status": "200, 301", "keyword": "ok", "verify_tls": "on",
    }  # fmt: skip

    client.post(create_url(acme, "http"), post)

    assert Check.objects.get(name="Site").config == {
        "url": "http://127.0.0.1:8000/health/",
        "method": "GET",
        "expected_status": [200, 301],
        "keyword": "ok",
        "verify_tls": True,
        "follow_redirects": False,
    }


def test_a_heartbeat_needs_only_its_period_and_grace(client, tech, acme):
    client.force_login(tech)

    response = client.post(
        create_url(acme, "heartbeat"),
        {"name": "Nightly backup", "interval_seconds": "86400", "grace_seconds": "3600"},
    )

    beat = Check.objects.get(name="Nightly backup")
    assert response.status_code == 302
    assert (beat.kind, beat.config, beat.interval_seconds, beat.grace_seconds) == (
        "heartbeat", {}, 86400, 3600,
    )  # fmt: skip


def test_a_dns_check_takes_its_expected_answers_one_per_line(client, tech, acme):
    client.force_login(tech)
    post = {
        **TCP_POST, "name": "MX", "dns_name": "example.test", "record_type": "MX",
        "expected": "10 mail.example.test\n\n20 backup.example.test", "resolver": "127.0.0.1:53",
    }  # fmt: skip

    client.post(create_url(acme, "dns"), post)

    assert Check.objects.get(name="MX").config == {
        "name": "example.test",
        "record_type": "MX",
        "expected": ["10 mail.example.test", "20 backup.example.test"],
        "resolver": "127.0.0.1:53",
    }


def test_a_form_that_fails_keeps_everything_typed(client, tech, acme):
    client.force_login(tech)
    post = {**TCP_POST, "name": "Kept name", "port": "99999", "timeout_seconds": "7.5"}

    response = client.post(create_url(acme), post)

    body = response.content.decode()
    assert response.status_code == 200
    assert 'value="Kept name"' in body and 'value="99999"' in body and 'value="7.5"' in body
    assert "Nothing was saved" in body
    assert not Check.objects.exists()


def test_bad_status_codes_are_explained(client, tech, acme):
    client.force_login(tech)
    post = {**TCP_POST, "url": "https://127.0.0.1/", "method": "GET", "expected_status": "200, abc"}

    body = client.post(create_url(acme, "http"), post).content.decode()

    assert "abc is not an HTTP status code" in body


def test_a_cloud_metadata_target_is_refused_and_nothing_is_sent(
    client, tech, acme, no_outside_connections
):
    client.force_login(tech)
    post = {**TCP_POST, "name": "Sneaky", "url": "http://169.254.169.254/latest/meta-data/",
            "method": "GET"}  # fmt: skip

    response = client.post(create_url(acme, "http"), post)

    body = response.content.decode()
    assert response.status_code == 200
    assert "169.254.169.254 is a link-local or cloud metadata address." in body
    assert "MONITORING_ALLOWED_NETWORKS" in body
    assert 'value="http://169.254.169.254/latest/meta-data/"' in body
    assert not Check.objects.exists()


def test_the_asset_choices_are_the_clients_own(client, tech, acme, globex):
    factories.AssetFactory(client=globex, name="GLOBEX-NAS")
    client.force_login(tech)

    body = client.get(create_url(acme)).content.decode()

    assert "GLOBEX-NAS" not in body


def test_editing_a_check(client, tech, check):
    client.force_login(tech)
    form = client.get(reverse("monitoring:check_edit", args=[check.pk])).content.decode()
    assert 'value="Web front"' in form and 'value="127.0.0.1"' in form

    response = client.post(
        reverse("monitoring:check_edit", args=[check.pk]),
        {**TCP_POST, "name": "Web front (new)", "port": "8443"},
    )

    check.refresh_from_db()
    assert response.status_code == 302
    assert check.name == "Web front (new)" and check.config["port"] == 8443


def test_pausing_and_resuming_from_the_check_page(client, tech, check):
    client.force_login(tech)

    assert client.get(reverse("monitoring:check_pause", args=[check.pk])).status_code == 405
    client.post(reverse("monitoring:check_pause", args=[check.pk]))
    check.refresh_from_db()
    assert not check.enabled and check.state == "paused"
    assert "Resume" in client.get(check.get_absolute_url()).content.decode()

    client.post(reverse("monitoring:check_resume", args=[check.pk]))
    check.refresh_from_db()
    assert check.enabled and check.state == "unknown"


def test_deleting_a_check(client, tech, check):
    client.force_login(tech)

    response = client.post(reverse("monitoring:check_delete", args=[check.pk]))

    assert response.status_code == 302
    assert not Check.objects.filter(pk=check.pk).exists()


@pytest.mark.parametrize("who", ["acme_admin", "acme_user"])
def test_client_users_cannot_create_or_change_checks(client, request, acme, check, who):
    client.force_login(request.getfixturevalue(who))

    assert client.get(create_url(acme)).status_code == 404
    assert client.post(create_url(acme), TCP_POST).status_code == 404
    for name in ("check_edit", "check_pause", "check_delete"):
        url = reverse(f"monitoring:{name}", args=[check.pk])
        assert client.post(url, TCP_POST).status_code == 404
    assert Check.objects.filter(pk=check.pk, enabled=True, name="Web front").exists()
    assert Check.objects.count() == 1


def test_another_clients_user_gets_404_for_a_check(client, globex_user, check):
    client.force_login(globex_user)

    assert client.get(check.get_absolute_url()).status_code == 404
    assert client.post(reverse("monitoring:check_pause", args=[check.pk])).status_code == 404


def test_a_restricted_technician_cannot_create_checks_for_other_clients(
    client, globex_tech, acme, check
):
    client.force_login(globex_tech)

    response = client.post(create_url(acme), TCP_POST)

    assert response.status_code == 200  # the client is not offered: back to choosing one
    assert "Acme" not in response.content.decode()
    assert Check.objects.count() == 1
    for name in ("check_edit", "check_pause", "check_resume", "check_delete"):
        assert client.post(reverse(f"monitoring:{name}", args=[check.pk])).status_code == 404


# -- maintenance windows -----------------------------------------------------------------------


def test_a_window_is_typed_in_the_clients_time_zone_not_the_staff_members(client, tech, globex):
    check = factories.CheckFactory(client=globex)
    tech.time_zone = "Asia/Tokyo"
    tech.save(update_fields=["time_zone"])
    client.force_login(tech)

    response = client.post(
        reverse("monitoring:maintenance_create", args=[globex.slug]),
        {
            "name": "Firmware",
            "starts_at": "2026-07-05T02:00",
            "ends_at": "2026-07-05T04:00",
            "recurrence": "weekly",
            "repeat_until": "2026-09-30",
            "checks": [check.pk],
        },
    )

    window = MaintenanceWindow.objects.get()
    assert response.status_code == 302
    assert window.starts_at == dt.datetime(2026, 7, 5, 6, 0, tzinfo=dt.UTC)  # 02:00 in Montreal
    assert window.repeat_until == dt.date(2026, 9, 30)
    assert list(window.checks.all()) == [check]
    edit = client.get(reverse("monitoring:maintenance_edit", args=[window.pk])).content.decode()
    assert 'value="2026-07-05T02:00"' in edit


def test_a_window_that_ends_before_it_starts_keeps_the_input(client, tech, acme):
    client.force_login(tech)

    response = client.post(
        reverse("monitoring:maintenance_create", args=[acme.slug]),
        {"name": "Oops", "starts_at": "2026-07-05T04:00", "ends_at": "2026-07-05T02:00",
         "recurrence": "none"},
    )  # fmt: skip

    body = response.content.decode()
    assert "must end after it starts" in body and 'value="Oops"' in body
    assert not MaintenanceWindow.objects.exists()


def test_the_maintenance_list_shows_current_windows_first(client, tech, acme):
    now = NOW()
    factories.MaintenanceWindowFactory(
        client=acme, name="Long gone", starts_at=now - dt.timedelta(days=9),
        ends_at=now - dt.timedelta(days=8),
    )  # fmt: skip
    factories.MaintenanceWindowFactory(client=acme, name="Right now")
    client.force_login(tech)

    body = client.get(reverse("monitoring:maintenance_list", args=[acme.slug])).content.decode()

    assert body.index("Right now") < body.index("Long gone")
    assert "in force" in body


def test_editing_and_deleting_a_window(client, tech, acme):
    window = factories.MaintenanceWindowFactory(client=acme, name="Patch night")
    client.force_login(tech)

    client.post(
        reverse("monitoring:maintenance_edit", args=[window.pk]),
        {"name": "Patch Tuesday", "starts_at": "2026-07-07T22:00", "ends_at": "2026-07-07T23:30",
         "recurrence": "monthly"},
    )  # fmt: skip
    window.refresh_from_db()
    assert (window.name, window.recurrence) == ("Patch Tuesday", "monthly")

    client.post(reverse("monitoring:maintenance_delete", args=[window.pk]))
    assert not MaintenanceWindow.objects.exists()


def test_client_users_cannot_plan_maintenance(client, acme_admin, acme):
    client.force_login(acme_admin)

    assert client.get(reverse("monitoring:maintenance_list", args=[acme.slug])).status_code == 404
    response = client.post(
        reverse("monitoring:maintenance_create", args=[acme.slug]),
        {"name": "x", "starts_at": "2026-07-05T02:00", "ends_at": "2026-07-05T04:00",
         "recurrence": "none"},
    )  # fmt: skip
    assert response.status_code == 404
    assert not MaintenanceWindow.objects.exists()


# -- client and asset pages --------------------------------------------------------------------


def test_client_and_asset_pages_show_their_checks_with_uptime_and_windows(client, tech, acme):
    asset = factories.AssetFactory(client=acme)
    check = factories.CheckFactory(client=acme, asset=asset, name="Disk space", state="up")
    factories.MaintenanceWindowFactory(client=acme, name="Patch night")
    past = NOW() - dt.timedelta(days=3)
    factories.MaintenanceWindowFactory(client=acme, name="Long gone", starts_at=past)
    client.force_login(tech)

    client_page = client.get(acme.get_absolute_url()).content.decode()
    asset_page = client.get(asset.get_absolute_url()).content.decode()

    for body in (client_page, asset_page):
        assert "Disk space" in body and check.get_absolute_url() in body
        assert "Uptime 24 h" in body and "100.00 %" in body
    assert "Patch night" in client_page and "Long gone" not in client_page
    assert reverse("monitoring:maintenance_list", args=[acme.slug]) in client_page


def test_a_paused_check_counts_nothing_against_uptime(client, tech, check):
    services.check_pause(check=check, by=tech)
    Check.objects.filter(pk=check.pk).update(created_at=NOW() - dt.timedelta(days=2))
    client.force_login(tech)

    response = client.get(check.get_absolute_url())

    assert response.context["uptime"]["24h"].ratio is None
