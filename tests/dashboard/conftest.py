"""A small, varied history for the dashboard: three clients, tickets over three weeks."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.utils import timezone

from msp_portal.dashboard.rollups import msp_zone, rollups_rebuild
from tests import factories
from tickets import services
from tickets.models import Category, Ticket

SUBJECT = '=HYPERLINK("http://evil.test","x")'


def msp_today() -> dt.date:
    return timezone.localdate(timezone=msp_zone())


@pytest.fixture
def history(acme, globex, tech, manager):
    """Tickets opened over the last 20 days for Acme, Globex and Initech, replied to, some
    resolved, some left to breach, with time logged; the rollups rebuilt over them."""
    initech = factories.ClientFactory(name="Initech", slug="initech")
    rng = random.Random(5)
    categories = [Category.objects.create(name=n, slug=n.lower()) for n in ("Backup", "Mail")]
    categories.append(None)
    now = timezone.now()
    for client in (acme, globex, initech):
        factories.ContractFactory(client=client, included_hours=10)
    for i in range(45):
        client = (acme, globex, initech)[i % 3]
        opened = now - dt.timedelta(days=rng.randint(0, 20), hours=rng.randint(0, 23))
        ticket = services.ticket_open(
            client=client,
            subject=SUBJECT if i == 0 else f"Ticket {i}",
            source=rng.choice(["staff", "email", "portal"]),
            category=rng.choice(categories),
            impact=rng.randint(1, 3),
            urgency=rng.randint(1, 3),
            assignee=rng.choice([tech, manager, None]),
            at=opened,
        )
        if i % 4 != 3:
            reply = min(now, opened + dt.timedelta(minutes=rng.randint(5, 3000)))
            services.ticket_reply(ticket=ticket, author=tech, body="On it", at=reply)
            if i % 2 == 0:
                done = min(now, reply + dt.timedelta(minutes=rng.randint(10, 9000)))
                services.ticket_change_status(
                    ticket=ticket, status=Ticket.Status.RESOLVED, by=tech, at=done
                )
            services.ticket_log_time(
                ticket=ticket,
                technician=rng.choice([tech, manager]),
                minutes=rng.randint(5, 120),
                billable=bool(i % 3),
                work_date=timezone.localdate(reply, timezone=msp_zone()),
            )
    services.sla_sweep(now=now)
    today = msp_today()
    rollups_rebuild(start=today - dt.timedelta(days=25), end=today)
    return {"initech": initech, "today": today}
