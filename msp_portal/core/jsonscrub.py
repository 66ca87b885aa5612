"""Replace copies of some strings inside JSON columns (an erased person's name or address)."""

from __future__ import annotations

import json
from typing import Any

from django.db.models import Q, QuerySet


def json_replace(value: Any, replacements: dict[str, str]) -> Any:
    """``value`` (JSON data) with every string equal to a key replaced by its value."""
    if isinstance(value, str):
        return replacements.get(value, value)
    if isinstance(value, list):
        return [json_replace(v, replacements) for v in value]
    if isinstance(value, dict):
        return {k: json_replace(v, replacements) for k, v in value.items()}
    return value


def json_column_scrub(queryset: QuerySet, field: str, replacements: dict[str, str]) -> int:
    """Rewrite a JSON column where it holds one of the strings; returns the rows changed."""
    if not replacements:
        return 0
    candidates = Q(pk__in=[])
    for old in replacements:
        # As stored: SQLite keeps json.dumps' ASCII escapes ("Zo\u00eb"), PostgreSQL the letter.
        for form in {old, json.dumps(old)[1:-1]}:
            candidates |= Q(**{f"{field}__icontains": form})
    changed = 0
    for row in queryset.filter(candidates).only("pk", field).iterator():
        value = getattr(row, field)
        new = json_replace(value, replacements)
        if new != value:
            queryset.model.objects.filter(pk=row.pk).update(**{field: new})
            changed += 1
    return changed
