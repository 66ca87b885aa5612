"""Portal users managed by their client administrator: invite, resend, deactivate, change role.

Each action is audited; e-mails leave after the transaction commits. An invitation link is a
password-reset style token with its own salt: it covers the (unusable) password it replaces, so
it stops working once the password is set, when the invitation is resent, and after
PASSWORD_RESET_TIMEOUT.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from clients.models import Contact
from msp_portal.accounts.models import CLIENT_ROLES, User
from msp_portal.accounts.sessions import user_sessions_end
from msp_portal.core.audit import audit_record


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    """Tokens of invitation links; a reset token is no invitation token and the reverse."""

    key_salt = "msp_portal.portal.users.InvitationTokenGenerator"


invitation_token = InvitationTokenGenerator()


def company_users(admin: User):
    """The portal users of the administrator's own company (staff never appear here)."""
    return User.objects.filter(client_id=admin.client_id, role__in=sorted(CLIENT_ROLES))


def invitation_url(user: User) -> str:
    """The one-time link to set a password, absolute on PORTAL_BASE_URL (never the Host header)."""
    path = reverse(
        "invitation_accept",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": invitation_token.make_token(user),
        },
    )
    return settings.PORTAL_BASE_URL.rstrip("/") + path


def _invitation_mail(user: User, inviter: User) -> None:
    with translation.override(user.language or settings.LANGUAGE_CODE):
        context = {
            "user": user,
            "inviter": inviter,
            "company": user.client,
            "url": invitation_url(user),
            "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
        }
        subject = render_to_string("portal/email/invitation_subject.txt", context)
        body = render_to_string("portal/email/invitation.txt", context)
    send_mail(" ".join(subject.split()), body, None, [user.email])


def _schedule_invitation(user: User, inviter: User) -> None:
    user_id, inviter_id = user.pk, inviter.pk

    def send() -> None:
        fresh = User.objects.select_related("client").get(pk=user_id)
        _invitation_mail(fresh, User.objects.get(pk=inviter_id))

    transaction.on_commit(send)


@transaction.atomic
def portal_user_invite(
    *,
    by: User,
    email: str,
    full_name: str,
    role: str,
    language: str,
    request: HttpRequest | None = None,
) -> User:
    """Create a colleague's login without a usable password and e-mail them the link to set one.

    The contact with the same address becomes theirs (or one is created), so tickets they are
    requester of or copied on reach them.
    """
    if not by.is_client_admin or role not in CLIENT_ROLES:
        raise ValidationError(_("Only a client administrator invites, as user or administrator."))
    email = User.objects.normalize_email(email).lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": _("This address already has an account.")})
    user = User(
        email=email, full_name=full_name.strip(), role=role, client_id=by.client_id,
        language=language,
    )  # fmt: skip
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    contact = Contact.objects.for_client(by.client_id).filter(email__iexact=email).first()
    if contact is None:
        first, _sep, last = user.full_name.partition(" ")
        Contact.objects.create(
            client_id=by.client_id, first_name=first, last_name=last, email=email, user=user
        )
    elif contact.user_id is None:
        contact.user = user
        contact.save(update_fields=["user"])
    audit_record(
        actor=by,
        action="portal_user.invited",
        request=request,
        client_id=by.client_id,
        obj=user,
        data={"email": email, "role": role},
    )
    _schedule_invitation(user, by)
    return user


def invitation_pending(user: User) -> bool:
    """Invited and never signed in: no password chosen yet."""
    return user.last_login is None and not user.has_usable_password()


@transaction.atomic
def portal_user_resend_invitation(
    *, user: User, by: User, request: HttpRequest | None = None
) -> None:
    """A new link; the previous one stops working (the unusable password it covered changes)."""
    if not invitation_pending(user) or not user.is_active:
        raise ValidationError(_("This person has already set a password; nothing to resend."))
    user.set_unusable_password()
    user.save(update_fields=["password"])
    audit_record(
        actor=by,
        action="portal_user.invitation_resent",
        request=request,
        client_id=by.client_id,
        obj=user,
    )
    _schedule_invitation(user, by)


def _ensure_not_self(user: User, by: User) -> None:
    if user.pk == by.pk:
        raise ValidationError(_("You cannot change your own access; ask another administrator."))


@transaction.atomic
def portal_user_set_active(
    *, user: User, by: User, active: bool, request: HttpRequest | None = None
) -> User:
    """Deactivate (and sign out everywhere) or reactivate a colleague's login."""
    _ensure_not_self(user, by)
    if user.is_active == active:
        return user
    user.is_active = active
    user.save(update_fields=["is_active"])
    if not active:
        user_sessions_end(user)
    audit_record(
        actor=by,
        action="portal_user.reactivated" if active else "portal_user.deactivated",
        request=request,
        client_id=by.client_id,
        obj=user,
    )
    return user


@transaction.atomic
def portal_user_change_role(
    *, user: User, by: User, role: str, request: HttpRequest | None = None
) -> User:
    """Make a colleague a user or an administrator of the company's portal."""
    _ensure_not_self(user, by)
    if role not in CLIENT_ROLES:
        raise ValidationError({"role": _("Choose user or administrator.")})
    if user.role == role:
        return user
    previous = user.role
    user.role = role
    user.save(update_fields=["role"])
    audit_record(
        actor=by,
        action="portal_user.role_changed",
        request=request,
        client_id=by.client_id,
        obj=user,
        data={"from": previous, "to": role},
    )
    return user
