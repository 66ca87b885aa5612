"""Reversibility exports: one row per archive a client admin or staff asked for.

The archive itself is built by a Celery task (``tasks.export_build``) and kept in the default
storage under a generated name until ``expires_at``; the row is what the progress page polls.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from msp_portal.core.tenancy import TenantQuerySet


class ExportJobQuerySet(TenantQuerySet):
    def for_client_user(self, user) -> ExportJobQuerySet:
        return self.none()  # exporting the company's data is the client administrator's right

    def expired(self, now=None) -> ExportJobQuerySet:
        return self.filter(expires_at__lte=now or timezone.now())


def export_path(instance: ExportJob, filename: str) -> str:
    """A generated name: nothing the requester typed reaches the disk."""
    return f"exports/{instance.client_id}/{filename}"


class ExportJob(models.Model):
    """One reversibility export of everything the MSP holds about a client."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Being prepared")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("client"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    language = models.CharField(_("language"), max_length=8, default="en")
    include_internal = models.BooleanField(
        _("internal notes included"),
        default=False,
        help_text=_("Staff exports only: the MSP's internal notes on the tickets."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    step = models.CharField(_("step"), max_length=100, blank=True)
    file = models.FileField(_("archive"), upload_to=export_path, blank=True, max_length=255)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    error = models.CharField(_("error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    #: Refreshed at every step: a running job whose heartbeat is old belongs to a dead worker.
    heartbeat_at = models.DateTimeField(_("last progress"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)

    objects = ExportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("data export")
        verbose_name_plural = _("data exports")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["client", "-created_at"], name="export_client_created"),
            models.Index(
                fields=["expires_at"], name="export_expires", condition=Q(expires_at__isnull=False)
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="export_progress_percent", condition=Q(progress__gte=0, progress__lte=100)
            )
        ]

    def __str__(self) -> str:
        return f"{self.client_id} #{self.pk} {self.status}"

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    def is_stale(self, cutoff) -> bool:
        """Queued or running with no sign of life since ``cutoff``: its task or worker is lost."""
        if self.status == self.Status.QUEUED:
            return (self.heartbeat_at or self.created_at) < cutoff
        if self.status == self.Status.RUNNING:
            return self.heartbeat_at is None or self.heartbeat_at < cutoff
        return False

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.DONE and bool(self.file)
