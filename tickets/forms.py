"""Forms of the ticket pages: they read and check input; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from clients.models import Asset
from msp_portal.core.forms import CompactSelectsForm

from .attachments import AttachmentsField
from .models import CannedResponse, Category, Impact, Queue, Ticket, Urgency


class ReplyForm(forms.Form):
    """A message on a ticket."""

    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 5}), strip=True)
    attachments = AttachmentsField()


class MessageForm(ReplyForm):
    """Staff: a public reply or an internal note, one form, one choice."""

    PUBLIC, INTERNAL = "public", "internal"

    visibility = forms.ChoiceField(
        label=_("Visibility"),
        choices=[
            (PUBLIC, _("Public reply (sent to the client)")),
            (INTERNAL, _("Internal note (staff only)")),
        ],
        initial=PUBLIC,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, closed: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if closed:  # a closed ticket takes no more replies, only notes
            self.fields["visibility"].choices = [self.fields["visibility"].choices[1]]
            self.fields["visibility"].initial = self.INTERNAL


class StatusForm(CompactSelectsForm):
    status = forms.ChoiceField(label=_("Status"), choices=Ticket.Status.choices)
    reason = forms.CharField(label=_("Reason (optional)"), required=False, max_length=500)


class AssignForm(CompactSelectsForm):
    """Assign to a member of staff who may see the client, to oneself, or to no one."""

    ME, NOBODY = "me", ""

    assignee = forms.ChoiceField(label=_("Assign to"), required=False)

    def __init__(self, *args, staff, me, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.me = me
        self.staff = {str(person.pk): person for person in staff if person.pk != me.pk}
        self.fields["assignee"].choices = [
            (self.NOBODY, _("Nobody (unassigned)")),
            (self.ME, _("Me")),
            *((pk, person.full_name or person.email) for pk, person in self.staff.items()),
        ]

    def clean_assignee(self):
        value = self.cleaned_data["assignee"]
        if value == self.ME:
            return self.me
        return self.staff.get(value)


class TimeEntryForm(forms.Form):
    minutes = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=24 * 60)
    billable = forms.BooleanField(label=_("Billable"), required=False, initial=True)
    work_date = forms.DateField(
        label=_("Date worked"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Empty: today."),
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=500)


class PriorityForm(CompactSelectsForm):
    """Impact and urgency; the priority follows from the two (the service applies the matrix)."""

    impact = forms.TypedChoiceField(label=_("Impact"), choices=Impact.choices, coerce=int)
    urgency = forms.TypedChoiceField(label=_("Urgency"), choices=Urgency.choices, coerce=int)


class QueueCategoryForm(CompactSelectsForm):
    """Where the ticket is worked and what kind of request it is; empty takes it out of one."""

    queue = forms.ModelChoiceField(
        label=_("Queue"), queryset=Queue.objects.order_by("name"), required=False,
        empty_label=_("No queue"),
    )  # fmt: skip
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.order_by("name"), required=False,
        empty_label=_("No category"),
    )  # fmt: skip


class AssetLinkForm(CompactSelectsForm):
    """Link one of the ticket's client's assets, or none; other clients' assets are no choice."""

    asset = forms.ModelChoiceField(
        label=_("Asset"), queryset=Asset.objects.none(), required=False,
        empty_label=_("No asset (unlink)"),
        error_messages={"invalid_choice": _("Choose one of this client's assets.")},
    )  # fmt: skip

    def __init__(self, *args, assets, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["asset"].queryset = assets


class CannedResponseForm(forms.ModelForm):
    """A canned response; managers may share one with every technician."""

    shared = forms.BooleanField(
        label=_("Shared with all technicians"),
        required=False,
        help_text=_("Only managers can share a response; then only managers can change it."),
    )

    class Meta:
        model = CannedResponse
        fields = ["title", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 8})}
        help_texts = {
            "body": _(
                "Placeholders filled from the ticket: {contact_name}, {contact_first_name}, "
                "{ticket_reference}, {ticket_subject}, {client_name}, {technician_name}."
            )
        }

    def __init__(self, *args, may_share: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if may_share:
            self.fields["shared"].initial = self.instance.pk is not None and (
                self.instance.owner_id is None
            )
        else:
            del self.fields["shared"]
