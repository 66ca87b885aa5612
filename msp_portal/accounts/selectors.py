"""Reads about people that several pages share."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .models import STAFF_ROLES, Role, User


def staff_for_client(client_id: int) -> QuerySet[User]:
    """Active MSP staff who may see this client (the same rule as ``User.has_all_clients``)."""
    sees_client = (
        Q(role__in=[Role.ADMIN, Role.MANAGER])
        | Q(role=Role.TECHNICIAN, sees_all_clients=True)
        | Q(role=Role.TECHNICIAN, allowed_clients=client_id)
    )
    return (
        User.objects.filter(sees_client, is_active=True, role__in=sorted(STAFF_ROLES))
        .distinct()
        .order_by("full_name", "email")
    )
