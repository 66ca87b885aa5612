"""Tenant isolation through every page: another client's ids answer 404 and never leak.

The URL patterns are read from the resolver, so a new route with an id in it fails
``test_every_route_with_an_id_is_covered`` until it is added here.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from clients.models import Asset, Client, Contact, Site
from contracts.models import Contract
from monitoring.models import Check, MaintenanceWindow
from msp_portal.reports.models import ExportJob
from tests import factories
from tests.conftest import MARKER
from tickets.models import Attachment, CannedResponse, SavedView, Ticket

pytestmark = pytest.mark.django_db

# name -> (method, how to build its kwargs from Acme's world)
ROUTES_WITH_IDS = {
    "tickets:detail": ("get", lambda w: {"number": w[Ticket].number}),
    "tickets:reply": ("post", lambda w: {"number": w[Ticket].number}),
    "tickets:status": ("post", lambda w: {"number": w[Ticket].number}),
    "tickets:assign": ("post", lambda w: {"number": w[Ticket].number}),
    "tickets:log_time": ("post", lambda w: {"number": w[Ticket].number}),
    "tickets:attachment": ("get", lambda w: {"pk": w[Attachment].pk}),
    # A technician's own view: another person (let alone another client's) gets a 404.
    "tickets:view_delete": ("post", lambda w: {"pk": w[SavedView].pk}),
    "tickets:priority": ("post", lambda w: {"number": w[Ticket].number}),
    "tickets:fields": ("post", lambda w: {"number": w[Ticket].number}),
    "tickets:asset": ("post", lambda w: {"number": w[Ticket].number}),
    # A shared response, so that only the ticket decides: filled against it, it would leak.
    "tickets:canned_insert": (
        "get",
        lambda w: {"number": w[Ticket].number, "pk": w[CannedResponse, "shared"].pk},
    ),
    # An Acme technician's own response: nobody else sees or changes it.
    "tickets:canned_edit": ("post", lambda w: {"pk": w[CannedResponse].pk}),
    "tickets:canned_delete": ("post", lambda w: {"pk": w[CannedResponse].pk}),
    "clients:detail": ("get", lambda w: {"slug": w[Client].slug}),
    "clients:asset_detail": ("get", lambda w: {"pk": w[Asset].pk}),
    "clients:edit": ("post", lambda w: {"slug": w[Client].slug}),
    "clients:site_create": ("post", lambda w: {"slug": w[Client].slug}),
    "clients:contact_create": ("post", lambda w: {"slug": w[Client].slug}),
    "clients:asset_create": ("post", lambda w: {"slug": w[Client].slug}),
    "clients:site_edit": ("post", lambda w: {"pk": w[Site].pk}),
    "clients:contact_edit": ("post", lambda w: {"pk": w[Contact].pk}),
    "clients:asset_edit": ("post", lambda w: {"pk": w[Asset].pk}),
    "contracts:detail": ("get", lambda w: {"pk": w[Contract].pk}),
    "contracts:create": ("post", lambda w: {"slug": w[Client].slug}),
    "contracts:edit": ("post", lambda w: {"pk": w[Contract].pk}),
    # MSP-wide rules: staff may read them, but they must not show another client's contracts.
    "contracts:policy_detail": ("get", lambda w: {"pk": w[Contract].sla_policy_id}),
    "contracts:calendar_detail": ("get", lambda w: {"pk": w[Contract].calendar_id}),
    "monitoring:check_detail": ("get", lambda w: {"pk": w[Check].pk}),
    "monitoring:check_edit": ("post", lambda w: {"pk": w[Check].pk}),
    "monitoring:check_pause": ("post", lambda w: {"pk": w[Check].pk}),
    "monitoring:check_resume": ("post", lambda w: {"pk": w[Check].pk}),
    "monitoring:check_delete": ("post", lambda w: {"pk": w[Check].pk}),
    "monitoring:maintenance_list": ("get", lambda w: {"slug": w[Client].slug}),
    "monitoring:maintenance_create": ("post", lambda w: {"slug": w[Client].slug}),
    "monitoring:maintenance_edit": ("post", lambda w: {"pk": w[MaintenanceWindow].pk}),
    "monitoring:maintenance_delete": ("post", lambda w: {"pk": w[MaintenanceWindow].pk}),
    "portal:ticket_detail": ("get", lambda w: {"number": w[Ticket].number}),
    "portal:reply": ("post", lambda w: {"number": w[Ticket].number}),
    "portal:attachment": ("get", lambda w: {"pk": w[Attachment].pk}),
    "portal:ticket_confirm": ("post", lambda w: {"number": w[Ticket].number}),
    "portal:ticket_reopen": ("post", lambda w: {"number": w[Ticket].number}),
    "portal:asset_detail": ("get", lambda w: {"pk": w[Asset].pk}),
    # Acme's portal user who opened the ticket: another company's administrator gets a 404.
    "portal:user_resend": ("post", lambda w: {"pk": w[Ticket].created_by_id}),
    "portal:user_deactivate": ("post", lambda w: {"pk": w[Ticket].created_by_id}),
    "portal:user_reactivate": ("post", lambda w: {"pk": w[Ticket].created_by_id}),
    "portal:user_role": ("post", lambda w: {"pk": w[Ticket].created_by_id}),
    # Figures across the clients one may see: staff get theirs only, client users 404.
    "dashboard:csv": ("get", lambda w: {"chart": "hours"}),
    "reports:client_report": ("get", lambda w: {"slug": w[Client].slug}),
    "reports:client_report_pdf": ("get", lambda w: {"slug": w[Client].slug}),
    "reports:client_report_csv": ("get", lambda w: {"slug": w[Client].slug}),
    "reports:client_export": ("post", lambda w: {"slug": w[Client].slug}),
    "reports:client_export_download": (
        "get",
        lambda w: {"slug": w[Client].slug, "pk": w[ExportJob].pk},
    ),
    "reports:portal_export_download": ("get", lambda w: {"pk": w[ExportJob].pk}),
}
SHARED_STAFF_ROUTES = {"contracts:policy_detail", "contracts:calendar_detail", "dashboard:csv"}
STAFF_LISTS = [
    "home",
    "contracts:sla_overview",
    "tickets:list",
    "tickets:client_options",
    "tickets:canned_list",
    "clients:list",
    "clients:create",
    "clients:asset_list",
    "contracts:list",
    "monitoring:check_list",
    "monitoring:check_create",
    "dashboard:manager",
]
#: Staff pages without rows of their own to show (a form, figures across clients).
STAFF_PAGES_WITHOUT_ROWS = {
    "home",
    "tickets:canned_list",
    "contracts:sla_overview",
    "monitoring:check_create",
    "clients:create",
    "dashboard:manager",
}
#: Pages for staff who see every client: a technician limited to some clients gets 403.
ALL_CLIENTS_STAFF_PAGES = {"clients:create"}
#: Staff actions posted without an id in the URL: the ids travel in the form.
STAFF_ACTIONS = {
    "tickets:bulk": lambda w: {
        "tickets": [w[Ticket].number],
        "action": "status",
        "status": "closed",
    },
    "tickets:view_create": lambda w: {"name": "x", "query": f"client={w[Client].slug}"},
}
PORTAL_LISTS = [
    "portal:home", "portal:ticket_list", "portal:asset_list", "reports:portal_report",
    "reports:portal_export", "portal:ticket_new", "portal:priority_explain",
    "portal:contract_list", "portal:user_list", "portal:user_invite",
]  # fmt: skip
#: Portal downloads (a PDF, a CSV): checked on their bytes rather than as pages.
PORTAL_DOWNLOADS = ["reports:portal_report_pdf", "reports:portal_report_csv"]
OUR_NAMESPACES = {
    "tickets", "clients", "contracts", "monitoring", "portal", "dashboard", "reports",
}  # fmt: skip


def named_routes():
    """(name, has_arguments) for every route of our namespaces, read from the resolver."""

    def walk(patterns, namespace):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, p.namespace or namespace)
            elif isinstance(p, URLPattern) and p.name and namespace in OUR_NAMESPACES:
                yield f"{namespace}:{p.name}", bool(p.pattern.regex.groupindex)

    return list(walk(get_resolver().url_patterns, None))


def body(response) -> str:
    """The text of a page or of a streamed download (a CSV)."""
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def request(client, method, url):
    data = {"body": "x", "status": "closed", "assignee": "", "minutes": "5", "kind": "reply"}
    return client.post(url, data) if method == "post" else client.get(url)


@pytest.fixture
def acme_world(acme_world, tech):
    """Acme's rows, plus a queue view saved by a technician who works for Acme."""
    view = SavedView.objects.create(owner=tech, name=f"{MARKER} view", query="q=x")
    canned = CannedResponse.objects.create(owner=tech, title=f"{MARKER} canned", body=MARKER)
    shared = CannedResponse.objects.create(title="Greeting", body="Hello {contact_name}")
    return {
        **acme_world,
        SavedView: view,
        CannedResponse: canned,
        (CannedResponse, "shared"): shared,
    }


