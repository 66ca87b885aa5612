"""The signed-in user's own API tokens: list, create (the token is shown once), revoke."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.request import Request
from rest_framework.response import Response

from msp_portal.accounts.models import ApiToken
from msp_portal.accounts.tokens import api_token_create, api_token_revoke

from .. import serializers
from .base import TenantViewSet


@extend_schema_view(
    list=extend_schema(summary=_("My API tokens"), description=_("Prefixes only, never tokens.")),
    create=extend_schema(
        summary=_("Create an API token"),
        description=_("The token is in this response only: store it, it cannot be shown again."),
        responses={201: serializers.ApiTokenCreatedSerializer},
    ),
    destroy=extend_schema(
        summary=_("Revoke an API token"),
        responses={204: OpenApiResponse(description=_("Revoked."))},
    ),
)
class ApiTokenViewSet(
    mixins.ListModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, TenantViewSet
):
    model = ApiToken
    serializer_class = serializers.ApiTokenSerializer
    ordering = "-id"
    ordering_fields = ["id", "created_at"]

    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        issued = api_token_create(user=request.user, **serializer.validated_data)
        body = serializers.ApiTokenCreatedSerializer(issued.token, context={"key": issued.key})
        return Response(body.data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: ApiToken) -> None:
        api_token_revoke(token=instance)
