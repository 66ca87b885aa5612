"""Users: e-mail login, roles tied to clients, preferences applied per request."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import RequestFactory

from msp_portal.accounts.models import User
from tests import factories

pytestmark = pytest.mark.django_db


def test_e_mail_is_the_login_and_is_case_insensitive(acme):
    User.objects.create_user(
        "Jane.Doe@Example.TEST", "pw-1234-long", full_name="Jane", role="manager"
    )

    # The login throttle (django-axes) needs the request: it keys attempts on the address.
    request = RequestFactory().post("/accounts/login/")
    assert authenticate(request, username="jane.doe@example.test", password="pw-1234-long")
    assert authenticate(request, username="JANE.DOE@example.test", password="pw-1234-long")
    assert authenticate(request, username="jane.doe@example.test", password="wrong") is None


def test_a_client_role_needs_a_client_and_a_staff_role_must_not_have_one(acme):
    with pytest.raises(ValidationError):
        User.objects.create_user("a@example.test", "pw", full_name="A", role="client_user")
    with pytest.raises(ValidationError):
        User.objects.create_user(
            "b@example.test", "pw", full_name="B", role="technician", client=acme
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(email="c@example.test", full_name="C", role="client_admin")])


def test_only_msp_admins_are_django_admin_users(acme_admin, tech, manager, admin_user):
    assert admin_user.is_staff and admin_user.is_superuser
    for user in (acme_admin, tech, manager):
        assert not user.is_staff
        assert not user.has_perm("tickets.view_ticket")


def test_createsuperuser_makes_an_msp_admin():
    user = User.objects.create_superuser("root@example.test", "pw-1234-long", full_name="Root")

    assert user.role == "admin" and user.is_msp_staff and user.client is None


def test_roles_describe_the_side_of_the_user(acme_user, acme_admin, tech):
    assert acme_user.is_client_side and not acme_user.is_msp_staff
    assert acme_admin.is_client_admin
    assert tech.is_msp_staff and tech.has_all_clients


@pytest.mark.parametrize(
    ("who", "language", "zone"),
    [("globex_user", "fr", "America/Montreal"), ("tech", "en", "Europe/Paris")],
)
def test_each_request_uses_the_users_language_and_time_zone(rf, request, who, language, zone):
    from django.http import HttpResponse
    from django.utils import timezone, translation

    from msp_portal.accounts.middleware import UserPreferencesMiddleware

    user = request.getfixturevalue(who)
    user.language = language
    seen = {}

    def view(req):
        seen["language"] = translation.get_language()
        seen["zone"] = timezone.get_current_timezone_name()
        return HttpResponse()

    req = rf.get("/")
    req.user = user
    UserPreferencesMiddleware(view)(req)

    assert seen == {"language": language, "zone": zone}


def test_staff_time_zone_falls_back_to_the_portal_default(tech, settings):
    from msp_portal.accounts.middleware import user_time_zone

    assert user_time_zone(tech) == settings.TIME_ZONE
    tech.time_zone = "Asia/Tokyo"
    assert user_time_zone(tech) == "Asia/Tokyo"


def test_a_portal_user_reads_times_in_the_company_zone(globex_user):
    from msp_portal.accounts.middleware import user_time_zone

    assert user_time_zone(globex_user) == "America/Montreal"


def test_signing_in_and_failing_to_are_audited(client, admin_user):
    from msp_portal.core.models import AuditEntry

    client.post("/admin/login/", {"username": admin_user.email, "password": "nope"})
    client.post("/admin/login/", {"username": admin_user.email, "password": factories.PASSWORD})

    actions = list(AuditEntry.objects.order_by("at", "id").values_list("action", flat=True))
    assert actions == ["login_failed", "login"]
