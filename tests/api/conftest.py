"""API test helpers: a client per member of the cast, authenticated by a real bearer token."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from msp_portal.accounts.tokens import api_token_create
from tests import factories


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    """Rate-limit counters live in the cache: each test starts with none."""
    cache.clear()
    yield
    cache.clear()


def token_client(user) -> APIClient:
    """An API client sending ``Authorization: Bearer <token>`` for ``user``."""
    issued = api_token_create(user=user, name="tests")
    client = APIClient()
    # Refusals of the token come before its user (and language) is known.
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.key}", HTTP_ACCEPT_LANGUAGE="en")
    client.token = issued.token
    client.key = issued.key
    return client


@pytest.fixture
def globex_tech(globex):
    """A technician who works for Globex only."""
    user = factories.UserFactory(
        email="globex-tech@msp.test", role="technician", sees_all_clients=False
    )
    user.allowed_clients.set([globex])
    return user


@pytest.fixture
def api(request):
    """``api("tech")``: an API client authenticated as that fixture's user."""

    def make(name: str) -> APIClient:
        return token_client(request.getfixturevalue(name))

    return make
