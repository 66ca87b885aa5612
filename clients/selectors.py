"""Reads of clients and assets for pages; every one starts from ``for_user``."""

from __future__ import annotations

import json

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from .models import Asset, AssetQuerySet, ClientQuerySet


def asset_count() -> Coalesce:
    """An annotation for client querysets: the client's assets in service, as a subquery."""
    per_client = (
        Asset.objects.filter(client=OuterRef("pk"))
        .in_service()
        .order_by()
        .values("client")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(per_client, output_field=IntegerField()), 0)


def client_search(clients: ClientQuerySet, *, q: str = "", status: str = "") -> ClientQuerySet:
    if status:
        clients = clients.filter(status=status)
    if q:
        clients = clients.filter(Q(name__icontains=q) | Q(slug__icontains=q))
    return clients


def asset_search(
    assets: AssetQuerySet, *, q: str = "", kind: str = "", status: str = "", client=None
) -> AssetQuerySet:
    """Apply the asset list's filters; q looks in the name, host name and serial number."""
    if kind:
        assets = assets.filter(kind=kind)
    if status:
        assets = assets.filter(status=status)
    if client is not None:
        assets = assets.filter(client=client)
    q = (q or "").strip()
    if q:
        assets = assets.filter(
            Q(name__icontains=q) | Q(hostname__icontains=q) | Q(serial_number__icontains=q)
        )
    return assets


def attribute_rows(attributes) -> list[tuple[str, str]]:
    """An asset's free-form attributes as sorted (key, text) rows; nested values as JSON."""
    if not isinstance(attributes, dict):
        return []
    return [
        (str(key), value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
        for key, value in sorted(attributes.items(), key=lambda item: str(item[0]))
    ]
