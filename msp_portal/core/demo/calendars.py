"""Calendar and SLA data of the demo: French and Québec holidays, time zones, SLA targets."""

from __future__ import annotations

import datetime as dt

PARIS = "Europe/Paris"
MONTREAL = "America/Montreal"


# French public holidays, computed rather than typed so that any year works.
def easter_sunday(year: int) -> dt.date:
    """Gregorian Easter Sunday (anonymous algorithm, Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def french_public_holidays(year: int) -> list[tuple[dt.date, str]]:
    """The eleven French public holidays (jours fériés) of a year, in date order."""
    easter = easter_sunday(year)
    days = [
        (dt.date(year, 1, 1), "Jour de l'An"),
        (easter + dt.timedelta(days=1), "Lundi de Pâques"),
        (dt.date(year, 5, 1), "Fête du Travail"),
        (dt.date(year, 5, 8), "Victoire 1945"),
        (easter + dt.timedelta(days=39), "Ascension"),
        (easter + dt.timedelta(days=50), "Lundi de Pentecôte"),
        (dt.date(year, 7, 14), "Fête nationale"),
        (dt.date(year, 8, 15), "Assomption"),
        (dt.date(year, 11, 1), "Toussaint"),
        (dt.date(year, 11, 11), "Armistice 1918"),
        (dt.date(year, 12, 25), "Noël"),
    ]
    return sorted(days)


# Yearly holidays of the Montreal office, entered as recurring rows (only month and day count).
QUEBEC_HOLIDAYS = (
    (1, 1, "Jour de l'An"),
    (6, 24, "Fête nationale du Québec"),
    (7, 1, "Fête du Canada"),
    (12, 25, "Noël"),
)

# Standard: the targets from the issue. Premium: tighter, and P1 counted on the 24x7 calendar.
STANDARD_TARGETS = {"P1": (60, 240), "P2": (120, 480), "P3": (480, 1440), "P4": (960, 2880)}
PREMIUM_TARGETS = {"P1": (30, 240), "P2": (60, 480), "P3": (240, 1440), "P4": (480, 2880)}
