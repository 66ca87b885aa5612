"""The report pages and downloads: who may see them, languages, PDF without network, CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import socket

import pytest
from django.urls import reverse
from django.utils import timezone

from msp_portal.core.models import AuditEntry
from msp_portal.reports.documents import NoNetworkFetcher, report_pdf
from msp_portal.reports.report import current_month, service_report
from tests import factories
from tests.conftest import MARKER

pytestmark = pytest.mark.django_db


def portal_urls():
    return [
        reverse(f"reports:{name}")
        for name in ("portal_report", "portal_report_pdf", "portal_report_csv")
    ]


def staff_urls(slug):
    return [
        reverse(f"reports:{name}", args=[slug])
        for name in ("client_report", "client_report_pdf", "client_report_csv")
    ]


def csv_rows(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("who", ["acme_admin", "acme_user"])
def test_both_client_roles_see_their_company_report(client, request, acme_world, who):
    client.force_login(request.getfixturevalue(who))

    for url in portal_urls():
        response = client.get(url)
        assert response.status_code == 200, url
    page = client.get(portal_urls()[0]).content.decode()
    assert "Acme Industries" in page


def test_the_hours_per_contract_are_for_client_administrators_only(
    client, settings, acme_world, acme_admin, acme_user
):
    settings.LANGUAGE_CODE = "en"
    client.force_login(acme_user)
    assert f"{MARKER} contract" not in client.get(portal_urls()[0]).content.decode()
    client.force_login(acme_admin)
    assert f"{MARKER} contract" in client.get(portal_urls()[0]).content.decode()


def test_another_company_sees_nothing_of_acme(client, acme_world, globex_user, globex):
    factories.CheckFactory(client=globex, name="Globex site")
    client.force_login(globex_user)

    page = client.get(portal_urls()[0]).content.decode()
    rows = csv_rows(client.get(portal_urls()[2]))

    assert "Globex site" in page
    assert MARKER not in page and "Acme" not in page
    assert MARKER not in str(rows)
    for url in staff_urls("acme"):
        assert client.get(url).status_code == 404


def test_staff_who_may_see_the_client_get_its_report(client, acme_world, tech, globex):
    client.force_login(tech)
    for url in staff_urls("acme"):
        assert client.get(url).status_code == 200, url
    restricted = factories.UserFactory(role="technician", sees_all_clients=False)
    restricted.allowed_clients.set([globex])
    client.force_login(restricted)
    for url in staff_urls("acme"):
        assert client.get(url).status_code == 404, url


def test_staff_are_sent_home_from_the_portal_and_clients_get_404_on_staff_pages(
    client, acme_world, tech, acme_admin
):
    client.force_login(tech)
    assert client.get(portal_urls()[0]).status_code == 302
    client.force_login(acme_admin)
    for url in staff_urls("acme"):
        assert client.get(url).status_code == 404


def test_anonymous_visitors_are_sent_to_the_login_page(client, acme):
    for url in portal_urls() + staff_urls("acme"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("value", ["garbage", "2026-13", "1999-01", "9999-12", "2026-1'--"])
def test_a_bad_month_shows_this_month_with_a_message_or_a_400_download(
    client, settings, acme_admin, value
):
    settings.LANGUAGE_CODE = "en"
    client.force_login(acme_admin)

    page = client.get(portal_urls()[0], {"month": value})
    assert page.status_code == 200
    assert "This month cannot be shown" in page.content.decode()
    assert page.context["report"].month == current_month(acme_admin.client)
    for url in portal_urls()[1:]:
        response = client.get(url, {"month": value})
        assert response.status_code == 400
        assert "This month cannot be shown" in response.content.decode()


@pytest.mark.parametrize(
    ("language", "texts"),
    [
        ("en", ["Service report", "Tickets opened", "Availability of your monitored services"]),
        ("fr", ["Rapport de service", "Tickets ouverts", "Disponibilité"]),
    ],
)
def test_the_page_is_in_the_users_language(client, settings, acme_admin, language, texts):
    settings.LANGUAGE_CODE = language
    acme_admin.language = language
    acme_admin.save(update_fields=["language"])
    client.force_login(acme_admin)

    page = client.get(portal_urls()[0]).content.decode()

    month = current_month(acme_admin.client)
    assert str(month.year) in page
    if language == "fr":
        # French labels appear once the catalogues are compiled; the month name always does.
        assert any(name in page.lower() for name in FRENCH_MONTHS)
    else:
        for text in texts:
            assert text in page


FRENCH_MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
    "octobre", "novembre", "décembre",
)  # fmt: skip


def test_the_pdf_is_a_pdf_and_the_download_is_audited(client, acme_world, acme_admin):
    client.force_login(acme_admin)

    response = client.get(portal_urls()[1])

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "attachment" in response["Content-Disposition"]
    entry = AuditEntry.objects.get(action="report.exported")
    assert entry.client_id == acme_admin.client_id
    assert entry.data["format"] == "pdf"


def test_the_pdf_fetcher_refuses_every_url():
    fetcher = NoNetworkFetcher()
    for url in ("http://example.com/x.png", "https://127.0.0.1/a.css", "file:///etc/passwd"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


def test_the_pdf_is_produced_without_any_network(acme, monkeypatch):
    factories.CheckFactory(client=acme, name='<img src="http://127.0.0.1:9/x.png">')

    def refuse(*args, **kwargs):
        raise AssertionError("the PDF tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    report = service_report(acme, current_month(acme))

    assert report_pdf(report, show_contracts=True).startswith(b"%PDF")


def test_the_csv_has_a_block_per_section_and_neutralises_formulas(
    client, settings, acme, acme_admin
):
    settings.LANGUAGE_CODE = "en"
    factories.CheckFactory(client=acme, name='=HYPERLINK("http://evil")')
    client.force_login(acme_admin)

    response = client.get(portal_urls()[2])

    assert response.status_code == 200
    rows = csv_rows(response)
    flat = [cell for row in rows for cell in row]
    for heading in ("Tickets", "Service levels", "Monitored services", "Hours"):
        assert [heading] in rows
    assert '\'=HYPERLINK("http://evil")' in flat
    assert '=HYPERLINK("http://evil")' not in flat
    assert ["Month", f"{current_month(acme):%Y-%m}"] in rows
    assert AuditEntry.objects.filter(action="report.exported", data__format="csv").exists()


def test_the_staff_client_page_links_to_the_report_and_the_export(client, acme, tech):
    client.force_login(tech)

    page = client.get(reverse("clients:detail", args=["acme"])).content.decode()

    assert reverse("reports:client_report", args=["acme"]) in page
    assert reverse("reports:client_export", args=["acme"]) in page


def test_a_past_month_can_be_chosen(client, acme, acme_admin):
    from tickets.models import Ticket

    ticket = factories.open_ticket(acme, subject="Last month")
    last_month = timezone.now() - dt.timedelta(days=40)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=last_month)
    client.force_login(acme_admin)
    month = timezone.localtime(last_month).strftime("%Y-%m")

    response = client.get(portal_urls()[0], {"month": month})

    assert response.status_code == 200
    assert f"{response.context['report'].month:%Y-%m}" == month
    assert response.context["report"].opened == 1
