"""Contracts, SLA policies and business calendars, read-only.

Staff read them all; a client administrator reads the contracts of their company and the
policies and calendars those use; a client user reads none (commercial terms).
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view

from contracts.models import BusinessCalendar, Contract, SLAPolicy, SLATarget

from .. import filters, serializers
from .base import ReadOnlyTenantViewSet


@extend_schema_view(
    list=extend_schema(summary=_("List contracts")),
    retrieve=extend_schema(summary=_("One contract")),
)
class ContractViewSet(ReadOnlyTenantViewSet):
    model = Contract
    serializer_class = serializers.ContractSerializer
    prefetch_related = ("covered_sites", "covered_assets")
    filterset_class = filters.ContractFilter
    ordering_fields = ["id", "reference", "start_date", "created_at"]


@extend_schema_view(
    list=extend_schema(summary=_("List SLA policies")),
    retrieve=extend_schema(summary=_("One SLA policy, with its targets per priority")),
)
class SLAPolicyViewSet(ReadOnlyTenantViewSet):
    model = SLAPolicy
    serializer_class = serializers.SLAPolicySerializer
    prefetch_related = (Prefetch("targets", queryset=SLATarget.objects.order_by("priority")),)
    ordering_fields = ["id", "name"]


@extend_schema_view(
    list=extend_schema(summary=_("List business calendars")),
    retrieve=extend_schema(summary=_("One business calendar, with its hours and holidays")),
)
class BusinessCalendarViewSet(ReadOnlyTenantViewSet):
    model = BusinessCalendar
    serializer_class = serializers.BusinessCalendarSerializer
    prefetch_related = ("windows", "holidays")
    ordering_fields = ["id", "name"]
