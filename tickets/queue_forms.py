"""The ticket queue's forms: filters read from the query string, saved views, bulk actions."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from msp_portal.core.forms import ListFilterForm, client_filter_field

from .models import Priority, Ticket
from .selectors import (
    SLA_AT_RISK,
    SLA_BREACHED,
    SLA_MET,
    SLA_PAUSED,
    STATUS_ALL,
    STATUS_OPEN,
)


class TicketFilterForm(ListFilterForm):
    search_placeholder = _("Subject or number (T-1234)")

    """The ticket list's filters, read from the query string."""

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
    client = client_filter_field()
    assignee = forms.ChoiceField(
        label=_("Assignee"),
        required=False,
        choices=[("", _("Anyone")), ("me", _("Me")), ("unassigned", _("Unassigned"))],
    )
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
