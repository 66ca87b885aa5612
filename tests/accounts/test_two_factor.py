"""Two-factor sign-in: staff must set up and present a TOTP code, client users may opt in,
recovery codes work once, wrong codes are throttled and audited, and nobody reaches another
person's secret. These tests run with OTP_REQUIRED_FOR_STAFF on, as production does."""

from __future__ import annotations

import base64
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from msp_portal.core.models import AuditEntry
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
VERIFY = "/account/two-factor/verify/"
SETUP = "/account/two-factor/setup/"
SECURITY = "/account/security/"


@pytest.fixture(autouse=True)
def _two_factor_on(settings):
    settings.OTP_REQUIRED_FOR_STAFF = True
    settings.LANGUAGE_CODE = "en"


def code_for(device: TOTPDevice, *, offset: int = 0) -> str:
    """The code the user's app shows now (offset in time steps)."""
    device.refresh_from_db()
    drift = device.drift + offset
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=drift)
    return f"{value:0{device.digits}d}"


def confirmed_device(user) -> TOTPDevice:
    """A user who finished setting up an authenticator app (with recovery codes)."""
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    recovery = StaticDevice.objects.create(user=user, name="recovery", confirmed=True)
    for token in ("aaaa2222", "bbbb3333"):
        StaticToken.objects.create(device=recovery, token=token)
    return device


def sign_in(client, user):
    response = client.post(LOGIN, {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302, "the password step works as before"
    return response


def unlock(device) -> None:
    """Move the device's throttle window into the past, as if the user had waited."""
    type(device).objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - timedelta(hours=1)
    )


# --- Staff without a device are sent to set one up ------------------------------------------------


@pytest.mark.parametrize("url", ["/", "/tickets/", "/clients/", "/admin/", SECURITY])
def test_staff_without_a_device_are_sent_to_setup_from_any_page(client, admin_user, url):
    client.force_login(admin_user)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(SETUP)
    assert "next=" in response["Location"]


def test_an_htmx_request_gets_hx_redirect_rather_than_a_redirect_swapped_into_a_fragment(
    client, tech
):
    client.force_login(tech)

    response = client.get("/clients/", headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert response["HX-Redirect"] == SETUP
    assert b"<html" not in response.content


def test_the_requirement_for_staff_follows_the_setting(client, tech, settings):
    settings.OTP_REQUIRED_FOR_STAFF = False
    client.force_login(tech)

    assert client.get("/tickets/").status_code == 200


def test_the_setup_page_shows_a_qr_code_and_the_secret_of_a_new_unconfirmed_device(client, tech):
    client.force_login(tech)

    page = client.get(SETUP)

    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=tech)
    assert device.confirmed is False
    html = page.content.decode()
    uri = re.search(r'<img src="(data:image/svg\+xml;base64,[^"]+)"', html).group(1)
    svg = base64.b64decode(uri.split(",", 1)[1])
    assert svg.lstrip().startswith(b"<svg")
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    shown = re.search(r'id="totp-secret">([^<]+)<', html).group(1).replace(" ", "")
    assert shown == secret
    # Reloading keeps the secret the user may already have scanned.
    client.get(SETUP)
    assert TOTPDevice.objects.filter(user=tech).count() == 1


def test_setup_with_a_wrong_code_keeps_the_device_unconfirmed_and_says_so(client, tech):
    client.force_login(tech)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=tech)
    wrong = f"{(int(code_for(device)) + 1) % 1000000:06d}"

    response = client.post(SETUP, {"code": wrong})

    assert response.status_code == 400
    assert "This code is not valid." in response.content.decode()
    device.refresh_from_db()
    assert device.confirmed is False
    assert client.get("/tickets/")["Location"].startswith(SETUP)
    assert AuditEntry.objects.filter(action="two_factor_setup_failed", actor=tech).exists()


