"""One error body everywhere, rate limits, and list endpoints that do not grow in queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.api.conftest import token_client
from tickets import services
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_a_serializer_error_lists_fields(api):
    response = api("tech").post("/api/v1/tickets/", {"subject": ""}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert list(body["errors"]) == ["subject"]
    assert all(isinstance(m, list) for m in body["errors"].values())


def test_a_filter_error_has_the_same_shape(api):
    response = api("tech").get("/api/v1/tickets/", {"status": "nope", "client": "x"})

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"status", "client"}


def test_a_service_refusal_without_a_field_is_a_non_field_error(api, acme, acme_user, tech):
    ticket = factories.open_ticket(acme, by=acme_user)
    services.ticket_assign(ticket=ticket, assignee=tech, by=tech)
    inactive = factories.UserFactory(role="technician", is_active=False)

    response = api("tech").patch(
        f"/api/v1/tickets/{ticket.number}/", {"assignee": inactive.pk}, format="json"
    )

    assert response.status_code == 400
    assert "assignee" in response.json()["errors"]


def test_malformed_json_is_a_400_with_the_same_shape(api):
    response = api("tech").generic(
        "POST", "/api/v1/tickets/", "{not json", content_type="application/json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"detail", "errors"}


@pytest.mark.parametrize("method", ["get", "patch"])
@pytest.mark.parametrize(
    "path", ["/api/v1/tickets/999999/", "/api/v1/assets/0.5/", "/api/v1/nothing-here/"]
)
def test_not_found_is_json(api, path, method):
    response = getattr(api("tech"), method)(path, {})

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert set(response.json()) == {"detail"}


def test_an_invalid_cursor_is_a_404(api):
    response = api("tech").get("/api/v1/tickets/", {"cursor": "not-a-cursor!"})

    assert response.status_code == 404


def test_too_many_requests_is_a_429_per_token(settings, tech):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api": "2/minute", "anon": "2/minute"},
    }
    first, second = token_client(tech), token_client(tech)

    codes = [first.get("/api/v1/clients/").status_code for _ in range(3)]
    other = second.get("/api/v1/clients/")

    assert codes == [200, 200, 429]
    assert other.status_code == 200  # counted per token
    throttled = first.get("/api/v1/clients/")
    assert "Retry-After" in throttled
    assert set(throttled.json()) == {"detail"}


def _add_rows(acme, acme_user, tech, n: int) -> None:
    for _ in range(n):
        ticket = factories.open_ticket(acme, by=acme_user)
        services.ticket_reply(ticket=ticket, author=tech, body="hello")
        site = factories.SiteFactory(client=acme)
        contact = factories.ContactFactory(client=acme, site=site)
        asset = factories.AssetFactory(client=acme, site=site, owner=contact)
        check = factories.CheckFactory(client=acme, asset=asset)
        factories.CheckResultFactory(monitor=check)
        factories.ContractFactory(client=acme)
        factories.MaintenanceWindowFactory(client=acme).checks.set([check])


LISTS = [
    "clients", "sites", "contacts", "assets", "contracts", "sla-policies", "calendars",
    "tickets", "checks", "check-results", "maintenance-windows", "tokens",
]  # fmt: skip


@pytest.mark.parametrize("who", ["tech", "acme_admin"])
@pytest.mark.parametrize("resource", LISTS)
def test_list_queries_do_not_grow_with_rows(api, acme, acme_user, acme_admin, tech, resource, who):
    client = api(who)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(f"/api/v1/{resource}/", {"page_size": 50})
        assert response.status_code == 200
        return len(ctx)

    _add_rows(acme, acme_user, tech, 3)
    count()  # the token's first use is recorded once; measure the requests after it
    few = count()
    _add_rows(acme, acme_user, tech, 17)

    assert count() == few
    assert few <= 8


def test_ticket_timeline_queries_do_not_grow(api, acme, acme_user, tech):
    ticket = factories.open_ticket(acme, by=acme_user)
    client = api("tech")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/api/v1/tickets/{ticket.number}/events/").status_code == 200
        return len(ctx)

    for _ in range(3):
        services.ticket_reply(ticket=ticket, author=tech, body="x")
    count()
    few = count()
    for _ in range(17):
        services.ticket_reply(ticket=ticket, author=acme_user, body="y")

    assert count() == few
    assert Ticket.objects.count() == 1
