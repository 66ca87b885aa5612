"""Tenancy: the one way in to tenant-owned rows.

Every queryset a user sees starts with ``Model.objects.for_user(user)``, and one object comes
from :func:`get_for_user`, which answers 404 both when the row is missing and when it belongs to
a client the user may not see -- the two cases must be indistinguishable from outside.
"""

from __future__ import annotations

from typing import TypeVar

from django.db import models
from django.http import Http404

M = TypeVar("M", bound=models.Model)


class TenantQuerySet(models.QuerySet):
    """A queryset whose rows belong to one client, reached through ``tenant_field``."""

    #: Lookup path from this model to ``clients.Client`` ("client", or "pk" for Client itself).
    tenant_field = "client"

    def for_user(self, user) -> TenantQuerySet:
        """The rows this user may see: all, some clients' or one client's."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_msp_staff:
            if user.has_all_clients:
                return self.for_staff(user)
            allowed = user.allowed_clients.values("pk")
            return self.for_staff(user).filter(**{f"{self.tenant_field}__in": allowed})
        if user.is_client_side and user.client_id:
            scoped = self.filter(**{self.tenant_field: user.client_id})
            return (
                scoped.for_client_admin(user)
                if user.is_client_admin
                else (scoped.for_client_user(user))
            )
        return self.none()

    def for_client(self, client) -> TenantQuerySet:
        """Rows of one client, for code that already holds the tenant (tasks, services)."""
        return self.filter(**{self.tenant_field: getattr(client, "pk", client)})

    # Hooks for models whose visibility depends on more than the client.
    def for_staff(self, user) -> TenantQuerySet:
        return self

    def for_client_admin(self, user) -> TenantQuerySet:
        return self

    def for_client_user(self, user) -> TenantQuerySet:
        return self.for_client_admin(user)


class StaffOnlyQuerySet(TenantQuerySet):
    """Rows that only MSP staff may see (client users get nothing)."""

    def for_client_admin(self, user) -> TenantQuerySet:
        return self.none()

    def for_client_user(self, user) -> TenantQuerySet:
        return self.none()


def get_for_user(queryset: models.QuerySet[M] | type[M], user, **lookups) -> M:
    """One object the user may see, or 404 when it is missing *or* forbidden."""
    if isinstance(queryset, type):
        queryset = queryset._default_manager.all()
    try:
        return queryset.for_user(user).get(**lookups)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
