"""Signing in: throttled per account and address, the same answer for every wrong guess, a new
session each time, sessions that end with the account or the password, and staff idle timeout.

These tests sign in through the login page with django-axes on, as a browser does.
"""

from __future__ import annotations

import re
import time

import pytest
from django.urls import reverse

from msp_portal.core.middleware import LAST_ACTIVITY_KEY
from msp_portal.core.models import AuditEntry
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    """The sign-in pages speak the default language to an anonymous visitor; read them in
    English here (the French is checked by the catalogue test)."""
    settings.LANGUAGE_CODE = "en"


LOGIN = "/accounts/login/"
OFFICE = "203.0.113.10"  # one client office behind one address
HOME = "198.51.100.7"


def sign_in(client, email: str, password: str, *, ip: str = OFFICE, **data):
    return client.post(LOGIN, {"username": email, "password": password, **data}, REMOTE_ADDR=ip)


def fail(client, email: str, times: int, *, ip: str = OFFICE) -> list[int]:
    return [sign_in(client, email, "wrong-password", ip=ip).status_code for _ in range(times)]


def normalised(response) -> str:
    """The page without what differs on every response: CSRF token and CSP nonce."""
    page = response.content.decode()
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", page)
    page = re.sub(r'"X-CSRFToken": "[^"]+"', "CSRF", page)
    return re.sub(r'nonce="[^"]+"', "NONCE", page)


# --- Throttling -----------------------------------------------------------------------------------


def test_a_correct_password_signs_in_and_goes_home(client, tech):
    response = sign_in(client, tech.email, PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_the_account_is_locked_for_its_address_after_the_failure_limit(client, tech):
    statuses = fail(client, tech.email, 5)  # LOGIN_FAILURE_LIMIT's default

    assert statuses == [200, 200, 200, 200, 429]
    locked = sign_in(client, tech.email, PASSWORD)  # even the right password, now
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.content.decode()
    assert int(locked["Retry-After"]) == 15 * 60
    assert "_auth_user_id" not in client.session


def test_the_same_account_from_another_address_still_signs_in(client, tech):
    fail(client, tech.email, 5, ip=OFFICE)

    response = sign_in(client, tech.email, PASSWORD, ip=HOME)

    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == tech.pk


def test_a_colleague_behind_the_same_address_still_signs_in(client, acme_user, acme_admin):
    fail(client, acme_user.email, 5, ip=OFFICE)

    response = sign_in(client, acme_admin.email, PASSWORD, ip=OFFICE)

    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == acme_admin.pk


def test_changing_the_case_of_the_address_does_not_buy_more_guesses(client, tech):
    fail(client, tech.email.upper(), 3)
    fail(client, tech.email.lower(), 2)

    assert sign_in(client, tech.email, PASSWORD).status_code == 429


def test_a_success_before_the_limit_starts_the_count_again(client, tech):
    fail(client, tech.email, 4)
    assert sign_in(client, tech.email, PASSWORD).status_code == 302
    client.logout()

    assert fail(client, tech.email, 4) == [200] * 4


def test_the_limit_and_the_wait_come_from_the_settings(client, tech, settings):
    from datetime import timedelta

    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = timedelta(minutes=40)

    assert fail(client, tech.email, 2) == [200, 429]
    assert int(sign_in(client, tech.email, PASSWORD)["Retry-After"]) == 40 * 60


# --- The same answer for every wrong guess -------------------------------------------------------


def test_an_unknown_account_and_a_wrong_password_get_the_same_answer(client, tech):
    unknown = sign_in(client, "nobody@msp.test", "wrong-password")
    wrong = sign_in(client, tech.email, "wrong-password")

    assert unknown.status_code == wrong.status_code == 200
    assert normalised(unknown).replace("nobody@msp.test", "EMAIL") == normalised(wrong).replace(
        tech.email, "EMAIL"
    )
    assert 'role="alert"' in normalised(wrong)


def test_a_deactivated_account_gets_the_same_answer_as_a_wrong_password(client, tech, manager):
    manager.is_active = False
    manager.save(update_fields=["is_active"])

    inactive = sign_in(client, manager.email, PASSWORD)
    wrong = sign_in(client, tech.email, "wrong-password")

    assert inactive.status_code == wrong.status_code == 200
    assert normalised(inactive).replace(manager.email, "EMAIL") == normalised(wrong).replace(
        tech.email, "EMAIL"
    )


def test_an_unknown_account_and_a_real_one_are_locked_out_alike(client, tech):
    fail(client, "nobody@msp.test", 4)
    fail(client, tech.email, 4)

    unknown = sign_in(client, "nobody@msp.test", "wrong-password")
    real = sign_in(client, tech.email, "wrong-password")

    assert unknown.status_code == real.status_code == 429
    assert normalised(unknown) == normalised(real)


# --- Audit log ------------------------------------------------------------------------------------


def test_failed_and_successful_sign_ins_are_audited_with_the_address(client, tech):
    sign_in(client, tech.email, "wrong-password", ip=OFFICE)
    sign_in(client, tech.email, PASSWORD, ip=HOME)

    failed = AuditEntry.objects.get(action="login_failed")
    assert failed.actor is None
    assert failed.ip_address == OFFICE
    assert failed.data == {"email": tech.email}
    ok = AuditEntry.objects.get(action="login")
    assert ok.actor == tech
    assert ok.ip_address == HOME


# --- Sessions ------------------------------------------------------------------------------------


def test_signing_in_gives_a_new_session_id(client, tech):
    session = client.session
    session["probe"] = "set before signing in"
    session.save()
    before = client.cookies["sessionid"].value

    sign_in(client, tech.email, PASSWORD)

    after = client.cookies["sessionid"].value
    assert after != before
    assert int(client.session["_auth_user_id"]) == tech.pk


def test_next_is_followed_on_this_site(client, tech):
    response = sign_in(client, tech.email, PASSWORD, next="/tickets/?status=open")

    assert response["Location"] == "/tickets/?status=open"


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "/\\evil.example/", "https:evil.example"],
)
def test_next_pointing_off_site_goes_home_instead(client, tech, target):
    page = client.get(LOGIN, {"next": target})
    response = sign_in(client, tech.email, PASSWORD, next=target)

    assert page.status_code == 200
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_a_deactivated_users_next_request_is_anonymous(client, tech):
    client.force_login(tech)
    assert client.get(reverse("home")).status_code == 200

    tech.is_active = False
    tech.save(update_fields=["is_active"])
    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_password_change_ends_the_other_sessions(client, tech):
    client.force_login(tech)
    assert client.get(reverse("home")).status_code == 200

    tech.set_password("another-long-passphrase")
    tech.save(update_fields=["password"])
    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def backdate_activity(client, minutes: int) -> None:
    session = client.session
    session[LAST_ACTIVITY_KEY] = int(time.time()) - minutes * 60
    session.save()


