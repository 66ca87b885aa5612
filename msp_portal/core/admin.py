import json

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .audit import audit_export, audit_record
from .csv import download_disposition
from .models import AuditEntry, BeatLease, OutboxEvent, WorkerHeartbeat
from .outbox import outbox_requeue
from .privacy import person_erase, person_export


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the audit log is append-only. Filtered entries export as CSV."""

    list_display = ("at", "action", "actor", "client", "object_type", "object_id", "ip_address")
    list_filter = (
        "action",
        ("actor", admin.RelatedOnlyFieldListFilter),
        "client",
        ("at", admin.DateFieldListFilter),
    )
    list_select_related = ("actor", "client")
    search_fields = ("action", "actor__email", "object_id", "ip_address")
    date_hierarchy = "at"
    actions = ["export_selected"]

    def get_urls(self):
        export = path(
            "export/",
            self.admin_site.admin_view(self.export_view),
            name="core_auditentry_export",
        )
        return [export, *super().get_urls()]

    def export_view(self, request):
        """The changelist's current filters and search, as CSV."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseRedirect(reverse("admin:core_auditentry_changelist") + "?e=1")
        return audit_export(
            queryset=changelist.get_queryset(request),
            by=request.user,
            request=request,
            filters=request.GET.urlencode(),
        )

    @admin.action(description=_("Export the selected entries as CSV"))
    def export_selected(self, request, queryset):
        return audit_export(queryset=queryset, by=request.user, request=request, filters="selected")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ("name", "beat_at", "hostname")
    search_fields = ("name", "hostname")


class ParkedFilter(admin.SimpleListFilter):
    """Parked events are the ones an administrator must look at."""

    title = _("parked")
    parameter_name = "parked"

    def lookups(self, request, model_admin):
        return [("yes", _("Parked")), ("no", _("Not parked"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.parked()
        if self.value() == "no":
            return queryset.filter(parked_at__isnull=True)
        return queryset


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    """Read-only: events are written by services and dispatched by workers. A parked event
    shows its last error and can be re-queued."""

    list_display = (
        "id",
        "topic",
        "client",
        "idempotency_key",
        "created_at",
        "dispatched_at",
        "attempts",
        "parked_at",
    )
    list_filter = (
        ParkedFilter,
        "topic",
        ("dispatched_at", admin.EmptyFieldListFilter),
        "client",
    )
    search_fields = ("topic", "idempotency_key", "last_error")
    date_hierarchy = "created_at"
    list_select_related = ("client",)
    actions = ["requeue"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Re-queue the selected parked events"))
    def requeue(self, request, queryset):
        with transaction.atomic():
            ids = list(queryset.parked().values_list("pk", flat=True))
            count = outbox_requeue(event_ids=ids)
            if count:
                audit_record(
                    actor=request.user,
                    action="outbox.requeued",
                    request=request,
                    data={"events": ids},
                )
        self.message_user(
            request,
            ngettext(
                "%(count)d parked event re-queued.",
                "%(count)d parked events re-queued.",
                count,
            )
            % {"count": count},
            messages.SUCCESS if count else messages.WARNING,
        )


@admin.register(BeatLease)
class BeatLeaseAdmin(admin.ModelAdmin):
    """Read-only: which beat sends the periodic tasks, and until when (see core/beat.py)."""

    list_display = ("name", "holder", "expires_at")
    search_fields = ("name", "holder")
    date_hierarchy = "expires_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# -- Personal data requests (RGPD/GDPR): actions shared by the Contact and User admins ------------


class PersonEraseForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Recorded in the audit log, e.g. the date and reference of the person's request. "
            "Do not repeat their name or address here."
        ),
    )


def _person_kwargs(obj) -> dict:
    return {"user": obj} if obj._meta.label_lower == "accounts.user" else {"contact": obj}


@admin.action(description=_("Export the personal data of the selected person (JSON)"))
def export_personal_data(modeladmin, request, queryset):
    """A JSON download of everything held about one person (right of access)."""
    if queryset.count() != 1:
        modeladmin.message_user(
            request, _("Select exactly one person to export."), messages.WARNING
        )
        return None
    obj = queryset.get()
    data = person_export(**_person_kwargs(obj), by=request.user, request=request)
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    name = f"personal-data-{obj._meta.model_name}-{obj.pk}-{timezone.now():%Y%m%d}.json"
    response["Content-Disposition"] = download_disposition(name, fallback="personal-data.json")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@admin.action(description=_("Erase the personal data of the selected people"))
def erase_personal_data(modeladmin, request, queryset):
    """Pseudonymise the selected people after a confirmation page asking for the reason."""
    form = PersonEraseForm(request.POST if "confirm" in request.POST else None)
    if form.is_bound and form.is_valid():
        erased = 0
        for obj in queryset:
            erased += person_erase(
                **_person_kwargs(obj),
                by=request.user,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        modeladmin.message_user(
            request,
            ngettext("%(count)d person erased.", "%(count)d people erased.", erased)
            % {"count": erased},
            messages.SUCCESS if erased else messages.WARNING,
        )
        return None
    opts = modeladmin.model._meta
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": _("Erase personal data"),
        "opts": opts,
        "queryset": queryset,
        "form": form,
        "action": "erase_personal_data",
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/core/person_erase_confirm.html", context)
