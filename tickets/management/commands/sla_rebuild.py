"""``manage.py sla_rebuild``: apply the current SLA rules to open tickets, explicitly."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from tickets.models import Ticket
from tickets.services import sla_rebuild


class Command(BaseCommand):
    help = (
        "Move open tickets onto their contract's current SLA policy and calendar and "
        "recompute their timers. Without it, running timers keep the rules they started with."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--client", help="Only this client's tickets (its short name).")

    def handle(self, *args, client: str | None = None, **options) -> None:
        tickets = Ticket.objects.open().order_by("pk")
        if client:
            tickets = tickets.filter(client__slug=client)
        moved = sla_rebuild(tickets=tickets.iterator())
        self.stdout.write(self.style.SUCCESS(f"{moved} open tickets moved to the current rules."))
