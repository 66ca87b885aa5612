"""Field defaults read from settings at run time, so migrations do not depend on the environment."""

from django.conf import settings


def default_language() -> str:
    return settings.LANGUAGE_CODE


def default_time_zone() -> str:
    return settings.TIME_ZONE
