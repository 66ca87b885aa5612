"""Admin for tickets: reading and reference data. State changes go through tickets.services."""

import functools

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from clients.models import Client, Contact
from msp_portal.core.tenancy import get_for_user

from . import services
from .models import (
    Attachment,
    CannedResponse,
    Category,
    InboundMessage,
    Mailbox,
    Queue,
    SavedView,
    SlaEscalation,
    SlaTimer,
    Ticket,
    TicketEvent,
    TimeEntry,
)


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "email")
    search_fields = ("name", "email")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "client_visible")
    list_filter = ("client_visible",)
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):
    list_display = ("title", "owner", "created_at")
    list_filter = (("owner", admin.EmptyFieldListFilter),)
    search_fields = ("title", "body")
    raw_id_fields = ("owner",)


@admin.register(SavedView)
class SavedViewAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "shared", "query")
    list_filter = ("shared",)
    search_fields = ("name", "owner__email")
    raw_id_fields = ("owner",)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class TicketEventInline(ReadOnlyInline):
    model = TicketEvent
    fields = ("created_at", "kind", "actor", "author", "public", "body")
    readonly_fields = fields


class TimeEntryInline(ReadOnlyInline):
    model = TimeEntry
    fields = ("work_date", "technician", "minutes", "billable", "note")
    readonly_fields = fields


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    """Tickets are read here; their state changes only through the services (timeline, SLA)."""

    list_display = (
        "reference",
        "subject",
        "client",
        "status",
        "priority",
        "assignee",
        "source",
        "created_at",
    )
    list_filter = (
        "status", "priority", "source", "queue", "category", "client",
        "contract__sla_policy", "contract__calendar",
    )  # fmt: skip
    search_fields = ("number", "subject", "description", "client__name")
    date_hierarchy = "created_at"
    list_select_related = ("client", "assignee")
    inlines = [TicketEventInline, TimeEntryInline]
    actions = ["apply_current_sla_rules"]

    @admin.action(description=_("Apply the contract's current SLA rules (open tickets)"))
    def apply_current_sla_rules(self, request, queryset) -> None:
        """After an edit of a policy or calendar: filter by it, select, apply."""
        moved = services.sla_rebuild(tickets=queryset.open().iterator())
        self.message_user(
            request,
            ngettext(
                "%(count)d open ticket now runs on the current rules.",
                "%(count)d open tickets now run on the current rules.",
                moved,
            )
            % {"count": moved},
            messages.SUCCESS,
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(TicketEvent)
class TicketEventAdmin(admin.ModelAdmin):
    list_display = ("ticket", "kind", "actor", "author", "public", "created_at")
    list_filter = ("kind", "actor", "public")
    search_fields = ("ticket__number", "body")
    list_select_related = ("ticket", "author")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ("original_name", "ticket", "content_type", "size", "uploaded_by", "created_at")
    list_filter = ("content_type",)
    search_fields = ("original_name", "ticket__number")
    # Not the file field: its link would point under MEDIA_URL, which is never served. The
    # download goes through the view that checks the tenant and forces a download.
    exclude = ("file",)
    readonly_fields = ("download", "client", "ticket", "event", "size", "content_type")

    @admin.display(description=_("file"))
    def download(self, obj: Attachment) -> str:
        if not obj.pk:
            return "—"
        return format_html(
            '<a href="{}" download>{}</a>', reverse("tickets:attachment", args=[obj.pk]), obj
        )


@admin.register(TimeEntry)
class TimeEntryAdmin(admin.ModelAdmin):
    list_display = ("ticket", "technician", "minutes", "billable", "work_date")
    list_filter = ("billable", "technician", "client")
    search_fields = ("ticket__number", "note")
    date_hierarchy = "work_date"
    readonly_fields = ("client", "ticket", "technician")

    def has_add_permission(self, request):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SlaTimer)
class SlaTimerAdmin(ReadOnlyAdmin):
    """Stored by the SLA services; read here."""

    list_display = (
        "ticket",
        "kind",
        "cycle",
        "priority",
        "state",
        "due_at",
        "breached",
        "outcome",
        "alerted_level",
    )
    list_filter = ("kind", "state", "breached", "outcome", "priority")
    search_fields = ("ticket__number", "ticket__subject")
    list_select_related = ("ticket",)


@admin.register(SlaEscalation)
class SlaEscalationAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "kind", "level", "reached_at", "sent_at", "attempts", "last_error")
    list_filter = ("level", "kind", "sent_at")
    search_fields = ("ticket__number", "last_error")
    list_select_related = ("ticket",)


# --- Mail in -------------------------------------------------------------------------------


