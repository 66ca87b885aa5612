"""Bearer-token authentication for the API, and its description in the OpenAPI schema."""

from __future__ import annotations

import zoneinfo

from django.utils import timezone, translation
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from msp_portal.accounts.middleware import user_time_zone
from msp_portal.accounts.models import ApiToken, User
from msp_portal.accounts.tokens import TokenRejected, api_token_check


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer msp_<prefix>_<secret>``; a rejected token is a 401 with a reason."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0].lower() != self.keyword.lower():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                translation.gettext("Give the token after 'Bearer', without spaces.")
            )
        try:
            token = api_token_check(header[1])
        except TokenRejected as rejected:
            raise exceptions.AuthenticationFailed(rejected.reason) from None
        # The middleware ran before DRF knew the user: apply their preferences as it would.
        user = token.user
        if user.language:
            translation.activate(user.language)
        try:
            timezone.activate(zoneinfo.ZoneInfo(user_time_zone(user)))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        return user, token

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Describes BearerTokenAuthentication as an HTTP bearer scheme."""

    target_class = BearerTokenAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema) -> dict:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "msp_<prefix>_<secret>",
            "description": "A personal API token (manage.py create_api_token, /api/v1/tokens/).",
        }
