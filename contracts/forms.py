"""Filters of the contract list."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from msp_portal.core.forms import ListFilterForm, client_filter_field

from .models import Contract


class ContractFilterForm(ListFilterForm):
    search_placeholder = _("Reference or title")

    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *Contract.Status.choices],
    )
    client = client_filter_field()
