"""Shapes of the API's rows. No business rules here: models validate rows, services decide.

Related fields offer only what the caller may see (``for_user``), so a foreign id is rejected
exactly like a missing one.
"""

from __future__ import annotations

import functools
import zoneinfo

from django.db import models
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clients.models import Asset, Client, Contact, Site
from contracts.models import (
    BusinessCalendar,
    BusinessHours,
    Contract,
    Holiday,
    SLAPolicy,
    SLATarget,
    TicketStatus,
)
from monitoring.models import Check, CheckResult, CheckStateChange, MaintenanceWindow
from msp_portal.accounts.models import STAFF_ROLES, ApiToken, User
from tickets.models import (
    Attachment,
    Category,
    Impact,
    Queue,
    SlaTimer,
    Ticket,
    TicketEvent,
    TimeEntry,
    Urgency,
)


def _user(serializer: serializers.Field) -> User | None:
    request = serializer.context.get("request")
    return getattr(request, "user", None)


class ScopedPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """A related id chosen among the rows the caller may see (``Model.objects.for_user``)."""

    def get_queryset(self) -> models.QuerySet:
        return self.queryset.for_user(_user(self))


class StaffOnlyFieldsMixin:
    """Leaves ``staff_only_fields`` (MSP-internal notes, probe settings) out for client users."""

    staff_only_fields: tuple[str, ...] = ()

    def to_representation(self, instance) -> dict:
        data = super().to_representation(instance)
        user = _user(self)
        if not (user is not None and user.is_msp_staff):
            for name in self.staff_only_fields:
                data.pop(name, None)
        return data


class CleanModelSerializer(StaffOnlyFieldsMixin, serializers.ModelSerializer):
    """Saves one row after the model's own validation (``full_clean``) and nothing else."""

    staff_only_fields = ("notes",)

    def create(self, validated_data: dict) -> models.Model:
        instance = self.Meta.model(**validated_data)
        instance.full_clean()
        instance.save()
        return instance

    def update(self, instance: models.Model, validated_data: dict) -> models.Model:
        for name, value in validated_data.items():
            setattr(instance, name, value)
        instance.full_clean()
        instance.save()
        return instance


class TenantRowSerializer(CleanModelSerializer):
    """A row of one client; the client is chosen at creation and cannot change afterwards."""

    client = ScopedPrimaryKeyField(queryset=Client.objects.all())

    def validate_client(self, client: Client) -> Client:
        if self.instance is not None and self.instance.client_id != client.pk:
            raise serializers.ValidationError(_("A row cannot move to another client."))
        return client


# Clients and their inventory ---------------------------------------------------------------


@functools.cache
def _known_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_known_time_zone(value: str) -> None:
    """An IANA zone name this machine knows, checked against the list before any file lookup.

    (msp_portal.core.validators.validate_time_zone opens the name as a file; a very long name
    raises OSError there, which would be a 500 here.)
    """
    if value not in _known_time_zones():
        raise serializers.ValidationError(
            _("%(value)s is not a known time zone; use an IANA name such as Europe/Paris.")
            % {"value": value[:64]}
        )


class ClientSerializer(CleanModelSerializer):
    time_zone = serializers.CharField(
        max_length=64, required=False, validators=[validate_known_time_zone]
    )

    class Meta:
        model = Client
        fields = ["id", "name", "slug", "status", "time_zone", "language", "notes", "created_at"]


class SiteSerializer(TenantRowSerializer):
    class Meta:
        model = Site
        fields = [
            "id", "client", "name", "address", "postal_code", "city", "country", "phone", "notes",
        ]  # fmt: skip


class ContactSerializer(TenantRowSerializer):
    site = ScopedPrimaryKeyField(queryset=Site.objects.all(), allow_null=True, required=False)

    class Meta:
        model = Contact
        fields = [
            "id", "client", "site", "first_name", "last_name", "email", "phone", "mobile",
            "job_title", "is_primary", "is_active", "user", "notes",
        ]  # fmt: skip
        read_only_fields = ["user"]


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class JSONObjectField(serializers.DictField):
    """A JSON object, without NUL characters (PostgreSQL's jsonb cannot store them)."""

    def to_internal_value(self, data) -> dict:
        value = super().to_internal_value(data)
        if _has_nul(value):
            raise serializers.ValidationError(_("Null characters are not allowed."))
        return value


class AssetSerializer(TenantRowSerializer):
    site = ScopedPrimaryKeyField(queryset=Site.objects.all(), allow_null=True, required=False)
    owner = ScopedPrimaryKeyField(queryset=Contact.objects.all(), allow_null=True, required=False)
    attributes = JSONObjectField(required=False, help_text=_('e.g. {"ram_gb": 16}'))

    class Meta:
        model = Asset
        fields = [
            "id", "client", "kind", "name", "hostname", "ip_address", "url", "serial_number",
            "manufacturer", "model", "operating_system", "site", "owner", "purchase_date",
            "expires_on", "status", "attributes", "notes", "created_at", "updated_at",
        ]  # fmt: skip


# Contracts and SLA rules (read-only) --------------------------------------------------------


