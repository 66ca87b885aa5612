"""Forms of the ticket pages: they read and check input; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .attachments import AttachmentsField
from .models import Ticket


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


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Ticket.Status.choices)
    reason = forms.CharField(label=_("Reason (optional)"), required=False, max_length=500)


class AssignForm(forms.Form):
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
