"""Idle timeout for staff sessions."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

#: Session key holding the time (epoch seconds) of the staff user's last request.
LAST_ACTIVITY_KEY = "staff_last_activity"
#: Activity is written back at most this often, so that not every request saves the session.
_WRITE_EVERY_SECONDS = 60


def staff_activity_start(request: HttpRequest, user) -> None:
    """Start a staff user's idle clock at sign-in, in the session the sign-in just wrote.

    Doing it here rather than on the first request keeps that request from writing the session.
    """
    if getattr(user, "is_msp_staff", False) and hasattr(request, "session"):
        request.session[LAST_ACTIVITY_KEY] = int(time.time())


class StaffIdleTimeoutMiddleware:
    """Sign staff out after STAFF_IDLE_TIMEOUT_MINUTES without a request.

    A staff session opens every client's data, so an unattended browser must not stay signed in
    for the whole SESSION_COOKIE_AGE; client users keep that normal lifetime. The request that
    arrives too late is served as anonymous (the login page, with a message saying why).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and getattr(user, "is_msp_staff", False):
            now = int(time.time())
            last = request.session.get(LAST_ACTIVITY_KEY)
            idle_limit = settings.STAFF_IDLE_TIMEOUT_MINUTES * 60
            if isinstance(last, int) and now - last > idle_limit:
                logout(request)
                messages.info(
                    request,
                    _("You were signed out after %(minutes)d minutes without activity.")
                    % {"minutes": settings.STAFF_IDLE_TIMEOUT_MINUTES},
                )
            elif not isinstance(last, int) or now - last >= _WRITE_EVERY_SECONDS:
                request.session[LAST_ACTIVITY_KEY] = now
        return self.get_response(request)
