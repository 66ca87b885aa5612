"""Clients, sites, contacts and assets: staff read and write, client users read their own."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.exceptions import PermissionDenied

from clients.models import Asset, Client, Contact, Site

from .. import filters, serializers
from ..permissions import StaffWritesOnly
from .base import WritableTenantViewSet

_WRITES = _("MSP staff only; client users have read access to their own company's rows.")


@extend_schema_view(
    list=extend_schema(summary=_("List clients")),
    retrieve=extend_schema(summary=_("One client")),
    create=extend_schema(
        summary=_("Create a client"),
        description=_("Administrators, managers and technicians who see all clients."),
    ),
    partial_update=extend_schema(summary=_("Change a client"), description=_WRITES),
)
class ClientViewSet(WritableTenantViewSet):
    model = Client
    serializer_class = serializers.ClientSerializer
    permission_classes = [StaffWritesOnly]
    filterset_class = filters.ClientFilter
    ordering_fields = ["id", "name", "slug", "created_at"]

    def perform_create(self, serializer) -> None:
        if not self.request.user.has_all_clients:
            raise PermissionDenied(_("Only staff who see every client may add one."))
        super().perform_create(serializer)


@extend_schema_view(
    list=extend_schema(summary=_("List sites")),
    retrieve=extend_schema(summary=_("One site")),
    create=extend_schema(summary=_("Create a site"), description=_WRITES),
    partial_update=extend_schema(summary=_("Change a site"), description=_WRITES),
)
class SiteViewSet(WritableTenantViewSet):
    model = Site
    serializer_class = serializers.SiteSerializer
    permission_classes = [StaffWritesOnly]
    filterset_class = filters.SiteFilter
    ordering_fields = ["id", "name", "city"]


@extend_schema_view(
    list=extend_schema(summary=_("List contacts")),
    retrieve=extend_schema(summary=_("One contact")),
    create=extend_schema(summary=_("Create a contact"), description=_WRITES),
    partial_update=extend_schema(summary=_("Change a contact"), description=_WRITES),
)
class ContactViewSet(WritableTenantViewSet):
    model = Contact
    serializer_class = serializers.ContactSerializer
    permission_classes = [StaffWritesOnly]
    filterset_class = filters.ContactFilter
    ordering_fields = ["id", "last_name", "first_name"]


@extend_schema_view(
    list=extend_schema(summary=_("List assets")),
    retrieve=extend_schema(summary=_("One asset")),
    create=extend_schema(summary=_("Create an asset"), description=_WRITES),
    partial_update=extend_schema(summary=_("Change an asset"), description=_WRITES),
)
class AssetViewSet(WritableTenantViewSet):
    model = Asset
    serializer_class = serializers.AssetSerializer
    permission_classes = [StaffWritesOnly]
    filterset_class = filters.AssetFilter
    ordering_fields = ["id", "name", "kind", "status", "created_at", "updated_at"]
