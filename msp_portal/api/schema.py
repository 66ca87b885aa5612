"""The OpenAPI description: drf-spectacular's, plus the error responses every endpoint has."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """The body of every error response."""

    detail = serializers.CharField(help_text=_("What went wrong, for people."))
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text=_(
            "400 only: messages per field; errors not tied to one field are under non_field_errors."
        ),
    )


ERRORS = {
    "400": _("Invalid input: see errors."),
    "401": _("No credentials, or a token that is invalid, expired or revoked."),
    "403": _("Signed in, but not allowed to do this."),
    "404": _("Not found, or not yours to see (the two are not told apart)."),
    "409": _("The resource's state forbids this (for example, the ticket is closed)."),
    "429": _("Too many requests: wait for the time given in Retry-After."),
}


class AutoSchema(BaseAutoSchema):
    """Adds the documented error responses of each operation (see ERRORS)."""

    def _error_codes(self) -> list[str]:
        codes = ["401", "403", "429"]
        writes = self.method in {"POST", "PUT", "PATCH"}
        if writes or (self.method == "GET" and self._is_list_view()):
            codes.append("400")  # a body, or filters and a cursor to validate
        if "{" in self.path or self.method == "GET":
            codes.append("404")  # an id that is not yours, or a cursor that is not valid
        if self.method != "GET" and getattr(self.view, "may_conflict", False):
            codes.append("409")
        return sorted(codes)

    def _get_response_bodies(self, direction: str = "response") -> dict:
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code not in responses:
                response = OpenApiResponse(response=ErrorSerializer, description=ERRORS[code])
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses
