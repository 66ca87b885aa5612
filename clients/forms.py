"""Forms of the client pages: the list filters, and the forms that add and change clients,
their sites, contacts and assets."""

from __future__ import annotations

import zoneinfo

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from msp_portal.core.forms import ListFilterForm, client_filter_field

from .models import Asset, Client, Contact, Site


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


# -- the forms that create and change records ---------------------------------------------------


def time_zone_choices() -> list[tuple[str, str]]:
    """Every IANA zone this machine knows, as a sorted list to choose from (no typos)."""
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class RecordForm(forms.ModelForm):
    """Reads and checks what people type; the service validates the record and saves it.

    The model's own validation is left to the service (``_post_clean`` does nothing), so an
    edit form never touches the object it edits: it gets the current values as ``initial``,
    and a refusal of the service comes back next to its field through ``add_service_errors``.
    """

    def __init__(self, *args, record=None, **kwargs) -> None:
        if record is not None:
            kwargs.setdefault("initial", model_to_dict(record, fields=self._meta.fields))
        super().__init__(*args, **kwargs)
        self.record = record

    def _post_clean(self) -> None:
        pass

    def values(self) -> dict:
        """The cleaned fields, as the service takes them."""
        return dict(self.cleaned_data)

    def add_service_errors(self, error: ValidationError) -> None:
        """Show a refusal of the service on the field it concerns."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for key, errors in error.error_dict.items():
            self.add_error(key if key in self.fields else None, errors)


def _scoped_choice(field: forms.ModelChoiceField, queryset, message) -> None:
    """Offer (and accept) only the client's rows; anything else is refused with ``message``."""
    field.queryset = queryset
    field.error_messages["invalid_choice"] = message


def percent_safe(text: str) -> str:
    """Text for a message Django formats with ``%`` later (a client named "100% IT")."""
    return str(text).replace("%", "%%")


class ClientForm(RecordForm):
    class Meta:
        model = Client
        fields = ["name", "slug", "status", "time_zone", "language", "notes"]
        help_texts = {
            "slug": _(
                "Letters, digits and hyphens, used in addresses (/clients/acme/). "
                "Empty: made from the name."
            ),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        self.fields["time_zone"] = forms.ChoiceField(
            label=_("Time zone"),
            choices=time_zone_choices(),
            initial=self.fields["time_zone"].initial,
            help_text=_("SLA times and dates on this client's pages are shown in this zone."),
        )
        self.fields["notes"].widget.attrs["rows"] = 4

    def clean_slug(self) -> str:
        return (self.cleaned_data.get("slug") or "").strip().lower()


class SiteForm(RecordForm):
    class Meta:
        model = Site
        fields = ["name", "address", "postal_code", "city", "country", "phone", "notes"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].widget.attrs.update({"size": 2, "placeholder": "FR"})
        self.fields["notes"].widget.attrs["rows"] = 3

    def clean_country(self) -> str:
        country = (self.cleaned_data.get("country") or "").strip().upper()
        if country and not (len(country) == 2 and country.isalpha()):
            raise ValidationError(_("Use the two-letter ISO code of the country, such as FR."))
        return country


class ContactForm(RecordForm):
    class Meta:
        model = Contact
        fields = [
            "first_name",
            "last_name",
            "job_title",
            "email",
            "phone",
            "mobile",
            "site",
            "is_primary",
            "is_active",
            "notes",
        ]

    def __init__(self, *args, client: Client, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _scoped_choice(
            self.fields["site"],
            Site.objects.for_client(client),
            _("This is not one of %(client)s's sites: choose one from the list.")
            % {"client": percent_safe(client.name)},
        )
        self.fields["notes"].widget.attrs["rows"] = 3


class AssetForm(RecordForm):
    url = forms.URLField(label=_("URL"), max_length=500, required=False, assume_scheme="https")

    class Meta:
        model = Asset
        fields = [
            "name",
            "kind",
            "status",
            "site",
            "owner",
            "hostname",
            "ip_address",
            "url",
            "manufacturer",
            "model",
            "serial_number",
            "operating_system",
            "purchase_date",
            "expires_on",
            "attributes",
            "notes",
        ]
        widgets = {
            "purchase_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "expires_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        help_texts = {
            "attributes": _('Free-form details as a JSON object, such as {"ram_gb": 16}.'),
        }

    def __init__(self, *args, client: Client, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        name = percent_safe(client.name)
        _scoped_choice(
            self.fields["site"],
            Site.objects.for_client(client),
            _("This site is not one of %(client)s's sites: an asset can only be at a site of "
              "its own client.") % {"client": name},
        )  # fmt: skip
        _scoped_choice(
            self.fields["owner"],
            Contact.objects.for_client(client),
            _("This contact is not one of %(client)s's contacts: choose one from the list.")
            % {"client": name},
        )
        self.fields["attributes"].widget.attrs["rows"] = 3
        self.fields["notes"].widget.attrs["rows"] = 3

    def clean_attributes(self):
        value = self.cleaned_data.get("attributes")
        if value in (None, ""):
            return {}
        if not isinstance(value, dict):
            raise ValidationError(
                _('Attributes must be a JSON object in braces, such as {"ram_gb": 16}.')
            )
        return value

    def clean(self):
        cleaned = super().clean()
        purchased, expires = cleaned.get("purchase_date"), cleaned.get("expires_on")
        if purchased and expires and expires < purchased:
            self.add_error(
                "expires_on",
                _("The warranty or expiry date cannot be before the purchase date (%(day)s).")
                % {"day": formats.date_format(purchased, "SHORT_DATE_FORMAT")},
            )
        return cleaned
