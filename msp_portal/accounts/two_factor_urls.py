"""The signed-in user's own security page and the two-factor steps of signing in."""

from django.urls import path

from . import two_factor_views as views

app_name = "account"
urlpatterns = [
    path("security/", views.security, name="security"),
    path("two-factor/verify/", views.verify, name="two_factor_verify"),
    path("two-factor/setup/", views.setup, name="two_factor_setup"),
    path("two-factor/recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("two-factor/disable/", views.disable, name="two_factor_disable"),
]
