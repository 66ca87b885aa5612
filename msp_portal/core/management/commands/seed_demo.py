"""``manage.py seed_demo``: fill the database with a demo MSP (see msp_portal.core.demo)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from msp_portal.accounts.models import User
from msp_portal.core.demo import DEMO_PASSWORD, DEMO_URL, demo_seed


class Command(BaseCommand):
    help = (
        "Load demo data: an MSP team, three clients with sites, contacts, contracts, SLAs, "
        "assets, monitoring checks and two months of tickets. Safe to run twice."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when any user exists, so a real installation is never filled "
            "with demo data (used by `make run`).",
        )

    def handle(self, *args, if_empty: bool = False, **options) -> None:
        if if_empty and User.objects.exists():
            self.stdout.write("Users already exist: demo data not loaded (--if-empty).")
            return

        result = demo_seed()
        if result.created:
            counts = ", ".join(f"{n} {label}" for label, n in result.counts.items())
            self.stdout.write(self.style.SUCCESS(f"Demo data loaded: {counts}."))
        else:
            self.stdout.write("Demo data is already present: nothing changed.")

        width = max(len(a.email) for a in result.accounts)
        lines = [f"Demo accounts (password for all: {DEMO_PASSWORD}):"]
        for account in result.accounts:
            role = f"{account.role} ({account.client})" if account.client else account.role
            note = f" - {account.note}" if account.note else ""
            lines.append(f"  {account.email:<{width}}  {role}{note}")
        lines.append(f"Sign in at {DEMO_URL}")
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))
