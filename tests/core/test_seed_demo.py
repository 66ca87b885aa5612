"""seed_demo: a believable demo, loaded in one go, harmless when run again."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from clients.models import Asset, Client
from contracts.models import BusinessCalendar, Priority, SLAPolicy, TicketStatus
from monitoring.models import Check, CheckResult, CheckStateChange
from msp_portal.accounts.models import Role, User
from msp_portal.core.demo import (
    ACCOUNTS,
    DEMO_PASSWORD,
    DEMO_URL,
    demo_counts,
    easter_sunday,
    french_public_holidays,
)
from tickets.models import Ticket, TicketEvent, TimeEntry

LOOPBACK = "127.0.0.1"


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """One seeding for the whole module, then a second run and an --if-empty run; rolled back.

    Seeding takes seconds, so the tests share it: everything happens inside one outer
    transaction that is rolled back when the module is done, and each test runs in a savepoint.
    """
    runs = {}
    with django_db_blocker.unblock(), transaction.atomic():
        try:
            for name, args in (
                ("first", ["--if-empty"]),
                ("second", []),
                ("empty", ["--if-empty"]),
            ):
                out = StringIO()
                call_command("seed_demo", *args, stdout=out)
                runs[name] = (out.getvalue(), demo_counts())
            yield runs
        finally:
            transaction.set_rollback(True)


pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded")]


def test_the_first_run_loads_the_demo_and_prints_how_to_sign_in(seeded):
    output, counts = seeded["first"]

    assert "Demo data loaded" in output
    assert DEMO_PASSWORD in output
    assert DEMO_URL in output
    for account in ACCOUNTS:
        assert account.email in output
    assert counts["tickets"] >= 100
    assert counts["assets"] >= 30


def test_a_second_run_says_so_and_changes_nothing(seeded):
    output, counts = seeded["second"]

    assert "already present" in output
    assert counts == seeded["first"][1]


def test_if_empty_does_nothing_once_users_exist(seeded):
    output, counts = seeded["empty"]

    assert "not loaded" in output
    assert DEMO_PASSWORD not in output
    assert counts == seeded["first"][1]


def test_every_demo_account_signs_in_with_the_demo_password():
    users = {u.email: u for u in User.objects.all()}

    for account in ACCOUNTS:
        assert users[account.email].check_password(DEMO_PASSWORD), account.email
    assert users["admin@msp.example"].role == Role.ADMIN
    assert users["manager@msp.example"].role == Role.MANAGER
    assert users["tech@msp.example"].role == Role.TECHNICIAN
    assert users["it@acme.example"].role == Role.CLIENT_ADMIN
    assert users["user@acme.example"].role == Role.CLIENT_USER
    assert users["it@globex.example"].client.slug == "globex"
    staff = [u for u in users.values() if u.is_msp_staff]
    assert {u.time_zone for u in staff} == {"Europe/Paris"}
    assert sorted(u.language for u in staff).count("en") == 1


def test_portal_users_are_contacts_of_their_own_client():
    for email in ("it@acme.example", "user@acme.example", "it@globex.example"):
        user = User.objects.get(email=email)
        assert user.contact.client_id == user.client_id


def test_one_technician_sees_only_the_clients_they_work_for():
    restricted = User.objects.get(role=Role.TECHNICIAN, sees_all_clients=False)

    visible = set(Client.objects.for_user(restricted).values_list("slug", flat=True))
    assert visible == {"durand-associes"}
    assigned = Ticket.objects.filter(assignee=restricted)
    assert assigned.exists()
    assert set(assigned.values_list("client__slug", flat=True)) <= visible


def test_clients_show_different_time_zones():
    zones = dict(Client.objects.values_list("slug", "time_zone"))

    assert zones["acme"] == "Europe/Paris"
    assert zones["globex"] == "America/Montreal"
    assert len(zones) >= 3


def test_tickets_cover_every_status_priority_and_source():
    tickets = Ticket.objects.all()

    assert tickets.count() >= 100
    assert set(tickets.values_list("status", flat=True)) == set(TicketStatus.values)
    assert set(tickets.values_list("priority", flat=True)) == set(Priority.values)
    assert set(tickets.values_list("source", flat=True)) == set(Ticket.Source.values)
    assert TimeEntry.objects.exists()


def test_tickets_are_spread_over_the_last_two_months_and_numbered_in_order():
    now = timezone.now()
    opened = list(Ticket.objects.order_by("number").values_list("created_at", flat=True))

    assert opened == sorted(opened)
    assert now - dt.timedelta(days=62) < opened[0] < now - dt.timedelta(days=40)
    assert opened[-1] < now


def test_every_timeline_starts_with_the_opening_and_runs_forward_in_the_past():
    now = timezone.now()
    events: dict[int, list] = {}
    for ticket_id, kind, at in TicketEvent.objects.order_by("id").values_list(
        "ticket_id", "kind", "created_at"
    ):
        events.setdefault(ticket_id, []).append((kind, at))

    for ticket in Ticket.objects.all():
        timeline = events[ticket.pk]
        times = [at for _, at in timeline]
        assert timeline[0] == (TicketEvent.Kind.CREATED, ticket.created_at), ticket.reference
        assert times == sorted(times), ticket.reference
        assert times[-1] < now, ticket.reference


def test_closed_tickets_went_through_resolution_and_replies():
    closed = Ticket.objects.filter(status=TicketStatus.CLOSED)

    assert not closed.filter(resolved_at__isnull=True).exists()
    assert not closed.filter(closed_at__isnull=True).exists()
    replied = closed.filter(events__kind=TicketEvent.Kind.REPLY).distinct().count()
    assert replied >= closed.count() * 0.8


def test_the_acme_user_finds_tickets_in_their_portal():
    user = User.objects.get(email="user@acme.example")

    visible = Ticket.objects.for_user(user)
    assert visible.filter(created_by=user).count() >= 3
    assert set(visible.values_list("client__slug", flat=True)) == {"acme"}


def test_assets_cover_every_kind():
    assert Asset.objects.count() >= 30
    assert set(Asset.objects.values_list("kind", flat=True)) == set(Asset.Kind.values)
    server = Asset.objects.get(client__slug="acme", name="SRV-AD01")
    assert server.attributes["ram_gb"] == 32


def test_sla_policies_have_a_target_for_every_priority():
    policies = SLAPolicy.objects.prefetch_related("targets")

    assert policies.count() >= 2
    for policy in policies:
        assert {t.priority for t in policy.targets.all()} == set(Priority.values)


def test_calendars_have_office_hours_french_holidays_and_a_full_week():
    paris = BusinessCalendar.objects.get(name="Bureau Paris")
    always = BusinessCalendar.objects.get(name="24x7")
    year = timezone.localdate().year

    assert paris.time_zone == "Europe/Paris"
    assert paris.weekly_minutes == 5 * (210 + 270)
    assert always.weekly_minutes == 7 * 24 * 60
    holidays = set(paris.holidays.values_list("date", flat=True))
    for y in (year, year + 1):
        assert {day for day, _ in french_public_holidays(y)} <= holidays


def test_french_public_holidays_follow_easter():
    assert easter_sunday(2024) == dt.date(2024, 3, 31)
    assert easter_sunday(2025) == dt.date(2025, 4, 20)
    assert easter_sunday(2026) == dt.date(2026, 4, 5)
    assert easter_sunday(2038) == dt.date(2038, 4, 25)
    days = {name: day for day, name in french_public_holidays(2026)}
    assert len(days) == 11
    assert days["Lundi de Pâques"] == dt.date(2026, 4, 6)
    assert days["Ascension"] == dt.date(2026, 5, 14)
    assert days["Lundi de Pentecôte"] == dt.date(2026, 5, 25)


def test_monitoring_checks_only_point_at_loopback():
    checks = list(Check.objects.all())

    assert {c.kind for c in checks} >= {"http", "tcp", "tls", "heartbeat"}
    for check in checks:
        config = check.config
        if check.kind == Check.Kind.HTTP:
            assert urlsplit(config["url"]).hostname == LOOPBACK, check.name
        elif check.kind == Check.Kind.HEARTBEAT:
            assert config == {}, check.name
        else:
            assert config["host"] == LOOPBACK, check.name


def test_monitoring_has_a_past_and_a_current_incident():
    assert CheckResult.objects.exists()
    assert CheckStateChange.objects.exists()
    down = Check.objects.get(state=Check.State.DOWN)
    assert down.kind == Check.Kind.HEARTBEAT
    assert down.open_ticket.is_open
    assert down.open_ticket.source == Ticket.Source.MONITORING
