"""The ticket queue's forms: filters read from the query string, saved views, bulk actions."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Client
from msp_portal.accounts.models import Role, User
from msp_portal.core.forms import ListFilterForm

from .models import Category, Priority, Queue, SavedView, Ticket
from .queue import (
    SLA_AT_RISK,
    SLA_BREACHED,
    SLA_MET,
    SLA_PAUSED,
    SORT_NEWEST,
    SORT_OLDEST,
    SORT_UPDATED,
    SORT_URGENT,
    STATUS_ALL,
    STATUS_OPEN,
)

#: Query-string parameters that move through pages rather than choose tickets.
PAGING_PARAMS = ("after", "before", "page")


def active_staff():
    """Everyone a ticket can be assigned to, for the assignee filter."""
    return User.objects.filter(
        is_active=True, role__in=[Role.ADMIN, Role.MANAGER, Role.TECHNICIAN]
    ).order_by("full_name", "email")


class ClientSlugField(forms.CharField):
    """A client typed by its short name (offered in a list as one types): with 2,000 clients,
    a select of them all would cost more to render than the whole queue."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_length", 60)
        # The page holds <datalist id="client-options">, filled by tickets:client_options.
        attrs = {"list": "client-options", "autocomplete": "off", "placeholder": _("short name")}
        kwargs.setdefault("widget", forms.TextInput(attrs=attrs))
        super().__init__(**kwargs)
        self.user = None  # the form sets it: only the clients this person sees are found

    def clean(self, value):
        value = super().clean(value).strip()
        if not value:
            return None
        client = Client.objects.for_user(self.user).filter(slug=value).only("pk", "name").first()
        if client is None:
            raise forms.ValidationError(
                _("No client with the short name “%(slug)s”. Pick one from the list."),
                params={"slug": value},
            )
        return client


