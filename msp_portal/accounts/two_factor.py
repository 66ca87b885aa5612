"""Two-factor sign-in (django-otp): reads and the services that set it up, check it and reset it.

Kept apart from accounts/services.py so that the whole second factor reads in one file. Every
device is looked up through the signed-in user, never by an id from the request, so nobody can
see or confirm another person's secret.
"""

from __future__ import annotations

import base64
import io
from base64 import b32encode
from dataclasses import dataclass

import django_otp
import segno
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from msp_portal.core.audit import audit_record

#: Names of the devices the portal creates: one authenticator app, one set of recovery codes.
TOTP_DEVICE_NAME = "authenticator"
RECOVERY_DEVICE_NAME = "recovery"


# --- Reads --------------------------------------------------------------------------------------


def two_factor_required(user) -> bool:
    """Whether this user must present a second factor: staff by policy, anyone who enabled it."""
    if getattr(user, "is_msp_staff", False) and settings.OTP_REQUIRED_FOR_STAFF:
        return True
    return has_confirmed_totp(user)


def has_confirmed_totp(user) -> bool:
    """Whether the user has finished setting up an authenticator app."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def may_disable(user) -> bool:
    """Client users may switch two-factor off; staff only when the policy does not require it."""
    return not (getattr(user, "is_msp_staff", False) and settings.OTP_REQUIRED_FOR_STAFF)


def recovery_codes_left(user) -> int:
    """How many unused recovery codes the user still has."""
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def totp_pending_device(user) -> TOTPDevice:
    """The user's unconfirmed authenticator device, created with a fresh secret if there is none.

    The same secret is kept until it is confirmed, so reloading the setup page does not invalidate
    what the user has just scanned.
    """
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def totp_secret_text(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for typing into an app by hand."""
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def totp_qr_data_uri(device: TOTPDevice) -> str:
    """The device's otpauth:// URL as a QR code, an SVG data URI (img-src allows data:)."""
    buffer = io.BytesIO()
    segno.make(device.config_url, error="m").save(buffer, kind="svg", scale=5, xmldecl=False)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


# --- Services -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    """What a code check came to: the device that accepted it, or why it was refused."""

    device: object | None = None
    throttled_seconds: int = 0

    @property
    def ok(self) -> bool:
        return self.device is not None


def _normalise(code: str) -> str:
    return "".join(str(code).split()).replace("-", "").lower()


def _check(user, device, code: str) -> Verification:
    """Check a code against one device under django-otp's throttle (row locked meanwhile)."""
    allowed, details = device.verify_is_allowed()
    if not allowed:
        return Verification(throttled_seconds=_wait_seconds(details))
    verified = django_otp.verify_token(user, device.persistent_id, code)
    return Verification(device=verified)


def _wait_seconds(details: dict | None) -> int:
    locked_until = (details or {}).get("locked_until")
    if locked_until is None:
        return 1
    return max(1, int((locked_until - timezone.now()).total_seconds()) + 1)


def two_factor_verify(*, request: HttpRequest, code: str) -> Verification:
    """Check a sign-in code (authenticator or recovery) and mark the session verified.

    Six digits go to the authenticator app, anything else to the recovery codes (eight letters
    and digits, each used once).
    Every refusal is audited; the devices' own throttle makes guessing slower with each miss.
    """
    user = request.user
    code = _normalise(code)
    if code.isdigit() and len(code) == 6:  # the devices created here show six digits
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    else:
        device = StaticDevice.objects.filter(user=user, confirmed=True).first()
    result = _check(user, device, code) if device is not None and code else Verification()
    if result.ok:
        request.session.cycle_key()  # the session gains rights: give it a new id
        django_otp.login(request, result.device)
        data: dict = {"method": "totp"}
        if isinstance(result.device, StaticDevice):
            data = {"method": "recovery_code", "recovery_codes_left": recovery_codes_left(user)}
        audit_record(
            actor=user,
            action="two_factor_verified",
            request=request,
            client_id=user.client_id,
            data=data,
        )
    else:
        audit_record(
            actor=user,
            action="two_factor_failed",
            request=request,
            client_id=user.client_id,
            data={"throttled": bool(result.throttled_seconds)},
        )
    return result


def recovery_codes_regenerate(*, user, request: HttpRequest | None = None) -> list[str]:
    """Replace the user's recovery codes with a fresh set and return them (shown once)."""
    with transaction.atomic():
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
        codes = [StaticToken.random_token() for _ in range(settings.OTP_RECOVERY_CODE_COUNT)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
        audit_record(
            actor=user, action="recovery_codes_generated", request=request, client_id=user.client_id
        )
    return codes


def totp_setup_confirm(*, request: HttpRequest, code: str) -> tuple[Verification, list[str]]:
    """Confirm the signed-in user's pending authenticator with a code it shows.

    On success the device is confirmed, earlier ones are removed, recovery codes are generated
    (returned to be shown once) and the session is marked verified.
    """
    user = request.user
    device = totp_pending_device(user)
    result = _check(user, device, _normalise(code))
    if not result.ok:
        audit_record(
            actor=user,
            action="two_factor_setup_failed",
            request=request,
            client_id=user.client_id,
            data={"throttled": bool(result.throttled_seconds)},
        )
        return result, []
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit_record(
            actor=user, action="two_factor_enabled", request=request, client_id=user.client_id
        )
    codes = recovery_codes_regenerate(user=user, request=request)
    request.session.cycle_key()
    django_otp.login(request, device)
    return Verification(device=device), codes


def two_factor_disable(*, request: HttpRequest, code: str) -> Verification:
    """Switch two-factor off for the signed-in user, who proves it with a current code."""
    user = request.user
    if not may_disable(user):
        raise PermissionError("Two-factor sign-in is required for staff.")
    result = two_factor_verify(request=request, code=code)
    if result.ok:
        _devices_delete(user=user)
        audit_record(
            actor=user, action="two_factor_disabled", request=request, client_id=user.client_id
        )
    return result


def two_factor_reset(*, user, by, request: HttpRequest | None = None) -> int:
    """An administrator removes a user's devices (a lost phone); they set it up again."""
    with transaction.atomic():
        removed = _devices_delete(user=user)
        audit_record(
            actor=by,
            action="two_factor_reset",
            request=request,
            client_id=user.client_id,
            obj=user,
            data={"devices_removed": removed},
        )
    return removed


def _devices_delete(*, user) -> int:
    removed = 0
    for model in django_otp.device_classes():
        devices = model.objects.filter(user=user)
        removed += devices.count()
        devices.delete()
    return removed
