"""Forms of the contract pages: the list filter, and the form that adds and changes a contract."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from clients.forms import RecordForm, percent_safe
from clients.models import Asset, Client, Site
from msp_portal.core.forms import ListFilterForm, client_filter_field

from .models import BusinessCalendar, Contract, SLAPolicy


class ContractFilterForm(ListFilterForm):
    search_placeholder = _("Reference or title")

    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *Contract.Status.choices],
    )
    client = client_filter_field()


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ContractForm(RecordForm):
    """A contract's terms and SLA; sites and assets are offered from its own client only."""

    class Meta:
        model = Contract
        fields = [
            "reference",
            "title",
            "status",
            "start_date",
            "end_date",
            "auto_renew",
            "notice_period_days",
            "billing_model",
            "monthly_fee",
            "currency",
            "included_hours",
            "sla_policy",
            "calendar",
            "covered_sites",
            "covered_assets",
            "notes",
        ]
        widgets = {
            "start_date": _date_input(),
            "end_date": _date_input(),
            "covered_sites": forms.CheckboxSelectMultiple,
            "covered_assets": forms.SelectMultiple(attrs={"size": 8}),
        }
        help_texts = {
            "end_date": _("Empty for an open-ended contract."),
            "sla_policy": _(
                "Tickets opened from now on follow it; open tickets keep the rules they were "
                "opened under."
            ),
            "calendar": _("The business hours SLA targets are counted in."),
            "covered_assets": _("Hold Ctrl (or Cmd) to choose several."),
        }

    def __init__(self, *args, client: Client, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.client = client
        self.fields["sla_policy"].queryset = SLAPolicy.objects.all()
        self.fields["calendar"].queryset = BusinessCalendar.objects.all()
        sites, assets = self.fields["covered_sites"], self.fields["covered_assets"]
        sites.queryset = Site.objects.for_client(client)
        sites.error_messages["invalid_choice"] = _(
            "This site is not one of %(client)s's sites: choose from the list."
        ) % {"client": percent_safe(client.name)}
        assets.queryset = Asset.objects.for_client(client).order_by("name")
        assets.error_messages["invalid_choice"] = _(
            "Asset %(value)s is not one of %(client)s's assets: a contract covers only its "
            "own client's assets."
        ) % {"client": percent_safe(client.name), "value": "%(value)s"}
        self.fields["notes"].widget.attrs["rows"] = 3
        self.fields["currency"].widget.attrs.update({"size": 3, "placeholder": "EUR"})

    def clean_currency(self) -> str:
        currency = (self.cleaned_data.get("currency") or "").strip().upper()
        if not (len(currency) == 3 and currency.isalpha()):
            raise ValidationError(_("Use the three-letter ISO code of the currency, such as EUR."))
        return currency

    def clean_reference(self) -> str:
        return (self.cleaned_data.get("reference") or "").strip()

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error(
                "end_date",
                _("The end date must be on or after the start date (%(day)s).")
                % {"day": formats.date_format(start, "SHORT_DATE_FORMAT")},
            )
        return cleaned
