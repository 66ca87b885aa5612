"""Forms of the monitoring pages: they read and check what people type; the services decide.

A check's settings are typed in plain fields per kind (a URL, a port, "200, 301"), never as
JSON; :meth:`CheckForm.check_fields` turns them into the ``config`` the probes read, and
:meth:`CheckForm.add_service_errors` puts a refusal of the service (an address checks may not
reach, a host that does not resolve) back next to the field it concerns.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Asset, Client
from msp_portal.core.forms import ListFilterForm, client_filter_field

from .models import Check, CheckState, MaintenanceWindow
from .probes import DNS_TYPES, HTTP_METHODS
from .selectors import FLAPPING, STALE

Kind = Check.Kind


class CheckFilterForm(ListFilterForm):
    search_placeholder = _("Check or asset")

    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[
            ("", _("Any state")),
            *CheckState.choices,
            (STALE, _("Late (stale)")),
            (FLAPPING, _("Flapping")),
        ],
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any kind")), *Kind.choices]
    )
    client = client_filter_field()


class CheckSetupForm(forms.Form):
    """The first step of a new check: whose, and what kind (read from the query string)."""

    client = forms.ModelChoiceField(
        label=_("Client"), queryset=Client.objects.none(), empty_label=_("Choose a client")
    )
    kind = forms.ChoiceField(label=_("Kind of check"), choices=Kind.choices, initial=Kind.HTTP)

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = Client.objects.for_user(user).active().only("pk", "name")


def _int_list(text: str) -> list[int]:
    codes = []
    for part in text.replace(";", ",").replace(" ", ",").split(","):
        if not part:
            continue
        if not part.isdigit() or not 100 <= int(part) <= 599:
            raise ValidationError(
                _("%(value)s is not an HTTP status code (100 to 599).") % {"value": part}
            )
        codes.append(int(part))
    return codes


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _port(initial: int | None = None, *, required: bool) -> forms.IntegerField:
    return forms.IntegerField(
        label=_("Port"), min_value=1, max_value=65535, required=required, initial=initial
    )


def _host(help_text) -> forms.CharField:
    return forms.CharField(label=_("Host"), max_length=253, help_text=help_text)


def _kind_fields(kind: str) -> dict[str, forms.Field]:
    """The fields of one kind's settings, named after their config keys (``dns_name`` for the
    DNS ``name``, which would clash with the check's own name)."""
    if kind == Kind.HTTP:
        return {
            # Not a URLField: Django's validator refuses LAN names ("http://nas/") that
            # checks may watch; validate_config is the judge of what a check may fetch.
            "url": forms.CharField(
                label=_("URL"), max_length=2000,
                help_text=_("The page to fetch, e.g. https://www.example.com/health"),
                widget=forms.URLInput(attrs={"placeholder": "https://"}),
            ),
            "method": forms.ChoiceField(
                label=_("Method"), choices=[(m, m) for m in HTTP_METHODS], initial="GET"
            ),
            "expected_status": forms.CharField(
                label=_("Expected status codes"), required=False, max_length=200,
                help_text=_("Separated by commas, e.g. 200, 301. Empty: any 2xx or 3xx."),
            ),
            "keyword": forms.CharField(
                label=_("Text that must appear"), required=False, max_length=500
            ),
            "keyword_absent": forms.CharField(
                label=_("Text that must not appear"), required=False, max_length=500
            ),
            "verify_tls": forms.BooleanField(
                label=_("Verify the TLS certificate"), required=False, initial=True
            ),
            "follow_redirects": forms.BooleanField(
                label=_("Follow redirects"), required=False, initial=True
            ),
        }  # fmt: skip
    if kind == Kind.TLS:
        return {
            "host": _host(_("The server whose certificate is checked, e.g. www.example.com")),
            "port": _port(443, required=False),
            "server_name": forms.CharField(
                label=_("Name on the certificate"), required=False, max_length=253,
                help_text=_("Sent as SNI and checked against the certificate. Empty: the host."),
            ),
            "warning_days": forms.IntegerField(
                label=_("Warn when it expires within (days)"), min_value=0, max_value=3650,
                initial=21, required=False,
            ),
            "critical_days": forms.IntegerField(
                label=_("Fail when it expires within (days)"), min_value=0, max_value=3650,
                initial=7, required=False,
            ),
            "verify": forms.BooleanField(
                label=_("Verify the chain and the name"), required=False, initial=True
            ),
        }  # fmt: skip
    if kind == Kind.TCP:
        return {
            "host": _host(_("A host name or an IP address.")),
            "port": _port(required=True),
        }
    if kind == Kind.DNS:
        return {
            "dns_name": forms.CharField(
                label=_("Name to look up"), max_length=253,
                help_text=_("e.g. www.example.com"),
            ),
            "record_type": forms.ChoiceField(
                label=_("Record type"), choices=[(t, t) for t in DNS_TYPES], initial="A"
            ),
            "expected": forms.CharField(
                label=_("Expected answers"), required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text=_("One per line; each must be among the answers. Empty: any answer."),
            ),
            "resolver": forms.CharField(
                label=_("DNS server"), required=False, max_length=60,
                help_text=_("An IP address, with an optional port (192.0.2.53:5353). "
                            "Empty: the server's own resolver."),
            ),
        }  # fmt: skip
    if kind == Kind.PING:
        return {"host": _host(_("A host name or an IP address."))}
    return {}


