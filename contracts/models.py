"""Contracts, the SLA policies they promise and the business calendars those are measured in."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from msp_portal.core.defaults import default_time_zone
from msp_portal.core.tenancy import TenantQuerySet
from msp_portal.core.validators import validate_time_zone


class Priority(models.TextChoices):
    """Ticket priority; P1 is the most urgent. Lives here because SLA targets are per priority."""

    P1 = "P1", _("P1 - Critical")
    P2 = "P2", _("P2 - High")
    P3 = "P3", _("P3 - Medium")
    P4 = "P4", _("P4 - Low")


class TicketStatus(models.TextChoices):
    """Ticket statuses; here because SLA policies name the ones that pause the clock."""

    NEW = "new", _("New")
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_ON_CUSTOMER = "waiting_on_customer", _("Waiting on customer")
    WAITING_ON_THIRD_PARTY = "waiting_on_third_party", _("Waiting on third party")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class SharedQuerySet(TenantQuerySet):
    """MSP-wide rows (calendars, policies): staff see all, client users those of their contracts."""

    contract_path = ""

    def for_user(self, user):
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_msp_staff:
            return self
        contracts = Contract.objects.for_user(user).values("pk")
        return self.filter(**{f"{self.contract_path}__in": contracts}).distinct()


class CalendarQuerySet(SharedQuerySet):
    contract_path = "contracts"


class BusinessCalendar(models.Model):
    """Business hours in one time zone, with holidays: what SLA minutes are counted in."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default=default_time_zone, validators=[validate_time_zone]
    )
    description = models.TextField(_("description"), blank=True)
    holiday_country = models.CharField(
        _("public holidays of"),
        max_length=2,
        blank=True,
        help_text=_("ISO country code (FR, BE, CH, CA...) used to add public holidays."),
    )
    holiday_subdivision = models.CharField(
        _("region"),
        max_length=10,
        blank=True,
        help_text=_("Optional region code, e.g. QC for Quebec or 68 for Haut-Rhin."),
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = CalendarQuerySet.as_manager()

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def weekly_minutes(self) -> int:
        """Total business minutes in a normal week (0 means the calendar is unusable)."""
        return sum(w.minutes for w in self.windows.all())

    def to_spec(self) -> dict:
        """This calendar in the SLA core's format (contracts.sla.Calendar.from_spec)."""
        weekly: dict[str, list[list[str]]] = {}
        for window in sorted(self.windows.all(), key=lambda w: (w.weekday, w.start)):
            end = "24:00" if window.end == dt.time(0, 0) else f"{window.end:%H:%M}"
            weekly.setdefault(WEEKDAY_KEYS[window.weekday], []).append(
                [f"{window.start:%H:%M}", end]
            )
        return {
            "tz": self.time_zone,
            "weekly": weekly,
            "holidays": [h.to_spec() for h in sorted(self.holidays.all(), key=_holiday_key)],
        }


WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _holiday_key(holiday: Holiday) -> tuple:
    return (holiday.date, holiday.recurring, holiday.closed_from or dt.time(0), holiday.pk or 0)


class BusinessHours(models.Model):
    """One open window on one weekday, local wall time; an end before the start runs overnight."""

    calendar = models.ForeignKey(
        BusinessCalendar,
        verbose_name=_("calendar"),
        on_delete=models.CASCADE,
        related_name="windows",
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start = models.TimeField(_("opens"))
    end = models.TimeField(_("closes"), help_text=_("00:00 means midnight at the end of the day."))

    class Meta:
        verbose_name = _("business hours")
        verbose_name_plural = _("business hours")
        ordering = ["calendar", "weekday", "start"]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"

    @property
    def minutes(self) -> int:
        start = self.start.hour * 60 + self.start.minute
        end = self.end.hour * 60 + self.end.minute
        if end <= start:  # overnight, or 00:00 meaning 24:00
            end += 24 * 60
        return end - start

    def clean(self) -> None:
        if self.start == self.end and self.start != dt.time(0, 0):
            raise ValidationError(
                _(
                    "A window cannot open and close at the same time; for a full day, "
                    "open at 00:00 and close at 00:00 (midnight at the end of the day)."
                )
            )


class Holiday(models.Model):
    """A day (or part of one) when the calendar is closed: dated, yearly or a range of days."""

    calendar = models.ForeignKey(
        BusinessCalendar,
        verbose_name=_("calendar"),
        on_delete=models.CASCADE,
        related_name="holidays",
    )
    name = models.CharField(_("name"), max_length=120)
    date = models.DateField(
        _("date"), help_text=_("First day; for a yearly holiday only the month and day count.")
    )
    end_date = models.DateField(
        _("last day"), null=True, blank=True, help_text=_("For a range of days, inclusive.")
    )
    recurring = models.BooleanField(_("every year"), default=False)
    closed_from = models.TimeField(
        _("closed from"), null=True, blank=True, help_text=_("Empty for the whole day.")
    )
    closed_to = models.TimeField(
        _("closed until"), null=True, blank=True, help_text=_("00:00 means until midnight.")
    )

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["calendar", "date"]

    def __str__(self) -> str:
        return f"{self.name} ({self.date:%Y-%m-%d})"

    def to_spec(self) -> dict:
        """This closure in the SLA core's format."""
        if self.end_date:
            return {"from_date": self.date.isoformat(), "to_date": self.end_date.isoformat()}
        spec = {"recurring": f"{self.date:%m-%d}"} if self.recurring else {"date": f"{self.date}"}
        if self.closed_from is not None and self.closed_to is not None:
            spec["closed_from"] = f"{self.closed_from:%H:%M}"
            # As for opening windows, 00:00 as the end means midnight at the end of the day.
            spec["closed_to"] = (
                "24:00" if self.closed_to == dt.time(0) else f"{self.closed_to:%H:%M}"
            )
        return spec

    def clean(self) -> None:
        errors = {}
        if self.end_date and self.end_date < self.date:
            errors["end_date"] = _("The last day cannot be before the first day.")
        if self.end_date and self.recurring:
            errors["recurring"] = _("A range of days cannot recur; add one holiday per year.")
        if (self.closed_from is None) != (self.closed_to is None):
            errors["closed_to"] = _("Give both the start and the end of a partial closure.")
        elif (
            self.closed_from is not None
            and self.closed_to != dt.time(0)  # until midnight
            and self.closed_from >= self.closed_to
        ):
            errors["closed_to"] = _("A closure must end after it starts.")
        if self.closed_from is not None and self.end_date:
            errors["end_date"] = _("A partial closure covers a single date.")
        if errors:
            raise ValidationError(errors)


class PolicyQuerySet(SharedQuerySet):
    contract_path = "contracts"


def default_pause_statuses() -> list[str]:
    return [TicketStatus.WAITING_ON_CUSTOMER.value]


class SLAPolicy(models.Model):
    """Response and resolution targets per priority, in business minutes."""

    class Anchor(models.TextChoices):
        START_CARRY = "start_carry", _("Keep elapsed time (recommended)")
        START_REMEASURE = "start_remeasure", _("Re-measure from the start")
        CHANGE = "change", _("Restart the clock at the change")

    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    pause_statuses = models.JSONField(
        _("statuses that pause the clock"), default=default_pause_statuses, blank=True
    )
    first_response_pauses = models.BooleanField(_("first response also pauses"), default=False)
    priority_change_anchor = models.CharField(
        _("on priority change"),
        max_length=20,
        choices=Anchor.choices,
        default=Anchor.START_CARRY,
    )
    warning_percent = models.PositiveSmallIntegerField(
        _("warning at (%)"), default=75, validators=[MinValueValidator(1), MaxValueValidator(99)]
    )
    critical_percent = models.PositiveSmallIntegerField(
        _("critical at (%)"), default=90, validators=[MinValueValidator(1), MaxValueValidator(99)]
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = PolicyQuerySet.as_manager()

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                name="sla_policy_thresholds_ordered",
                condition=Q(warning_percent__lte=models.F("critical_percent")),
                violation_error_message=_(
                    "The warning threshold must not exceed the critical one."
                ),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def to_spec(self, calendar: BusinessCalendar) -> dict:
        """The policy, measured on ``calendar`` unless a target names its own, as the SLA core
        reads it (contracts.sla.Policy.from_spec)."""
        targets = {}
        for target in self.targets.all():
            spec = {
                "first_response": target.first_response_minutes,
                "resolution": target.resolution_minutes,
            }
            if target.next_response_minutes:
                spec["next_response"] = target.next_response_minutes
            if target.calendar_id:
                spec["calendar"] = target.calendar.to_spec()
            targets[target.priority] = spec
        return {
            "calendar": calendar.to_spec(),
            "targets": dict(sorted(targets.items())),
            "pause_statuses": sorted(self.pause_statuses),
            "first_response_pauses": self.first_response_pauses,
            "priority_change_anchor": self.priority_change_anchor,
            "reopen": "resume",
            "thresholds": {"warning": self.warning_percent, "critical": self.critical_percent},
        }

    def clean(self) -> None:
        valid = set(TicketStatus.values)
        if not isinstance(self.pause_statuses, list) or not set(self.pause_statuses) <= valid:
            raise ValidationError(
                {"pause_statuses": _('List ticket statuses, e.g. ["waiting_on_customer"].')}
            )


class SLATarget(models.Model):
    """Targets for one priority of a policy, optionally on a calendar of their own (24x7 P1)."""

    policy = models.ForeignKey(
        SLAPolicy, verbose_name=_("policy"), on_delete=models.CASCADE, related_name="targets"
    )
    priority = models.CharField(_("priority"), max_length=2, choices=Priority.choices)
    first_response_minutes = models.PositiveIntegerField(
        _("first response (business minutes)"), validators=[MinValueValidator(1)]
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolution (business minutes)"), validators=[MinValueValidator(1)]
    )
    next_response_minutes = models.PositiveIntegerField(
        _("next response (business minutes)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
    )
    calendar = models.ForeignKey(
        BusinessCalendar,
        verbose_name=_("calendar"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: the contract's calendar."),
    )

    class Meta:
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        ordering = ["policy", "priority"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "priority"], name="sla_target_per_priority"),
            models.CheckConstraint(
                name="sla_target_positive",
                condition=Q(first_response_minutes__gt=0, resolution_minutes__gt=0),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy} {self.priority}"


class ContractQuerySet(TenantQuerySet):
    def for_client_user(self, user) -> ContractQuerySet:
        return self.none()  # commercial terms are for the client's administrators

    def active_on(self, day: dt.date) -> ContractQuerySet:
        return self.filter(
            Q(end_date__isnull=True) | Q(end_date__gte=day),
            status=Contract.Status.ACTIVE,
            start_date__lte=day,
        )


class Contract(models.Model):
    """What a client buys: the billing model, the hours included and the SLA promised."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        TERMINATED = "terminated", _("Terminated")

    class Billing(models.TextChoices):
        MONTHLY_FLAT = "monthly_flat", _("Monthly flat fee")
        PER_USER = "per_user", _("Per user")
        PER_DEVICE = "per_device", _("Per device")
        HOURS_BANK = "hours_bank", _("Hours bank")

    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("client"),
        on_delete=models.CASCADE,
        related_name="contracts",
    )
    reference = models.CharField(_("reference"), max_length=50, unique=True)
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    auto_renew = models.BooleanField(_("renews automatically"), default=True)
    notice_period_days = models.PositiveIntegerField(_("notice period (days)"), default=90)
    billing_model = models.CharField(
        _("billing model"), max_length=20, choices=Billing.choices, default=Billing.MONTHLY_FLAT
    )
    monthly_fee = models.DecimalField(
        _("monthly fee"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0"),
        help_text=_("Per user or per device for those billing models."),
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    included_hours = models.DecimalField(
        _("included hours per month"), max_digits=7, decimal_places=2, default=Decimal("0")
    )
    sla_policy = models.ForeignKey(
        SLAPolicy,
        verbose_name=_("SLA policy"),
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    calendar = models.ForeignKey(
        BusinessCalendar,
        verbose_name=_("business calendar"),
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    covered_sites = models.ManyToManyField(
        "clients.Site", verbose_name=_("covered sites"), blank=True, related_name="contracts"
    )
    covered_assets = models.ManyToManyField(
        "clients.Asset", verbose_name=_("covered assets"), blank=True, related_name="contracts"
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ContractQuerySet.as_manager()

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["client", "-start_date"]
        indexes = [models.Index(fields=["client", "start_date"], name="contract_client_start")]
        constraints = [
            models.CheckConstraint(
                name="contract_dates_ordered",
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                violation_error_message=_("The end date cannot be before the start date."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.reference} - {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("contracts:detail", args=[self.pk])

    def is_active_on(self, day: dt.date) -> bool:
        return (
            self.status == self.Status.ACTIVE
            and self.start_date <= day
            and (self.end_date is None or day <= self.end_date)
        )

    @property
    def renewal_date(self) -> dt.date | None:
        return self.end_date if self.auto_renew else None

    @property
    def notice_deadline(self) -> dt.date | None:
        """Last day to give notice before the end date."""
        if self.end_date is None:
            return None
        return self.end_date - dt.timedelta(days=self.notice_period_days)


class SLASnapshot(models.Model):
    """A frozen copy of a policy and its calendars: the rules a ticket's timers keep using
    after an admin edits the policy, until the open tickets are rebuilt on purpose."""

    policy = models.ForeignKey(
        SLAPolicy, verbose_name=_("SLA policy"), on_delete=models.PROTECT, related_name="+"
    )
    calendar = models.ForeignKey(
        BusinessCalendar, verbose_name=_("calendar"), on_delete=models.PROTECT, related_name="+"
    )
    policy_version = models.PositiveIntegerField(_("policy version"))
    calendar_version = models.PositiveIntegerField(_("calendar version"))
    digest = models.CharField(_("digest"), max_length=64, unique=True)
    spec = models.JSONField(_("rules"))
    created_at = models.DateTimeField(_("taken"), auto_now_add=True)

    class Meta:
        verbose_name = _("SLA snapshot")
        verbose_name_plural = _("SLA snapshots")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.policy} v{self.policy_version} / {self.calendar} v{self.calendar_version}"
