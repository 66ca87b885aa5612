"""The dashboard's period and client filter."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Client
from tickets.queue_forms import ClientSlugField

from .rollups import msp_zone
from .selectors import Period

#: The longest period one page sums (a year and a day, for leap years).
MAX_DAYS = 366
DEFAULT_DAYS = 30


def default_period(today: dt.date | None = None) -> Period:
    """The last 30 days, today included (MSP days)."""
    today = today or timezone.localdate(timezone=msp_zone())
    return Period(today - dt.timedelta(days=DEFAULT_DAYS - 1), today)


def quick_periods(today: dt.date | None = None) -> list[tuple[str, Period]]:
    """The quick choices: 7, 30 and 90 days, this month, last month."""
    today = today or timezone.localdate(timezone=msp_zone())
    first = today.replace(day=1)
    last_month_end = first - dt.timedelta(days=1)
    return [
        (str(_("7 days")), Period(today - dt.timedelta(days=6), today)),
        (str(_("30 days")), Period(today - dt.timedelta(days=29), today)),
        (str(_("90 days")), Period(today - dt.timedelta(days=89), today)),
        (str(_("This month")), Period(first, today)),
        (str(_("Last month")), Period(last_month_end.replace(day=1), last_month_end)),
    ]


class DashboardFilterForm(forms.Form):
    start = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    # Typed, with the names offered as one types: a select of 2,000 clients costs tens of
    # milliseconds to render on every page, for a filter most views leave empty.
    client = ClientSlugField(
        label=_("Client"), required=False, help_text=_("Empty: all the clients you work for.")
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client"].user = user

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        default = default_period()
        if "start" in data and "end" in data:
            start = start or (end - dt.timedelta(days=DEFAULT_DAYS - 1) if end else default.start)
            end = end or default.end
            if end < start:
                self.add_error("end", _("The end date cannot be before the start date."))
            elif (end - start).days + 1 > MAX_DAYS:
                self.add_error(
                    "start", _("Choose a period of at most %(days)s days.") % {"days": MAX_DAYS}
                )
            else:
                data["start"], data["end"] = start, end
        return data

    def period(self) -> Period:
        """The chosen period, or the default one when the form has errors."""
        if self.is_bound and self.is_valid():
            return Period(self.cleaned_data["start"], self.cleaned_data["end"])
        return default_period()

    def chosen_client(self) -> Client | None:
        if self.is_bound and self.is_valid():
            return self.cleaned_data["client"]
        return None
