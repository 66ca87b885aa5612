"""API tokens: bearer authentication, the reasons a token is refused, and managing them."""

from __future__ import annotations

import datetime as dt
import hashlib
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from msp_portal.accounts.models import ApiToken
from msp_portal.accounts.tokens import api_token_create
from tests.api.conftest import token_client
from tests.conftest import MARKER

pytestmark = pytest.mark.django_db


def bearer(key: str, language: str = "en") -> APIClient:
    """A client with a token; refusals come before any user is known, so in its language."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_ACCEPT_LANGUAGE=language)
    return client


def test_a_valid_token_authenticates_and_records_its_use(tech):
    client = token_client(tech)

    response = client.get("/api/v1/tickets/")

    assert response.status_code == 200
    client.token.refresh_from_db()
    assert client.token.last_used_at is not None


def test_no_credentials_is_a_401_with_a_bearer_challenge(db):
    response = APIClient().get("/api/v1/tickets/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert set(response.json()) == {"detail"}


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("nonsense", "Malformed"),
        ("msp_abcdefgh_wrong", "Invalid"),
    ],
)
def test_a_wrong_token_is_refused(tech, key, reason):
    api_token_create(user=tech, name="real")

    response = bearer(key).get("/api/v1/tickets/")

    assert response.status_code == 401
    assert reason in response.json()["detail"]


def test_refusals_speak_the_callers_language(tech):
    response = bearer("nonsense", language="fr").get("/api/v1/tickets/")

    assert response.status_code == 401
    assert response.json()["detail"] == "Jeton d'API mal formé."


def test_a_right_prefix_with_a_wrong_secret_is_refused(tech):
    issued = api_token_create(user=tech, name="real")

    response = bearer(issued.key[:-2] + "xx").get("/api/v1/tickets/")

    assert response.status_code == 401
    assert "Invalid" in response.json()["detail"]


def test_an_expired_token_is_refused_with_the_reason(tech):
    issued = api_token_create(user=tech, name="old", expires_at=timezone.now() + dt.timedelta(1))
    ApiToken.objects.filter(pk=issued.token.pk).update(expires_at=timezone.now())

    response = bearer(issued.key).get("/api/v1/tickets/")

    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_a_revoked_token_is_refused_with_the_reason(tech):
    client = token_client(tech)
    client.delete(f"/api/v1/tokens/{client.token.pk}/")

    response = client.get("/api/v1/tickets/")

    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_the_token_of_an_inactive_user_is_refused(tech):
    client = token_client(tech)
    tech.is_active = False
    tech.save(update_fields=["is_active"])

    response = client.get("/api/v1/tickets/")

    assert response.status_code == 401
    assert "inactive" in response.json()["detail"]


def test_tokens_are_stored_hashed(tech):
    issued = api_token_create(user=tech, name="ci")
    row = ApiToken.objects.get()

    assert row.key_hash == hashlib.sha256(issued.key.encode()).hexdigest()
    assert issued.key.startswith(f"msp_{row.prefix}_")
    stored = [str(v) for v in ApiToken.objects.values_list(flat=False).get()]
    assert issued.key not in stored
    assert not any(issued.key.split("_", 2)[2] in value for value in stored)


def test_the_command_prints_the_token_once(tech):
    out, err = StringIO(), StringIO()

    call_command("create_api_token", tech.email, "--name", "backup script", "--days", "30",
                 stdout=out, stderr=err)  # fmt: skip

    key = out.getvalue().strip()
    token = ApiToken.objects.get()
    assert token.name == "backup script" and token.user == tech
    assert token.expires_at > timezone.now() + dt.timedelta(days=29)
    assert key not in err.getvalue()
    assert bearer(key).get("/api/v1/tickets/").status_code == 200
    listed = bearer(key).get("/api/v1/tokens/").content.decode()
    assert key not in listed and token.prefix in listed


def test_the_session_authenticates_the_browser(client, tech):
    client.force_login(tech)

    assert client.get("/api/v1/tickets/").status_code == 200


def test_tokens_get_the_same_tenancy_as_the_pages(acme_world, globex_user):
    body = token_client(globex_user).get("/api/v1/assets/").content.decode()

    assert MARKER not in body


def test_users_list_create_and_revoke_their_own_tokens(tech):
    client = token_client(tech)

    created = client.post("/api/v1/tokens/", {"name": "laptop"}, format="json")
    listed = client.get("/api/v1/tokens/").json()["results"]
    revoked = client.delete(f"/api/v1/tokens/{created.json()['id']}/")

    assert created.status_code == 201
    assert created.json()["token"].startswith("msp_")
    assert {t["name"] for t in listed} == {"tests", "laptop"}
    assert all("token" not in t for t in listed)
    assert revoked.status_code == 204
    assert ApiToken.objects.get(pk=created.json()["id"]).revoked_at is not None


def test_another_users_token_answers_404(tech, globex_user):
    theirs = api_token_create(user=globex_user, name="theirs").token

    response = token_client(tech).delete(f"/api/v1/tokens/{theirs.pk}/")

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_a_token_needs_a_name_and_a_future_expiry(tech):
    client = token_client(tech)

    nameless = client.post("/api/v1/tokens/", {"name": " "}, format="json")
    past = client.post("/api/v1/tokens/", {"name": "x", "expires_at": "2000-01-01T00:00:00Z"})

    assert nameless.status_code == 400 and "name" in nameless.json()["errors"]
    assert past.status_code == 400 and "expires_at" in past.json()["errors"]
