"""Backfill the dashboard's rollups: ``manage.py rollups_rebuild --days 365``."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from msp_portal.dashboard.rollups import msp_zone, rollups_rebuild


class Command(BaseCommand):
    help = "Rebuild the dashboard rollups of the last N days (today included), or of --start/--end."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--days", type=int, default=2, help="Days back from today (default 2).")
        parser.add_argument("--start", type=dt.date.fromisoformat, help="First day (YYYY-MM-DD).")
        parser.add_argument("--end", type=dt.date.fromisoformat, help="Last day (YYYY-MM-DD).")

    def handle(self, *args, days: int, start: dt.date | None, end: dt.date | None, **options):
        if days < 1:
            raise CommandError("--days must be at least 1.")
        end = end or timezone.localdate(timezone=msp_zone())
        start = start or end - dt.timedelta(days=days - 1)
        if end < start:
            raise CommandError("--end is before --start.")
        written = rollups_rebuild(start=start, end=end)
        self.stdout.write(f"Rebuilt {start} to {end}: {written} rows.")
