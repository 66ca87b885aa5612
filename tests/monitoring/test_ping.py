"""The heartbeat URL a client's job calls: /ping/<token> and /ping/<token>/fail."""

from __future__ import annotations

import pytest
from django.urls import reverse

from monitoring.models import Check, CheckResult
from tests import factories
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def backup(acme):
    return factories.CheckFactory(
        client=acme, kind=Check.Kind.HEARTBEAT, config={}, interval_seconds=86400
    )


@pytest.mark.parametrize("method", ["get", "post", "head", "put"])
def test_any_method_a_script_uses_records_a_ping(client, backup, method):
    response = getattr(client, method)(reverse("ping:ping", args=[backup.heartbeat_token]))
    assert response.status_code == 200
    backup.refresh_from_db()
    assert backup.state == "up"
    assert CheckResult.objects.get(monitor=backup).outcome == "success"


def test_no_session_and_no_csrf_token_are_needed(backup):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("ping:ping", args=[backup.heartbeat_token]), data="exit 0",
                           content_type="text/plain")  # fmt: skip
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")


def test_fail_marks_the_check_down_and_keeps_what_the_job_said(
    client, backup, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("ping:ping_fail", args=[backup.heartbeat_token]),
            data="rsync exited with code 23",
            content_type="text/plain",
        )
    assert response.status_code == 200
    backup.refresh_from_db()
    assert backup.state == "down"
    result = CheckResult.objects.get(monitor=backup)
    assert result.outcome == "failure"
    assert "rsync exited with code 23" in result.message
    assert Ticket.objects.filter(source=Ticket.Source.MONITORING, client=backup.client).count() == 1


def test_an_unknown_token_is_404_and_records_nothing(client, backup):
    response = client.get(reverse("ping:ping", args=["not-a-token"]))
    assert response.status_code == 404
    assert response.content == b"not found\n"
    assert not CheckResult.objects.exists()


def test_the_token_of_a_check_that_is_not_a_heartbeat_is_refused(client, acme):
    tcp = factories.CheckFactory(client=acme, kind=Check.Kind.TCP)
    assert client.get(reverse("ping:ping", args=[tcp.heartbeat_token])).status_code == 404


def test_a_ping_to_a_paused_check_is_kept_but_changes_nothing(client, backup):
    Check.objects.filter(pk=backup.pk).update(enabled=False, state="paused")
    assert client.get(reverse("ping:ping", args=[backup.heartbeat_token])).status_code == 200
    backup.refresh_from_db()
    assert backup.state == "paused"
    assert CheckResult.objects.filter(monitor=backup).count() == 1


def test_a_client_user_of_another_company_gains_nothing_from_a_session(client, globex_user, backup):
    """The token is the only credential: a signed-in user of another client can ping (as any
    script holding the URL could) but never learns anything about the check."""
    client.force_login(globex_user)
    response = client.get(reverse("ping:ping", args=[backup.heartbeat_token]))
    assert response.content == b"OK\n"
    assert backup.name.encode() not in response.content
