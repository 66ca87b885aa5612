"""Filters of the check list."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from msp_portal.core.forms import ListFilterForm, client_filter_field

from .models import Check, CheckState


class CheckFilterForm(ListFilterForm):
    search_placeholder = _("Check or asset")

    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("Any state")), *CheckState.choices]
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any kind")), *Check.Kind.choices]
    )
    client = client_filter_field()
