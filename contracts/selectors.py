"""Reads of contracts for pages, and their SLA promises put into words."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q
from django.utils import formats
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import BusinessCalendar, BusinessHours, Contract, ContractQuerySet, TicketStatus

#: What the contract pages display about policies and calendars, in one round of prefetches.
CONTRACT_PREFETCH = (
    "sla_policy__targets__calendar__windows",
    "calendar__windows",
)


def contract_search(
    contracts: ContractQuerySet, *, q: str = "", status: str = "", client=None
) -> ContractQuerySet:
    if status:
        contracts = contracts.filter(status=status)
    if client is not None:
        contracts = contracts.filter(client=client)
    q = (q or "").strip()
    if q:
        contracts = contracts.filter(Q(reference__icontains=q) | Q(title__icontains=q))
    return contracts


def _window_text(window: BusinessHours) -> str:
    end = "24:00" if window.end == dt.time(0, 0) else f"{window.end:%H:%M}"
    return f"{window.start:%H:%M}-{end}"


def calendar_summary(calendar: BusinessCalendar) -> str:
    """A calendar's week in one line: "Mon-Fri 09:00-18:00", "24/7"."""
    by_day: dict[int, list[str]] = {}
    for window in sorted(calendar.windows.all(), key=lambda w: (w.weekday, w.start)):
        by_day.setdefault(window.weekday, []).append(_window_text(window))
    if not by_day:
        return _("no business hours")
    if len(by_day) == 7 and all(texts == ["00:00-24:00"] for texts in by_day.values()):
        return _("24/7")
    groups: list[list] = []  # [first day, last day, hours]
    for day in sorted(by_day):
        hours = ", ".join(by_day[day])
        if groups and groups[-1][1] == day - 1 and groups[-1][2] == hours:
            groups[-1][1] = day
        else:
            groups.append([day, day, hours])
    return "; ".join(
        f"{WEEKDAYS_ABBR[first]} {hours}"
        if first == last
        else f"{WEEKDAYS_ABBR[first]}-{WEEKDAYS_ABBR[last]} {hours}"
        for first, last, hours in groups
    )


@dataclass(frozen=True)
class TargetLine:
    """One priority's SLA targets, with the business hours they are counted in."""

    priority: str
    priority_label: str
    first_response_minutes: int
    resolution_minutes: int
    next_response_minutes: int | None
    calendar_name: str
    hours: str
    time_zone: str


def sla_lines(contract: Contract) -> list[TargetLine]:
    """The contract's targets per priority, most urgent first (use ``CONTRACT_PREFETCH``)."""
    lines = []
    for target in sorted(contract.sla_policy.targets.all(), key=lambda t: t.priority):
        calendar = target.calendar or contract.calendar
        lines.append(
            TargetLine(
                priority=target.priority,
                priority_label=target.get_priority_display(),
                first_response_minutes=target.first_response_minutes,
                resolution_minutes=target.resolution_minutes,
                next_response_minutes=target.next_response_minutes,
                calendar_name=calendar.name,
                hours=calendar_summary(calendar),
                time_zone=calendar.time_zone,
            )
        )
    return lines


def pause_status_labels(statuses) -> list[str]:
    """The statuses that pause a policy's clock, as their display names."""
    labels = dict(TicketStatus.choices)
    return [str(labels.get(value, value)) for value in statuses or []]


#: What the SLA pages display about policies, in one round of prefetches.
POLICY_PREFETCH = ("targets__calendar__windows",)


def holidays_in(calendar: BusinessCalendar, year: int) -> list:
    """The calendar's closures that fall in a year: dated ones, ranges and yearly ones."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    found = []
    for holiday in calendar.holidays.all():
        if holiday.recurring:
            try:
                day = holiday.date.replace(year=year)
            except ValueError:  # 29 February outside a leap year
                continue
            found.append((day, holiday))
        elif holiday.date <= end and (holiday.end_date or holiday.date) >= start:
            found.append((holiday.date, holiday))
    return [h for _day, h in sorted(found, key=lambda pair: pair[0])]


def calendar_sentence(calendar: BusinessCalendar, year: int) -> str:
    """ "Mon-Fri 09:00-17:00 Europe/Paris, 14 holidays in 2026"."""
    count = len(holidays_in(calendar, year))
    return _("%(hours)s %(zone)s, %(count)s holidays in %(year)s") % {
        "hours": calendar_summary(calendar),
        "zone": calendar.time_zone,
        "count": count,
        "year": year,
    }


#: How far ahead the contract pages warn of an end date or a notice deadline.
TERM_WARNING_DAYS = 60


@dataclass(frozen=True)
class TermAlert:
    """A warning about a contract's end, renewal or notice deadline, to show on its pages."""

    level: str  # "warning" or "error", as the message styles are named
    message: str


def _day(day: dt.date) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT")


def contract_term_alert(
    contract: Contract, *, today: dt.date, days: int = TERM_WARNING_DAYS
) -> TermAlert | None:
    """What to warn about: an active contract past its end date (tickets no longer find it),
    an end without renewal within ``days``, or a notice deadline within ``days``."""
    if contract.status != Contract.Status.ACTIVE or contract.end_date is None:
        return None
    end = contract.end_date
    if end < today:
        return TermAlert(
            "error",
            _(
                "This contract ended on %(day)s: new tickets no longer find it. Renew it with a "
                "new end date, or mark it terminated."
            )
            % {"day": _day(end)},
        )
    left = (end - today).days
    if not contract.auto_renew:
        if left <= days:
            return TermAlert(
                "warning",
                ngettext(
                    "Ends in %(count)s day, on %(day)s, and does not renew automatically.",
                    "Ends in %(count)s days, on %(day)s, and does not renew automatically.",
                    left,
                )
                % {"count": left, "day": _day(end)},
            )
        return None
    deadline = contract.notice_deadline
    if deadline is not None and today <= deadline and (deadline - today).days <= days:
        until = (deadline - today).days
        return TermAlert(
            "warning",
            ngettext(
                "Renews automatically on %(end)s unless notice is given within %(count)s day "
                "(by %(day)s).",
                "Renews automatically on %(end)s unless notice is given within %(count)s days "
                "(by %(day)s).",
                until,
            )
            % {"count": until, "day": _day(deadline), "end": _day(end)},
        )
    if left <= days:
        return TermAlert(
            "warning",
            _("Renews automatically on %(day)s; the notice deadline has passed.")
            % {"day": _day(end)},
        )
    return None
