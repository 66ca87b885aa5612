"""Writing the audit log."""

from __future__ import annotations

import json
from collections.abc import Iterator

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone

from .csv import csv_response
from .models import AuditEntry


def client_ip(request: HttpRequest | None) -> str | None:
    """The peer address Django sees (a trusted proxy must set REMOTE_ADDR correctly)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    actor,
    action: str,
    request: HttpRequest | None = None,
    client_id: int | None = None,
    obj=None,
    data: dict | None = None,
) -> AuditEntry:
    """Append one audit entry."""
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        client_id=client_id,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        ip_address=client_ip(request),
        data=data or {},
    )


AUDIT_CSV_HEADER = (
    "id",
    "at",
    "action",
    "actor_id",
    "actor",
    "client_id",
    "client",
    "object_type",
    "object_id",
    "ip_address",
    "details",
)


def _audit_csv_rows(queryset) -> Iterator[list]:
    for entry in (
        queryset.select_related("actor", "client").order_by("-at", "-id").iterator(chunk_size=2000)
    ):
        yield [
            entry.pk,
            entry.at,
            entry.action,
            entry.actor_id,
            entry.actor.email if entry.actor_id else "",
            entry.client_id,
            entry.client.name if entry.client_id else "",
            entry.object_type,
            entry.object_id,
            entry.ip_address,
            json.dumps(entry.data, ensure_ascii=False, sort_keys=True, cls=DjangoJSONEncoder),
        ]


def audit_export(
    *, queryset, by, request: HttpRequest | None = None, filters: str = ""
) -> StreamingHttpResponse:
    """The given entries as a streamed CSV download; the export itself is audited first."""
    record = audit_record(
        actor=by,
        action="audit.exported",
        request=request,
        data={"count": queryset.count(), "filters": filters[:500]},
    )
    # The rows stream after the record is written: the export does not include itself.
    rows = _audit_csv_rows(queryset.exclude(pk=record.pk))
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    return csv_response(f"audit-log-{stamp}.csv", AUDIT_CSV_HEADER, rows)
