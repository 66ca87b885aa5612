"""How monitoring rows read on a page; formatting only, no business rules."""

from __future__ import annotations

from django import template

from monitoring import messages

register = template.Library()


@register.filter
def result_text(result) -> str:
    """A result's sentence in the reader's language when the probe left a code we can word,
    else the text it stored (older results, codes without a sentence yet)."""
    data = getattr(result, "data", None) or {}
    message = getattr(result, "message", "") or ""
    code = data.get("code") if isinstance(data, dict) else None
    if code and (code in messages.CATALOGUE or not message):
        params = data.get("params")
        return messages.describe(code, params if isinstance(params, dict) else {})
    return message