#: Form field -> config key, where they differ.
_CONFIG_KEY = {"dns_name": "name"}
#: The field that names what the check looks at: service errors about the target go there.
_TARGET_FIELD = {
    Kind.HTTP: "url",
    Kind.TLS: "host",
    Kind.TCP: "host",
    Kind.DNS: "dns_name",
    Kind.PING: "host",
}
_COMMON = [
    "name",
    "asset",
    "interval_seconds",
    "retry_interval_seconds",
    "timeout_seconds",
    "failure_threshold",
    "recovery_threshold",
    "degraded_latency_ms",
    "resolve_ticket_on_recovery",
]
_HEARTBEAT_COMMON = [
    "name",
    "asset",
    "interval_seconds",
    "grace_seconds",
    "resolve_ticket_on_recovery",
]


def _model_formfield(name: str) -> forms.Field:
    """The model field's form field, with the model's limits checked here and shown as the
    input's min and max (the service checks them again)."""
    model_field = Check._meta.get_field(name)
    field = model_field.formfield()
    lows = [v.limit_value for v in model_field.validators if isinstance(v, MinValueValidator)]
    highs = [v.limit_value for v in model_field.validators if isinstance(v, MaxValueValidator)]
    if lows:
        field.validators.append(MinValueValidator(max(lows)))
        field.widget.attrs["min"] = max(lows)
    if highs:
        field.validators.append(MaxValueValidator(min(highs)))
        field.widget.attrs["max"] = min(highs)
    if isinstance(field, forms.FloatField):  # a subclass of IntegerField: first
        field.widget.attrs["inputmode"] = "decimal"
    elif isinstance(field, forms.IntegerField):
        field.widget.attrs["inputmode"] = "numeric"
    return field


