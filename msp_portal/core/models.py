"""Operational records that belong to no business area: the audit log, worker heartbeats, the
outbox and the beat lease."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditLogIsAppendOnly(Exception):
    """Raised when code tries to change or remove an audit entry."""


class AuditEntryQuerySet(models.QuerySet):
    """Bulk updates and deletes are refused: entries are only ever added.

    (Deleting a user or client still nulls ``actor``/``client``: Django's collector updates
    through the base manager, and the entry itself stays.)"""

    def update(self, **kwargs):
        raise AuditLogIsAppendOnly("The audit log is append-only: entries cannot be changed.")

    def delete(self):
        raise AuditLogIsAppendOnly("The audit log is append-only: entries cannot be deleted.")


class AuditEntry(models.Model):
    """An append-only record of who did what, when and from where."""

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("client"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action}"

    # A row-level invariant, so it lives on the model (on PostgreSQL a trigger enforces it
    # too, see migration 0004): an entry is written once and never changed or removed.
    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AuditLogIsAppendOnly("The audit log is append-only: entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditLogIsAppendOnly("The audit log is append-only: entries cannot be deleted.")


class WorkerHeartbeat(models.Model):
    """The last time a Celery worker ran the heartbeat task; /health/ reports its age."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    beat_at = models.DateTimeField(_("last heartbeat"))
    hostname = models.CharField(_("host name"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return self.name


class BeatLease(models.Model):
    """Which ``celery beat`` may send the periodic tasks, until when (see core/beat.py)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    holder = models.CharField(_("holder"), max_length=255, blank=True)
    expires_at = models.DateTimeField(_("expires"))

    class Meta:
        verbose_name = _("beat lease")
        verbose_name_plural = _("beat leases")

    def __str__(self) -> str:
        return self.name


class OutboxEventQuerySet(models.QuerySet):
    def undispatched(self) -> OutboxEventQuerySet:
        """Events no consumer has handled yet (served by a partial index)."""
        return self.filter(dispatched_at__isnull=True)

    def parked(self) -> OutboxEventQuerySet:
        """Events set aside after too many failed dispatches, waiting for an administrator."""
        return self.filter(dispatched_at__isnull=True, parked_at__isnull=False)


class OutboxEvent(models.Model):
    """A side effect recorded in the same transaction as the change that causes it, handed to
    consumers (webhooks today) after commit; the idempotency key makes it happen once."""

    topic = models.CharField(_("topic"), max_length=64, db_index=True)
    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("client"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    payload = models.JSONField(_("payload"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    dispatched_at = models.DateTimeField(_("dispatched"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("failed attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    parked_at = models.DateTimeField(
        _("parked"),
        null=True,
        blank=True,
        help_text=_("Set after too many failed dispatches: no longer re-driven until re-queued."),
    )

    objects = OutboxEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("outbox event")
        verbose_name_plural = _("outbox events")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["created_at"],
                name="outbox_undispatched",
                condition=models.Q(dispatched_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.topic} #{self.pk}"