class ContractSerializer(StaffOnlyFieldsMixin, serializers.ModelSerializer):
    staff_only_fields = ("notes",)

    class Meta:
        model = Contract
        fields = [
            "id", "client", "reference", "title", "status", "start_date", "end_date",
            "auto_renew", "notice_period_days", "billing_model", "monthly_fee", "currency",
            "included_hours", "sla_policy", "calendar", "covered_sites", "covered_assets",
            "notes", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class SLATargetSerializer(serializers.ModelSerializer):
    class Meta:
        model = SLATarget
        fields = [
            "priority", "first_response_minutes", "resolution_minutes", "next_response_minutes",
            "calendar",
        ]  # fmt: skip
        read_only_fields = fields


class SLAPolicySerializer(serializers.ModelSerializer):
    pause_statuses = serializers.ListField(
        child=serializers.ChoiceField(choices=TicketStatus.choices), read_only=True
    )
    targets = SLATargetSerializer(many=True, read_only=True)

    class Meta:
        model = SLAPolicy
        fields = [
            "id", "name", "description", "pause_statuses", "first_response_pauses",
            "priority_change_anchor", "warning_percent", "critical_percent", "version",
            "updated_at", "targets",
        ]  # fmt: skip
        read_only_fields = fields


@extend_schema_field(
    {"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]$", "example": "09:00"}
)
class WallTimeField(serializers.TimeField):
    """A local wall-clock time (HH:MM) in the calendar's zone: not an instant, so not RFC 3339's
    "time" format, which requires an offset."""

    def __init__(self, **kwargs) -> None:
        super().__init__(format="%H:%M", **kwargs)


class BusinessHoursSerializer(serializers.ModelSerializer):
    start = WallTimeField(read_only=True)
    end = WallTimeField(read_only=True, help_text=_("00:00 means midnight at the end of the day."))

    class Meta:
        model = BusinessHours
        fields = ["weekday", "start", "end"]
        read_only_fields = fields


class HolidaySerializer(serializers.ModelSerializer):
    closed_from = WallTimeField(read_only=True, allow_null=True)
    closed_to = WallTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Holiday
        fields = ["name", "date", "end_date", "recurring", "closed_from", "closed_to"]
        read_only_fields = fields


class BusinessCalendarSerializer(serializers.ModelSerializer):
    windows = BusinessHoursSerializer(many=True, read_only=True)
    holidays = HolidaySerializer(many=True, read_only=True)

    class Meta:
        model = BusinessCalendar
        fields = [
            "id", "name", "time_zone", "description", "holiday_country", "holiday_subdivision",
            "version", "updated_at", "windows", "holidays",
        ]  # fmt: skip
        read_only_fields = fields


# Tickets ------------------------------------------------------------------------------------


class TicketSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True, help_text=_("The number people quote."))

    class Meta:
        model = Ticket
        fields = [
            "id", "number", "reference", "client", "contact", "asset", "contract", "queue",
            "category", "subject", "description", "status", "impact", "urgency", "priority",
            "assignee", "source", "created_by", "created_at", "updated_at",
            "first_responded_at", "resolved_at", "closed_at",
        ]  # fmt: skip
        read_only_fields = fields


class _TicketWriteSerializer(serializers.Serializer):
    """Fields a ticket write may name; client users may not set the staff-only ones."""

    staff_only = ("assignee", "queue")

    def to_internal_value(self, data):
        user = _user(self)
        if isinstance(data, dict) and not (user is not None and user.is_msp_staff):
            refused = {
                name: [_("Only MSP staff can set this.")]
                for name in self.staff_only
                if name in data
            }
            if refused:
                raise serializers.ValidationError(refused)
        return super().to_internal_value(data)


def _assignees() -> models.QuerySet:
    return User.objects.filter(role__in=sorted(STAFF_ROLES))


class TicketCreateSerializer(_TicketWriteSerializer):
    """What ``ticket_open`` needs; the source is always "api"."""

    client = ScopedPrimaryKeyField(
        queryset=Client.objects.all(),
        required=False,
        help_text=_("Required for MSP staff; client users open tickets for their own company."),
    )
    subject = serializers.CharField(max_length=255)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    contact = ScopedPrimaryKeyField(queryset=Contact.objects.all(), required=False)
    asset = ScopedPrimaryKeyField(queryset=Asset.objects.all(), required=False)
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all(), required=False)
    queue = serializers.PrimaryKeyRelatedField(
        queryset=Queue.objects.all(), required=False, help_text=_("MSP staff only.")
    )
    impact = serializers.ChoiceField(choices=Impact.choices, default=Impact.LOW)
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.MEDIUM)
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=_assignees(), required=False, help_text=_("MSP staff only.")
    )

    def validate_category(self, category: Category) -> Category:
        user = _user(self)
        if not category.client_visible and not (user is not None and user.is_msp_staff):
            raise serializers.ValidationError(_("This category is not offered to clients."))
        return category

    def validate(self, attrs: dict) -> dict:
        user = _user(self)
        if "client" not in attrs:
            if user is None or not user.is_client_side:
                raise serializers.ValidationError({"client": [_("This field is required.")]})
            attrs["client"] = user.client
        return attrs