class CheckForm(forms.Form):
    """A check of one kind, for one client: the common fields and that kind's settings."""

    def __init__(self, *args, client: Client, kind: str, check: Check | None = None, **kwargs):
        if check is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_from(check)
        super().__init__(*args, **kwargs)
        self.client, self.kind = client, kind
        # Settings this form has no field for (set through the API or the admin) are kept.
        known = {_CONFIG_KEY.get(name, name) for name in _kind_fields(kind)}
        same_kind = check is not None and check.kind == kind
        self.kept_config = {
            key: value
            for key, value in ((check.config or {}) if same_kind else {}).items()
            if key not in known
        }
        self.fields.update(
            {
                name: _model_formfield(name)
                for name in (_HEARTBEAT_COMMON if kind == Kind.HEARTBEAT else _COMMON)
                if name != "asset"
            }
        )
        self.fields["asset"] = forms.ModelChoiceField(
            label=_("Asset"),
            required=False,
            queryset=Asset.objects.filter(client=client).only("pk", "name"),
            empty_label=_("No asset"),
        )
        if kind == Kind.HEARTBEAT:
            self.fields["interval_seconds"].label = _("Period (seconds)")
            self.fields["interval_seconds"].help_text = _("How often the job is expected to ping.")
        self.fields.update(_kind_fields(kind))
        self.order_fields(["name", "asset", *_kind_fields(kind)])

    def groups(self) -> list[tuple[str, list]]:
        """The bound fields in the sections the page shows: what, then when and how."""
        what = ["name", "asset", *_kind_fields(self.kind)]
        return [
            (_("What to check"), [self[name] for name in what]),
            (_("Schedule and alerting"), [self[name] for name in self.fields if name not in what]),
        ]

    @staticmethod
    def initial_from(check: Check) -> dict[str, Any]:
        initial = {name: getattr(check, name) for name in set(_COMMON + _HEARTBEAT_COMMON)}
        initial["asset"] = check.asset_id
        config = dict(check.config or {})
        if "name" in config:
            config["dns_name"] = config.pop("name")
        if isinstance(config.get("expected_status"), list):
            config["expected_status"] = ", ".join(str(c) for c in config["expected_status"])
        if isinstance(config.get("expected"), list):
            config["expected"] = "\n".join(config["expected"])
        initial.update(config)
        return initial

    def clean_url(self) -> str:
        url = self.cleaned_data["url"].strip()
        return url if "://" in url else f"https://{url}"

    def clean_expected_status(self) -> list[int]:
        return _int_list(self.cleaned_data.get("expected_status") or "")

    def clean_expected(self) -> list[str]:
        return _lines(self.cleaned_data.get("expected") or "")

    def clean(self) -> dict:
        data = super().clean()
        warning, critical = data.get("warning_days"), data.get("critical_days")
        if warning is not None and critical is not None and critical > warning:
            self.add_error(
                "critical_days",
                _("Give at most as many days as for the warning (%(days)s).") % {"days": warning},
            )
        searched = data.get("keyword") or data.get("keyword_absent")
        if searched and data.get("method") == "HEAD":
            self.add_error("method", _("A HEAD request has no page to search for text: use GET."))
        return data

    def config(self) -> dict[str, Any]:
        """The settings in the shape the probes read; empty optional fields are left out."""
        config = dict(self.kept_config)
        for name in _kind_fields(self.kind):
            value = self.cleaned_data.get(name)
            if value in (None, "", []):
                continue
            config[_CONFIG_KEY.get(name, name)] = value
        return config

    def check_fields(self) -> dict[str, Any]:
        """What the service takes: the common fields and ``config``."""
        common = set(_COMMON) | set(_HEARTBEAT_COMMON)
        fields = {name: self.cleaned_data[name] for name in self.fields if name in common}
        fields["kind"], fields["config"] = self.kind, self.config()
        return fields

    def add_service_errors(self, error: ValidationError) -> None:
        """Show a refusal of the service on the field it concerns."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        target = _TARGET_FIELD.get(self.kind)
        for key, errors in error.error_dict.items():
            if key in self.fields:
                self.add_error(key, errors)
            elif key == "config":
                for item in errors:
                    field = self._field_named_in(" ".join(item.messages)) or target
                    self.add_error(field if field in self.fields else None, item)
            else:
                self.add_error(None, errors)

    def _field_named_in(self, message: str) -> str | None:
        """The field whose config key the message quotes, e.g. '"port" must be ...'."""
        for name in self.fields:
            if f'"{_CONFIG_KEY.get(name, name)}"' in message and name in _kind_fields(self.kind):
                return name
        return None


class MaintenanceWindowForm(forms.Form):
    """A window typed in the client's wall-clock time, whoever types it and from wherever."""

    name = forms.CharField(label=_("Name"), max_length=200)
    starts_at = forms.DateTimeField(
        label=_("Starts"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    ends_at = forms.DateTimeField(
        label=_("Ends"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    recurrence = forms.ChoiceField(
        label=_("Repeats"),
        choices=MaintenanceWindow.Recurrence.choices,
        initial=MaintenanceWindow.Recurrence.NONE,
    )
    repeat_until = forms.DateField(
        label=_("Repeat until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("The last day an occurrence may start on. Empty: no end."),
    )
    checks = forms.ModelMultipleChoiceField(
        label=_("Checks"),
        required=False,
        queryset=Check.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every check of the client, including checks added later."),
    )
    reason = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, client: Client, window: MaintenanceWindow | None = None, **kwargs):
        self.client = client
        self.tz = ZoneInfo(client.time_zone)
        if window is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_from(window, self.tz)
        super().__init__(*args, **kwargs)
        self.fields["checks"].queryset = Check.objects.filter(client=client).only("pk", "name")
        zone = client.time_zone
        self.fields["starts_at"].help_text = _("In the client's time zone, %(zone)s.") % {
            "zone": zone
        }
        self.fields["ends_at"].help_text = self.fields["starts_at"].help_text

    @staticmethod
    def initial_from(window: MaintenanceWindow, tz: ZoneInfo) -> dict[str, Any]:
        def local(at: dt.datetime) -> dt.datetime:
            # Naive on purpose: the widget shows it as is, not moved to the user's zone.
            return at.astimezone(tz).replace(tzinfo=None)

        return {
            "name": window.name,
            "starts_at": local(window.starts_at),
            "ends_at": local(window.ends_at),
            "recurrence": window.recurrence,
            "repeat_until": window.repeat_until,
            "reason": window.reason,
            "checks": [c.pk for c in window.checks.all()],
        }

    def full_clean(self) -> None:
        # Date-times typed here are read in the client's zone, not the staff member's.
        with timezone.override(self.tz):
            super().full_clean()

    def clean(self) -> dict:
        data = super().clean()
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", _("A maintenance window must end after it starts."))
        if data.get("recurrence") == MaintenanceWindow.Recurrence.NONE:
            data["repeat_until"] = None
        return data

    def window_fields(self) -> dict[str, Any]:
        return dict(self.cleaned_data)

    def add_service_errors(self, error: ValidationError) -> None:
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for key, errors in error.error_dict.items():
            self.add_error(key if key in self.fields else None, errors)
