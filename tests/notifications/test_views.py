"""The preferences page: everyone signed in sets their own, and only the kinds for their role."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from msp_portal.notifications.models import NotificationPreference

pytestmark = pytest.mark.django_db

URL = "/account/notifications/"


def prefs(user) -> dict[str, bool]:
    return dict(NotificationPreference.objects.filter(user=user).values_list("kind", "enabled"))


def test_the_page_has_its_url_name():
    assert reverse("notifications:preferences") == URL


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("who", "kinds"),
    [
        ("acme_user", ["ticket_opened", "ticket_reply", "ticket_resolved"]),
        ("acme_admin", ["ticket_opened", "ticket_reply", "ticket_resolved"]),
        ("tech", ["client_reply"]),
        ("manager", ["client_reply", "sla_breach"]),
        ("admin_user", ["client_reply"]),
    ],
)
def test_each_role_sees_the_kinds_meant_for_it_all_on_by_default(client, request, who, kinds):
    client.force_login(request.getfixturevalue(who))

    response = client.get(URL)

    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.fields) == kinds
    assert all(form[kind].value() is True for kind in kinds)
    html = response.content.decode()
    for kind in kinds:
        assert f'name="{kind}"' in html and "checked" in html


def test_a_client_user_turns_a_kind_off_and_the_page_shows_it(client, acme_user, settings):
    settings.LANGUAGE_CODE = "en"
    client.force_login(acme_user)

    response = client.post(URL, {"ticket_opened": "on", "ticket_resolved": "on"})

    assert response.status_code == 302 and response["Location"] == URL
    assert prefs(acme_user) == {
        "ticket_opened": True,
        "ticket_reply": False,
        "ticket_resolved": True,
    }
    page = client.get(URL)
    assert page.context["form"]["ticket_reply"].value() is False
    assert page.context["form"]["ticket_opened"].value() is True
    assert "Your notification preferences are saved." in page.content.decode()

    client.post(URL, {"ticket_opened": "on", "ticket_reply": "on", "ticket_resolved": "on"})
    assert prefs(acme_user)["ticket_reply"] is True


def test_htmx_gets_the_form_fragment_back_with_what_was_chosen(client, manager, settings):
    settings.LANGUAGE_CODE = "en"
    client.force_login(manager)

    response = client.post(URL, {"client_reply": "on"}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and 'id="notification-preferences"' in html
    assert "Your notification preferences are saved." in html
    assert re.search(r'<input[^>]*name="client_reply"[^>]*checked', html)
    assert not re.search(r'<input[^>]*name="sla_breach"[^>]*checked', html)
    assert "HX-Request" in response["Vary"]
    assert prefs(manager) == {"client_reply": True, "sla_breach": False}


def test_kinds_not_meant_for_the_role_are_ignored(client, tech):
    client.force_login(tech)

    client.post(URL, {"sla_breach": "on", "ticket_reply": "on"})

    assert prefs(tech) == {"client_reply": False}


def test_a_user_changes_only_their_own_preferences(client, acme_user, globex_user):
    client.force_login(acme_user)

    client.post(f"{URL}?user={globex_user.pk}", {"user": globex_user.pk, "user_id": globex_user.pk})

    assert prefs(globex_user) == {}
    assert prefs(acme_user) == {
        "ticket_opened": False,
        "ticket_reply": False,
        "ticket_resolved": False,
    }
