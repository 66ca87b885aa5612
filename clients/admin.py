from django.contrib import admin

from msp_portal.core.admin import erase_personal_data, export_personal_data

from .models import Asset, Client, Contact, Site


class SiteInline(admin.TabularInline):
    model = Site
    extra = 0


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "status", "time_zone", "language", "created_at")
    list_filter = ("status", "language")
    search_fields = ("name", "slug", "notes")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [SiteInline]


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ("name", "client", "city", "country")
    list_filter = ("client", "country")
    search_fields = ("name", "address", "city", "client__name")
    autocomplete_fields = ("client",)


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("__str__", "client", "email", "phone", "is_primary", "is_active", "user")
    list_filter = ("client", "is_primary", "is_active")
    search_fields = ("first_name", "last_name", "email", "phone", "client__name")
    autocomplete_fields = ("client", "site", "user")
    actions = [export_personal_data, erase_personal_data]


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = ("name", "client", "kind", "status", "hostname", "ip_address", "expires_on")
    list_filter = ("kind", "status", "client")
    search_fields = ("name", "hostname", "ip_address", "url", "serial_number", "client__name")
    autocomplete_fields = ("client", "site", "owner")
    date_hierarchy = "expires_on"
