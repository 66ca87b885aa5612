"""Seeding the demo: reference rows got or created on natural keys, then the history, once."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from clients.models import Asset, Client, Contact, Site
from contracts.models import (
    BusinessCalendar,
    BusinessHours,
    Contract,
    Holiday,
    Priority,
    SLAPolicy,
    SLATarget,
)
from monitoring.models import Check, CheckResult, MaintenanceWindow
from msp_portal.accounts.models import STAFF_ROLES, User
from tickets.models import Category, Queue, Ticket, TicketEvent, TimeEntry

from .calendars import (
    MONTREAL,
    PARIS,
    PREMIUM_TARGETS,
    QUEBEC_HOLIDAYS,
    STANDARD_TARGETS,
    french_public_holidays,
)
from .cast import ACCOUNTS, CLIENTS, CONTACTS, DEMO_CLIENT_SLUGS, DEMO_PASSWORD, SITES, DemoAccount
from .history import _History
from .inventory import ASSETS, CATEGORIES, CHECKS, QUEUES
from .timeline import HISTORY_DAYS, Status


@dataclass
class DemoSeedResult:
    """What a seeding run did, for the command to report."""

    created: bool
    accounts: tuple[DemoAccount, ...]
    counts: dict[str, int]


def demo_data_present() -> bool:
    """True once the demo's history has been written (a demo client has tickets)."""
    return Ticket.objects.filter(client__slug__in=DEMO_CLIENT_SLUGS).exists()


@transaction.atomic
def demo_seed(*, now: dt.datetime | None = None) -> DemoSeedResult:
    """Load the demo: reference rows fetched or created, history written once; all or nothing."""
    now = (now or timezone.now()).replace(second=0, microsecond=0)
    today = timezone.localdate(now, ZoneInfo(PARIS))
    clients = _seed_clients()
    users = _seed_users(clients, now)
    contacts = _seed_contacts(clients, users)
    calendars = _seed_calendars(today, now)
    policies = _seed_policies(calendars)
    assets = _seed_assets(clients, contacts, today)
    _seed_contracts(clients, calendars, policies, assets, today)
    queues = {q.slug: q for q in _seed_queues()}
    categories = {c.slug: c for c in _seed_categories()}
    checks = _seed_checks(clients, assets)
    _seed_maintenance(clients, users, now)

    created = not demo_data_present()
    if created:
        history = _History(
            now=now,
            clients=clients,
            users=users,
            contacts=contacts,
            assets=assets,
            queues=queues,
            categories=categories,
            checks=checks,
            closed_days=_closed_days(calendars),
        )
        history.write()
    return DemoSeedResult(created=created, accounts=ACCOUNTS, counts=demo_counts())


def demo_counts() -> dict[str, int]:
    """Rows in the tables the demo fills (all rows, demo or not)."""
    return {
        "clients": Client.objects.count(),
        "users": User.objects.count(),
        "contacts": Contact.objects.count(),
        "assets": Asset.objects.count(),
        "contracts": Contract.objects.count(),
        "tickets": Ticket.objects.count(),
        "timeline events": TicketEvent.objects.count(),
        "time entries": TimeEntry.objects.count(),
        "checks": Check.objects.count(),
        "check results": CheckResult.objects.count(),
    }


def _seed_clients() -> dict[str, Client]:
    clients = {}
    for data in CLIENTS:
        defaults = {k: v for k, v in data.items() if k != "slug"}
        clients[data["slug"]], _ = Client.objects.get_or_create(
            slug=data["slug"], defaults=defaults
        )
    for slug, sites in SITES.items():
        for name, address, postal_code, city, country, phone in sites:
            Site.objects.get_or_create(
                client=clients[slug],
                name=name,
                defaults={
                    "address": address,
                    "postal_code": postal_code,
                    "city": city,
                    "country": country,
                    "phone": phone,
                },
            )
    return clients


