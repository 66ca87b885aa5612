"""Request size cap, and the idle timeout for staff sessions."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

#: Session key holding the time (epoch seconds) of the staff user's last request.
LAST_ACTIVITY_KEY = "staff_last_activity"
#: Activity is written back at most this often, so that not every request saves the session.
_WRITE_EVERY_SECONDS = 60


class RequestSizeLimitMiddleware:
    """Answer 413 to a request that declares a body larger than REQUEST_MAX_BYTES, unread.

    Django streams uploads to temporary files and refuses an oversized attachment only once it
    is on disk; checking the declared length first keeps a 10 GB upload from filling the disk
    or holding a worker. A body sent without a length is read by Django as empty over WSGI.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.REQUEST_MAX_BYTES
        if length > limit:
            message = _(
                "This request is too large (%(size)s; the limit is %(limit)s). "
                "Send fewer or smaller files."
            ) % {"size": filesizeformat(length), "limit": filesizeformat(limit)}
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=413)
            response = HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
            response["Connection"] = "close"  # the unread body must not be taken for a request
            return response
        return self.get_response(request)


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
