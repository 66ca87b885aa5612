"""Display formats shared by every page; formatting only, no business rules."""

from __future__ import annotations

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def duration(minutes: int | None) -> str:
    """Minutes for people: 45 min, 4 h, 1 h 30 min."""
    if minutes is None or minutes == "":
        return ""
    hours, rest = divmod(int(minutes), 60)
    if not hours:
        return _("%(minutes)s min") % {"minutes": rest}
    if not rest:
        return _("%(hours)s h") % {"hours": number_format(hours, force_grouping=True)}
    return _("%(hours)s h %(minutes)s min") % {
        "hours": number_format(hours, force_grouping=True),
        "minutes": rest,
    }


@register.filter
def business_duration(seconds: float | None) -> str:
    """Business seconds for people, to the minute (a started minute counts as one)."""
    if seconds is None or seconds == "":
        return ""
    return duration(int(-(-float(seconds) // 60)))
