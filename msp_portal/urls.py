"""URL map: staff pages, the client portal, authentication, health and the admin."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from msp_portal.core.views import health
from msp_portal.dashboard.views import home
from msp_portal.portal import auth_views as portal_auth

urlpatterns = [
    path("", home, name="home"),
    path("health/", health, name="health"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password-reset/", portal_auth.PasswordResetView.as_view(), name="password_reset"
    ),
    path(
        "accounts/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(
            template_name="registration/password_reset_done.html"
        ),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        portal_auth.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="registration/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    path(
        "accounts/invitation/<uidb64>/<token>/",
        portal_auth.InvitationAcceptView.as_view(),
        name="invitation_accept",
    ),
    path("account/", include("msp_portal.accounts.two_factor_urls")),
    path("account/notifications/", include("msp_portal.notifications.urls")),
    path("", include("tickets.urls")),
    path("", include("msp_portal.staff.clients_urls")),
    path("", include("msp_portal.staff.contracts_urls")),
    path("", include("monitoring.urls")),
    path("", include("msp_portal.dashboard.urls")),
    path("portal/", include("msp_portal.portal.urls")),
    path("", include("msp_portal.reports.urls")),
    path("ping/", include("monitoring.ping_urls")),
    path("api/", include("msp_portal.api.urls")),
    path("admin/", admin.site.urls),
]
