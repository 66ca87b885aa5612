"""The fixed cast every test can use: two clients and the people around them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from clients.models import Asset, Client, Contact, Site
from contracts.models import Contract
from monitoring.models import (
    Check,
    CheckResult,
    CheckRollup,
    CheckStateChange,
    MaintenanceWindow,
)
from msp_portal.dashboard.models import DurationDaily, MixDaily, SlaDaily, TimeDaily
from msp_portal.dashboard.rollups import rollups_rebuild
from msp_portal.notifications.models import Notification
from msp_portal.reports.models import ExportJob
from msp_portal.webhooks.models import Webhook
from tests import factories
from tickets import services
from tickets.models import (
    Attachment,
    InboundMessage,
    Mailbox,
    SlaEscalation,
    SlaTimer,
    Ticket,
    TicketEvent,
    TimeEntry,
)

#: Text that every row of Acme's world carries, so pages can be searched for leaks.
MARKER = "ACME-SECRET"


@pytest.fixture(autouse=True)
def _eager_celery(settings):
    """Tasks run inline in unit tests; tests/integration start a real worker instead."""
    from msp_portal.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def acme(db):
    return factories.ClientFactory(name="Acme Industries", slug="acme")


@pytest.fixture
def globex(db):
    return factories.ClientFactory(name="Globex SA", slug="globex", time_zone="America/Montreal")


@pytest.fixture
def admin_user(db):
    return factories.UserFactory(email="admin@msp.test", full_name="Alice Admin", role="admin")


@pytest.fixture
def manager(db):
    return factories.UserFactory(email="manager@msp.test", full_name="Max Manager", role="manager")


@pytest.fixture
def tech(db):
    return factories.UserFactory(email="tech@msp.test", full_name="Theo Tech", role="technician")


@pytest.fixture
def acme_admin(acme):
    return factories.portal_user(acme, email="it@acme.test", role="client_admin")


@pytest.fixture
def acme_user(acme):
    return factories.portal_user(acme, email="user@acme.test", role="client_user")


@pytest.fixture
def globex_user(globex):
    return factories.portal_user(globex, email="it@globex.test", role="client_admin")


@pytest.fixture
def acme_world(acme, acme_user, tech):
    """One row of every tenant-owned model, all belonging to Acme and marked ACME-SECRET."""
    site = factories.SiteFactory(client=acme, name=f"{MARKER} site")
    contact = factories.ContactFactory(client=acme, site=site, last_name=f"{MARKER} contact")
    asset = factories.AssetFactory(client=acme, site=site, owner=contact, name=f"{MARKER} server")
    contract = factories.ContractFactory(client=acme, title=f"{MARKER} contract")
    ticket = factories.open_ticket(
        acme, by=acme_user, asset=asset, subject=f"{MARKER} ticket", description=MARKER
    )
    services.ticket_reply(ticket=ticket, author=tech, body=f"{MARKER} reply")
    services.ticket_log_time(ticket=ticket, technician=tech, minutes=15, note=MARKER)
    event = ticket.events.first()
    attachment = Attachment.objects.create(
        client=acme, ticket=ticket, event=event, file="attachments/x.txt", original_name=MARKER
    )
    check = factories.CheckFactory(client=acme, asset=asset, name=f"{MARKER} check")
    result = factories.CheckResultFactory(monitor=check, message=MARKER)
    change = CheckStateChange.objects.create(
        client=acme, monitor=check, from_state="unknown", to_state="up", reason=MARKER
    )
    window = factories.MaintenanceWindowFactory(client=acme, name=f"{MARKER} window")
    rollup = CheckRollup.objects.create(
        client=acme, monitor=check, period="hour", start=result.checked_at, successes=1
    )
    timer = SlaTimer.objects.filter(ticket=ticket).first()
    escalation = SlaEscalation.objects.create(
        client=acme, ticket=ticket, kind=timer.kind, level=1, reached_at=timer.started_at
    )
    rollups_rebuild(start=timezone.localdate() - dt.timedelta(days=1), end=timezone.localdate())
    inbound = InboundMessage.objects.create(
        mailbox=Mailbox.objects.create(name="Support", host="imap.msp.test", username="support"),
        dedupe_key="<acme-world@acme.test>",
        raw=f"Subject: {MARKER}\r\n\r\n{MARKER}".encode(),
        subject=MARKER,
        client=acme,
        ticket=ticket,
    )
    webhook = Webhook.objects.create(
        client=acme, name=f"{MARKER} hook", url="https://hooks.acme.test/", events=["ticket.opened"]
    )
    notification = Notification.objects.create(
        client=acme, ticket=ticket, kind="ticket_opened", audience="client", language="en",
        recipient=contact.email, subject=f"{MARKER} notification", idempotency_key=MARKER,
        message_id=f"<{MARKER}@msp.test>",
    )  # fmt: skip
    export = ExportJob.objects.create(
        client=acme, requested_by=acme_user, status="failed", error=f"{MARKER} export"
    )
    return {
        Client: acme,
        Site: site,
        Contact: contact,
        Asset: asset,
        Contract: contract,
        Ticket: ticket,
        TicketEvent: event,
        TimeEntry: ticket.time_entries.get(),
        Attachment: attachment,
        Check: check,
        CheckResult: result,
        CheckStateChange: change,
        CheckRollup: rollup,
        MaintenanceWindow: window,
        SlaTimer: timer,
        SlaEscalation: escalation,
        Webhook: webhook,
        InboundMessage: inbound,
        ExportJob: export,
        Notification: notification,
        # The dashboard's rollups keep per-client rows (and MSP-wide rows without a client).
        **{
            model: model.objects.filter(client=acme).first()
            for model in (SlaDaily, MixDaily, DurationDaily, TimeDaily)
        },
    }
