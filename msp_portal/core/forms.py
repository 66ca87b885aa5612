"""The filter forms of list pages: read from the query string, scoped to the user's clients."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from clients.models import Client


class ListFilterForm(forms.Form):
    """A search box plus the subclass's filters; ``filters()`` gives the valid, non-empty ones
    (an invalid value -- say a client not offered -- is ignored and shown as an error)."""

    search_placeholder = ""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["q"].widget.attrs.update(
            {"type": "search", "placeholder": self.search_placeholder}
        )
        if "client" in self.fields:
            # Only the clients this user may see are offered, and so accepted.
            self.fields["client"].queryset = Client.objects.for_user(user).only("pk", "name")

    def filters(self) -> dict:
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value not in ("", None)}


def client_filter_field() -> forms.ModelChoiceField:
    """A client filter; its choices are set per user by ListFilterForm."""
    return forms.ModelChoiceField(
        label=_("Client"), required=False, queryset=Client.objects.none(),
        empty_label=_("All clients"),
    )  # fmt: skip
