"""Sign-in, the home page and the health endpoint."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from msp_portal.core.models import WorkerHeartbeat
from tests import factories

pytestmark = pytest.mark.django_db


def test_signing_in_with_the_e_mail_lands_staff_on_their_home(client, tech):
    response = client.post(
        reverse("login"), {"username": tech.email, "password": factories.PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_a_client_user_lands_on_the_portal(client, acme_user):
    client.post(reverse("login"), {"username": acme_user.email, "password": factories.PASSWORD})

    response = client.get(reverse("home"))

    assert response["Location"] == reverse("portal:home")


def test_a_wrong_password_keeps_the_e_mail_typed(client, tech):
    response = client.post(reverse("login"), {"username": tech.email, "password": "wrong"})

    assert response.status_code == 200
    assert tech.email in response.content.decode()


def test_logging_out_ends_the_session(client, tech):
    client.force_login(tech)

    client.post(reverse("logout"))

    assert client.get(reverse("home"))["Location"].startswith(reverse("login"))


def test_pages_speak_the_users_language(client, tech):
    tech.language = "fr"
    tech.save(update_fields=["language"])
    client.force_login(tech)

    body = client.get(reverse("tickets:list")).content.decode()

    assert '<html lang="fr"' in body


def test_health_reports_the_database_and_a_fresh_worker(client):
    WorkerHeartbeat.objects.create(name="worker", beat_at=timezone.now())

    data = client.get(reverse("health")).json()

    assert data["status"] == "ok"
    assert data["database"] == "ok"
    assert data["worker"]["ok"] is True


def test_health_is_degraded_without_a_worker(client):
    response = client.get(reverse("health"))

    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["worker"]["ok"] is False


def test_health_leaks_nothing_about_clients(client, acme_world):
    body = client.get(reverse("health")).content.decode()

    assert "ACME" not in body.upper()


@pytest.mark.parametrize(("language", "text"), [("fr", "Se déconnecter"), ("en", "Log out")])
def test_each_user_reads_the_portal_in_their_language(client, tech, language, text):
    tech.language = language
    tech.save(update_fields=["language"])
    client.force_login(tech)

    assert text in client.get(reverse("tickets:list")).content.decode()


def test_portal_times_are_shown_in_the_clients_zone_and_the_users_locale(client, globex_user):
    import datetime as dt

    globex_user.language = "fr"
    globex_user.save(update_fields=["language"])
    at = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)  # 10:00 in Montreal (UTC-5)
    ticket = factories.open_ticket(globex_user.client, by=globex_user, at=at)
    client.force_login(globex_user)

    body = client.get(ticket.get_portal_url()).content.decode()

    assert "02/03/2026 10:00" in body
