"""Helpers for the notification tests: changes committed for real, so the outbox runs."""

from __future__ import annotations

import contextlib

import pytest

from tests import factories


@pytest.fixture(autouse=True)
def _english(settings):
    """Most assertions read English; French is asked for explicitly where it is tested."""
    settings.LANGUAGE_CODE = "en"
    settings.PORTAL_BASE_URL = "https://portal.msp.test/"
    settings.TICKET_REPLY_ADDRESS = "support@msp.test"
    settings.MAIL_DOMAIN = "msp.test"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the block, then its on-commit work (outbox dispatch, sends) as a commit would."""

    @contextlib.contextmanager
    def run():
        with django_capture_on_commit_callbacks(execute=True):
            yield

    return run


@pytest.fixture
def cc_contact(acme):
    """A copied contact without a portal login: they read the client's language (French)."""
    acme.language = "fr"
    acme.save(update_fields=["language"])
    return factories.ContactFactory(
        client=acme, first_name="Chloé", last_name="Copie", email="chloe@acme.test"
    )
