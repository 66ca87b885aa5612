"""Two-factor pages: the code asked after the password, setting an authenticator up, recovery
codes and the signed-in user's security page. Every page works on request.user's own devices."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from . import two_factor
from .two_factor_forms import CodeForm


def _next_url(request: HttpRequest) -> str:
    """Where to go once the code is accepted: ``next`` if it stays on this site, else home."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home")


def _refusal(form: CodeForm, result: two_factor.Verification) -> None:
    if result.throttled_seconds:
        form.add_error(
            "code",
            _("Too many wrong codes. Wait %(seconds)d seconds, then try again.")
            % {"seconds": result.throttled_seconds},
        )
    else:
        form.add_error("code", _("This code is not valid."))


def _recovery_codes_page(request: HttpRequest, codes: list[str]) -> HttpResponse:
    """Recovery codes are shown in this one response only; nothing keeps a copy to show again."""
    response = render(request, "accounts/recovery_codes.html", {"codes": codes})
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@login_required
def verify(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: a code from the authenticator app, or a recovery code."""
    if request.user.is_verified():
        return redirect(_next_url(request))
    if not two_factor.has_confirmed_totp(request.user):
        if two_factor.two_factor_required(request.user):
            return redirect("account:two_factor_setup")
        return redirect(_next_url(request))
    form = CodeForm(request.POST or None)
    if form.is_valid():
        result = two_factor.two_factor_verify(request=request, code=form.cleaned_data["code"])
        if result.ok:
            return redirect(_next_url(request))
        _refusal(form, result)
    return render(
        request,
        "accounts/two_factor_verify.html",
        {"form": form, "next": _next_url(request)},
        status=400 if form.errors else 200,
    )


@never_cache
@login_required
def setup(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan the code (or type the secret), then prove it works."""
    user = request.user
    if two_factor.has_confirmed_totp(user):
        # Replacing a confirmed device takes the second factor first: disable it, or an admin
        # resets it. A password alone must not be enough to enrol a new phone.
        if not user.is_verified():
            return redirect("account:two_factor_verify")
        return redirect("account:security")
    form = CodeForm(request.POST or None)
    if form.is_valid():
        result, codes = two_factor.totp_setup_confirm(
            request=request, code=form.cleaned_data["code"]
        )
        if result.ok:
            return _recovery_codes_page(request, codes)
        _refusal(form, result)
    device = two_factor.totp_pending_device(user)
    context = {
        "form": form,
        "qr_data_uri": two_factor.totp_qr_data_uri(device),
        "secret": two_factor.totp_secret_text(device),
        "required": two_factor.two_factor_required(user),
    }
    status = 400 if form.errors else 200
    return render(request, "accounts/two_factor_setup.html", context, status=status)


@never_cache
@login_required
def security(request: HttpRequest) -> HttpResponse:
    """The signed-in user's own security page: two-factor status and what they may change."""
    user = request.user
    enabled = two_factor.has_confirmed_totp(user)
    context = {
        "enabled": enabled,
        "required": two_factor.two_factor_required(user),
        "may_disable": enabled and two_factor.may_disable(user),
        "codes_left": two_factor.recovery_codes_left(user) if enabled else 0,
        "form": CodeForm(),
    }
    return render(request, "accounts/security.html", context)


@require_POST
@login_required
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """A fresh set of recovery codes, replacing the old ones (the middleware asked the code)."""
    if not two_factor.has_confirmed_totp(request.user) or not request.user.is_verified():
        raise Http404
    codes = two_factor.recovery_codes_regenerate(user=request.user, request=request)
    return _recovery_codes_page(request, codes)


@require_POST
@login_required
def disable(request: HttpRequest) -> HttpResponse:
    """Switch two-factor off, proven with a current code; not for staff while it is required."""
    user = request.user
    if not two_factor.has_confirmed_totp(user) or not two_factor.may_disable(user):
        raise Http404
    form = CodeForm(request.POST)
    if form.is_valid():
        result = two_factor.two_factor_disable(request=request, code=form.cleaned_data["code"])
        if result.ok:
            messages.success(request, _("Two-factor sign-in is now off."))
            return redirect("account:security")
        _refusal(form, result)
    context = {
        "enabled": True,
        "required": True,
        "may_disable": True,
        "codes_left": two_factor.recovery_codes_left(user),
        "form": form,
    }
    return render(request, "accounts/security.html", context, status=400)