def test_setup_with_the_right_code_confirms_and_shows_ten_recovery_codes_once(client, tech):
    client.force_login(tech)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=tech)

    response = client.post(SETUP, {"code": code_for(device)})

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    device.refresh_from_db()
    assert device.confirmed is True
    codes = re.findall(r"<li>([a-z2-7]{8})</li>", response.content.decode())
    assert len(codes) == 10
    assert sorted(codes) == sorted(
        StaticToken.objects.filter(device__user=tech).values_list("token", flat=True)
    )
    assert AuditEntry.objects.filter(action="two_factor_enabled", actor=tech).exists()
    # The session is verified: pages open, and the codes are not shown again anywhere.
    assert client.get("/tickets/").status_code == 200
    for url in (SETUP, SECURITY):
        page = client.get(url, follow=True).content.decode()
        assert not any(code in page for code in codes)


# --- Signing in with a device ---------------------------------------------------------------------


def test_a_new_sign_in_asks_for_the_code_and_the_right_code_opens_the_pages(client, tech):
    device = confirmed_device(tech)
    sign_in(client, tech)

    response = client.get("/tickets/?status=open")

    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next=%2Ftickets%2F%3Fstatus%3Dopen"
    page = client.get(response["Location"])
    assert page.status_code == 200
    before = client.cookies["sessionid"].value

    verified = client.post(VERIFY, {"code": code_for(device), "next": "/tickets/?status=open"})

    assert verified.status_code == 302
    assert verified["Location"] == "/tickets/?status=open"
    assert client.cookies["sessionid"].value != before  # a new session id for the new rights
    assert client.get("/tickets/").status_code == 200
    assert AuditEntry.objects.filter(action="two_factor_verified", actor=tech).exists()


def test_next_off_site_after_the_code_goes_home(client, tech):
    device = confirmed_device(tech)
    sign_in(client, tech)

    response = client.post(VERIFY, {"code": code_for(device), "next": "https://evil.example/"})

    assert response["Location"] == reverse("home")


def test_a_wrong_code_is_refused_audited_and_then_throttled(client, tech):
    device = confirmed_device(tech)
    sign_in(client, tech)
    right = code_for(device)
    wrong = f"{(int(right) + 1) % 1000000:06d}"

    first = client.post(VERIFY, {"code": wrong})
    assert first.status_code == 400
    assert "This code is not valid." in first.content.decode()
    unlock(device)
    for _ in range(3):
        client.post(VERIFY, {"code": wrong})

    # Even the right code is refused while the device is locked, and the page says why.
    throttled = client.post(VERIFY, {"code": right})

    assert throttled.status_code == 400
    assert "Too many wrong codes" in throttled.content.decode()
    assert client.get("/tickets/")["Location"].startswith(VERIFY)
    device.refresh_from_db()
    assert device.throttling_enabled
    assert device.throttling_failure_count >= 2
    failures = AuditEntry.objects.filter(action="two_factor_failed", actor=tech)
    assert failures.count() == 5
    assert failures.filter(data__throttled=True).exists()
    assert all(entry.ip_address == "127.0.0.1" for entry in failures)


def test_a_recovery_code_signs_in_once_only(client, tech):
    confirmed_device(tech)
    sign_in(client, tech)

    response = client.post(VERIFY, {"code": "AAAA 2222"})  # case and spaces do not matter

    assert response.status_code == 302
    assert client.get("/tickets/").status_code == 200
    assert not StaticToken.objects.filter(token="aaaa2222").exists()
    entry = AuditEntry.objects.get(action="two_factor_verified", actor=tech)
    assert entry.data == {"method": "recovery_code", "recovery_codes_left": 1}
    client.post(reverse("logout"))
    sign_in(client, tech)
    again = client.post(VERIFY, {"code": "aaaa2222"})
    assert again.status_code == 400
    assert client.get("/tickets/")["Location"].startswith(VERIFY)


