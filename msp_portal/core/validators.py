"""Field validators shared by several apps."""

import zoneinfo

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def validate_time_zone(value: str) -> None:
    """Accept only IANA zone names this machine knows."""
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # OSError: absurd lengths
        raise ValidationError(
            _("%(value)s is not a known time zone; use an IANA name such as Europe/Paris."),
            params={"value": value},
        ) from None
