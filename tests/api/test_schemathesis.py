"""Schemathesis fuzzes every operation of the OpenAPI schema against the WSGI app.

Authenticated as an MSP administrator's token on a small seeded world (Acme's rows and a
Globex ticket), each operation gets a bounded number of generated requests, valid and invalid;
no answer may be a 5xx, and every answer must match the schema (status, content type, body).
Path ids are pointed at seeded rows so that detail and write operations reach real objects.
"""

from __future__ import annotations

import json
import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import translation
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from clients.models import Asset, Client, Contact, Site
from contracts.models import Contract
from monitoring.models import Check, CheckResult, CheckStateChange, MaintenanceWindow
from msp_portal.accounts.tokens import api_token_create
from msp_portal.wsgi import application
from tests import factories
from tickets.models import Category, Queue, Ticket


def _generated_schema() -> dict:
    """The schema as /api/schema/ serves it, in English, as plain JSON data."""
    with translation.override("en"):
        schema = SchemaGenerator().get_schema(request=None, public=True)
        return json.loads(OpenApiJsonRenderer().render(schema, renderer_context={}))


schema = schemathesis.openapi.from_dict(_generated_schema())
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def seeded(acme_world, globex, admin_user):
    """Ids of one row per resource, and the headers of an administrator's token."""
    factories.open_ticket(globex, subject="Globex ticket")
    Queue.objects.create(name="Service desk", slug="desk")
    Category.objects.create(name="Hardware", slug="hardware")
    spare = api_token_create(user=admin_user, name="spare, revoked by the fuzzer").token
    key = api_token_create(user=admin_user, name="schemathesis").key
    contract = acme_world[Contract]
    ids = {
        "clients": acme_world[Client].pk,
        "sites": acme_world[Site].pk,
        "contacts": acme_world[Contact].pk,
        "assets": acme_world[Asset].pk,
        "contracts": contract.pk,
        "sla-policies": contract.sla_policy_id,
        "calendars": contract.calendar_id,
        "checks": acme_world[Check].pk,
        "check-results": acme_world[CheckResult].pk,
        "check-state-changes": acme_world[CheckStateChange].pk,
        "maintenance-windows": acme_world[MaintenanceWindow].pk,
        "tokens": spare.pk,  # never the token the fuzzer authenticates with
    }
    return {
        "ids": ids,
        "number": acme_world[Ticket].number,
        "headers": {"Authorization": f"Bearer {key}", "Accept-Language": "en"},
    }


@pytest.fixture
def wsgi_requests():
    """Requests through the raw WSGI app must not close the test's connection at their end
    (Django's test client disconnects the same signals for the same reason)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _replace(value: object) -> bool:
    return isinstance(value, int) and value % 2 == 0


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, seeded, wsgi_requests):
    # Even generated ids are pointed at seeded rows; odd ones and invalid values stay as
    # generated, so that missing rows and malformed ids are fuzzed too.
    params = case.path_parameters or {}
    if _replace(params.get("number")):
        params["number"] = seeded["number"]
    if _replace(params.get("id")):
        resource = case.path.removeprefix("/api/v1/").split("/")[0]
        params["id"] = seeded["ids"][resource]

    case.call_and_validate(app=application, headers=seeded["headers"], checks=CHECKS)
