"""Writing the audit log."""

from __future__ import annotations

from django.http import HttpRequest

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
