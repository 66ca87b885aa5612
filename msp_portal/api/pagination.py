"""Cursor pagination: stable pages over changing lists, no COUNT(*) on big tables."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from rest_framework import exceptions, pagination


class CursorPagination(pagination.CursorPagination):
    """Pages of ``page_size`` rows (up to 200); ``ordering`` picks the key (see each endpoint)."""

    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-id"

    def paginate_queryset(self, queryset, request, view=None):
        # A cursor that decodes but names an impossible position (a word where a date belongs)
        # fails in the database lookup; it is as invalid as one that does not decode.
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValueError, TypeError, ValidationError):
            raise exceptions.NotFound(self.invalid_cursor_message) from None
