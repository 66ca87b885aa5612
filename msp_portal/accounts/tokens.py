"""Personal API tokens: issue, revoke and check them; the token itself is never stored.

A token reads ``msp_<prefix>_<secret>``. The prefix finds the row (and is shown in lists so
people can tell their tokens apart); the SHA-256 of the whole token is compared in constant time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import ApiToken, User

TOKEN_PREFIX = "msp"
#: last_used_at is written at most this often, so that reads do not each cost a write.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


class TokenRejected(Exception):
    """The presented token cannot be used; ``reason`` says why, for the 401 response."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class IssuedToken:
    """A new token row and the token text, which exists only here and in one response."""

    token: ApiToken
    key: str


def hash_key(key: str) -> str:
    """The SHA-256 hex digest stored for a token."""
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_create(
    *, user: User, name: str, expires_at: dt.datetime | None = None
) -> IssuedToken:
    """Issue a token for ``user``; the returned key is shown once and never again."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Name the token, e.g. after the script that uses it.")})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("The expiry must be in the future.")})
    if not user.is_active:
        raise ValidationError(_("Tokens can only be issued to active users."))
    while True:
        prefix = secrets.token_hex(4)
        if not ApiToken.objects.filter(prefix=prefix).exists():
            break
    key = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user=user, name=name[:100], prefix=prefix, key_hash=hash_key(key), expires_at=expires_at
    )
    return IssuedToken(token=token, key=key)


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke a token for good; revoking twice keeps the first date."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_check(key: str) -> ApiToken:
    """The live token matching ``key``, or TokenRejected with the reason it cannot be used."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or len(parts[1]) != 8:
        raise TokenRejected(_("Malformed API token."))
    token = ApiToken.objects.select_related("user", "user__client").filter(prefix=parts[1]).first()
    # Compare even when no row matched, so timing does not tell a known prefix from an unknown.
    expected = token.key_hash if token is not None else hash_key("")
    if not hmac.compare_digest(expected, hash_key(key)) or token is None:
        raise TokenRejected(_("Invalid API token."))
    now = timezone.now()
    if token.is_revoked:
        raise TokenRejected(_("This API token has been revoked."))
    if token.is_expired(now):
        raise TokenRejected(_("This API token has expired."))
    if not token.user.is_active:
        raise TokenRejected(_("The user of this API token is inactive."))
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
