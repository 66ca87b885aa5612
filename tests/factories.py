"""factory_boy factories for the domain; tickets are opened through the services."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from clients.models import Asset, Client, Contact, Site
from contracts.models import BusinessCalendar, BusinessHours, Contract, SLAPolicy, SLATarget
from monitoring.models import Check, CheckResult, MaintenanceWindow
from msp_portal.accounts.models import User
from tickets import services
from tickets.models import Ticket

PASSWORD = "correct-horse-battery"


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Client {n}")
    slug = factory.Sequence(lambda n: f"client-{n}")
    time_zone = "Europe/Paris"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    full_name = factory.Faker("name")
    role = "technician"
    language = "en"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(self, create, extracted, **kwargs):
        if create:
            self.save()


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    client = factory.SubFactory(ClientFactory)
    name = factory.Sequence(lambda n: f"Site {n}")
    city = "Lyon"


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    client = factory.SubFactory(ClientFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"contact{n}@example.test")


class AssetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Asset

    client = factory.SubFactory(ClientFactory)
    kind = Asset.Kind.SERVER
    name = factory.Sequence(lambda n: f"SRV-{n:03d}")
    hostname = factory.LazyAttribute(lambda a: f"{a.name.lower()}.example.test")


class CalendarFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BusinessCalendar
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Calendar {n}")
    time_zone = "Europe/Paris"

    @factory.post_generation
    def office_hours(self, create, extracted, **kwargs):
        if create and extracted is not False:
            for day in range(5):
                BusinessHours.objects.create(
                    calendar=self, weekday=day, start=dt.time(9), end=dt.time(17)
                )


class PolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SLAPolicy
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Policy {n}")

    @factory.post_generation
    def targets(self, create, extracted, **kwargs):
        if create and extracted is not False:
            for i, prio in enumerate(("P1", "P2", "P3", "P4")):
                SLATarget.objects.create(
                    policy=self,
                    priority=prio,
                    first_response_minutes=60 * (i + 1),
                    resolution_minutes=240 * (i + 1),
                )


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contract

    client = factory.SubFactory(ClientFactory)
    reference = factory.Sequence(lambda n: f"CT-{n:04d}")
    title = "Managed services"
    start_date = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=365))
    sla_policy = factory.SubFactory(PolicyFactory)
    calendar = factory.SubFactory(CalendarFactory)


class CheckFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Check

    client = factory.SubFactory(ClientFactory)
    name = factory.Sequence(lambda n: f"Check {n}")
    kind = Check.Kind.TCP
    config = factory.LazyFunction(lambda: {"host": "127.0.0.1", "port": 9})


class CheckResultFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CheckResult

    monitor = factory.SubFactory(CheckFactory)
    client = factory.SelfAttribute("monitor.client")
    outcome = CheckResult.Outcome.SUCCESS
    latency_ms = 12.5


class MaintenanceWindowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MaintenanceWindow

    client = factory.SubFactory(ClientFactory)
    name = "Patch night"
    starts_at = factory.LazyFunction(timezone.now)
    ends_at = factory.LazyAttribute(lambda w: w.starts_at + dt.timedelta(hours=2))


def portal_user(client: Client, *, email: str, role: str = "client_user") -> User:
    """A client-side user with the contact that represents them."""
    user = UserFactory(email=email, role=role, client=client)
    ContactFactory(client=client, email=email, user=user)
    return user


def open_ticket(client: Client, *, by=None, **kwargs) -> Ticket:
    """A ticket opened the way the product opens them: through ticket_open."""
    kwargs.setdefault("subject", "Printer offline on the 2nd floor")
    kwargs.setdefault("source", Ticket.Source.STAFF if by is None or by.is_msp_staff else "portal")
    return services.ticket_open(client=client, created_by=by, **kwargs)