def _seed_users(clients: dict[str, Client], now: dt.datetime) -> dict[str, User]:
    users = {}
    for account in ACCOUNTS:
        user = User.objects.filter(email__iexact=account.email).first()
        if user is None:
            staff = account.role in STAFF_ROLES
            user = User.objects.create_user(
                account.email,
                DEMO_PASSWORD,
                full_name=account.full_name,
                role=account.role,
                client=clients[account.client] if account.client else None,
                language=account.language,
                time_zone=PARIS if staff else "",
                sees_all_clients=account.sees_all_clients,
                date_joined=now - dt.timedelta(days=account.joined_days_ago),
            )
            if account.allowed_clients:
                user.allowed_clients.set([clients[s] for s in account.allowed_clients])
        users[account.email] = user
    return users


def _seed_contacts(clients: dict[str, Client], users: dict[str, User]) -> dict[str, list]:
    """Contacts per client slug, as (Contact, language) pairs."""
    contacts: dict[str, list[tuple[Contact, str]]] = {}
    for slug, people in CONTACTS.items():
        client = clients[slug]
        sites = {s.name: s for s in Site.objects.for_client(client)}
        contacts[slug] = []
        for person in people:
            login = users.get(person.email)
            contact, _ = Contact.objects.get_or_create(
                client=client,
                email=person.email,
                defaults={
                    "first_name": person.first_name,
                    "last_name": person.last_name,
                    "job_title": person.job_title,
                    "site": sites.get(person.site),
                    "phone": person.phone,
                    "mobile": person.mobile,
                    "is_primary": person.primary,
                    "user": login if login and login.client_id == client.pk else None,
                },
            )
            contacts[slug].append((contact, person.language or client.language))
    return contacts


def _calendar_years(today: dt.date, now: dt.datetime) -> list[int]:
    # The current and next year, and the previous one when the history reaches back into it.
    first = (now - dt.timedelta(days=HISTORY_DAYS)).year
    return sorted({first, today.year, today.year + 1})


def _seed_calendars(today: dt.date, now: dt.datetime) -> dict[str, BusinessCalendar]:
    paris, _ = BusinessCalendar.objects.get_or_create(
        name="Bureau Paris",
        defaults={
            "time_zone": PARIS,
            "description": "Du lundi au vendredi, 9 h - 12 h 30 et 13 h 30 - 18 h, hors jours "
            "fériés français.",
        },
    )
    for weekday in range(5):
        for start, end in ((dt.time(9), dt.time(12, 30)), (dt.time(13, 30), dt.time(18))):
            BusinessHours.objects.get_or_create(
                calendar=paris, weekday=weekday, start=start, defaults={"end": end}
            )
    for year in _calendar_years(today, now):
        for day, name in french_public_holidays(year):
            Holiday.objects.get_or_create(calendar=paris, date=day, name=name)

    always, _ = BusinessCalendar.objects.get_or_create(
        name="24x7",
        defaults={"time_zone": PARIS, "description": "Tous les jours, 24 h sur 24."},
    )
    midnight = dt.time(0, 0)  # an end of 00:00 means midnight at the end of the day
    for weekday in range(7):
        BusinessHours.objects.get_or_create(
            calendar=always, weekday=weekday, start=midnight, defaults={"end": midnight}
        )

    montreal, _ = BusinessCalendar.objects.get_or_create(
        name="Bureau Montréal",
        defaults={
            "time_zone": MONTREAL,
            "description": "Monday to Friday, 8:30 - 17:00 Montréal time, Québec holidays.",
        },
    )
    for weekday in range(5):
        BusinessHours.objects.get_or_create(
            calendar=montreal,
            weekday=weekday,
            start=dt.time(8, 30),
            defaults={"end": dt.time(17)},
        )
    for month, day, name in QUEBEC_HOLIDAYS:
        Holiday.objects.get_or_create(
            calendar=montreal,
            name=name,
            recurring=True,
            defaults={"date": dt.date(today.year, month, day)},
        )
    return {"paris": paris, "24x7": always, "montreal": montreal}


