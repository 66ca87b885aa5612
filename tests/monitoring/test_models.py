"""Monitoring rows: what a check shows of its target, secrets per check."""

from __future__ import annotations

import pytest

from tests import factories

pytestmark = pytest.mark.django_db


def test_each_check_gets_its_own_unguessable_heartbeat_token(acme):
    tokens = {factories.CheckFactory(client=acme).heartbeat_token for _ in range(5)}

    assert len(tokens) == 5
    assert all(len(t) >= 30 for t in tokens)


def test_the_target_shown_follows_the_kind_of_settings(acme):
    check = factories.CheckFactory(client=acme, config={"url": "http://127.0.0.1:8000/health/"})
    assert check.target == "http://127.0.0.1:8000/health/"
    check.config = {"host": "127.0.0.1", "port": 8443}
    assert check.target == "127.0.0.1:8443"
    check.config = {"name": "example.test"}
    assert check.target == "example.test"
