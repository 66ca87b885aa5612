"""Reads of checks for pages; every one starts from ``for_user``."""

from __future__ import annotations

import json
from typing import Any

from django.db.models import Count, Q, QuerySet

from .models import Check, CheckQuerySet, CheckState

#: Config keys whose values are never displayed (credentials a probe may need).
_SECRET_WORDS = ("password", "secret", "token", "authorization", "api_key", "apikey")


def check_search(
    checks: CheckQuerySet, *, q: str = "", state: str = "", kind: str = "", client=None
) -> CheckQuerySet:
    if state:
        checks = checks.filter(state=state)
    if kind:
        checks = checks.filter(kind=kind)
    if client is not None:
        checks = checks.filter(client=client)
    q = (q or "").strip()
    if q:
        checks = checks.filter(Q(name__icontains=q) | Q(asset__name__icontains=q))
    return checks


def state_counts(checks: QuerySet[Check]) -> list[dict[str, Any]]:
    """How many of these checks are in each state (one query)."""
    counts = dict(checks.order_by().values_list("state").annotate(n=Count("pk")))
    return [
        {"value": value, "label": label, "count": counts[value]}
        for value, label in CheckState.choices
        if value in counts
    ]


def config_rows(config) -> list[tuple[str, str, bool]]:
    """A check's settings as (key, text, hidden) rows; credentials are masked."""
    if not isinstance(config, dict):
        return []
    rows = []
    for key, value in sorted(config.items(), key=lambda item: str(item[0])):
        hidden = any(word in str(key).lower() for word in _SECRET_WORDS)
        text = "" if hidden else value if isinstance(value, str) else json.dumps(value)
        rows.append((str(key), text, hidden))
    return rows