class MailboxForm(forms.ModelForm):
    """The password is written, never shown back; left empty it stays as it was."""

    password = forms.CharField(
        label=_("password"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the current password."),
    )

    class Meta:
        model = Mailbox
        fields = [
            "name", "address", "host", "port", "security", "username", "password", "folder",
            "processed_action", "processed_folder", "unknown_sender_policy", "default_queue",
            "active",
        ]  # fmt: skip

    def clean_password(self) -> str:
        return self.cleaned_data.get("password") or (self.instance.password or "")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("processed_action") == Mailbox.ProcessedAction.MOVE and not cleaned.get(
            "processed_folder"
        ):
            self.add_error("processed_folder", _("Name the folder to move read messages to."))
        return cleaned


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    form = MailboxForm
    list_display = (
        "name", "address", "host", "username", "folder", "unknown_sender_policy", "active",
        "last_polled_at", "last_error",
    )  # fmt: skip
    list_filter = ("active", "security", "unknown_sender_policy", "processed_action")
    search_fields = ("name", "address", "host", "username")
    readonly_fields = ("last_polled_at", "last_error", "lease_until")


class InboundTriageForm(forms.ModelForm):
    """What a person decides for a held message: a ticket for a contact, a reply on a ticket,
    or nothing (discard). The contact is named by client and e-mail address."""

    ACTIONS = [
        ("", _("Leave as it is")),
        ("open", _("Open a ticket for this contact")),
        ("append", _("Add to this ticket")),
        ("reprocess", _("Process again (after adding the contact, for instance)")),
        ("discard", _("Discard (the raw copy is kept)")),
    ]
    triage_action = forms.ChoiceField(label=_("action"), choices=ACTIONS, required=False)
    triage_client = forms.ModelChoiceField(
        label=_("client"), queryset=Client.objects.none(), required=False
    )
    triage_contact_email = forms.EmailField(
        label=_("contact's e-mail address"),
        required=False,
        help_text=_("An active contact of the client above; defaults to the sender."),
    )
    triage_ticket = forms.IntegerField(label=_("ticket number"), required=False, min_value=1)

    class Meta:
        model = InboundMessage
        fields: list[str] = []

    def __init__(self, *args, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["triage_client"].queryset = Client.objects.for_user(user)
        self.fields["triage_contact_email"].initial = self.instance.sender

    def clean(self):
        cleaned = super().clean()
        action = cleaned.get("triage_action")
        if action == "open":
            client = cleaned.get("triage_client")
            address = cleaned.get("triage_contact_email") or self.instance.sender
            contact = (
                Contact.objects.for_user(self.user)
                .filter(client=client, email__iexact=address, is_active=True)
                .first()
                if client
                else None
            )
            if contact is None:
                self.add_error("triage_contact_email", _("No active contact with this address."))
            cleaned["contact"] = contact
        elif action == "append":
            number = cleaned.get("triage_ticket")
            ticket = Ticket.objects.for_user(self.user).filter(number=number).first()
            if ticket is None:
                self.add_error("triage_ticket", _("No ticket with this number."))
            cleaned["ticket"] = ticket
        return cleaned


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    """Every message read from a mailbox. Held, rejected, rate-limited and failed ones are
    dealt with here: open a ticket, add to a ticket, process again or discard."""

    form = InboundTriageForm
    list_display = (
        "created_at", "mailbox", "sender", "subject", "status", "reason", "client", "ticket",
    )  # fmt: skip
    list_filter = ("status", "reason", "mailbox", "client")
    search_fields = ("sender", "subject", "message_id", "ticket__number")
    date_hierarchy = "created_at"
    list_select_related = ("mailbox", "client", "ticket")
    actions = ["reprocess_messages", "discard_messages"]
    readonly_fields = (
        "mailbox", "sender", "sender_name", "subject", "message_id", "received_at",
        "created_at", "size", "truncated", "status", "reason", "error", "client", "ticket",
        "event", "answered_at", "processed_at", "handled_by", "body_text", "raw_download",
    )  # fmt: skip
    fieldsets = [
        (None, {"fields": readonly_fields}),
        (
            _("Triage"),
            {
                "fields": (
                    "triage_action",
                    "triage_client",
                    "triage_contact_email",
                    "triage_ticket",
                )
            },
        ),
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return functools.partial(form, user=request.user)

    @admin.display(description=_("raw message"))
    def raw_download(self, obj) -> str:
        if obj is None or obj.pk is None:
            return ""
        url = reverse("admin:tickets_inboundmessage_raw", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download (.eml)"))

    def get_urls(self):
        urls = super().get_urls()
        raw = path(
            "<int:pk>/raw/",
            self.admin_site.admin_view(self.raw_view),
            name="tickets_inboundmessage_raw",
        )
        return [raw, *urls]

    def raw_view(self, request, pk: int):
        """The stored bytes as a download, never rendered: mail may carry anything."""
        message = get_for_user(InboundMessage, request.user, pk=pk)
        response = HttpResponse(bytes(message.raw), content_type="application/octet-stream")
        response["Content-Disposition"] = f'attachment; filename="message-{message.pk}.eml"'
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response

    def save_model(self, request, obj, form, change) -> None:
        """The triage action, through the mail-in services; the row itself is not edited."""
        from .mailin import route

        action = form.cleaned_data.get("triage_action")
        try:
            if action == "open":
                route.inbound_ticket_open(
                    message_pk=obj.pk, contact=form.cleaned_data["contact"], by=request.user
                )
            elif action == "append":
                route.inbound_ticket_append(
                    message_pk=obj.pk, ticket=form.cleaned_data["ticket"], by=request.user
                )
            elif action == "reprocess":
                route.inbound_reprocess(message_pk=obj.pk, by=request.user)
            elif action == "discard":
                route.inbound_discard(message_pk=obj.pk, by=request.user)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)

    def save_related(self, request, form, formsets, change) -> None:
        return None

    @admin.action(description=_("Process the selected messages again"))
    def reprocess_messages(self, request, queryset) -> None:
        self._each(request, queryset, "inbound_reprocess")

    @admin.action(description=_("Discard the selected messages (raw copies are kept)"))
    def discard_messages(self, request, queryset) -> None:
        self._each(request, queryset, "inbound_discard")

    def _each(self, request, queryset, service: str) -> None:
        from .mailin import route

        done = 0
        for pk in queryset.values_list("pk", flat=True):
            try:
                getattr(route, service)(message_pk=pk, by=request.user)
                done += 1
            except ValidationError:
                continue
        self.message_user(
            request,
            ngettext("%(count)d message done.", "%(count)d messages done.", done) % {"count": done},
            messages.SUCCESS,
        )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
