"""``manage.py calendar_holidays CALENDAR --year 2027``: add a country's public holidays."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from contracts.models import BusinessCalendar
from contracts.services import calendar_add_public_holidays


class Command(BaseCommand):
    help = (
        "Add the public holidays of a country (and region) to a business calendar, "
        "from the holidays package. Dates already closed are left alone."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("calendar", help="The calendar's name.")
        parser.add_argument("--year", type=int, action="append", required=True, dest="years")
        parser.add_argument("--country", default="", help="ISO code; default: the calendar's.")
        parser.add_argument("--subdivision", default="", help="Region code, e.g. QC.")

    def handle(self, *args, calendar: str, years, country: str, subdivision: str, **options):
        try:
            target = BusinessCalendar.objects.get(name=calendar)
        except BusinessCalendar.DoesNotExist:
            names = ", ".join(BusinessCalendar.objects.values_list("name", flat=True)) or "none"
            raise CommandError(f"No calendar named {calendar!r}. Calendars: {names}.") from None
        try:
            added = calendar_add_public_holidays(
                calendar=target, years=years, country=country, subdivision=subdivision
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(self.style.SUCCESS(f"{added} holidays added to {target}."))