def test_staff_are_signed_out_after_the_idle_timeout(client, tech):
    client.force_login(tech)
    client.get(reverse("home"))
    backdate_activity(client, 31)

    response = client.get(reverse("tickets:list"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert "_auth_user_id" not in client.session
    login_page = client.get(response["Location"]).content.decode()
    assert "without activity" in login_page


def test_the_idle_clock_starts_at_sign_in_so_the_first_page_writes_no_session(client, tech):
    sign_in(client, tech.email, PASSWORD)

    assert client.session[LAST_ACTIVITY_KEY] >= int(time.time()) - 5


def test_staff_activity_within_the_timeout_keeps_them_signed_in(client, tech):
    client.force_login(tech)
    client.get(reverse("home"))
    backdate_activity(client, 29)

    assert client.get(reverse("tickets:list")).status_code == 200
    assert client.session[LAST_ACTIVITY_KEY] >= int(time.time()) - 5  # the clock restarted


def test_the_idle_timeout_comes_from_the_settings(client, tech, settings):
    settings.STAFF_IDLE_TIMEOUT_MINUTES = 5
    client.force_login(tech)
    client.get(reverse("home"))
    backdate_activity(client, 6)

    assert client.get(reverse("tickets:list")).status_code == 302


def test_client_users_keep_the_normal_session_lifetime(client, acme_user):
    client.force_login(acme_user)
    client.get(reverse("portal:home"))
    backdate_activity(client, 120)

    assert client.get(reverse("portal:home")).status_code == 200