class TicketFilterForm(ListFilterForm):
    """The queue's filters, read from the query string; every one combines with the others."""

    search_placeholder = _("Number, subject, description or message")

    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            (STATUS_OPEN, _("All open")),
            (STATUS_ALL, _("Any status")),
            *Ticket.Status.choices,
        ],
    )
    priority = forms.ChoiceField(
        label=_("Priority"), required=False, choices=[("", _("Any priority")), *Priority.choices]
    )
    client = ClientSlugField(label=_("Client"), required=False)
    queue = forms.ModelChoiceField(
        label=_("Queue"), required=False, queryset=Queue.objects.all(), empty_label=_("Any queue")
    )
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    sla = forms.ChoiceField(
        label=_("SLA"),
        required=False,
        choices=[
            ("", _("Any SLA state")),
            (SLA_BREACHED, _("Breached")),
            (SLA_AT_RISK, _("At risk")),
            (SLA_PAUSED, _("Paused")),
            (SLA_MET, _("Met")),
        ],
    )
    due_within = forms.TypedChoiceField(
        label=_("Due within"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[
            ("", _("Any time")),
            (1, _("1 hour")),
            (2, _("2 hours")),
            (4, _("4 hours")),
            (8, _("8 hours")),
            (24, _("24 hours")),
        ],
    )
    source = forms.ChoiceField(
        label=_("Source"), required=False, choices=[("", _("Any source")), *Ticket.Source.choices]
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        required=False,
        queryset=Category.objects.all(),
        empty_label=_("Any category"),
    )
    created_from = forms.DateField(
        label=_("Opened from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    created_to = forms.DateField(
        label=_("Opened until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    sort = forms.ChoiceField(
        label=_("Order"),
        required=False,
        choices=[
            ("", _("Default")),
            (SORT_URGENT, _("Most urgent first")),
            (SORT_UPDATED, _("Recently updated")),
            (SORT_NEWEST, _("Newest first")),
            (SORT_OLDEST, _("Oldest first")),
        ],
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["client"].user = user
        self.staff = {str(person.pk): person for person in active_staff()}
        self.fields["assignee"].choices = [
            ("", _("Anyone")),
            ("me", _("Me")),
            ("unassigned", _("Unassigned")),
            *((pk, person.full_name or person.email) for pk, person in self.staff.items()),
        ]

    def clean(self):
        data = super().clean()
        start, end = data.get("created_from"), data.get("created_to")
        if start and end and end < start:
            self.add_error("created_to", _("The end of the range is before its start."))
        return data

    def filters(self) -> dict:
        """The valid filters as ticket_search arguments; dates become instants in the
        user's time zone (the whole of the last day included)."""
        filters = super().filters()
        tz = timezone.get_current_timezone()
        if "created_from" in filters:
            filters["created_from"] = dt.datetime.combine(filters["created_from"], dt.time(), tz)
        if "created_to" in filters:
            day_after = filters["created_to"] + dt.timedelta(days=1)
            filters["created_to"] = dt.datetime.combine(day_after, dt.time(), tz)
        return filters

    def active_count(self) -> int:
        """How many filters narrow the queue (for the "n filters" hint)."""
        return sum(1 for name in self.filters() if name not in ("sort",))


class SavedViewForm(forms.ModelForm):
    """Save the queue's current filters under a name."""

    class Meta:
        model = SavedView
        fields = ["name", "shared", "query"]
        widgets = {"query": forms.HiddenInput}

    def __init__(self, *args, owner, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.owner = owner
        if not (owner.role in (Role.ADMIN, Role.MANAGER) or owner.is_superuser):
            self.fields["shared"].help_text = _("Shared views are visible to the whole team.")

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if SavedView.objects.filter(owner=self.owner, name=name).exists():
            raise forms.ValidationError(_("You already have a view with this name."))
        return name

    def clean_query(self):
        from django.http import QueryDict

        query = QueryDict(self.cleaned_data.get("query") or "", mutable=True)
        for name in PAGING_PARAMS:
            query.pop(name, None)
        return query.urlencode()

    def save(self, commit=True):
        self.instance.owner = self.owner
        return super().save(commit)


#: The (impact, urgency) a bulk priority change sets: the matrix's diagonal where it has one.
PRIORITY_AXES = {
    Priority.P1: (1, 1),
    Priority.P2: (2, 1),
    Priority.P3: (2, 2),
    Priority.P4: (3, 3),
}


class TicketNumbersField(forms.Field):
    """The numbers of the rows ticked in the queue (which exist for the user is the view's
    business); at most one page of them."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "required": _("Select at least one ticket."),
        "invalid": _("“%(value)s” is not a ticket number."),
        "too_many": _("Select at most %(limit)d tickets at a time."),
    }
    limit = 200

    def to_python(self, value):
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        numbers = []
        for item in value:
            text = str(item).strip().removeprefix("T-")
            if not text.isdigit() or len(text) > 18:
                raise forms.ValidationError(
                    self.error_messages["invalid"], code="invalid", params={"value": item}
                )
            numbers.append(int(text))
        if len(numbers) > self.limit:
            raise forms.ValidationError(
                self.error_messages["too_many"], code="too_many", params={"limit": self.limit}
            )
        return sorted(set(numbers))


class BulkActionForm(forms.Form):
    """One action applied to the selected rows of the queue."""

    ASSIGN, STATUS, PRIORITY, MERGE = "assign", "status", "priority", "merge"

    tickets = TicketNumbersField(label=_("Tickets"))
    action = forms.ChoiceField(
        label=_("Action"),
        choices=[
            (ASSIGN, _("Assign to")),
            (STATUS, _("Change status to")),
            (PRIORITY, _("Change priority to")),
            (MERGE, _("Merge into the oldest")),
        ],
    )
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", "---------"), *Ticket.Status.choices]
    )
    priority = forms.ChoiceField(
        label=_("Priority"), required=False, choices=[("", "---------"), *Priority.choices]
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.staff = {str(person.pk): person for person in active_staff()}
        self.fields["assignee"].choices = [
            ("", "---------"),
            ("me", _("Me")),
            ("nobody", _("Nobody (unassigned)")),
            *((pk, person.full_name or person.email) for pk, person in self.staff.items()),
        ]

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action == self.ASSIGN:
            choice = data.get("assignee")
            if not choice:
                self.add_error("assignee", _("Choose who to assign the tickets to."))
            data["assignee_user"] = (
                self.user
                if choice == "me"
                else None
                if choice == "nobody"
                else self.staff.get(choice)
            )
        elif action == self.STATUS and not data.get("status"):
            self.add_error("status", _("Choose the new status."))
        elif action == self.PRIORITY and not data.get("priority"):
            self.add_error("priority", _("Choose the new priority."))
        elif action == self.MERGE and len(data.get("tickets") or []) < 2:
            self.add_error("tickets", _("Select at least two tickets to merge."))
        return data