class TicketUpdateSerializer(_TicketWriteSerializer):
    """A partial change; each part goes to its own service (status, priority, assignment...)."""

    staff_only = ()  # the whole endpoint is for MSP staff

    status = serializers.ChoiceField(choices=TicketStatus.choices, required=False)
    reason = serializers.CharField(
        required=False, allow_blank=True, help_text=_("Why the status changes (timeline).")
    )
    impact = serializers.ChoiceField(choices=Impact.choices, required=False)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=_assignees(), required=False, allow_null=True
    )
    subject = serializers.CharField(max_length=255, required=False)
    contact = ScopedPrimaryKeyField(queryset=Contact.objects.all(), required=False, allow_null=True)
    asset = ScopedPrimaryKeyField(queryset=Asset.objects.all(), required=False, allow_null=True)
    queue = serializers.PrimaryKeyRelatedField(
        queryset=Queue.objects.all(), required=False, allow_null=True
    )
    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.all(), required=False, allow_null=True
    )


class MessageSerializer(serializers.Serializer):
    body = serializers.CharField(help_text=_("The message, as plain text."))


class TicketEventSerializer(serializers.ModelSerializer):
    author_name = serializers.CharField(read_only=True)
    data = serializers.DictField(read_only=True)

    class Meta:
        model = TicketEvent
        fields = [
            "id", "kind", "actor", "author", "author_name", "public", "automated", "body",
            "data", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class TimeEntrySerializer(serializers.ModelSerializer):
    minutes = serializers.IntegerField(min_value=1, max_value=24 * 60)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    class Meta:
        model = TimeEntry
        fields = ["id", "technician", "minutes", "billable", "work_date", "note", "created_at"]
        read_only_fields = ["id", "technician", "created_at"]
        extra_kwargs = {"work_date": {"required": False}, "billable": {"default": True}}


class AttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attachment
        fields = [
            "id", "event", "original_name", "content_type", "size", "uploaded_by", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class SlaTimerSerializer(serializers.ModelSerializer):
    outcome = serializers.ChoiceField(
        choices=SlaTimer.Outcome.choices,
        allow_blank=True,
        read_only=True,
        help_text=_("Empty while the timer runs."),
    )

    class Meta:
        model = SlaTimer
        fields = [
            "id", "kind", "cycle", "priority", "target_minutes", "state", "started_at",
            "elapsed_seconds", "computed_at", "due_at", "warning_at", "critical_at", "breached",
            "breach_at", "stopped_at", "outcome",
        ]  # fmt: skip
        read_only_fields = fields


# Monitoring (read-only for now) -------------------------------------------------------------


class CheckSerializer(StaffOnlyFieldsMixin, serializers.ModelSerializer):
    staff_only_fields = ("config",)
    config = serializers.DictField(read_only=True, help_text=_("Target and options (staff only)."))
    open_ticket = serializers.IntegerField(
        source="open_ticket.number",
        read_only=True,
        allow_null=True,
        help_text=_("Number of the ticket the check opened while down."),
    )

    class Meta:
        model = Check
        fields = [
            "id", "client", "asset", "name", "kind", "config", "interval_seconds",
            "retry_interval_seconds", "timeout_seconds", "grace_seconds", "failure_threshold",
            "recovery_threshold", "degraded_latency_ms", "resolve_ticket_on_recovery", "enabled",
            "state", "state_changed_at", "flapping", "last_run_at", "last_outcome",
            "last_latency_ms", "last_message", "next_run_at", "open_ticket", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class CheckResultSerializer(serializers.ModelSerializer):
    check = serializers.PrimaryKeyRelatedField(source="monitor", read_only=True)
    data = serializers.DictField(read_only=True)

    class Meta:
        model = CheckResult
        fields = [
            "id", "check", "outcome", "latency_ms", "message", "data", "scheduled_at",
            "checked_at",
        ]  # fmt: skip
        read_only_fields = fields


class CheckStateChangeSerializer(serializers.ModelSerializer):
    check = serializers.PrimaryKeyRelatedField(source="monitor", read_only=True)

    class Meta:
        model = CheckStateChange
        fields = ["id", "check", "from_state", "to_state", "at", "reason"]
        read_only_fields = fields


class MaintenanceWindowSerializer(serializers.ModelSerializer):
    class Meta:
        model = MaintenanceWindow
        fields = [
            "id", "client", "name", "checks", "starts_at", "ends_at", "recurrence",
            "repeat_until", "reason",
        ]  # fmt: skip
        read_only_fields = fields


# API tokens ---------------------------------------------------------------------------------


class ApiTokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"]
        read_only_fields = ["id", "prefix", "created_at", "last_used_at", "revoked_at"]


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    token = serializers.SerializerMethodField(
        help_text=_("The token itself: shown in this response only, never again.")
    )

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]

    @extend_schema_field(serializers.CharField())
    def get_token(self, obj: ApiToken) -> str:
        return self.context["key"]
