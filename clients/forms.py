"""Filters of the client and asset lists."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from msp_portal.core.forms import ListFilterForm, client_filter_field

from .models import Asset, Client


class ClientFilterForm(ListFilterForm):
    search_placeholder = _("Client name")

    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *Client.Status.choices]
    )


class AssetFilterForm(ListFilterForm):
    search_placeholder = _("Name, host name or serial number")

    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any kind")), *Asset.Kind.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *Asset.Status.choices]
    )
    client = client_filter_field()
