"""Password reset for everyone, and accepting a portal invitation.

The reset request answers the same page whether or not the address has an account, and counts
requests per address and per client IP in the cache: beyond the limit nothing is sent, the page
is the same, and the audit log says why.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.http import HttpResponseRedirect
from django.urls import reverse_lazy
from django.utils.translation import gettext as _

from msp_portal.core.audit import audit_record, client_ip

from .forms import LocalisedPasswordResetForm
from .users import invitation_token

WINDOW_SECONDS = 60 * 60


def _count(key: str) -> int:
    """This hour's requests under ``key``, this one included (a fixed one-hour window)."""
    cache.add(key, 0, WINDOW_SECONDS)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, WINDOW_SECONDS)
        return 1


def password_reset_allowed(email: str, ip: str | None) -> bool:
    """Within PASSWORD_RESET_PER_EMAIL_PER_HOUR for the address and _PER_IP_ for the client."""
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    per_email = _count(f"password-reset:email:{digest}")
    per_ip = _count(f"password-reset:ip:{ip or 'unknown'}")
    return (
        per_email <= settings.PASSWORD_RESET_PER_EMAIL_PER_HOUR
        and per_ip <= settings.PASSWORD_RESET_PER_IP_PER_HOUR
    )


class PasswordResetView(auth_views.PasswordResetView):
    form_class = LocalisedPasswordResetForm
    template_name = "registration/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    def get_extra_email_context(self):
        # Links are built on PORTAL_BASE_URL, never on the request's Host header.
        return {"base_url": settings.PORTAL_BASE_URL.rstrip("/")}

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        if not password_reset_allowed(email, client_ip(self.request)):
            audit_record(
                actor=None,
                action="password_reset.throttled",
                request=self.request,
                data={"email": email[:254]},
            )
            return HttpResponseRedirect(self.get_success_url())
        self.extra_email_context = self.get_extra_email_context()
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "registration/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        audit_record(
            actor=form.user,
            action="password_reset.done",
            request=self.request,
            client_id=form.user.client_id,
        )
        return response


class InvitationAcceptView(auth_views.PasswordResetConfirmView):
    """The invitation link: choose a password, then sign in with it."""

    template_name = "registration/invitation_accept.html"
    token_generator = invitation_token
    success_url = reverse_lazy("login")

    def get_user(self, uidb64):
        # A colleague deactivated before accepting: the link must not revive the account.
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None

    def form_valid(self, form):
        response = super().form_valid(form)
        audit_record(
            actor=form.user,
            action="portal_user.invitation_accepted",
            request=self.request,
            client_id=form.user.client_id,
        )
        messages.success(self.request, _("Your password is set. You can now sign in."))
        return response
