"""``manage.py generate_load``: fill the database with benchmark load (see core.demo.load)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from msp_portal.core.demo.load import LoadError, load_generate, load_present, load_reset


class Command(BaseCommand):
    help = (
        "Generate benchmark load: clients (slug load-*), technicians, contracts, assets and "
        "tickets with timelines, SLA timers and time entries, in bulk. --reset removes a "
        "previous load first; other data is never touched."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--clients", type=int, default=2000)
        parser.add_argument("--tickets", type=int, default=1_000_000)
        parser.add_argument("--technicians", type=int, default=50)
        parser.add_argument("--days", type=int, default=365, help="history length")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--reset", action="store_true", help="remove previously generated load data first"
        )

    def handle(self, *args, **options) -> None:
        def log(message: str) -> None:
            self.stdout.write(message)
            self.stdout.flush()

        started = time.monotonic()
        if options["reset"] and load_present():
            log("removing the previous load ...")
            load_reset(log=log)
            log(f"removed in {time.monotonic() - started:.0f} s")
        try:
            result = load_generate(
                clients=options["clients"],
                tickets=options["tickets"],
                technicians=options["technicians"],
                days=options["days"],
                seed=options["seed"],
                log=log,
            )
        except LoadError as error:
            raise CommandError(str(error)) from None
        width = max(len(name) for name in result.counts)
        lines = [f"  {name:<{width}}  {n:>12,}" for name, n in result.counts.items()]
        self.stdout.write(
            self.style.SUCCESS(
                f"Load generated in {result.seconds:.0f} s "
                f"({time.monotonic() - started:.0f} s in all):\n" + "\n".join(lines)
            )
        )
