"""Daily rollups behind the manager's dashboard, rebuilt by :mod:`msp_portal.dashboard.rollups`.

Why rollups: with a million tickets, counting tickets, timers and time entries live over 90 days
for 2,000 clients costs seconds; summing a few thousand pre-counted rows costs milliseconds.

Every table has the same two kinds of rows for a day:

* **per client** (``client`` set): what restricted staff and the one-client view sum, so a
  technician who works for three clients adds up their three clients' rows and nothing else;
* **MSP-wide totals** (``client`` empty): the same figures summed over every client, read only
  by staff who see all clients, so the default view reads a few hundred rows instead of summing
  the per-client rows of 2,000 clients.

Days are the MSP's days (``settings.TIME_ZONE``). The rows are derived data: deleting them and
rebuilding the days loses nothing, which is how they are maintained (never updated in place).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contracts.models import Priority
from msp_portal.core.tenancy import StaffOnlyQuerySet


class RollupQuerySet(StaffOnlyQuerySet):
    """Rollup rows are staff figures; a client user sees none."""

    def totals(self) -> RollupQuerySet:
        """The MSP-wide rows (all clients summed)."""
        return self.filter(client__isnull=True)

    def per_client(self) -> RollupQuerySet:
        return self.filter(client__isnull=False)

    def days(self, start, end) -> RollupQuerySet:
        return self.filter(day__gte=start, day__lte=end)


class TimerKind(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    RESOLUTION = "resolution", _("Resolution")


def _client_fk():
    return models.ForeignKey(
        "clients.Client",
        verbose_name=_("client"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: the total over all clients."),
    )


class SlaDaily(models.Model):
    """Tickets opened and resolved, and SLA timers met or breached, per day, client and priority.

    A timer counts on the day its outcome was decided: the day it stopped in time (met), or the
    day it went past its target (breached), even if it is still running.
    """

    day = models.DateField(_("day"))
    client = _client_fk()
    priority = models.CharField(_("priority"), max_length=2, choices=Priority.choices)
    opened = models.PositiveIntegerField(_("opened"), default=0)
    resolved = models.PositiveIntegerField(_("resolved"), default=0)
    first_response_met = models.PositiveIntegerField(_("first response met"), default=0)
    first_response_breached = models.PositiveIntegerField(_("first response breached"), default=0)
    resolution_met = models.PositiveIntegerField(_("resolution met"), default=0)
    resolution_breached = models.PositiveIntegerField(_("resolution breached"), default=0)

    objects = RollupQuerySet.as_manager()

    class Meta:
        verbose_name = _("daily SLA figures")
        verbose_name_plural = _("daily SLA figures")
        ordering = ["-day", "client", "priority"]
        indexes = [
            models.Index(fields=["day", "client"], name="sla_daily_day_client"),
            models.Index(fields=["client", "day"], name="sla_daily_client_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.client_id or '*'} {self.priority}"


class MixDaily(models.Model):
    """Tickets opened per day, client, category and source."""

    day = models.DateField(_("day"))
    client = _client_fk()
    category = models.ForeignKey(
        "tickets.Category",
        verbose_name=_("category"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    source = models.CharField(_("source"), max_length=20)
    opened = models.PositiveIntegerField(_("opened"), default=0)

    objects = RollupQuerySet.as_manager()

    class Meta:
        verbose_name = _("daily ticket mix")
        verbose_name_plural = _("daily ticket mix")
        ordering = ["-day", "client"]
        indexes = [
            models.Index(fields=["day", "client"], name="mix_daily_day_client"),
            models.Index(fields=["client", "day"], name="mix_daily_client_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.client_id or '*'} {self.category_id} {self.source}"


class DurationDaily(models.Model):
    """How many timers stopped per day, client, kind and priority, per business-duration bucket.

    Buckets grow geometrically (see ``rollups.DURATION_EDGES``), so a median or a 90th
    percentile read from the counts is within a few per cent of the exact one, whatever the
    number of tickets, without keeping one row per ticket.
    """

    day = models.DateField(_("day"))
    client = _client_fk()
    kind = models.CharField(_("timer"), max_length=20, choices=TimerKind.choices)
    priority = models.CharField(_("priority"), max_length=2, choices=Priority.choices)
    bucket = models.PositiveSmallIntegerField(_("duration bucket"))
    count = models.PositiveIntegerField(_("timers"), default=0)
    total_seconds = models.FloatField(_("business seconds"), default=0)

    objects = RollupQuerySet.as_manager()

    class Meta:
        verbose_name = _("daily SLA durations")
        verbose_name_plural = _("daily SLA durations")
        ordering = ["-day", "client", "kind", "priority", "bucket"]
        indexes = [
            models.Index(fields=["day", "client"], name="duration_daily_day_client"),
            models.Index(fields=["client", "day"], name="duration_daily_client_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.client_id or '*'} {self.kind} {self.priority} #{self.bucket}"


class TimeDaily(models.Model):
    """Minutes logged per work day, client, contract, technician and billable flag.

    The MSP-wide rows keep the technician and drop the contract (a contract belongs to one
    client, so contract figures are always summed from the per-client rows).
    """

    day = models.DateField(_("day"))
    client = _client_fk()
    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("contract"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("technician"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    billable = models.BooleanField(_("billable"))
    minutes = models.PositiveIntegerField(_("minutes"), default=0)
    entries = models.PositiveIntegerField(_("entries"), default=0)

    objects = RollupQuerySet.as_manager()

    class Meta:
        verbose_name = _("daily time logged")
        verbose_name_plural = _("daily time logged")
        ordering = ["-day", "client"]
        indexes = [
            models.Index(fields=["day", "client"], name="time_daily_day_client"),
            models.Index(fields=["client", "day"], name="time_daily_client_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.client_id or '*'} {self.technician_id} {self.minutes} min"


class RollupState(models.Model):
    """When the rollups were last rebuilt; its row is also the lock that serialises rebuilds."""

    name = models.CharField(_("name"), max_length=30, unique=True, default="dashboard")
    computed_at = models.DateTimeField(_("last computed"), null=True, blank=True)
    first_day = models.DateField(_("first day rebuilt"), null=True, blank=True)
    last_day = models.DateField(_("last day rebuilt"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("rollup state")
        verbose_name_plural = _("rollup states")

    def __str__(self) -> str:
        return f"{self.name}: {self.computed_at}"
