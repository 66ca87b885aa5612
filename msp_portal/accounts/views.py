"""Sign-in throttling hooks for django-axes: how attempts are keyed and what a lockout shows."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def lockout_username(request: HttpRequest, credentials: dict | None) -> str:
    """The account an attempt counts against: e-mail logins are case-insensitive, so is this.

    Without it, "Jane@x" and "jane@x" would each get their own allowance of guesses.
    """
    raw = (credentials or {}).get("username") or request.POST.get("username", "")
    return str(raw).strip().lower()


def locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    """The page shown while an account/address pair is locked out: the same for every account.

    It never says whether the account exists, so it cannot be used to probe for accounts.
    """
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    response = render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response