@pytest.fixture
def globex_tech(globex):
    """A technician who works for Globex only."""
    user = factories.UserFactory(role="technician", sees_all_clients=False)
    user.allowed_clients.set([globex])
    return user


def test_every_route_with_an_id_is_covered():
    with_ids = {name for name, has_args in named_routes() if has_args}

    assert with_ids - set(ROUTES_WITH_IDS) == set()


def test_every_list_route_is_covered():
    lists = {name for name, has_args in named_routes() if not has_args}

    covered = set(STAFF_LISTS) | set(PORTAL_LISTS) | set(STAFF_ACTIONS) | set(PORTAL_DOWNLOADS)
    assert lists - covered == set()


@pytest.mark.parametrize("name", sorted(STAFF_ACTIONS))
@pytest.mark.parametrize("who", ["globex_tech", "acme_admin"])
def test_staff_actions_never_touch_another_clients_rows(
    client, request_fixture, acme_world, name, who
):
    user = request_fixture(who)
    client.force_login(user)
    ticket = acme_world[Ticket]
    events_before = ticket.events.count()

    response = client.post(reverse(name), STAFF_ACTIONS[name](acme_world), follow=True)

    assert response.status_code == (404 if user.is_client_side else 200)
    assert MARKER not in response.content.decode()
    assert ticket.events.count() == events_before
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN


