"""Query-string filters of the list endpoints (django-filter)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_filters import fields as filter_fields
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field

from clients.models import Asset, Client, Contact, Site
from contracts.models import Contract, Priority, TicketStatus
from monitoring.models import Check, CheckResult, CheckStateChange, MaintenanceWindow
from tickets.models import Ticket

#: The largest id a 64-bit column holds; larger numbers are a 400, never a database overflow.
MAX_ID = 2**63 - 1


class IdField(forms.IntegerField):
    """A positive 64-bit whole number."""

    def __init__(self, **kwargs) -> None:
        super().__init__(min_value=1, max_value=MAX_ID, **kwargs)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(filters.NumberFilter):
    """A row id (a decimal, a word or an out-of-range number is a 400, not a silent match)."""

    field_class = IdField


class UtcIsoDateTimeField(filter_fields.IsoDateTimeField):
    """An ISO 8601 instant, converted to UTC before it reaches the database.

    PostgreSQL refuses offsets beyond +/-15:59 that Python parses; UTC is always accepted.
    """

    def to_python(self, value) -> dt.datetime | None:
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:
            return parsed.astimezone(dt.UTC)
        except OverflowError:
            raise ValidationError(_("Enter a date and time within years 1 to 9999.")) from None


class UtcIsoDateTimeRangeField(filter_fields.IsoDateTimeRangeField):
    def __init__(self, *args, **kwargs) -> None:
        fields = (UtcIsoDateTimeField(), UtcIsoDateTimeField())
        filter_fields.RangeField.__init__(self, fields, *args, **kwargs)


class InstantRangeFilter(filters.IsoDateTimeFromToRangeFilter):
    """``<name>_after`` / ``<name>_before``: ISO 8601 instants, inclusive."""

    field_class = UtcIsoDateTimeRangeField


class ClientFilter(filters.FilterSet):
    class Meta:
        model = Client
        fields = ["status", "slug"]


class SiteFilter(filters.FilterSet):
    client = IdFilter(field_name="client_id")

    class Meta:
        model = Site
        fields = ["client", "city", "country"]


class ContactFilter(filters.FilterSet):
    client = IdFilter(field_name="client_id")
    site = IdFilter(field_name="site_id")

    class Meta:
        model = Contact
        fields = ["client", "site", "is_active", "is_primary", "email"]


class AssetFilter(filters.FilterSet):
    client = IdFilter(field_name="client_id")
    site = IdFilter(field_name="site_id")
    kind = filters.MultipleChoiceFilter(choices=Asset.Kind.choices)
    status = filters.MultipleChoiceFilter(choices=Asset.Status.choices)
    expires_before = filters.DateFilter(field_name="expires_on", lookup_expr="lte")

    class Meta:
        model = Asset
        fields = ["client", "site", "kind", "status", "expires_before"]


class ContractFilter(filters.FilterSet):
    client = IdFilter(field_name="client_id")

    class Meta:
        model = Contract
        fields = ["client", "status", "billing_model"]


class TicketFilter(filters.FilterSet):
    client = IdFilter(field_name="client_id")
    assignee = IdFilter(field_name="assignee_id")
    unassigned = filters.BooleanFilter(field_name="assignee", lookup_expr="isnull")
    status = filters.MultipleChoiceFilter(choices=TicketStatus.choices)
    priority = filters.MultipleChoiceFilter(choices=Priority.choices)
    source = filters.ChoiceFilter(choices=Ticket.Source.choices)
    created = InstantRangeFilter(field_name="created_at")

    class Meta:
        model = Ticket
        fields = ["client", "assignee", "unassigned", "status", "priority", "source", "created"]


class CheckFilter(filters.FilterSet):
    client = IdFilter(field_name="client_id")
    asset = IdFilter(field_name="asset_id")
    state = filters.MultipleChoiceFilter(choices=Check.State.choices)

    class Meta:
        model = Check
        fields = ["client", "asset", "kind", "state", "enabled"]


class CheckResultFilter(filters.FilterSet):
    check = IdFilter(field_name="monitor_id")
    client = IdFilter(field_name="client_id")
    checked = InstantRangeFilter(field_name="checked_at")

    class Meta:
        model = CheckResult
        fields = ["check", "client", "outcome", "checked"]


class CheckStateChangeFilter(filters.FilterSet):
    check = IdFilter(field_name="monitor_id")
    client = IdFilter(field_name="client_id")

    class Meta:
        model = CheckStateChange
        fields = ["check", "client", "to_state"]


class MaintenanceWindowFilter(filters.FilterSet):
    client = IdFilter(field_name="client_id")

    class Meta:
        model = MaintenanceWindow
        fields = ["client", "recurrence"]
