"""Portal users: a client administrator invites and manages the company's people, no one else."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client as BrowserClient
from django.urls import reverse

from clients.models import Contact
from msp_portal.accounts.models import User
from msp_portal.core.models import AuditEntry
from tests import factories

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+/accounts/invitation/\S+/")


def invite(client, admin, capture, **data):
    client.force_login(admin)
    fields = {"full_name": "Nina New", "email": "Nina@Acme.test", "role": "client_user"}
    fields["language"] = "en"
    fields.update(data)
    with capture(execute=True):
        return client.post(reverse("portal:user_invite"), fields)


def invitation_link() -> str:
    return LINK.search(mail.outbox[-1].body).group(0)


def test_an_admin_invites_a_colleague_who_sets_a_password_once(
    client, acme_admin, django_capture_on_commit_callbacks
):
    response = invite(client, acme_admin, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    nina = User.objects.get(email="nina@acme.test")
    assert nina.client == acme_admin.client and nina.role == "client_user"
    assert not nina.has_usable_password()
    assert Contact.objects.get(user=nina).client == acme_admin.client
    assert AuditEntry.objects.filter(action="portal_user.invited", object_id=str(nina.pk)).exists()
    assert mail.outbox[-1].to == ["nina@acme.test"]
    link = invitation_link()

    visitor = BrowserClient()
    form_page = visitor.get(link, follow=True)
    assert "Choose the password" in form_page.content.decode()
    password = "a-Long-enough-passw0rd"
    done = visitor.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": password, "new_password2": password},
    )
    assert done.status_code == 302 and done["Location"] == reverse("login")
    nina.refresh_from_db()
    assert nina.check_password(password)

    again = BrowserClient().get(link, follow=True)
    assert "no longer works" in again.content.decode()


def test_an_invitation_link_expires(
    client, settings, acme_admin, django_capture_on_commit_callbacks, monkeypatch
):
    invite(client, acme_admin, django_capture_on_commit_callbacks)
    link = invitation_link()
    settings.PASSWORD_RESET_TIMEOUT = 300
    from msp_portal.portal.users import invitation_token

    real_now = invitation_token._now
    monkeypatch.setattr(
        invitation_token, "_now", lambda: real_now().replace(year=real_now().year + 1)
    )

    page = BrowserClient().get(link, follow=True)

    assert "no longer works" in page.content.decode()


def test_an_invitation_does_not_revive_a_deactivated_colleague(
    client, acme_admin, django_capture_on_commit_callbacks
):
    invite(client, acme_admin, django_capture_on_commit_callbacks)
    link = invitation_link()
    nina = User.objects.get(email="nina@acme.test")
    client.post(reverse("portal:user_deactivate", kwargs={"pk": nina.pk}))

    page = BrowserClient().get(link, follow=True)

    assert "no longer works" in page.content.decode()


def test_resending_an_invitation_voids_the_previous_link(
    client, acme_admin, django_capture_on_commit_callbacks
):
    invite(client, acme_admin, django_capture_on_commit_callbacks)
    first = invitation_link()
    nina = User.objects.get(email="nina@acme.test")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portal:user_resend", kwargs={"pk": nina.pk}))

    assert response.status_code == 302
    second = invitation_link()
    assert second != first
    assert "no longer works" in BrowserClient().get(first, follow=True).content.decode()
    assert "Choose the password" in BrowserClient().get(second, follow=True).content.decode()


def test_an_invitation_is_written_in_the_invitees_language(
    client, acme_admin, django_capture_on_commit_callbacks
):
    invite(client, acme_admin, django_capture_on_commit_callbacks, language="fr")

    assert mail.outbox[-1].to == ["nina@acme.test"]
    assert User.objects.get(email="nina@acme.test").language == "fr"


def test_an_existing_address_cannot_be_invited_and_the_form_keeps_its_text(
    client, acme_admin, globex_user, django_capture_on_commit_callbacks
):
    response = invite(
        client, acme_admin, django_capture_on_commit_callbacks, email=globex_user.email
    )

    assert response.status_code == 200
    assert "already has an account" in response.content.decode()
    assert "Nina New" in response.content.decode()
    assert not mail.outbox


def test_the_user_list_shows_only_the_companys_portal_users(
    client, acme_admin, acme_user, globex_user, tech
):
    client.force_login(acme_admin)

    body = client.get(reverse("portal:user_list")).content.decode()

    assert acme_user.email in body
    assert globex_user.email not in body and tech.email not in body


@pytest.mark.parametrize("name", ["portal:user_list", "portal:user_invite", "portal:contract_list"])
def test_a_client_user_gets_404_on_admin_pages(client, acme_user, name):
    client.force_login(acme_user)

    assert client.get(reverse(name)).status_code == 404


@pytest.mark.parametrize(
    "name",
    ["portal:user_deactivate", "portal:user_reactivate", "portal:user_resend", "portal:user_role"],
)
def test_client_users_and_other_companies_cannot_touch_a_user(
    client, acme_admin, acme_user, globex_user, tech, name
):
    url = reverse(name, kwargs={"pk": acme_admin.pk})
    client.force_login(acme_user)
    assert client.post(url, {"role": "client_user"}).status_code == 404
    client.force_login(globex_user)
    assert client.post(url, {"role": "client_user"}).status_code == 404
    client.force_login(acme_admin)  # staff are never reachable, even by id
    tech_url = reverse(name, kwargs={"pk": tech.pk})
    assert client.post(tech_url, {"role": "client_user"}).status_code == 404

    acme_admin.refresh_from_db()
    tech.refresh_from_db()
    assert acme_admin.is_active and acme_admin.role == "client_admin"
    assert tech.is_active and tech.role == "technician"


def test_deactivating_a_user_ends_their_sessions_and_they_cannot_sign_in(
    client, acme_admin, acme_user
):
    theirs = BrowserClient()
    theirs.force_login(acme_user)
    assert theirs.get(reverse("portal:home")).status_code == 200
    client.force_login(acme_admin)

    response = client.post(reverse("portal:user_deactivate", kwargs={"pk": acme_user.pk}))

    assert response.status_code == 302
    acme_user.refresh_from_db()
    assert not acme_user.is_active
    sessions = [s.get_decoded().get(SESSION_KEY) for s in Session.objects.all()]
    assert str(acme_user.pk) not in sessions
    assert theirs.get(reverse("portal:home")).status_code == 302  # to the login page
    login = BrowserClient().post(
        reverse("login"), {"username": acme_user.email, "password": factories.PASSWORD}
    )
    assert login.status_code == 200 and SESSION_KEY not in login.client.session
    assert AuditEntry.objects.filter(action="portal_user.deactivated").exists()

    client.post(reverse("portal:user_reactivate", kwargs={"pk": acme_user.pk}))
    acme_user.refresh_from_db()
    assert acme_user.is_active


def test_an_admin_cannot_deactivate_or_demote_themselves(client, acme_admin):
    client.force_login(acme_admin)

    client.post(reverse("portal:user_deactivate", kwargs={"pk": acme_admin.pk}))
    response = client.post(
        reverse("portal:user_role", kwargs={"pk": acme_admin.pk}),
        {"role": "client_user"},
        follow=True,
    )

    assert "cannot change your own access" in response.content.decode()
    acme_admin.refresh_from_db()
    assert acme_admin.is_active and acme_admin.role == "client_admin"


def test_an_admin_changes_a_colleagues_role(client, acme_admin, acme_user):
    client.force_login(acme_admin)

    client.post(reverse("portal:user_role", kwargs={"pk": acme_user.pk}), {"role": "client_admin"})

    acme_user.refresh_from_db()
    assert acme_user.role == "client_admin"
    entry = AuditEntry.objects.get(action="portal_user.role_changed")
    assert entry.data == {"from": "client_user", "to": "client_admin"}


def test_a_role_outside_the_portal_is_refused(client, acme_admin, acme_user):
    client.force_login(acme_admin)

    client.post(reverse("portal:user_role", kwargs={"pk": acme_user.pk}), {"role": "admin"})

    acme_user.refresh_from_db()
    assert acme_user.role == "client_user"
