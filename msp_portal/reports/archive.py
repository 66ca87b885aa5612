"""What a reversibility archive holds, and writing it: one CSV and one JSON file per kind of
record, the ticket attachments, and a README describing every file and column.

Every queryset starts from the one client of the export (``for_client``), or, for the MSP-wide
rules a client's contracts use (SLA targets, calendars), from that client's contracts: nothing of
another client can enter. Rows are streamed with ``.iterator()`` straight into the zip, so a big
client does not load its history into memory.

What is left out, on purpose (written in the README too):

* internal notes of the timeline and the notes of time entries are the MSP's own work notes:
  a client administrator's export has the public timeline and the time spent; an MSP staff
  member may tick "include internal notes" for a complete copy (for example at the end of a
  contract, when the work notes are handed over too);
* escalation records, the audit log and webhooks' secrets are MSP operations, not client data.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import unicodedata
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import FieldDoesNotExist
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clients.models import Asset, Client, Contact, Site
from contracts.models import BusinessCalendar, BusinessHours, Contract, Holiday, SLATarget
from monitoring.models import Check, CheckResult, CheckRollup, CheckStateChange, MaintenanceWindow
from msp_portal.core.csv import BOM, csv_safe
from msp_portal.notifications.models import Notification
from tickets.models import (
    Attachment,
    InboundMessage,
    SlaTimer,
    Ticket,
    TicketEvent,
    TimeEntry,
)

CHUNK = 2000


@dataclass(frozen=True)
class Column:
    """One column: its name in the files, the ORM lookup it reads, what it means."""

    name: str
    lookup: str
    help: str = ""


@dataclass
class Dataset:
    """One kind of record: written as ``<name>.csv`` and ``<name>.json``."""

    name: str
    model: type[Model]
    description: str
    columns: list[Column]
    rows: Callable[[Client, bool], QuerySet]
    #: Columns only written when internal notes are included.
    internal_columns: set[str] = field(default_factory=set)

    def columns_for(self, internal: bool) -> list[Column]:
        return [c for c in self.columns if internal or c.name not in self.internal_columns]

    def column_help(self, column: Column) -> str:
        """The column's meaning: its own text, or the verbose names of the fields it reads
        ("SLA policy (name)" for ``sla_policy__name``)."""
        if column.help:
            return str(column.help)
        model, labels = self.model, []
        for part in column.lookup.split("__"):
            try:
                found = model._meta.get_field(part)
            except FieldDoesNotExist:
                return column.name
            labels.append(str(getattr(found, "verbose_name", part)))
            model = found.related_model or model
        text = labels[0] if len(labels) == 1 else f"{labels[0]} ({labels[-1]})"
        return text[:1].upper() + text[1:]


def _cols(*specs) -> list[Column]:
    return [Column(*spec) if isinstance(spec, tuple) else Column(spec, spec) for spec in specs]


def _contracts(client: Client) -> QuerySet:
    return Contract.objects.for_client(client)


def _calendars(client: Client) -> QuerySet:
    contracts = _contracts(client)
    return BusinessCalendar.objects.filter(
        Q(pk__in=contracts.values("calendar_id"))
        | Q(pk__in=SLATarget.objects.filter(policy__contracts__in=contracts).values("calendar_id"))
    )


def datasets() -> list[Dataset]:
    """Every dataset of the archive, in the order they are written (labels translated now)."""
    return [
        Dataset(
            "company",
            Client,
            _("Your company as the MSP knows it."),
            _cols("id", "name", "slug", "status", "time_zone", "language", "created_at", "notes"),
            lambda client, internal: Client.objects.filter(pk=client.pk),
            internal_columns={"notes"},
        ),
        Dataset(
            "sites",
            Site,
            _("Your locations."),
            _cols("id", "name", "address", "postal_code", "city", "country", "phone", "notes"),
            lambda client, internal: Site.objects.for_client(client).order_by("pk"),
        ),
        Dataset(
            "contacts",
            Contact,
            _("The people of your company the MSP knows; site_id refers to sites."),
            _cols(
                "id",
                "site_id",
                "first_name",
                "last_name",
                "email",
                "phone",
                "mobile",
                "job_title",
                "is_primary",
                "is_active",
                "notes",
            ),
            lambda client, internal: Contact.objects.for_client(client).order_by("pk"),
        ),
        Dataset(
            "assets",
            Asset,
            _("Your inventory; site_id refers to sites, owner_id to contacts."),
            _cols(
                "id",
                "kind",
                "name",
                "hostname",
                "ip_address",
                "url",
                "serial_number",
                "manufacturer",
                "model",
                "operating_system",
                "site_id",
                "owner_id",
                "purchase_date",
                "expires_on",
                "status",
                "attributes",
                "notes",
                "created_at",
                "updated_at",
            ),
            lambda client, internal: Asset.objects.for_client(client).order_by("pk"),
        ),
        Dataset(
            "contracts",
            Contract,
            _("Your contracts, with the SLA policy and business calendar each one uses."),
            _cols(
                "id",
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
                ("sla_policy", "sla_policy__name"),
                ("calendar", "calendar__name"),
                "notes",
                "created_at",
            ),
            lambda client, internal: _contracts(client).order_by("pk"),
        ),
        Dataset(
            "sla_targets",
            SLATarget,
            _("The targets of the SLA policies of your contracts, per priority."),
            _cols(
                ("policy", "policy__name"),
                "priority",
                "first_response_minutes",
                "resolution_minutes",
                "next_response_minutes",
                (
                    "calendar",
                    "calendar__name",
                    _("Calendar of this target (empty: the contract's calendar)"),
                ),
            ),
            lambda client, internal: SLATarget.objects.filter(
                policy__in=_contracts(client).values("sla_policy_id")
            ).order_by("policy__name", "priority"),
        ),
        Dataset(
            "business_hours",
            BusinessHours,
            _(
                "Opening hours of the business calendars SLA times are counted in "
                "(weekday 0 is Monday)."
            ),
            _cols(
                ("calendar", "calendar__name"),
                ("time_zone", "calendar__time_zone"),
                "weekday",
                "start",
                "end",
            ),
            lambda client, internal: BusinessHours.objects.filter(
                calendar__in=_calendars(client)
            ).order_by("calendar__name", "weekday", "start"),
        ),
        Dataset(
            "holidays",
            Holiday,
            _("Days those calendars are closed."),
            _cols(
                ("calendar", "calendar__name"),
                "name",
                "date",
                "end_date",
                "recurring",
                "closed_from",
                "closed_to",
            ),
            lambda client, internal: Holiday.objects.filter(
                calendar__in=_calendars(client)
            ).order_by("calendar__name", "date"),
        ),
        Dataset(
            "tickets",
            Ticket,
            _("Your tickets; contact_id and asset_id refer to contacts and assets."),
            _cols(
                "id",
                "number",
                "subject",
                "description",
                "status",
                "priority",
                "impact",
                "urgency",
                "source",
                ("contract", "contract__reference"),
                ("category", "category__name"),
                ("queue", "queue__name"),
                "contact_id",
                "asset_id",
                ("assignee", "assignee__full_name"),
                ("created_by", "created_by__email"),
                "created_at",
                "updated_at",
                "first_responded_at",
                "resolved_at",
                "closed_at",
                ("merged_into", "merged_into__number"),
            ),
            lambda client, internal: Ticket.objects.for_client(client).order_by("pk"),
        ),
        Dataset(
            "ticket_events",
            TicketEvent,
            _("The timeline of every ticket, oldest first."),
            _cols(
                "id",
                ("ticket", "ticket__number"),
                "created_at",
                "kind",
                "actor",
                ("author", "author__full_name"),
                "author_contact_id",
                "public",
                "automated",
                "body",
                "data",
            ),
            lambda client, internal: (
                TicketEvent.objects.for_client(client)
                .filter(Q() if internal else Q(public=True))
                .order_by("ticket_id", "created_at", "pk")
            ),
        ),
        Dataset(
            "time_entries",
            TimeEntry,
            _("Time spent on your tickets."),
            _cols(
                "id",
                ("ticket", "ticket__number"),
                ("technician", "technician__full_name"),
                "work_date",
                "minutes",
                "billable",
                "note",
            ),
            lambda client, internal: TimeEntry.objects.for_client(client).order_by("pk"),
            internal_columns={"note"},
        ),
        Dataset(
            "sla_timers",
            SlaTimer,
            _("Every SLA clock of every ticket: its target, business time used and outcome."),
            _cols(
                ("ticket", "ticket__number"),
                "kind",
                "cycle",
                "priority",
                "target_minutes",
                "state",
                "started_at",
                "elapsed_seconds",
                "due_at",
                "breached",
                "breach_at",
                "stopped_at",
                "outcome",
            ),
            lambda client, internal: SlaTimer.objects.for_client(client).order_by("pk"),
        ),
        Dataset(
            "checks",
            Check,
            _("Your monitored services; asset_id refers to assets."),
            _cols(
                "id",
                "name",
                "kind",
                "config",
                "asset_id",
                "interval_seconds",
                "enabled",
                "state",
                "state_changed_at",
                "created_at",
            ),
            lambda client, internal: Check.objects.for_client(client).order_by("pk"),
        ),
        Dataset(
            "check_state_changes",
            CheckStateChange,
            _("Every change of state of your checks: what availability is computed from."),
            _cols(("check_id", "monitor_id"), "at", "from_state", "to_state", "reason"),
            lambda client, internal: CheckStateChange.objects.for_client(client).order_by("pk"),
        ),
        Dataset(
            "check_results",
            CheckResult,
            _("Raw results of your checks (kept a few days only by the MSP)."),
            _cols(
                ("check_id", "monitor_id"),
                "checked_at",
                "outcome",
                "latency_ms",
                "message",
            ),
            lambda client, internal: CheckResult.objects.for_client(client).order_by("pk"),
        ),
        Dataset(
            "check_rollups",
            CheckRollup,
            _("Results of your checks counted per hour and per day: the long-term history."),
            _cols(
                ("check_id", "monitor_id"),
                "period",
                "start",
                "successes",
                "degraded",
                "failures",
                "errors",
                "latency_min_ms",
                "latency_avg_ms",
                "latency_p95_ms",
            ),
            lambda client, internal: CheckRollup.objects.for_client(client).order_by("pk"),
        ),
        Dataset(
            "maintenance_windows",
            MaintenanceWindow,
            _("Planned maintenance periods of your checks."),
            _cols(
                "id",
                "name",
                "starts_at",
                "ends_at",
                "recurrence",
                "repeat_until",
                "reason",
            ),
            lambda client, internal: MaintenanceWindow.objects.for_client(client).order_by("pk"),
        ),
        Dataset(
            "emails_sent",
            Notification,
            _("The e-mails the portal sent about your tickets (to your people and to the MSP)."),
            _cols(
                "id",
                ("ticket", "ticket__number"),
                "kind",
                "recipient",
                "subject",
                "message_id",
                "status",
                "created_at",
                "sent_at",
            ),
            lambda client, internal: Notification.objects.filter(client=client).order_by("pk"),
        ),
        Dataset(
            "emails_received",
            InboundMessage,
            _("The e-mails your people sent to the support mailboxes, and what became of them."),
            _cols(
                "id",
                ("ticket", "ticket__number"),
                "sender",
                "subject",
                "message_id",
                "received_at",
                "status",
                "reason",
            ),
            lambda client, internal: InboundMessage.objects.filter(client=client).order_by("pk"),
        ),
    ]


ATTACHMENT_COLUMNS = (
    ("id", gettext_lazy("Attachment number")),
    ("ticket", gettext_lazy("Ticket number")),
    ("event_id", gettext_lazy("Timeline entry it belongs to (ticket_events), if any")),
    ("original_name", gettext_lazy("File name as it was sent")),
    ("content_type", gettext_lazy("Type")),
    ("size", gettext_lazy("Size (bytes)")),
    ("created_at", gettext_lazy("Uploaded")),
    ("path", gettext_lazy("Where the file is in this archive (empty: the file could not be read)")),
)
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_member_name(name: str, fallback: str = "file") -> str:
    """A name that is one plain path segment: no directory, no ``..``, no odd characters."""
    name = unicodedata.normalize("NFKD", str(name or "")).encode("ascii", "ignore").decode()
    name = _SAFE.sub("_", name.replace("/", "_").replace("\\", "_")).strip("._-")
    return name[:100] or fallback


def attachments_of(client: Client, internal: bool) -> QuerySet:
    rows = Attachment.objects.for_client(client)
    if not internal:
        rows = rows.filter(Q(event__isnull=True) | Q(event__public=True))
    return rows.select_related("ticket").order_by("pk")


def _text_member(archive: zipfile.ZipFile, name: str):
    return io.TextIOWrapper(archive.open(name, "w"), encoding="utf-8", newline="")


def _cell(value):
    """JSON fields (details, attributes, settings) as JSON text in a CSV cell."""
    if isinstance(value, dict | list):
        return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True)
    return value


def write_table(
    archive: zipfile.ZipFile, name: str, header: list[str], rows: Callable[[], Iterable]
) -> int:
    """``name.csv`` (cells neutralised against formulas) and ``name.json``; returns the rows."""
    count = 0
    with _text_member(archive, f"{name}.csv") as out:
        writer = csv.writer(out)
        out.write(BOM)
        writer.writerow(header)
        for row in rows():
            writer.writerow([csv_safe(_cell(cell)) for cell in row])
            count += 1
    with _text_member(archive, f"{name}.json") as out:
        out.write("[")
        for index, row in enumerate(rows()):
            out.write(",\n" if index else "\n")
            out.write(
                json.dumps(
                    dict(zip(header, row, strict=True)), cls=DjangoJSONEncoder, ensure_ascii=False
                )
            )
        out.write("\n]\n")
    return count


def write_dataset(archive: zipfile.ZipFile, dataset: Dataset, client: Client, internal: bool):
    columns = dataset.columns_for(internal)
    lookups = [c.lookup for c in columns]

    def rows():
        return dataset.rows(client, internal).values_list(*lookups).iterator(chunk_size=CHUNK)

    return write_table(archive, dataset.name, [c.name for c in columns], rows)


def write_attachments(archive: zipfile.ZipFile, client: Client, internal: bool) -> int:
    """The files under ``attachments/<ticket number>/<id>-<safe name>``, then their list."""
    paths: dict[int, str] = {}
    for attachment in attachments_of(client, internal).iterator(chunk_size=CHUNK):
        member = (
            f"attachments/{attachment.ticket.number}/"
            f"{attachment.pk}-{safe_member_name(attachment.original_name)}"
        )
        try:
            with attachment.file.open("rb") as source, archive.open(member, "w") as target:
                shutil.copyfileobj(source, target, 1024 * 1024)
        except (OSError, ValueError):
            continue  # the file is gone from storage: listed with an empty path
        paths[attachment.pk] = member

    def rows():
        for a in attachments_of(client, internal).iterator(chunk_size=CHUNK):
            yield [
                a.pk, a.ticket.number, a.event_id, a.original_name, a.content_type, a.size,
                a.created_at, paths.get(a.pk, ""),
            ]  # fmt: skip

    return write_table(archive, "attachments", [c for c, _h in ATTACHMENT_COLUMNS], rows)


def readme_text(client: Client, internal: bool, counts: dict[str, int]) -> str:
    """The README in the active language: what each file and column holds."""
    lines = [
        "# " + _("Data export: %(client)s") % {"client": client.name},
        "",
        _("Generated on %(at)s (UTC).") % {"at": timezone.now().strftime("%Y-%m-%d %H:%M")},
        "",
        _(
            "Everything the MSP holds about your company, one CSV file and one JSON file per "
            "kind of record (the same rows in both). CSV files are UTF-8 with a byte-order mark; "
            "a cell that a spreadsheet could read as a formula starts with a single quote. Dates "
            "and times are ISO 8601 in UTC. Identifiers (id, *_id) link the files together."
        ),
        "",
        _("Internal notes of the timeline and the notes of time entries are included.")
        if internal
        else _(
            "Internal notes (the MSP's own work notes on tickets and on time entries) and "
            "the MSP's notes about your company are not included; everything visible to you "
            "is, with the time spent on each ticket."
        ),
        "",
    ]
    for dataset in datasets():
        lines += [
            f"## {dataset.name}.csv, {dataset.name}.json",
            "",
            dataset.description
            + " "
            + _("Rows: %(count)s.") % {"count": counts.get(dataset.name, 0)},
            "",
        ]
        lines += [f"- `{c.name}`: {dataset.column_help(c)}" for c in dataset.columns_for(internal)]
        lines.append("")
    lines += [
        "## attachments.csv, attachments.json, attachments/",
        "",
        _(
            "The files attached to your tickets, under attachments/<ticket number>/, renamed "
            "<attachment number>-<file name> with only plain characters; the original names are "
            "in the list."
        )
        + " "
        + _("Rows: %(count)s.") % {"count": counts.get("attachments", 0)},
        "",
    ]
    lines += [f"- `{name}`: {text}" for name, text in ATTACHMENT_COLUMNS]
    lines.append("")
    return "\n".join(lines)
