"""What every API view shares: the tenant-scoped queryset and the one-object lookup."""

from __future__ import annotations

from django.db import models, transaction
from rest_framework import mixins, viewsets

from msp_portal.core.tenancy import get_for_user


class TenantViewSet(viewsets.GenericViewSet):
    """Lists start from ``Model.objects.for_user``; one object comes from ``get_for_user``."""

    model: type[models.Model]
    select_related: tuple[str, ...] = ()
    prefetch_related: tuple = ()
    ordering = "id"
    ordering_fields = ["id"]
    # Any segment reaches the view, which answers a JSON 404 for ids that are not ids ("0.5").
    lookup_value_regex = "[^/]+"

    def base_queryset(self) -> models.QuerySet:
        queryset = self.model.objects.all()
        if self.select_related:
            queryset = queryset.select_related(*self.select_related)
        if self.prefetch_related:
            queryset = queryset.prefetch_related(*self.prefetch_related)
        return queryset

    def get_queryset(self) -> models.QuerySet:
        return self.base_queryset().for_user(self.request.user)

    def get_object(self) -> models.Model:
        lookup = {self.lookup_field: self.kwargs[self.lookup_url_kwarg or self.lookup_field]}
        obj = get_for_user(self.base_queryset(), self.request.user, **lookup)
        self.check_object_permissions(self.request, obj)
        return obj


class ReadOnlyTenantViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """List and retrieve, nothing else."""


class WritableTenantViewSet(
    mixins.CreateModelMixin, mixins.UpdateModelMixin, ReadOnlyTenantViewSet
):
    """List, retrieve, create and PATCH rows that have no service of their own yet."""

    http_method_names = ["get", "post", "patch", "head", "options"]

    def perform_create(self, serializer) -> None:
        with transaction.atomic():
            serializer.save()

    def perform_update(self, serializer) -> None:
        with transaction.atomic():
            serializer.save()