def test_the_same_totp_code_is_not_accepted_twice(client, tech):
    device = confirmed_device(tech)
    sign_in(client, tech)
    code = code_for(device)
    client.post(VERIFY, {"code": code})
    client.post(reverse("logout"))

    sign_in(client, tech)
    replay = client.post(VERIFY, {"code": code})

    assert replay.status_code == 400


def test_signing_out_from_the_code_page_is_possible(client, tech):
    confirmed_device(tech)
    sign_in(client, tech)

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


# --- Client users ---------------------------------------------------------------------------------


def test_a_client_user_without_a_device_is_not_asked(client, acme_user):
    sign_in(client, acme_user)

    assert client.get(reverse("portal:home")).status_code == 200


def test_a_client_user_without_a_device_is_sent_on_from_the_code_page(client, acme_user):
    client.force_login(acme_user)

    response = client.get(VERIFY, {"next": "/portal/tickets/"})

    assert response.status_code == 302
    assert response["Location"] == "/portal/tickets/"


def test_a_client_user_may_enable_it_and_is_then_asked_at_sign_in(client, acme_user):
    client.force_login(acme_user)
    assert "Set up two-factor sign-in" in client.get(SECURITY).content.decode()
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=acme_user)
    assert client.post(SETUP, {"code": code_for(device)}).status_code == 200
    client.post(reverse("logout"))

    sign_in(client, acme_user)

    assert client.get(reverse("portal:home"))["Location"].startswith(VERIFY)
    client.post(VERIFY, {"code": code_for(device, offset=1)})
    assert client.get(reverse("portal:home")).status_code == 200


def test_a_client_user_may_turn_it_off_with_a_current_code(client, acme_user):
    device = confirmed_device(acme_user)
    sign_in(client, acme_user)
    client.post(VERIFY, {"code": code_for(device)})

    refused = client.post(reverse("account:two_factor_disable"), {"code": "000000"})
    assert refused.status_code == 400
    assert TOTPDevice.objects.filter(user=acme_user).exists()
    unlock(device)
    response = client.post(reverse("account:two_factor_disable"), {"code": "bbbb3333"})

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=acme_user).exists()
    assert not StaticDevice.objects.filter(user=acme_user).exists()
    assert AuditEntry.objects.filter(action="two_factor_disabled", actor=acme_user).exists()
    client.post(reverse("logout"))
    sign_in(client, acme_user)
    assert client.get(reverse("portal:home")).status_code == 200


def test_staff_may_not_turn_it_off_while_it_is_required(client, tech):
    device = confirmed_device(tech)
    sign_in(client, tech)
    client.post(VERIFY, {"code": code_for(device)})

    assert "Turn two-factor sign-in off" not in client.get(SECURITY).content.decode()
    response = client.post(reverse("account:two_factor_disable"), {"code": "aaaa2222"})

    assert response.status_code == 404
    assert TOTPDevice.objects.filter(user=tech, confirmed=True).exists()


def test_new_recovery_codes_replace_the_old_ones(client, tech):
    device = confirmed_device(tech)
    sign_in(client, tech)
    client.post(VERIFY, {"code": code_for(device)})

    response = client.post(reverse("account:recovery_codes"))

    assert response.status_code == 200
    codes = re.findall(r"<li>([a-z2-7]{8})</li>", response.content.decode())
    assert len(codes) == 10
    assert not StaticToken.objects.filter(token__in=["aaaa2222", "bbbb3333"]).exists()


# --- What the second factor leaves alone ----------------------------------------------------------


def test_health_and_ping_are_not_redirected(client, tech, acme):
    from tests import factories

    check = factories.CheckFactory(client=acme, kind="heartbeat", config={})
    client.force_login(tech)

    assert client.get(reverse("health")).status_code in {200, 503}
    assert client.get(reverse("ping:ping", args=[check.heartbeat_token])).status_code == 200


