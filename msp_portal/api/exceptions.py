"""One error body for the whole API.

Every error answers ``{"detail": "..."}``; a 400 adds ``"errors": {field: [messages]}`` (errors
not tied to a field go under ``non_field_errors``). Django's ValidationError, raised by services
and model validation, becomes a 400 the same way DRF's own does.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY


class Conflict(exceptions.APIException):
    """409: the request is valid but the resource's state forbids it (a closed ticket)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = _("This conflicts with the current state of the resource.")
    default_code = "conflict"


def _from_django(error: DjangoValidationError) -> exceptions.ValidationError:
    if hasattr(error, "error_dict"):
        errors = {
            (NON_FIELD if field == "__all__" else field): messages
            for field, messages in error.message_dict.items()
        }
    else:
        errors = {NON_FIELD: error.messages}
    return exceptions.ValidationError(errors)


def _flatten(data: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's error detail (dicts, lists, nested) as a flat {field: [messages]} mapping."""
    key = prefix or NON_FIELD
    if isinstance(data, dict):
        flat: dict[str, list[str]] = {}
        for field, value in data.items():
            name = str(field) if not prefix or field == NON_FIELD else f"{prefix}.{field}"
            for sub, messages in _flatten(value, name).items():
                flat.setdefault(sub, []).extend(messages)
        return flat
    if isinstance(data, list):
        if all(not isinstance(item, dict | list) for item in data):
            return {key: [str(item) for item in data]}
        flat = {}
        for index, item in enumerate(data):
            for sub, messages in _flatten(item, f"{key}.{index}").items():
                flat.setdefault(sub, []).extend(messages)
        return flat
    return {key: [str(data)]}


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's handler, plus Django's ValidationError, reshaped into the API's error body."""
    if isinstance(exc, DjangoValidationError):
        exc = _from_django(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if response.status_code == status.HTTP_400_BAD_REQUEST:
        if isinstance(exc, exceptions.ValidationError):
            errors = _flatten(response.data)
            detail = _("Invalid input.")
        else:
            detail = response.data.get("detail", _("Bad request."))
            errors = {NON_FIELD: [str(detail)]}
        response.data = {"detail": str(detail), "errors": errors}
    else:
        data = response.data
        detail = data.get("detail") if isinstance(data, dict) else None
        response.data = {"detail": str(detail or exc)}
    return response
