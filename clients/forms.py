"""Filters of the client and asset lists."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Asset, Client


class ClientFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *Client.Status.choices]
    )

    def filters(self) -> dict:
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value not in ("", None)}


class AssetFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any kind")), *Asset.Kind.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *Asset.Status.choices]
    )
    client = forms.ModelChoiceField(
        label=_("Client"),
        required=False,
        queryset=Client.objects.none(),
        empty_label=_("All clients"),
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = Client.objects.for_user(user).only("pk", "name")
        self.fields["q"].widget.attrs.update(
            {"type": "search", "placeholder": _("Name, host name or serial number")}
        )

    def filters(self) -> dict:
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value not in ("", None)}