def test_the_api_is_not_redirected_and_an_unverified_session_does_not_open_it(client, tech):
    from tests.api.conftest import token_client

    client.force_login(tech)

    by_session = client.get("/api/v1/tickets/")
    by_token = token_client(tech).get("/api/v1/tickets/")

    assert by_session.status_code == 401  # a password alone opens no API either
    assert "HX-Redirect" not in by_session and "Location" not in by_session
    assert by_token.status_code == 200


def test_a_verified_session_reaches_the_api_too(client, tech):
    device = confirmed_device(tech)
    sign_in(client, tech)
    client.post(VERIFY, {"code": code_for(device)})

    assert client.get("/api/v1/tickets/").status_code == 200


def test_the_sign_in_page_and_static_files_are_not_redirected(client, tech):
    client.force_login(tech)

    assert client.get("/static/css/portal.css").status_code != 302
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(LOGIN).status_code == 200


# --- Nobody reaches another person's device -------------------------------------------------------


def test_a_user_cannot_see_or_confirm_another_users_device(client, tech, manager):
    client.force_login(tech)
    client.get(SETUP)
    techs = TOTPDevice.objects.get(user=tech)
    client.logout()

    client.force_login(manager)
    page = client.get(SETUP).content.decode()
    response = client.post(SETUP, {"code": code_for(techs)})

    tech_secret = base64.b32encode(techs.bin_key).decode().rstrip("=")
    assert tech_secret[:16] not in page.replace(" ", "")
    assert response.status_code == 400
    techs.refresh_from_db()
    assert techs.confirmed is False
    assert not TOTPDevice.objects.filter(user=manager, confirmed=True).exists()


def test_a_password_alone_cannot_enrol_a_new_device_over_a_confirmed_one(client, tech):
    confirmed_device(tech)
    sign_in(client, tech)

    response = client.get(SETUP)

    assert response.status_code == 302
    assert response["Location"] == VERIFY
    assert TOTPDevice.objects.filter(user=tech).count() == 1


def test_the_admin_does_not_list_anyones_secrets(client, admin_user):
    device = confirmed_device(admin_user)
    sign_in(client, admin_user)
    client.post(VERIFY, {"code": code_for(device)})

    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 404
    assert client.get("/admin/otp_static/staticdevice/").status_code == 404


def test_an_admin_resets_a_users_devices_and_it_is_audited(client, admin_user, tech):
    device = confirmed_device(admin_user)
    confirmed_device(tech)
    sign_in(client, admin_user)
    client.post(VERIFY, {"code": code_for(device)})

    response = client.post(
        "/admin/accounts/user/",
        {"action": "reset_two_factor", "_selected_action": [tech.pk]},
    )

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=tech).exists()
    assert not StaticDevice.objects.filter(user=tech).exists()
    entry = AuditEntry.objects.get(action="two_factor_reset")
    assert entry.actor == admin_user
    assert entry.object_id == str(tech.pk)
    assert entry.data == {"devices_removed": 2}
    # The technician's next sign-in sends them to set a new device up.
    client.post(reverse("logout"))
    sign_in(client, tech)
    assert client.get("/tickets/")["Location"].startswith(SETUP)


def test_throttling_is_on_for_both_kinds_of_device(tech):
    device = confirmed_device(tech)

    assert device.throttling_enabled
    assert StaticDevice.objects.get(user=tech).throttling_enabled


def test_the_two_factor_pages_have_no_inline_code_the_policy_blocks(client, tech, manager):
    from tests.core.test_security import assert_strict_headers, scan

    device = confirmed_device(tech)
    sign_in(client, tech)
    pages = [client.get(VERIFY), client.post(VERIFY, {"code": "123"})]
    unlock(device)
    client.post(VERIFY, {"code": code_for(device)})
    pages += [client.get(SECURITY), client.post(reverse("account:recovery_codes"))]
    client.force_login(manager)  # no device yet: the setup page
    pages.append(client.get(SETUP))

    for response in pages:
        assert response.status_code in {200, 400}, response.request["PATH_INFO"]
        assert_strict_headers(response)
        assert scan(response).problems == [], response.request["PATH_INFO"]