def _closed_days(calendars: dict[str, BusinessCalendar]) -> dict[str, set[dt.date]]:
    """Holidays per time zone, so that nobody works on them in the demo's timelines."""
    paris = set(calendars["paris"].holidays.values_list("date", flat=True))
    montreal = set()
    for holiday in calendars["montreal"].holidays.all():
        for year in range(holiday.date.year - 1, holiday.date.year + 2):
            montreal.add(holiday.date.replace(year=year))
    return {PARIS: paris, MONTREAL: montreal}


def _seed_policies(calendars: dict[str, BusinessCalendar]) -> dict[str, SLAPolicy]:
    standard, _ = SLAPolicy.objects.get_or_create(
        name="Standard",
        defaults={
            "description": "Délais comptés en heures ouvrées du contrat, de P1 à P4.",
            "pause_statuses": [Status.WAITING_ON_CUSTOMER.value],
        },
    )
    premium, _ = SLAPolicy.objects.get_or_create(
        name="Premium 24x7 P1",
        defaults={
            "description": "Délais resserrés ; les P1 sont traités 24 h/24, 7 j/7.",
            "pause_statuses": [Status.WAITING_ON_CUSTOMER.value],
            "warning_percent": 70,
        },
    )
    for policy, targets in ((standard, STANDARD_TARGETS), (premium, PREMIUM_TARGETS)):
        for priority, (response, resolution) in targets.items():
            SLATarget.objects.get_or_create(
                policy=policy,
                priority=priority,
                defaults={
                    "first_response_minutes": response,
                    "resolution_minutes": resolution,
                    "next_response_minutes": response * 2,
                    "calendar": (
                        calendars["24x7"] if policy is premium and priority == Priority.P1 else None
                    ),
                },
            )
    return {"standard": standard, "premium": premium}


def _seed_assets(
    clients: dict[str, Client], contacts: dict[str, list], today: dt.date
) -> dict[str, list[Asset]]:
    assets: dict[str, list[Asset]] = {}
    for slug, rows in ASSETS.items():
        client = clients[slug]
        sites = {s.name: s for s in Site.objects.for_client(client)}
        owners = {c.email: c for c, _ in contacts[slug]}
        assets[slug] = []
        for row in rows:
            data = dict(row)
            kind, name = data.pop("kind"), data.pop("name")
            purchased, expires = data.pop("purchased", None), data.pop("expires", None)
            data["site"] = sites.get(data.pop("site", ""))
            data["owner"] = owners.get(data.pop("owner", ""))
            if purchased is not None:
                data["purchase_date"] = today - dt.timedelta(days=purchased)
            if expires is not None:
                data["expires_on"] = today + dt.timedelta(days=expires)
            asset, _ = Asset.objects.get_or_create(
                client=client, name=name, defaults={"kind": kind, **data}
            )
            assets[slug].append(asset)
    return assets


