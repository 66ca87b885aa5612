"""Per-user language and time zone for every request, and the second factor owed at sign-in."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone, translation
from django_htmx.http import HttpResponseClientRedirect

from msp_portal.accounts import two_factor


def user_time_zone(user) -> str:
    """The zone a user reads times in: the client's for portal users, their own for staff."""
    if getattr(user, "is_client_side", False) and user.client_id:
        return user.client.time_zone
    return getattr(user, "time_zone", "") or settings.TIME_ZONE


class UserPreferencesMiddleware:
    """Activate the signed-in user's language and time zone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            if user.language:
                translation.activate(user.language)
                request.LANGUAGE_CODE = translation.get_language()
            try:
                timezone.activate(zoneinfo.ZoneInfo(user_time_zone(user)))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        return self.get_response(request)


class TwoFactorMiddleware:
    """Send a signed-in user who owes a second factor to the code page (or to set one up).

    Staff owe it always while OTP_REQUIRED_FOR_STAFF is on; anyone who has an authenticator
    confirmed owes it too. Sign-in and sign-out, the two-factor pages themselves, static files,
    the health check and monitoring pings are left alone. The API is not redirected either (it
    authenticates with bearer tokens), but a session that still owes its code is not a session
    there: it is anonymous, so a password alone does not open the API. An htmx request gets an
    HX-Redirect header, so the whole page moves instead of a fragment being swapped in.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._exempt_prefixes: tuple[str, ...] | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not self._exempt(request.path_info)
            and not user.is_verified()
            and two_factor.two_factor_required(user)
        ):
            if not request.path_info.startswith("/api/"):
                return self._redirect(request, user)
            request.user = AnonymousUser()
        return self.get_response(request)

    def _exempt(self, path: str) -> bool:
        if self._exempt_prefixes is None:  # the URLconf is not loaded yet at __init__
            self._exempt_prefixes = (
                reverse("login"),
                reverse("logout"),
                reverse("account:two_factor_verify"),
                reverse("account:two_factor_setup"),
                "/" + settings.STATIC_URL.lstrip("/"),
                reverse("health"),
                "/ping/",
            )
        return path.startswith(self._exempt_prefixes)

    @staticmethod
    def _redirect(request: HttpRequest, user) -> HttpResponse:
        if two_factor.has_confirmed_totp(user):
            url = reverse("account:two_factor_verify")
        else:
            url = reverse("account:two_factor_setup")
        # Read the header itself: django-htmx's middleware runs after this one.
        if request.headers.get("HX-Request") == "true":
            return HttpResponseClientRedirect(url)
        if request.method == "GET":
            url += "?" + urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(url)
