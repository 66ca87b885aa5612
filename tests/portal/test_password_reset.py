"""Password reset for staff and clients: neutral answers, rate limits, one-time links, and
sessions that end with the password they were opened with."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client as BrowserClient
from django.urls import reverse

from msp_portal.core.models import AuditEntry

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+/accounts/reset/\S+/")


def ask(client, email, ip="10.0.0.1"):
    return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=ip)


@pytest.mark.parametrize("who", ["acme_user", "tech"])
def test_a_reset_link_works_once_and_ends_the_other_sessions(client, request, who):
    user = request.getfixturevalue(who)
    other_session = BrowserClient()
    other_session.force_login(user)

    response = ask(client, user.email.upper())

    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert mail.outbox[-1].to == [user.email]
    link = LINK.search(mail.outbox[-1].body).group(0)
    assert link.startswith("http://127.0.0.1:8000/")  # PORTAL_BASE_URL, not the Host header
    page = client.get(link, follow=True)
    password = "Another-long-passw0rd"
    done = client.post(
        page.redirect_chain[-1][0], {"new_password1": password, "new_password2": password}
    )
    assert done["Location"] == reverse("password_reset_complete")
    user.refresh_from_db()
    assert user.check_password(password)
    assert "no longer works" in BrowserClient().get(link, follow=True).content.decode()
    # The session opened with the old password is over.
    home = other_session.get(reverse("portal:home") if user.is_client_side else reverse("home"))
    assert home.status_code == 302 and home["Location"].startswith(reverse("login"))


def test_the_answer_is_the_same_for_an_unknown_address(client, acme_user):
    known = ask(client, acme_user.email)
    unknown = ask(client, "nobody@nowhere.test")

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert len(mail.outbox) == 1
    done = client.get(reverse("password_reset_done")).content.decode()
    assert "If an account uses this address" in done


def test_the_reset_mail_is_written_in_the_users_language(client, acme_user, monkeypatch):
    from django.contrib.auth.forms import PasswordResetForm
    from django.utils import translation

    acme_user.language = "fr"
    acme_user.save(update_fields=["language"])
    seen = []
    monkeypatch.setattr(
        PasswordResetForm, "send_mail", lambda *a, **k: seen.append(translation.get_language())
    )

    ask(client, acme_user.email)

    assert seen == ["fr"]


def test_resets_are_limited_per_address(client, settings, acme_user):
    settings.PASSWORD_RESET_PER_EMAIL_PER_HOUR = 2

    responses = [ask(client, acme_user.email, ip=f"10.0.0.{i}") for i in range(4)]

    assert {r["Location"] for r in responses} == {reverse("password_reset_done")}
    assert len(mail.outbox) == 2
    assert AuditEntry.objects.filter(action="password_reset.throttled").count() == 2


def test_resets_are_limited_per_client_address(client, settings, acme_user, tech):
    settings.PASSWORD_RESET_PER_IP_PER_HOUR = 3

    for email in ("a@x.test", "b@x.test", "c@x.test", acme_user.email, tech.email):
        assert ask(client, email, ip="192.0.2.7").status_code == 302

    assert mail.outbox == []
    entry = AuditEntry.objects.filter(action="password_reset.throttled").latest("id")
    assert entry.ip_address == "192.0.2.7"
    assert ask(client, tech.email, ip="192.0.2.8").status_code == 302
    assert len(mail.outbox) == 1


def test_an_inactive_user_gets_no_reset_mail(client, acme_user):
    acme_user.is_active = False
    acme_user.save(update_fields=["is_active"])

    assert ask(client, acme_user.email).status_code == 302
    assert mail.outbox == []


def test_login_does_not_follow_a_next_to_another_site(client, acme_user):
    from tests.factories import PASSWORD

    response = client.post(
        reverse("login") + "?next=https://evil.example/",
        {"username": acme_user.email, "password": PASSWORD, "next": "https://evil.example/"},
    )

    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_the_login_page_offers_the_reset(client):
    assert reverse("password_reset") in client.get(reverse("login")).content.decode()