def _seed_contracts(clients, calendars, policies, assets, today: dt.date) -> None:
    def month_start(days_ago: int) -> dt.date:
        return (today - dt.timedelta(days=days_ago)).replace(day=1)

    acme_start = month_start(420)
    sites = {s.name: s for s in Site.objects.filter(client__in=clients.values())}
    rows = (
        (
            "CT-ACME-001",
            "acme",
            {
                "title": "Infogérance Premium - siège et entrepôt",
                "start_date": acme_start,
                "billing_model": Contract.Billing.PER_USER,
                "monthly_fee": Decimal("68.00"),
                "sla_policy": policies["premium"],
                "calendar": calendars["paris"],
                "notes": "Tarif par utilisateur, tout compris. Astreinte 24x7 pour les P1.",
            },
            ("Siège Paris", "Entrepôt Gennevilliers"),
        ),
        (
            "CT-ACME-000",
            "acme",
            {
                "title": "Maintenance informatique (ancien contrat)",
                "status": Contract.Status.TERMINATED,
                "start_date": month_start(1500),
                "end_date": acme_start - dt.timedelta(days=1),
                "auto_renew": False,
                "billing_model": Contract.Billing.HOURS_BANK,
                "monthly_fee": Decimal("950.00"),
                "included_hours": Decimal("10"),
                "sla_policy": policies["standard"],
                "calendar": calendars["paris"],
            },
            ("Siège Paris",),
        ),
        (
            "CT-GLX-001",
            "globex",
            {
                "title": "Managed IT services - Montréal office",
                "start_date": month_start(430),
                "billing_model": Contract.Billing.PER_DEVICE,
                "monthly_fee": Decimal("45.00"),
                "currency": "CAD",
                "sla_policy": policies["standard"],
                "calendar": calendars["montreal"],
                "notes": "Measured in Montréal business hours.",
            },
            ("Montréal HQ",),
        ),
        (
            "CT-GLX-002",
            "globex",
            {
                "title": "Support du bureau de Paris (banque d'heures)",
                "start_date": month_start(700),
                "billing_model": Contract.Billing.HOURS_BANK,
                "monthly_fee": Decimal("750.00"),
                "included_hours": Decimal("8"),
                "sla_policy": policies["standard"],
                "calendar": calendars["paris"],
            },
            ("Bureau de Paris",),
        ),
        (
            "CT-DUR-001",
            "durand-associes",
            {
                "title": "Contrat de maintenance et sauvegarde",
                "start_date": month_start(900),
                "billing_model": Contract.Billing.MONTHLY_FLAT,
                "monthly_fee": Decimal("890.00"),
                "included_hours": Decimal("6"),
                "notice_period_days": 60,
                "sla_policy": policies["standard"],
                "calendar": calendars["paris"],
            },
            ("Cabinet Lyon", "Antenne Villeurbanne"),
        ),
    )
    for reference, slug, defaults, site_names in rows:
        client = clients[slug]
        contract, created = Contract.objects.get_or_create(
            reference=reference, defaults={"client": client, **defaults}
        )
        if created:
            covered = [sites[n] for n in site_names if sites[n].client_id == client.pk]
            contract.covered_sites.set(covered)
            covered_ids = {s.pk for s in covered}
            contract.covered_assets.set(
                [a for a in assets[slug] if a.site_id in covered_ids]
                if contract.status == Contract.Status.ACTIVE
                else []
            )


def _seed_queues() -> list[Queue]:
    return [
        Queue.objects.get_or_create(
            slug=slug, defaults={"name": name, "email": email, "description": description}
        )[0]
        for slug, name, email, description in QUEUES
    ]


def _seed_categories() -> list[Category]:
    return [
        Category.objects.get_or_create(
            slug=slug, defaults={"name": name, "client_visible": visible}
        )[0]
        for slug, name, visible in CATEGORIES
    ]


def _seed_checks(clients, assets) -> dict[str, Check]:
    checks = {}
    for slug, asset_name, name, kind, config, options in CHECKS:
        asset = next(a for a in assets[slug] if a.name == asset_name)
        checks[name], _ = Check.objects.get_or_create(
            client=clients[slug],
            name=name,
            defaults={"asset": asset, "kind": kind, "config": config, **options},
        )
    return checks


def _seed_maintenance(clients, users, now: dt.datetime) -> None:
    tz = ZoneInfo(PARIS)
    local = timezone.localtime(now, tz).date() - dt.timedelta(days=60)
    tuesday = local + dt.timedelta(days=(1 - local.weekday()) % 7)
    starts = dt.datetime.combine(tuesday, dt.time(22), tzinfo=tz)
    MaintenanceWindow.objects.get_or_create(
        client=clients["acme"],
        name="Mises à jour mensuelles des serveurs",
        defaults={
            "starts_at": starts,
            "ends_at": starts + dt.timedelta(hours=2),
            "recurrence": MaintenanceWindow.Recurrence.WEEKLY,
            "reason": "Fenêtre de redémarrage des serveurs après les mises à jour Windows.",
            "created_by": users["manager@msp.example"],
        },
    )
