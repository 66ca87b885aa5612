"""Ending a person's sessions everywhere: on deactivation and on erasure."""

from __future__ import annotations

from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

#: The session engines that keep sessions in the database, where they can be found and deleted.
DB_SESSION_ENGINES = {
    "django.contrib.sessions.backends.db",
    "django.contrib.sessions.backends.cached_db",
}


def user_sessions_end(user) -> int:
    """Delete the user's stored sessions; returns how many.

    Session rows are not indexed by user: each live one is decoded (deactivations and erasures
    are rare). Whatever the engine, Django also refuses an inactive user, or one whose password
    hash changed, on each request.
    """
    if settings.SESSION_ENGINE not in DB_SESSION_ENGINES:
        return 0
    doomed = [
        session.session_key
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk)
    ]
    Session.objects.filter(session_key__in=doomed).delete()
    return len(doomed)
