"""Monitoring, read-only for now: checks, their results and state changes, maintenance windows."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view

from monitoring.models import Check, CheckResult, CheckStateChange, MaintenanceWindow

from .. import filters, serializers
from .base import ReadOnlyTenantViewSet

_LATER = _(
    "Read-only for now: creating and changing checks, and the probe engine's behaviour, "
    "come with the monitoring work and may add fields."
)


@extend_schema_view(
    list=extend_schema(summary=_("List checks"), description=_LATER),
    retrieve=extend_schema(summary=_("One check"), description=_LATER),
)
class CheckViewSet(ReadOnlyTenantViewSet):
    model = Check
    serializer_class = serializers.CheckSerializer
    select_related = ("open_ticket",)
    filterset_class = filters.CheckFilter
    ordering_fields = ["id", "name", "state", "next_run_at"]


@extend_schema_view(
    list=extend_schema(summary=_("List check results"), description=_LATER),
    retrieve=extend_schema(summary=_("One check result"), description=_LATER),
)
class CheckResultViewSet(ReadOnlyTenantViewSet):
    model = CheckResult
    serializer_class = serializers.CheckResultSerializer
    filterset_class = filters.CheckResultFilter
    ordering = "-checked_at"
    ordering_fields = ["id", "checked_at"]


@extend_schema_view(
    list=extend_schema(summary=_("List check state changes"), description=_LATER),
    retrieve=extend_schema(summary=_("One check state change"), description=_LATER),
)
class CheckStateChangeViewSet(ReadOnlyTenantViewSet):
    model = CheckStateChange
    serializer_class = serializers.CheckStateChangeSerializer
    filterset_class = filters.CheckStateChangeFilter
    ordering = "-at"
    ordering_fields = ["id", "at"]


@extend_schema_view(
    list=extend_schema(summary=_("List maintenance windows"), description=_LATER),
    retrieve=extend_schema(summary=_("One maintenance window"), description=_LATER),
)
class MaintenanceWindowViewSet(ReadOnlyTenantViewSet):
    model = MaintenanceWindow
    serializer_class = serializers.MaintenanceWindowSerializer
    prefetch_related = ("checks",)
    filterset_class = filters.MaintenanceWindowFilter
    ordering = "-starts_at"
    ordering_fields = ["id", "starts_at"]