@pytest.mark.parametrize("name", sorted(ROUTES_WITH_IDS))
@pytest.mark.parametrize("who", ["globex_user", "globex_tech"])
def test_another_clients_ids_answer_404(client, request_fixture, acme_world, name, who):
    method, kwargs = ROUTES_WITH_IDS[name]
    user = request_fixture(who)
    client.force_login(user)
    url = reverse(name, kwargs=kwargs(acme_world))
    ticket = acme_world[Ticket]
    events_before = ticket.events.count()

    response = request(client, method, url)

    # A Globex technician is redirected away from portal pages before any lookup.
    if name.startswith(("portal:", "reports:portal_")) and user.is_msp_staff:
        assert response.status_code == 302
    elif name in SHARED_STAFF_ROUTES and user.is_msp_staff:
        assert response.status_code == 200
    else:
        assert response.status_code == 404, url
    assert MARKER not in body(response)
    assert ticket.events.count() == events_before  # nothing written through a forbidden URL
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN


@pytest.mark.parametrize("name", STAFF_LISTS)
def test_staff_lists_do_not_show_other_clients_rows(client, acme_world, globex_tech, name):
    client.force_login(globex_tech)

    response = client.get(reverse(name), {"status": "all"})

    assert response.status_code == (403 if name in ALL_CLIENTS_STAFF_PAGES else 200)
    assert MARKER not in response.content.decode()
    assert "Acme" not in response.content.decode()


@pytest.mark.parametrize("name", STAFF_LISTS)
def test_staff_lists_show_the_rows_to_staff_who_may_see_them(client, acme_world, tech, name):
    client.force_login(tech)

    response = client.get(reverse(name), {"status": "all"})

    assert response.status_code == 200
    if name in ("clients:list", "tickets:client_options"):
        assert "Acme Industries" in response.content.decode()
    elif name not in STAFF_PAGES_WITHOUT_ROWS:
        assert MARKER in response.content.decode()


@pytest.mark.parametrize("name", PORTAL_LISTS)
def test_portal_pages_do_not_show_other_clients_rows(client, acme_world, globex_user, name):
    client.force_login(globex_user)

    response = client.get(reverse(name), {"status": "all"})

    assert response.status_code == 200
    assert MARKER not in response.content.decode()


@pytest.mark.parametrize("name", STAFF_LISTS + [n for n in ROUTES_WITH_IDS if "portal" not in n])
def test_a_client_user_cannot_reach_staff_pages(client, acme_world, acme_admin, name):
    client.force_login(acme_admin)
    if name in ROUTES_WITH_IDS:
        method, kwargs = ROUTES_WITH_IDS[name]
        response = request(client, method, reverse(name, kwargs=kwargs(acme_world)))
    else:
        response = client.get(reverse(name))

    if name == "home":  # the home page sends client users to their portal
        assert response.status_code == 302
        assert response["Location"] == reverse("portal:home")
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("name", PORTAL_DOWNLOADS)
def test_portal_downloads_do_not_show_other_clients_rows(client, acme_world, globex_user, name):
    client.force_login(globex_user)

    response = client.get(reverse(name))

    assert response.status_code == 200
    data = b"".join(response.streaming_content) if response.streaming else response.content
    assert MARKER.encode() not in data


@pytest.mark.parametrize("name", STAFF_LISTS + PORTAL_LISTS + PORTAL_DOWNLOADS)
def test_anonymous_visitors_are_sent_to_the_login_page(client, name):
    response = client.get(reverse(name))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.fixture
def request_fixture(request):
    return request.getfixturevalue
