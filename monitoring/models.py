"""Health checks on clients' assets, their results, rollups and maintenance windows.

The engine (``engine.py``) claims due checks with a lease, runs them in batches (``probes.py``)
and applies the state machine (``states.py``); alerts reach tickets through the outbox
(``alerts.py``).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from msp_portal.core.tenancy import TenantQuerySet


def new_heartbeat_token() -> str:
    return secrets.token_urlsafe(24)


class CheckState(models.TextChoices):
    UNKNOWN = "unknown", _("Unknown")
    UP = "up", _("Up")
    DEGRADED = "degraded", _("Degraded")
    DOWN = "down", _("Down")
    PAUSED = "paused", _("Paused")
    MAINTENANCE = "maintenance", _("Maintenance")


class CheckQuerySet(TenantQuerySet):
    def enabled(self) -> CheckQuerySet:
        return self.filter(enabled=True)


class Check(models.Model):
    """One scheduled probe of a client's service: a web page, a port, a certificate, a backup."""

    class Kind(models.TextChoices):
        HTTP = "http", _("HTTP(S)")
        TLS = "tls", _("TLS certificate")
        TCP = "tcp", _("TCP port")
        DNS = "dns", _("DNS record")
        PING = "ping", _("Ping")
        HEARTBEAT = "heartbeat", _("Heartbeat (push)")

    State = CheckState

    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("client"),
        on_delete=models.CASCADE,
        related_name="checks",
    )
    asset = models.ForeignKey(
        "clients.Asset",
        verbose_name=_("asset"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="checks",
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    config = models.JSONField(
        _("settings"),
        default=dict,
        blank=True,
        help_text=_('Target and options for this kind, e.g. {"url": "https://..."}.'),
    )
    interval_seconds = models.PositiveIntegerField(
        _("interval (seconds)"),
        default=60,
        validators=[MinValueValidator(10), MaxValueValidator(7 * 24 * 3600)],
    )
    retry_interval_seconds = models.PositiveIntegerField(
        _("interval while failing (seconds)"),
        default=30,
        validators=[MinValueValidator(10), MaxValueValidator(24 * 3600)],
    )
    timeout_seconds = models.FloatField(
        _("timeout (seconds)"),
        default=10.0,
        validators=[MinValueValidator(0.5), MaxValueValidator(120)],
    )
    grace_seconds = models.PositiveIntegerField(
        _("grace (seconds)"), default=300, help_text=_("Heartbeat checks: lateness tolerated.")
    )
    failure_threshold = models.PositiveSmallIntegerField(
        _("failures before down"), default=3, validators=[MinValueValidator(1)]
    )
    recovery_threshold = models.PositiveSmallIntegerField(
        _("successes before up"), default=2, validators=[MinValueValidator(1)]
    )
    degraded_latency_ms = models.PositiveIntegerField(
        _("degraded above (ms)"), null=True, blank=True
    )
    resolve_ticket_on_recovery = models.BooleanField(
        _("resolve the ticket on recovery"), default=False
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    state = models.CharField(
        _("state"), max_length=20, choices=CheckState.choices, default=CheckState.UNKNOWN
    )
    state_changed_at = models.DateTimeField(_("state since"), null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    consecutive_successes = models.PositiveIntegerField(default=0, editable=False)
    #: The last outcomes, oldest first, one letter each (s, d, f, e): flapping is read here.
    recent_outcomes = models.CharField(max_length=21, blank=True, default="", editable=False)
    flapping = models.BooleanField(_("flapping"), default=False, editable=False)
    last_outcome = models.CharField(_("last outcome"), max_length=10, blank=True, editable=False)
    last_latency_ms = models.FloatField(_("last response time (ms)"), null=True, blank=True)
    last_message = models.CharField(_("last message"), max_length=500, blank=True, editable=False)
    #: When the open ticket was last told the check is still down (annotations are throttled).
    last_alert_at = models.DateTimeField(null=True, blank=True, editable=False)
    next_run_at = models.DateTimeField(_("next run"), default=timezone.now)
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True)
    lease_token = models.CharField(max_length=64, blank=True, editable=False)
    lease_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    heartbeat_token = models.CharField(
        max_length=64, unique=True, default=new_heartbeat_token, editable=False
    )
    open_ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("open ticket"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = CheckQuerySet.as_manager()

    class Meta:
        verbose_name = _("check")
        verbose_name_plural = _("checks")
        ordering = ["client", "name"]
        indexes = [
            models.Index(fields=["next_run_at"], name="check_due", condition=Q(enabled=True)),
            models.Index(fields=["client", "state"], name="check_client_state"),
            models.Index(fields=["lease_token"], name="check_lease", condition=~Q(lease_token="")),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("monitoring:check_detail", args=[self.pk])

    @property
    def is_failing(self) -> bool:
        return self.state in (CheckState.DOWN, CheckState.DEGRADED)

    @property
    def target(self) -> str:
        """What the check looks at, for display."""
        cfg = self.config or {}
        if cfg.get("url"):
            return cfg["url"]
        if cfg.get("host"):
            return f"{cfg['host']}:{cfg['port']}" if cfg.get("port") else cfg["host"]
        return cfg.get("name", "")


class CheckResult(models.Model):
    """The outcome of one run of a check."""

    class Outcome(models.TextChoices):
        SUCCESS = "success", _("Success")
        DEGRADED = "degraded", _("Degraded")
        FAILURE = "failure", _("Failure")
        ERROR = "error", _("Could not run")

    client = models.ForeignKey(
        "clients.Client", verbose_name=_("client"), on_delete=models.CASCADE, related_name="+"
    )
    # Named "monitor" because a field called "check" would shadow Model.check().
    monitor = models.ForeignKey(
        Check, verbose_name=_("check"), on_delete=models.CASCADE, related_name="results"
    )
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    latency_ms = models.FloatField(_("response time (ms)"), null=True, blank=True)
    message = models.CharField(_("message"), max_length=500, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    scheduled_at = models.DateTimeField(_("scheduled"), null=True, blank=True)
    checked_at = models.DateTimeField(_("checked"), default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("check result")
        verbose_name_plural = _("check results")
        ordering = ["-checked_at"]
        indexes = [
            models.Index(fields=["monitor", "-checked_at"], name="result_check_at"),
            models.Index(fields=["checked_at"], name="result_checked_at"),
        ]

    def __str__(self) -> str:
        return f"{self.monitor} {self.outcome} @ {self.checked_at:%Y-%m-%d %H:%M:%S}"


class CheckStateChange(models.Model):
    """A transition of a check's state; availability is computed from these."""

    client = models.ForeignKey(
        "clients.Client", verbose_name=_("client"), on_delete=models.CASCADE, related_name="+"
    )
    monitor = models.ForeignKey(
        Check, verbose_name=_("check"), on_delete=models.CASCADE, related_name="state_changes"
    )
    from_state = models.CharField(_("from"), max_length=20, choices=CheckState.choices)
    to_state = models.CharField(_("to"), max_length=20, choices=CheckState.choices)
    at = models.DateTimeField(_("at"), default=timezone.now)
    reason = models.CharField(_("reason"), max_length=500, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("state change")
        verbose_name_plural = _("state changes")
        ordering = ["-at"]
        indexes = [models.Index(fields=["monitor", "at"], name="statechange_check_at")]

    def __str__(self) -> str:
        return f"{self.monitor}: {self.from_state} -> {self.to_state}"


class MaintenanceWindow(models.Model):
    """A planned period when a client's checks raise no alerts; times in the client's zone."""

    class Recurrence(models.TextChoices):
        NONE = "none", _("Once")
        DAILY = "daily", _("Every day")
        WEEKLY = "weekly", _("Every week")
        MONTHLY = "monthly", _("Every month")

    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("client"),
        on_delete=models.CASCADE,
        related_name="maintenance_windows",
    )
    name = models.CharField(_("name"), max_length=200)
    checks = models.ManyToManyField(
        Check,
        verbose_name=_("checks"),
        blank=True,
        related_name="maintenance_windows",
        help_text=_("Empty: every check of the client."),
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    recurrence = models.CharField(
        _("repeats"), max_length=10, choices=Recurrence.choices, default=Recurrence.NONE
    )
    repeat_until = models.DateField(_("repeat until"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("maintenance window")
        verbose_name_plural = _("maintenance windows")
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                name="maintenance_ends_after_start",
                condition=Q(ends_at__gt=models.F("starts_at")),
                violation_error_message=_("A maintenance window must end after it starts."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class CheckRollup(models.Model):
    """Counts per outcome and response times of a check over one hour or one day.

    Written by the hourly task from the raw results, which are pruned after a few days; the
    rollups are what long-range charts and reports read.
    """

    class Period(models.TextChoices):
        HOUR = "hour", _("Hour")
        DAY = "day", _("Day")

    client = models.ForeignKey(
        "clients.Client", verbose_name=_("client"), on_delete=models.CASCADE, related_name="+"
    )
    monitor = models.ForeignKey(
        Check, verbose_name=_("check"), on_delete=models.CASCADE, related_name="rollups"
    )
    period = models.CharField(_("period"), max_length=4, choices=Period.choices)
    start = models.DateTimeField(_("start"))
    successes = models.PositiveIntegerField(_("successes"), default=0)
    degraded = models.PositiveIntegerField(_("degraded"), default=0)
    failures = models.PositiveIntegerField(_("failures"), default=0)
    errors = models.PositiveIntegerField(_("could not run"), default=0)
    latency_min_ms = models.FloatField(_("fastest (ms)"), null=True, blank=True)
    latency_avg_ms = models.FloatField(_("average (ms)"), null=True, blank=True)
    latency_p95_ms = models.FloatField(_("95th percentile (ms)"), null=True, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("check rollup")
        verbose_name_plural = _("check rollups")
        ordering = ["-start"]
        constraints = [
            models.UniqueConstraint(
                fields=["monitor", "period", "start"], name="rollup_one_per_period"
            )
        ]
        indexes = [models.Index(fields=["period", "start"], name="rollup_period_start")]

    def __str__(self) -> str:
        return f"{self.monitor} {self.period} {self.start:%Y-%m-%d %H:%M}"

    @property
    def total(self) -> int:
        return self.successes + self.degraded + self.failures + self.errors


class MonitoringOutage(models.Model):
    """A period when the monitoring host itself seemed cut off: checks of many unrelated
    clients failed at once, so new DOWN transitions were held and no ticket was opened.

    Not a client's row: only MSP staff see it.
    """

    started_at = models.DateTimeField(_("started"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("last confirmed"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    #: True until it ends; unique among open rows, so two batches cannot open two outages.
    is_open = models.BooleanField(_("ongoing"), default=True)
    clients_failing = models.PositiveIntegerField(_("clients failing"), default=0)
    clients_seen = models.PositiveIntegerField(_("clients checked"), default=0)
    held_transitions = models.PositiveIntegerField(_("DOWN transitions held"), default=0)

    class Meta:
        verbose_name = _("monitoring outage")
        verbose_name_plural = _("monitoring outages")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_open"], condition=Q(is_open=True), name="one_open_monitoring_outage"
            )
        ]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M}"
