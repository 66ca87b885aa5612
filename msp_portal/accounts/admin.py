from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from msp_portal.core.admin import erase_personal_data, export_personal_data

from .models import ApiToken, User
from .tokens import api_token_revoke
from .two_factor import two_factor_reset

# django-otp's own admin pages would show every user's TOTP secret (and QR code) and recovery
# codes to any administrator. Nobody needs another person's secret: an administrator resets a
# user's two-factor sign-in with the action on the user list, and the user sets it up again.
for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name", "role", "client")


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    list_display = ("email", "full_name", "role", "client", "is_active", "last_login")
    list_filter = ("role", "is_active", "client", "language")
    search_fields = ("email", "full_name")
    ordering = ("full_name",)
    filter_horizontal = ("allowed_clients",)
    autocomplete_fields = ("client",)
    readonly_fields = ("last_login", "date_joined")
    actions = ["reset_two_factor", export_personal_data, erase_personal_data]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Person"), {"fields": ("full_name", "language", "time_zone")}),
        (
            _("Access"),
            {"fields": ("role", "client", "sees_all_clients", "allowed_clients", "is_active")},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "full_name", "role", "client", "password1", "password2"),
            },
        ),
    )

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "time_zone" and field is not None:
            field.widget = forms.TextInput(attrs={"placeholder": "Europe/Paris"})
        return field

    @admin.action(description=_("Reset two-factor sign-in of the selected users"))
    def reset_two_factor(self, request, queryset) -> None:
        """For a lost phone: the user's devices are removed and they set two-factor up again."""
        for user in queryset:
            two_factor_reset(user=user, by=request.user, request=request)
        count = queryset.count()
        self.message_user(
            request,
            ngettext(
                "Two-factor sign-in was reset for %(count)d user.",
                "Two-factor sign-in was reset for %(count)d users.",
                count,
            )
            % {"count": count},
        )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued by create_api_token or the API (the key is shown once); here they
    are listed and revoked."""

    list_display = (
        "name",
        "user",
        "prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("revoked_at", "expires_at")
    search_fields = ("name", "prefix", "user__email", "user__full_name")
    list_select_related = ("user",)
    readonly_fields = ("user", "prefix", "created_at", "last_used_at", "revoked_at")
    fields = ("user", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset) -> None:
        for token in queryset.filter(revoked_at__isnull=True):
            api_token_revoke(token=token)
