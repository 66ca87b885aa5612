"""The manager dashboard page and its CSV downloads: period, client, scope, queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.urls import reverse

from msp_portal.core.models import AuditEntry
from msp_portal.dashboard.exports import EXPORTS
from msp_portal.dashboard.rollups import rollups_rebuild
from tests import factories
from tests.dashboard.conftest import SUBJECT, msp_today
from tickets import services
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

URL = "/dashboard/"


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def globex_tech(globex):
    user = factories.UserFactory(role="technician", sees_all_clients=False)
    user.allowed_clients.set([globex])
    return user


def csv_text(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8-sig")


def test_the_url_is_named():
    assert reverse("dashboard:manager") == URL
    assert reverse("dashboard:csv", args=["backlog"]) == "/dashboard/csv/backlog/"


def test_a_manager_sees_the_figures_of_the_last_30_days_by_default(client, manager, history):
    client.force_login(manager)

    response = client.get(URL)

    assert response.status_code == 200
    figures = response.context["figures"]
    assert figures.period.end == history["today"]
    assert (figures.period.end - figures.period.start).days == 29
    assert figures.total.opened == Ticket.objects.count()
    body = response.content.decode()
    assert "<svg" in body and "Acme Industries" in body and "Initech" in body
    assert "Figures computed at" in body


def test_a_period_and_a_client_narrow_the_figures(client, manager, history, acme):
    client.force_login(manager)
    start = history["today"] - dt.timedelta(days=6)

    response = client.get(URL, {"start": start, "end": history["today"], "client": acme.slug})

    figures = response.context["figures"]
    assert (figures.period.start, figures.scope.client) == (start, acme)
    assert figures.durations.exact
    opened = Ticket.objects.filter(client=acme, created_at__date__gte=start - dt.timedelta(days=1))
    assert figures.total.opened <= opened.count()
    assert {row.key for row in figures.by_client} <= {acme.pk}
    assert "Globex" not in response.content.decode().split('id="figures"')[1].split("<datalist")[0]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2026-02-30"}, "start"),
        ({"start": "2026-03-10", "end": "2026-03-01"}, "end"),
        ({"start": "2024-01-01", "end": "2026-01-01"}, "start"),
        ({"client": "no-such-client"}, "client"),
    ],
)
def test_invalid_filters_show_errors_and_the_default_figures(client, manager, params, field):
    client.force_login(manager)

    response = client.get(URL, params)

    assert response.status_code == 200
    assert field in response.context["form"].errors
    figures = response.context["figures"]
    assert figures.scope.client is None
    assert figures.period.end == msp_today()


def test_a_client_user_gets_404_on_the_page_and_the_csv(client, acme_admin, history):
    client.force_login(acme_admin)

    assert client.get(URL).status_code == 404
    assert client.get(reverse("dashboard:csv", args=["sla-clients"])).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_restricted_technician_never_sees_another_clients_figures_or_names(
    client, globex_tech, history, acme, globex
):
    client.force_login(globex_tech)

    page = client.get(URL)
    forced = client.get(URL, {"client": acme.slug})

    for response in (page, forced):
        body = response.content.decode()
        assert response.status_code == 200
        assert "Acme" not in body and "Initech" not in body
        figures = response.context["figures"]
        assert figures.total.opened == Ticket.objects.filter(client=globex).count()
    assert "client" in forced.context["form"].errors
    for chart in EXPORTS:
        text = csv_text(client.get(reverse("dashboard:csv", args=[chart]), {"client": acme.slug}))
        assert "Acme" not in text and "Initech" not in text, chart


def test_every_chart_downloads_as_csv_and_the_export_is_audited(client, manager, history):
    client.force_login(manager)

    for chart in EXPORTS:
        response = client.get(reverse("dashboard:csv", args=[chart]))
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        lines = csv_text(response).splitlines()
        assert len(lines) >= 2, chart

    entries = AuditEntry.objects.filter(action="dashboard.exported", actor=manager)
    assert entries.count() == len(EXPORTS)
    assert {e.data["chart"] for e in entries} == set(EXPORTS)
    assert client.get(reverse("dashboard:csv", args=["nope"])).status_code == 404


def test_csv_cells_that_look_like_formulas_are_neutralised(client, manager, history, acme):
    ticket = factories.open_ticket(acme, subject=SUBJECT)
    Ticket.objects.filter(pk=ticket.pk).update(
        sla_rank=0, sla_due_at=ticket.created_at - dt.timedelta(days=365)
    )  # listed first
    acme.name = "+cmd|' /C calc'!A0"
    acme.save(update_fields=["name"])
    client.force_login(manager)

    now = csv_text(client.get(reverse("dashboard:csv", args=["sla-now"])))
    clients = csv_text(client.get(reverse("dashboard:csv", args=["sla-clients"])))

    assert "'=HYPERLINK(" in now and "\n=HYPERLINK" not in now and ",=HYPERLINK" not in now
    assert "'+cmd|" in clients and ",+cmd|" not in clients


def test_backlog_csv_has_one_line_per_day_with_the_counts(client, manager, history):
    client.force_login(manager)
    start = history["today"] - dt.timedelta(days=6)

    text = csv_text(
        client.get(
            reverse("dashboard:csv", args=["backlog"]), {"start": start, "end": history["today"]}
        )
    )

    lines = text.splitlines()
    assert lines[0] == "day,opened,closed"
    assert len(lines) == 8 and lines[1].startswith(start.isoformat())


def test_htmx_gets_the_figures_partial(client, manager, history):
    client.force_login(manager)

    response = client.get(URL, headers={"HX-Request": "true"})

    body = response.content.decode()
    assert '<div id="figures">' in body and "<html" not in body
    assert "HX-Request" in response["Vary"]


def test_dates_and_numbers_follow_the_french_locale(client, manager, history, settings):
    settings.LANGUAGE_CODE = "fr"
    manager.language = "fr"
    manager.save(update_fields=["language"])
    client.force_login(manager)

    body = client.get(URL).content.decode()

    assert history["today"].strftime("%d/%m/%Y") in body
    assert "Tableau de bord" in body or "Dashboard" in body


def grow(clients, tech):
    for client_ in clients:
        for i in range(3):
            ticket = factories.open_ticket(client_, subject=f"More {i}", assignee=tech)
            services.ticket_reply(ticket=ticket, author=tech, body="ok")
            services.ticket_log_time(ticket=ticket, technician=tech, minutes=10)


@pytest.mark.parametrize("who", ["manager", "globex_tech"])
def test_the_page_makes_a_constant_number_of_queries(
    client, request, who, history, globex, django_assert_max_num_queries
):
    user = request.getfixturevalue(who)
    client.force_login(user)
    client.get(URL)  # warm the session
    cache.clear()  # measure the cold path: the per-client breakdowns computed, not cached
    with django_assert_max_num_queries(20) as before:
        client.get(URL, {"client": globex.slug})
    more = [factories.ClientFactory() for _ in range(4)] + [globex]
    grow(more, factories.UserFactory(role="technician"))
    rollups_rebuild(start=history["today"] - dt.timedelta(days=1), end=history["today"])

    cache.clear()
    with django_assert_max_num_queries(len(before.captured_queries)):
        client.get(URL, {"client": globex.slug})
    cache.clear()
    with django_assert_max_num_queries(20):
        client.get(URL)


def test_a_change_of_rights_is_never_served_from_the_cached_breakdown(
    client, globex_tech, history, acme
):
    client.force_login(globex_tech)
    assert "Acme" not in client.get(URL).content.decode()

    globex_tech.allowed_clients.add(acme)
    shown = client.get(URL).content.decode()
    globex_tech.allowed_clients.remove(acme)
    hidden = client.get(URL).content.decode()

    assert "Acme Industries" in shown
    assert "Acme" not in hidden
