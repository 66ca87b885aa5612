"""Operational endpoints."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import Error as DatabaseError
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from .models import WorkerHeartbeat

logger = logging.getLogger(__name__)


@never_cache
@require_safe
def health(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers and monitors: one query, no data beyond the worker's age."""
    worker = {"last_heartbeat": None, "age_seconds": None, "ok": False}
    try:
        beats = list(
            WorkerHeartbeat.objects.filter(name="worker").values_list("beat_at", flat=True)[:1]
        )
    except DatabaseError:
        logger.warning("Health check: the database did not answer.", exc_info=True)
        body = {"status": "degraded", "database": "error", "worker": worker}
        return JsonResponse(body, status=503)
    if beats:
        age = max(0, round((timezone.now() - beats[0]).total_seconds()))
        worker = {
            "last_heartbeat": beats[0].isoformat(),
            "age_seconds": age,
            "ok": age < 3 * settings.WORKER_HEARTBEAT_SECONDS,
        }
    status = "ok" if worker["ok"] else "degraded"
    return JsonResponse({"status": status, "database": "ok", "worker": worker})
