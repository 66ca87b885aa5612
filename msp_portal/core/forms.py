"""The filter forms of list pages: read from the query string, scoped to the user's clients."""

from __future__ import annotations

from django import forms
from django.forms.models import ModelChoiceIterator
from django.forms.utils import flatatt
from django.utils.html import escape
from django.utils.safestring import mark_safe
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
        compact_selects(self)

    def filters(self) -> dict:
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value not in ("", None)}


def client_filter_field() -> forms.ModelChoiceField:
    """A client filter; its choices are set per user by ListFilterForm."""
    return forms.ModelChoiceField(
        label=_("Client"), required=False, queryset=Client.objects.none(),
        empty_label=_("All clients"),
    )  # fmt: skip


class CompactSelect(forms.Select):
    """A select rendered in Python: the stock widget renders one template per option, which
    on a list page's filters (fifty technicians, a dozen queues) costs more than its rows."""

    def render(self, name, value, attrs=None, renderer=None):
        selected = {str(v) for v in self.format_value(value)}
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        options = "".join(
            f'<option value="{escape(str(v))}"{" selected" if str(v) in selected else ""}>'
            f"{escape(label)}</option>"
            for v, label in self.choices
        )
        return mark_safe(f"<select{flatatt(final)}>{options}</select>")


class FetchedModelChoiceIterator(ModelChoiceIterator):
    """A model select's choices read in one plain query.

    The stock iterator reads them through ``QuerySet.iterator()``, which on PostgreSQL is a
    server-side cursor: DECLARE, FETCH and CLOSE, three round trips (and a cursor held past
    the statement) for a few dozen queues or assets.
    """

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset.all():
            yield self.choice(obj)


def compact_selects(form: forms.BaseForm) -> None:
    """Render the form's plain selects with CompactSelect (choices set later still apply), and
    read model choices in one query."""
    for field in form.fields.values():
        if isinstance(field, forms.ModelChoiceField):
            field.iterator = FetchedModelChoiceIterator
            field.widget.choices = field.choices
        if type(field.widget) is forms.Select:
            compact = CompactSelect(attrs=field.widget.attrs)
            compact.choices = field.widget.choices
            compact.is_required = field.widget.is_required
            field.widget = compact


class CompactSelectsForm(forms.Form):
    """A form whose selects render without one template per option."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        compact_selects(self)
