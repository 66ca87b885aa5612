"""Load data for benchmarks: thousands of clients and up to millions of tickets with timelines.

Behind ``manage.py generate_load``. Unlike the demo, nothing here goes through
``tickets.services``: at a million tickets that would take hours. Rows are written in bulk
(``COPY`` on PostgreSQL, ``bulk_create`` elsewhere) from a simulated life of each ticket --
opened, answered, maybe put on hold waiting for the client, resolved, closed -- and its SLA
timers are computed from the same instants with a simplified business-time model: a per-minute
table of the business calendars (weekly hours, holidays, time zone and DST), no priority
changes, at most one pause, no next-response cycles. Each ticket's stored SLA summary
(``sla_rank``, ``sla_due_at``) comes from ``tickets.services.sla.sla_summary`` over the timers
written, so the queue's stored fields agree with the timers exactly.

Every generated client has a slug starting with ``load-`` and every generated user an e-mail
ending in ``@load.msp.example``; ``load_reset`` removes those and what hangs off them, and
nothing else. A fixed seed makes a run reproducible relative to the moment it starts.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import queue
import random
import threading
import time
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import accumulate
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from clients.models import Asset, Client, Contact, Site
from contracts.models import (
    BusinessCalendar,
    BusinessHours,
    Contract,
    Holiday,
    SLAPolicy,
    SLATarget,
)
from contracts.services import sla_snapshot_for
from msp_portal.accounts.models import Role, User
from tickets.models import (
    PRIORITY_MATRIX,
    Category,
    Queue,
    SlaEscalation,
    SlaTimer,
    Ticket,
    TicketEvent,
    TicketSequence,
    TimeEntry,
)
from tickets.services.sla import sla_summary

from .calendars import (
    MONTREAL,
    PARIS,
    PREMIUM_TARGETS,
    QUEBEC_HOLIDAYS,
    STANDARD_TARGETS,
    french_public_holidays,
)
from .inventory import CATEGORIES, QUEUES

SLUG_PREFIX = "load-"
EMAIL_DOMAIN = "load.msp.example"
CHUNK = 20_000  # tickets per batch written
#: Above this many tickets, PostgreSQL loads without secondary indexes and rebuilds them.
REINDEX_FROM = 50_000

Log = Callable[[str], None]


@dataclass
class LoadResult:
    """What a generation run wrote, for the command to report."""

    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    rollups: str = ""


# --- vocabulary ---------------------------------------------------------------------------

FIRST_NAMES = [
    "Julie",
    "Nicolas",
    "Camille",
    "Thomas",
    "Léa",
    "Hugo",
    "Manon",
    "Lucas",
    "Chloé",
    "Antoine",
    "Sarah",
    "Maxime",
    "Emma",
    "Louis",
    "Inès",
    "Paul",
    "Laura",
    "Mathieu",
    "Clara",
    "Romain",
    "Émilie",
    "Kevin",
    "Pauline",
    "Alexandre",
    "Marie",
    "Olivier",
    "Sophie",
    "Emily",
    "James",
    "Priya",
    "Ryan",
    "Olivia",
    "Daniel",
    "Megan",
    "Noah",
    "Ava",
    "Ethan",
]
LAST_NAMES = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefebvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Mercier",
    "Blanc",
    "Guerin",
    "Boyer",
    "Tremblay",
    "Gagnon",
    "Roy",
    "Côté",
    "Bouchard",
    "Smith",
    "Johnson",
    "Brown",
    "Wilson",
    "Taylor",
]
COMPANY_KINDS_FR = (
    "Cabinet", "Boulangerie", "Transports", "Pharmacie", "Atelier", "Imprimerie", "Garage",
    "Clinique", "Agence", "Menuiserie", "Laboratoire", "Étude notariale", "Hôtel", "Librairie",
)  # fmt: skip
COMPANY_KINDS_EN = ("Consulting", "Logistics", "Dental", "Studio", "Foods", "Legal", "Realty")
APPS = (
    "Sage 100", "Cegid", "Outlook", "Teams", "SharePoint", "Excel", "EBP Compta", "Silae",
    "AutoCAD", "Chrome", "OneDrive", "Adobe Acrobat", "QuickBooks", "Salesforce",
)  # fmt: skip
KBS = tuple(f"KB50{n}" for n in range(31000, 31400, 7))
ERRORS = ("0x80070005", "0x8007045D", "0x800F0922", "0xC004F074", "0x80004005", "0x80072EE2")

# Subjects per category and language; {host}, {app}, {person}, {kb} are filled in.
SUBJECTS = {
    "materiel": (
        ("Écran noir au démarrage du poste {host}", "Le disque de {host} fait un bruit anormal"),
        ("Black screen at startup on {host}", "Disk failure warning on {host}"),
    ),
    "logiciels": (
        ("Lenteurs sur {app} depuis ce matin", "Installation de {app} pour {person}"),
        ("{app} is very slow since this morning", "Please install {app} for {person}"),
    ),
    "messagerie": (
        ("Boîte aux lettres pleine pour {person}", "Les courriels n'arrivent plus dans Outlook"),
        ("Mailbox full for {person}", "E-mails stuck in the Outbox"),
    ),
    "reseau-vpn": (
        ("VPN déconnecté régulièrement", "Wi-Fi instable en salle de réunion"),
        ("VPN keeps dropping", "Unstable Wi-Fi in the meeting room"),
    ),
    "comptes-acces": (
        ("Mot de passe expiré pour {person}", "Accès refusé au dossier partagé sur {host}"),
        ("Password expired for {person}", "Access denied to the shared folder on {host}"),
    ),
    "impression": (
        ("Imprimante {host} hors ligne", "Bourrage papier récurrent sur {host}"),
        ("Printer {host} offline", "Recurring paper jam on {host}"),
    ),
    "sauvegarde": (
        ("Sauvegarde en échec sur {host}", "Restauration d'un fichier supprimé sur {host}"),
        ("Backup failed on {host}", "Restore a deleted file from {host}"),
    ),
    "securite": (
        ("Alerte antivirus sur {host}", "Courriel suspect reçu par {person}"),
        ("Antivirus alert on {host}", "Phishing e-mail received by {person}"),
    ),
    "cloud": (
        ("Synchronisation OneDrive bloquée", "Licence Microsoft 365 à ajouter pour {person}"),
        ("OneDrive sync stuck", "Add a Microsoft 365 licence for {person}"),
    ),
    "demande": (
        ("Arrivée de {person} lundi : préparer le poste", "Déplacement du poste de {person}"),
        ("New starter {person} on Monday: set up a laptop", "Move {person}'s desk"),
    ),
    "projet": (
        ("Migration de {host} vers Windows Server 2022", "Renouvellement du pare-feu"),
        ("Migrate {host} to Windows Server 2022", "Firewall renewal project"),
    ),
    "surveillance": (
        ("[Surveillance] {host} : service injoignable", "[Surveillance] {host} : disque C: à 95 %"),
        ("[Monitoring] {host}: service unreachable", "[Monitoring] {host}: disk C: at 95%"),
    ),
}
DESCRIPTIONS = (
    (
        "Bonjour, depuis ce matin {person} n'arrive plus à travailler sur {host}. "
        "Le message d'erreur {error} s'affiche. Pouvez-vous regarder rapidement ? Merci.",
        "Bonjour, nous constatons le problème sur plusieurs postes du service comptabilité. "
        "Cela concerne {app} et le serveur {host}. Cordialement.",
        "Alerte automatique : la sonde a détecté une anomalie sur {host} "
        "(délai de réponse dépassé, code {error}).",
    ),
    (
        "Hi, since this morning {person} cannot work on {host}. The error {error} shows up. "
        "Could you have a look quickly? Thanks.",
        "Hello, several people in accounting are affected. It involves {app} and the server "
        "{host}. Regards.",
        "Automatic alert: the probe detected a problem on {host} (timeout, code {error}).",
    ),
)
REPLIES = (
    (
        "Bonjour, nous prenons votre demande en charge. Je me connecte à distance sur {host}.",
        "Bonjour, j'ai redémarré le service sur {host} ; pouvez-vous confirmer que tout "
        "fonctionne ?",
        "Bonjour, le correctif {kb} est en cours de déploiement, redémarrage prévu ce soir.",
    ),
    (
        "Hello, we are on it. I am connecting remotely to {host}.",
        "Hello, I restarted the service on {host}; can you confirm everything works now?",
        "Hello, update {kb} is being deployed; a restart is planned tonight.",
    ),
)
ASK_INFO = (
    ("Pourriez-vous nous indiquer à quelle heure le problème est apparu et sur quel poste ?",),
    ("Could you tell us when the problem started and on which computer?",),
)
CLIENT_ANSWERS = (
    ("Bonjour, cela a commencé vers 9 h sur {host}, merci.", "C'est sur le poste de {person}."),
    ("Hi, it started around 9am on {host}, thanks.", "It is on {person}'s computer."),
)
SOLUTIONS = (
    (
        "Le problème est résolu : espace disque libéré sur {host} et {kb} installé.",
        "Résolu : le profil de {person} a été recréé, {app} fonctionne de nouveau.",
        "Le service a été relancé et la sauvegarde de {host} s'est terminée sans erreur.",
    ),
    (
        "Fixed: freed disk space on {host} and installed {kb}.",
        "Resolved: {person}'s profile was recreated and {app} works again.",
        "The service was restarted and the backup of {host} completed without errors.",
    ),
)
NOTES = (
    "Journal des événements de {host} : ID 7031, le service Spooler s'arrête en boucle.",
    "Vérifié la console Veeam : job en échec, erreur {error}. Relance manuelle.",
    "RAID dégradé sur {host}, SMART OK sur les autres disques. Commande du disque lancée.",
    "Checked DNS and DHCP leases on {host}; nothing wrong. Escalating to network team.",
    "Exchange Online message trace shows the mail was quarantined; released it.",
    "Quota OneDrive atteint ; licence E3 demandée au client, en attente de validation.",
)
TIME_NOTES = ("Diagnostic à distance", "Intervention sur site", "Remote troubleshooting", "")


def _fill(template: str, words: dict[str, str]) -> str:
    return template.format(**words) if "{" in template else template


# --- the business-minute model ------------------------------------------------------------


class MinuteCalendar:
    """A business calendar as a table over the minutes of the generated range: ``cum[i]`` is
    the number of business minutes in [0, i). Instants are minute indices from ``base``."""

    def __init__(self, cum: list[int]):
        self.cum = cum

    def between(self, a: int, b: int) -> int:
        return self.cum[b] - self.cum[a]

    def add(self, a: int, minutes: int) -> int:
        """The first instant at which ``minutes`` business minutes have passed since ``a``."""
        if minutes <= 0:
            return a
        i = bisect_left(self.cum, self.cum[a] + minutes, lo=a)
        return min(i, len(self.cum) - 1)


def _minute_calendar(calendar: BusinessCalendar, base: dt.datetime, minutes: int) -> MinuteCalendar:
    tz = ZoneInfo(calendar.time_zone)
    windows: dict[int, list[tuple[dt.time, dt.time | None]]] = {}
    for w in calendar.windows.all():
        end = None if w.end == dt.time(0) else w.end  # 00:00: midnight at the end of the day
        windows.setdefault(w.weekday, []).append((w.start, end))
    closed: set[dt.date] = set()
    recurring: set[tuple[int, int]] = set()
    for h in calendar.holidays.all():
        if h.closed_from is not None:
            continue  # partial closures: ignored by this simplified model
        if h.recurring:
            recurring.add((h.date.month, h.date.day))
        else:
            day = h.date
            while day <= (h.end_date or h.date):
                closed.add(day)
                day += dt.timedelta(days=1)
    mask = bytearray(minutes)
    base_ts = base.timestamp()
    day = base.astimezone(tz).date() - dt.timedelta(days=1)
    last = (base + dt.timedelta(minutes=minutes)).astimezone(tz).date()
    while day <= last:
        if day not in closed and (day.month, day.day) not in recurring:
            for start, end in windows.get(day.weekday(), ()):
                s = dt.datetime.combine(day, start, tzinfo=tz)
                e = (
                    dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
                    if end is None
                    else dt.datetime.combine(day, end, tzinfo=tz)
                )
                i = max(0, int((s.timestamp() - base_ts) // 60))
                j = min(minutes, int((e.timestamp() - base_ts) // 60))
                if j > i:
                    mask[i:j] = b"\x01" * (j - i)
        day += dt.timedelta(days=1)
    return MinuteCalendar(list(accumulate(mask, initial=0)))


# --- reference rows -----------------------------------------------------------------------


def _reference_rows(today: dt.date, years: list[int]) -> dict:
    """Calendars, policies, queues and categories of the load, fetched or created by name."""
    paris, created = BusinessCalendar.objects.get_or_create(
        name="Load - Paris", defaults={"time_zone": PARIS}
    )
    if created:
        BusinessHours.objects.bulk_create(
            BusinessHours(calendar=paris, weekday=d, start=s, end=e)
            for d in range(5)
            for s, e in ((dt.time(9), dt.time(12, 30)), (dt.time(13, 30), dt.time(18)))
        )
    have = set(paris.holidays.values_list("date", flat=True))
    Holiday.objects.bulk_create(
        Holiday(calendar=paris, date=day, name=name)
        for year in years
        for day, name in french_public_holidays(year)
        if day not in have
    )
    montreal, created = BusinessCalendar.objects.get_or_create(
        name="Load - Montréal", defaults={"time_zone": MONTREAL}
    )
    if created:
        BusinessHours.objects.bulk_create(
            BusinessHours(calendar=montreal, weekday=d, start=dt.time(8, 30), end=dt.time(17))
            for d in range(5)
        )
        Holiday.objects.bulk_create(
            Holiday(calendar=montreal, date=dt.date(today.year, m, d), name=n, recurring=True)
            for m, d, n in QUEBEC_HOLIDAYS
        )
    always, created = BusinessCalendar.objects.get_or_create(
        name="Load - 24x7", defaults={"time_zone": PARIS}
    )
    if created:
        BusinessHours.objects.bulk_create(
            BusinessHours(calendar=always, weekday=d, start=dt.time(0), end=dt.time(0))
            for d in range(7)
        )
    policies = {}
    for key, name, targets, warning in (
        ("standard", "Load - Standard", STANDARD_TARGETS, 75),
        ("premium", "Load - Premium 24x7 P1", PREMIUM_TARGETS, 70),
    ):
        policy, created = SLAPolicy.objects.get_or_create(
            name=name,
            defaults={"pause_statuses": ["waiting_on_customer"], "warning_percent": warning},
        )
        if created:
            SLATarget.objects.bulk_create(
                SLATarget(
                    policy=policy, priority=prio, first_response_minutes=fr,
                    resolution_minutes=res, next_response_minutes=fr * 2,
                    calendar=always if key == "premium" and prio == "P1" else None,
                )
                for prio, (fr, res) in targets.items()
            )  # fmt: skip
        policies[key] = policy
    queues = {
        slug: Queue.objects.get_or_create(slug=slug, defaults={"name": name, "email": email})[0]
        for slug, name, email, _ in QUEUES
    }
    categories = {
        slug: Category.objects.get_or_create(
            slug=slug, defaults={"name": name, "client_visible": visible}
        )[0]
        for slug, name, visible in CATEGORIES
    }
    return {
        "calendars": {PARIS: paris, MONTREAL: montreal, "24x7": always},
        "policies": policies,
        "queues": queues,
        "categories": categories,
    }


# --- writing rows -------------------------------------------------------------------------

TICKET_COLS = (
    "id", "number", "client_id", "contact_id", "asset_id", "contract_id", "sla_snapshot_id",
    "queue_id", "category_id", "subject", "description", "status", "impact", "urgency",
    "priority", "assignee_id", "source", "created_by_id", "created_at", "updated_at",
    "first_responded_at", "resolved_at", "closed_at", "sla_rank", "sla_due_at",
)  # fmt: skip
TICKET_TYPES = (
    "i", "i", "i", "i", "i", "i", "i", "i", "i", "s", "s", "s", "i", "i",
    "s", "i", "s", "i", "t", "t", "t", "t", "t", "i", "t",
)  # fmt: skip
EVENT_COLS = (
    "ticket_id", "client_id", "kind", "actor", "author_id", "author_contact_id", "public",
    "automated", "body", "data", "created_at",
)  # fmt: skip
EVENT_TYPES = ("i", "i", "s", "s", "i", "i", "b", "b", "s", "j", "t")
TIMER_COLS = (
    "client_id", "ticket_id", "kind", "cycle", "priority", "target_minutes", "state",
    "started_at", "elapsed_seconds", "computed_at", "due_at", "warning_at", "critical_at",
    "breached", "breach_at", "stopped_at", "outcome", "alerted_level",
)  # fmt: skip
TIMER_TYPES = (
    "i", "i", "s", "i", "s", "i", "s", "t", "f", "t", "t", "t", "t", "b", "t", "t", "s", "i",
)  # fmt: skip
TIME_COLS = (
    "id", "client_id", "ticket_id", "technician_id", "minutes", "billable", "work_date",
    "note", "created_at",
)  # fmt: skip
TIME_TYPES = ("i", "i", "i", "i", "i", "b", "s", "s", "t")

TABLES = {
    "tickets": (Ticket, TICKET_COLS, TICKET_TYPES),
    "events": (TicketEvent, EVENT_COLS, EVENT_TYPES),
    "timers": (SlaTimer, TIMER_COLS, TIMER_TYPES),
    "time_entries": (TimeEntry, TIME_COLS, TIME_TYPES),
}


def _escape(value: str) -> str:
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


class _Sink:
    """Rows per table, flushed in batches: COPY on PostgreSQL (in a writer thread, so that
    the database parses one batch while Python builds the next), bulk_create elsewhere."""

    def __init__(self, base: dt.datetime):
        self.base = base
        self.base_ts = int(base.timestamp())
        self.copy = connection.vendor == "postgresql"
        self.rows: dict[str, list[tuple]] = {name: [] for name in TABLES}
        self.counts = dict.fromkeys(TABLES, 0)
        self._ts_text: dict[int, str] = {}
        self._error: BaseException | None = None
        if self.copy:
            self._raw = connection.cursor().cursor  # the driver's cursor: copy_expert
            self._queue: queue.Queue = queue.Queue(maxsize=3)
            self._thread = threading.Thread(target=self._write, daemon=True)
            self._thread.start()

    def instant(self, minute: int | None) -> dt.datetime | None:
        if minute is None:
            return None
        return self.base + dt.timedelta(minutes=minute)

    def _ts(self, minute: int) -> str:
        text = self._ts_text.get(minute)
        if text is None:
            text = dt.datetime.fromtimestamp(self.base_ts + minute * 60, dt.UTC).isoformat(" ")
            self._ts_text[minute] = text
        return text

    def add(self, table: str, row: tuple) -> None:
        self.rows[table].append(row)

    def flush(self) -> None:
        for table, rows in self.rows.items():
            if not rows:
                continue
            model, cols, types = TABLES[table]
            self.counts[table] += len(rows)
            if self.copy:
                self._queue.put((model._meta.db_table, cols, self._copy_text(rows, types)))
                if self._error is not None:
                    raise self._error
            else:
                self._bulk_create(model, cols, types, rows)
            rows.clear()  # in place: the generator holds the lists' append methods

    def _copy_text(self, rows: list[tuple], types: tuple[str, ...]) -> io.StringIO:
        ts, esc = self._ts, _escape
        convert = []
        for kind in types:
            if kind == "i":
                convert.append(lambda v: "\\N" if v is None else str(v))
            elif kind == "s":
                convert.append(lambda v: "\\N" if v is None else esc(v))
            elif kind == "t":
                convert.append(lambda v: "\\N" if v is None else ts(v))
            elif kind == "b":
                convert.append(lambda v: "t" if v else "f")
            elif kind == "f":
                convert.append(lambda v: repr(float(v)))
            else:  # "j": already serialised JSON
                convert.append(esc)
        pairs = list(enumerate(convert))
        lines = ["\t".join([c(row[i]) for i, c in pairs]) for row in rows]
        return io.StringIO("\n".join(lines) + "\n")

    def _write(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if self._error is not None:
                continue
            table, cols, buffer = item
            try:
                self._raw.copy_expert(f"COPY {table} ({', '.join(cols)}) FROM STDIN", buffer)
            except BaseException as error:  # reported by the next flush or by close
                self._error = error

    def _bulk_create(self, model, cols, types, rows) -> None:
        objects = []
        for row in rows:
            values = {}
            for col, kind, value in zip(cols, types, row, strict=True):
                if kind == "t":
                    value = self.instant(value)
                elif kind == "j":
                    value = json.loads(value)
                values[col] = value
            objects.append(model(**values))
        model.objects.bulk_create(objects, batch_size=500)

    def close(self) -> None:
        self.flush()
        if self.copy:
            self._queue.put(None)
            self._thread.join()
            if self._error is not None:
                raise self._error


def _reserve_ids(model, count: int) -> int:
    """The first of ``count`` consecutive primary keys nobody else will be given."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            (sequence,) = cursor.fetchone()
            cursor.execute(
                "SELECT setval(%s, GREATEST(nextval(%s), (SELECT COALESCE(MAX(id), 0) + 1 "
                f"FROM {table})) + %s - 1)",
                [sequence, sequence, count],
            )
            (last,) = cursor.fetchone()
            return last - count + 1
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
        return cursor.fetchone()[0] + 1


# --- the simulation -----------------------------------------------------------------------

INF = 1 << 40
STATUS_JSON: dict[tuple, str] = {}


def _status_json(before: str, after: str, cause: str = "") -> str:
    key = (before, after, cause)
    text = STATUS_JSON.get(key)
    if text is None:
        data = {"from": before, "to": after, **({"cause": cause} if cause else {})}
        text = STATUS_JSON[key] = json.dumps(data)
    return text


@dataclass
class _ClientInfo:
    pk: int
    lang: int  # 0 French, 1 English
    tz: str
    contract_id: int
    snapshot_id: int
    policy: str
    contacts: list[tuple[int, str]]  # (pk, "First Last")
    assets: list[tuple[int, str]]  # (pk, hostname)


def _timer(
    cal: MinuteCalendar,
    *,
    t0: int,
    target: int,
    warn: int,
    crit: int,
    now: int,
    stop: int,
    pause: tuple[int, int] | None,
) -> dict:
    """One timer at ``now``: started at t0, stopped at ``stop`` (INF if not), paused over
    ``pause`` (business minutes there do not count)."""
    end = min(now, stop)
    pw = pr = None
    if pause is not None and pause[0] < end:
        pw, pr = pause
    before = cal.between(t0, pw) if pw is not None else None

    def reach(minutes: int) -> int | None:
        if before is None or minutes <= before:
            return cal.add(t0, minutes)
        if pr >= INF or pr > end:  # still paused (or stopped while paused): not reached
            return None
        return cal.add(pr, minutes - before)

    if before is None:
        elapsed = cal.between(t0, end)
    elif pr <= end:
        elapsed = before + cal.between(pr, end)
    else:
        elapsed = before
    due = reach(target)
    if due is None and stop <= now:
        due = cal.add(stop, target - elapsed)  # the deadline in force at the stop
    warning = reach(-(-target * warn // 100))
    critical = reach(-(-target * crit // 100))
    if stop <= now:
        state = "stopped"
        breached = due is not None and due < stop
    elif pw is not None and pr > now:
        state = "paused"
        breached = due is not None and due <= pw
    else:
        state = "running"
        breached = due is not None and due <= now
    limit = min(now, stop)
    level = 3 if breached else (
        2 if critical is not None and critical <= limit
        else 1 if warning is not None and warning <= limit else 0
    )  # fmt: skip
    return {
        "state": state, "elapsed": elapsed * 60, "due": due, "warning": warning,
        "critical": critical, "breached": breached, "breach": due if breached else None,
        "stopped": stop if stop <= now else None, "level": level,
    }  # fmt: skip


class _Generator:
    def __init__(self, *, now: dt.datetime, days: int, seed: int, log: Log):
        self.rng = random.Random(seed)
        self.log = log
        # Minute 0 is midnight UTC before the range; the table reaches 120 days past now, far
        # enough for any due instant projected from now.
        self.base = (now - dt.timedelta(days=days + 1)).replace(hour=0, minute=0)
        self.now = int((now - self.base).total_seconds() // 60)
        self.first = self.now - days * 1440
        self.size = self.now + 120 * 1440
        self.days = days

    # -- reference rows, people, clients ---------------------------------------------------

    def people(self, technicians: int) -> tuple[list[int], list[float]]:
        rng = self.rng
        password = make_password(None)
        users = [
            User(
                email=f"tech-{i:03d}@{EMAIL_DOMAIN}",
                full_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                role=Role.TECHNICIAN, password=password, time_zone=PARIS,
                language="fr" if i % 4 else "en", sees_all_clients=True,
            )
            for i in range(1, technicians + 1)
        ]  # fmt: skip
        users.append(
            User(
                email=f"manager@{EMAIL_DOMAIN}", full_name="Load Manager", role=Role.MANAGER,
                password=password, time_zone=PARIS, sees_all_clients=True,
            )
        )  # fmt: skip
        User.objects.bulk_create(users)
        techs = list(
            User.objects.filter(email__startswith="tech-", email__endswith=f"@{EMAIL_DOMAIN}")
            .order_by("email")
            .values_list("pk", flat=True)
        )
        return techs, [rng.uniform(0.4, 1.6) for _ in techs]

    def clients(self, count: int, ref: dict) -> tuple[list[_ClientInfo], list[float]]:
        rng = self.rng
        # Sizes: Pareto-distributed, so a few large clients hold much of the work.
        weights = [rng.paretovariate(1.16) for _ in range(count)]
        top = max(weights)
        rows = []
        for i in range(count):
            montreal = rng.random() < 0.15
            lang = 1 if (montreal and rng.random() < 0.7) or rng.random() < 0.08 else 0
            kinds = COMPANY_KINDS_EN if lang else COMPANY_KINDS_FR
            rows.append(
                Client(
                    slug=f"{SLUG_PREFIX}{i:05d}",
                    name=f"{rng.choice(kinds)} {rng.choice(LAST_NAMES)} ({i})",
                    time_zone=MONTREAL if montreal else PARIS,
                    language="en" if lang else "fr",
                    notes="Generated by manage.py generate_load.",
                )
            )
        Client.objects.bulk_create(rows)
        clients = list(Client.objects.filter(slug__startswith=SLUG_PREFIX).order_by("slug"))
        by_pk = {c.pk: c for c in clients}
        sites = Site.objects.bulk_create(
            Site(client=c, name="Siège" if c.language == "fr" else "Head office", city="Paris")
            for c in clients
        )
        contacts, assets, contracts = [], [], []
        counters: dict[str, int] = {}
        start = (self.base - dt.timedelta(days=400)).date()
        for c, site, w in zip(clients, sites, weights, strict=True):
            scale = (w / top) ** 0.5
            for j in range(2 + int(10 * scale) + rng.randrange(3)):
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                contacts.append(
                    Contact(
                        client=c, site=site, first_name=first, last_name=last,
                        email=f"{first.lower()}.{last.lower()}.{j}@{c.slug}.example",
                        is_primary=j == 0,
                    )
                )  # fmt: skip
            for _ in range(3 + int(30 * scale) + rng.randrange(4)):
                kind, prefix = rng.choice(ASSET_KINDS)
                counters[prefix] = counters.get(prefix, 0) + 1
                host = f"{prefix}-{counters[prefix]:03d}"
                assets.append(
                    Asset(
                        client=c, kind=kind, name=host.upper(), hostname=host, site=site,
                        manufacturer=rng.choice(("Dell", "HP", "Lenovo", "Synology", "Cisco")),
                    )
                )  # fmt: skip
            premium = rng.random() < 0.2
            contracts.append(
                Contract(
                    client=c, reference=f"LOAD-{c.slug[len(SLUG_PREFIX):]}",
                    title="Infogérance" if c.language == "fr" else "Managed services",
                    start_date=start, billing_model=rng.choice(Contract.Billing.values),
                    monthly_fee=Decimal(rng.randrange(300, 5000)),
                    included_hours=Decimal(rng.choice((0, 4, 8, 20))),
                    sla_policy=ref["policies"]["premium" if premium else "standard"],
                    calendar=ref["calendars"][c.time_zone],
                )
            )  # fmt: skip
        Contact.objects.bulk_create(contacts, batch_size=2000)
        Asset.objects.bulk_create(assets, batch_size=2000)
        Contract.objects.bulk_create(contracts, batch_size=2000)
        contacts_by: dict[int, list] = {}
        for pk, client_id, first, last in Contact.objects.filter(
            client__slug__startswith=SLUG_PREFIX
        ).values_list("pk", "client_id", "first_name", "last_name"):
            contacts_by.setdefault(client_id, []).append((pk, f"{first} {last}"))
        assets_by: dict[int, list] = {}
        for pk, client_id, host in Asset.objects.filter(
            client__slug__startswith=SLUG_PREFIX
        ).values_list("pk", "client_id", "hostname"):
            assets_by.setdefault(client_id, []).append((pk, host))
        snapshots: dict[tuple[int, int], int] = {}
        infos = []
        for contract in Contract.objects.filter(client__slug__startswith=SLUG_PREFIX).order_by(
            "client__slug"
        ):
            key = (contract.sla_policy_id, contract.calendar_id)
            if key not in snapshots:
                snapshots[key] = sla_snapshot_for(contract).pk
            client = by_pk[contract.client_id]
            infos.append(
                _ClientInfo(
                    pk=client.pk, lang=0 if client.language == "fr" else 1,
                    tz=client.time_zone, contract_id=contract.pk,
                    snapshot_id=snapshots[key],
                    policy="premium" if contract.sla_policy_id
                    == ref["policies"]["premium"].pk else "standard",
                    contacts=contacts_by[client.pk], assets=assets_by[client.pk],
                )
            )  # fmt: skip
        return infos, weights

    # -- tickets -----------------------------------------------------------------------------

    def creation_minutes(self, count: int) -> list[int]:
        """Creation instants: weekdays and office hours (Paris) for people, around the clock
        for monitoring; a slight growth over the period."""
        rng, tz = self.rng, ZoneInfo(PARIS)
        hours = (self.now - self.first) // 60
        first_hour = self.first // 60
        human, machine = [], []
        profile = (0, 0, 0, 0, 0, 0, 0.1, 0.4, 1.2, 2.2, 2.4, 2.0, 1.0, 1.2, 2.1, 2.2, 1.9,
                   1.3, 0.6, 0.3, 0.15, 0.1, 0.05, 0)  # fmt: skip
        for h in range(hours):
            at = self.base + dt.timedelta(hours=first_hour + h)
            local = at.astimezone(tz)
            growth = 0.8 + 0.4 * h / max(hours, 1)
            weekday = 1.0 if local.weekday() < 5 else 0.06
            human.append(profile[local.hour] * weekday * growth)
            machine.append(growth)
        n_machine = int(count * 0.12)
        slots = rng.choices(range(hours), cum_weights=list(accumulate(human)), k=count - n_machine)
        slots += rng.choices(range(hours), cum_weights=list(accumulate(machine)), k=n_machine)
        minutes = [self.first + (first_hour * 60 - self.first) + s * 60 + rng.randrange(60)
                   for s in slots]  # fmt: skip
        flags = [False] * (count - n_machine) + [True] * n_machine
        pairs = sorted(zip(minutes, flags, strict=True))
        self.monitoring_flags = [f for _, f in pairs]
        return [min(m, self.now - 1) for m, _ in pairs]

    def targets(self, ref: dict) -> dict:
        """Per policy and priority: (first response, resolution) minutes and their calendars
        (None: the contract's), and the policy's warning and critical percentages."""
        cals = {cal.pk: cal for cal in ref["calendars"].values()}
        table = {}
        for key, policy in ref["policies"].items():
            rows = {
                t.priority: (t.first_response_minutes, t.resolution_minutes, t.calendar_id)
                for t in policy.targets.all()
            }
            table[key] = (rows, policy.warning_percent, policy.critical_percent,
                          "waiting_on_customer" in (policy.pause_statuses or []))  # fmt: skip
        self.minute_cals = {
            pk: _minute_calendar(cal, self.base, self.size) for pk, cal in cals.items()
        }
        self.tz_cal = {tz: ref["calendars"][tz].pk for tz in (PARIS, MONTREAL)}
        return table

    def write_tickets(
        self, *, count: int, infos: list[_ClientInfo], weights: list[float], techs: list[int],
        tech_weights: list[float], ref: dict, sink: _Sink, first_id: int, first_number: int,
        first_time_id: int,
    ) -> None:  # fmt: skip
        rng, now = self.rng, self.now
        targets = self.targets(ref)
        created = self.creation_minutes(count)
        monitoring_flags = self.monitoring_flags
        client_idx = rng.choices(range(len(infos)), cum_weights=list(accumulate(weights)), k=count)
        tech_cum = list(accumulate(tech_weights))
        categories = {slug: c.pk for slug, c in ref["categories"].items()}
        queues = {slug: q.pk for slug, q in ref["queues"].items()}
        human_cats = [slug for slug, _, _ in CATEGORIES if slug != "surveillance"]
        human_cat_w = [12, 14, 12, 9, 14, 8, 6, 5, 6, 10, 4]
        cells = {}
        for cell, prio in PRIORITY_MATRIX.items():
            cells.setdefault(str(prio), []).append(cell)
        prios = ("P1", "P2", "P3", "P4")
        human_prio_cum = list(accumulate((2, 10, 58, 30)))
        machine_prio_cum = list(accumulate((10, 30, 40, 20)))
        sources = ("portal", "email", "staff", "api")
        source_cum = list(accumulate((32, 38, 20, 10)))
        created_json = {}
        for src in (*sources, "monitoring"):
            for prio in prios:
                created_json[(src, prio)] = json.dumps({"source": src, "priority": prio})
        tzinfos = {PARIS: ZoneInfo(PARIS), MONTREAL: ZoneInfo(MONTREAL)}
        time_id = first_time_id
        started = time.monotonic()
        add_ticket, add_event = sink.rows["tickets"].append, sink.rows["events"].append
        add_timer, add_time = sink.rows["timers"].append, sink.rows["time_entries"].append

        for k in range(count):
            t0 = created[k]
            info = infos[client_idx[k]]
            ticket_id, client_id = first_id + k, info.pk
            machine = monitoring_flags[k]
            lang = info.lang
            if machine:
                source, category = "monitoring", "surveillance"
                prio = prios[bisect_left(machine_prio_cum, rng.random() * 100, hi=3)]
            else:
                source = sources[bisect_left(source_cum, rng.random() * 100, hi=3)]
                category = rng.choices(human_cats, weights=human_cat_w)[0]
                prio = prios[bisect_left(human_prio_cum, rng.random() * 100, hi=3)]
            impact, urgency = rng.choice(cells[prio])
            queue_slug = (
                "reseau" if category == "reseau-vpn" or (machine and rng.random() < 0.3)
                else "projets" if category == "projet" else "service-desk"
            )  # fmt: skip
            contact_id, person = rng.choice(info.contacts)
            asset_id, host = rng.choice(info.assets)
            words = {
                "host": host, "person": person, "app": rng.choice(APPS),
                "kb": rng.choice(KBS), "error": rng.choice(ERRORS),
            }  # fmt: skip
            subject = _fill(rng.choice(SUBJECTS[category][lang]), words)[:255]
            description = _fill(DESCRIPTIONS[lang][2 if machine else rng.randrange(2)], words)
            rows, warn, crit, pausing = targets[info.policy]
            fr_t, res_t, target_cal = rows[prio]
            cal = self.minute_cals[target_cal or self.tz_cal[info.tz]]
            tech = techs[bisect_left(tech_cum, rng.random() * tech_cum[-1])]

            # The life of the ticket, then what of it has happened by now.
            age = (now - t0) / 1440
            fate = None
            p_open = 0.5 if age < 2 else 0.3 if age < 7 else 0.18 if age < 30 else (
                0.04 if age < 90 else 0.01)  # fmt: skip
            if rng.random() < p_open:
                fate = rng.choices(
                    ("new", "open", "in_progress", "waiting_on_customer", "waiting_on_third_party"),
                    weights=(35, 20, 25, 12, 8) if age < 2 else (4, 20, 38, 23, 15),
                )[0]  # fmt: skip
            r1 = rng.uniform(0.03, 0.95) if rng.random() < 0.92 else rng.uniform(1.05, 3.0)
            t1 = INF if fate == "new" else cal.add(t0, max(1, int(fr_t * r1)))
            r2 = rng.uniform(0.05, 0.97) if rng.random() < 0.9 else rng.uniform(1.05, 3.0)
            e_res = int(res_t * r2)
            if t1 < INF:
                e_res = max(e_res, cal.between(t0, t1) + rng.randint(5, 120))
            done = fate is None
            pause = None
            tw = tr = INF
            waiting = t1 < INF and (fate == "waiting_on_customer" or (done and rng.random() < 0.2))
            if waiting:
                b0 = cal.between(t0, t1)
                tw = max(cal.add(t0, b0 + int((e_res - b0) * rng.uniform(0.2, 0.6))), t1 + 1)
                tr = tw + rng.randint(60, 3 * 1440) if done else INF
                if pausing:
                    pause = (tw, tr)
                    t3 = cal.add(tr, max(1, e_res - cal.between(t0, tw))) if done else INF
                else:
                    t3 = max(cal.add(t0, e_res), tr + 1) if done else INF
            else:
                t3 = max(cal.add(t0, e_res), t1 + 1) if done else INF
            t4 = t3 + rng.randint(2 * 1440, 7 * 1440) if t3 < INF else INF

            events = []  # (at, kind, actor, author, contact, public, body, data)
            status_changes = []  # (at, to, by, cause)
            first_actor = "client" if source in ("portal", "email") else (
                "staff" if source == "staff" else "system")  # fmt: skip
            events.append((t0, "created", first_actor, tech if source == "staff" else None,
                           contact_id if first_actor == "client" else None, True, description,
                           created_json[(source, prio)]))  # fmt: skip
            if t1 < INF:
                events.append((t1, "reply", "staff", tech, None, True,
                               _fill(rng.choice(REPLIES[lang]), words), "{}"))  # fmt: skip
                status_changes.append((t1, "open", tech, ""))
                if fate == "in_progress" or (fate is None and rng.random() < 0.3):
                    # Before the next step (on hold or resolved), so the order stays real.
                    step = min(t1 + rng.randint(1, 240), (t1 + min(tw, t3)) // 2)
                    status_changes.append((max(step, t1), "in_progress", tech, ""))
                if fate == "waiting_on_third_party":
                    status_changes.append(
                        (t1 + max(1, int((now - t1) * rng.uniform(0.1, 0.9))),
                         "waiting_on_third_party", tech, "")
                    )  # fmt: skip
                if rng.random() < 0.3:
                    note_at = min(t1 + rng.randint(10, 900), (t1 + t3) // 2)
                    events.append((note_at, "note", "staff", tech, None, False,
                                   _fill(rng.choice(NOTES), words), "{}"))  # fmt: skip
            if waiting:
                events.append((tw, "reply", "staff", tech, None, True,
                               _fill(rng.choice(ASK_INFO[lang]), words), "{}"))  # fmt: skip
                status_changes.append((tw, "waiting_on_customer", tech, ""))
                if tr < INF:
                    answer = _fill(rng.choice(CLIENT_ANSWERS[lang]), words)
                    events.append((tr, "reply", "client", None, contact_id, True, answer, "{}"))
                    status_changes.append((tr, "open", None, "client_replied"))
            entries = []
            if t3 < now and rng.random() < 0.6:
                for _ in range(1 if rng.random() < 0.7 else 2):
                    at = max(t1 + 1, t3 - rng.randint(5, 240))
                    entries.append((at, rng.choice((15, 15, 30, 30, 45, 60, 60, 90, 120, 240)),
                                    rng.random() < 0.85))  # fmt: skip
            if t3 < INF:
                if rng.random() < 0.65:
                    events.append((t3, "reply", "staff", tech, None, True,
                                   _fill(rng.choice(SOLUTIONS[lang]), words), "{}"))  # fmt: skip
                status_changes.append((t3, "resolved", tech, ""))
                if t4 < INF:
                    status_changes.append((t4, "closed", None, "auto_close"))

            status = "new"
            status_changes.sort(key=lambda s: s[0])
            for at, to, by, cause in status_changes:
                if at >= now:
                    break
                events.append((at, "status", "staff" if by else "system", by, None, True, "",
                               _status_json(status, to, cause)))  # fmt: skip
                status = to
            resolved = t3 if t3 < now else None
            closed = t4 if t4 < now else None
            first_response = t1 if t1 < now else None
            assignee = tech if first_response is not None or rng.random() < 0.3 else None

            for at, minutes, billable in entries:
                local = sink.instant(at).astimezone(tzinfos[info.tz]).date().isoformat()
                note = rng.choice(TIME_NOTES)
                add_time((time_id, client_id, ticket_id, tech, minutes, billable, local, note, at))
                events.append((at, "time", "staff", tech, None, False, note,
                               json.dumps({"minutes": minutes, "billable": billable,
                                           "time_entry": time_id})))  # fmt: skip
                time_id += 1

            events.sort(key=lambda e: e[0])
            last = t0
            for at, kind, actor, author, contact, public, body, data in events:
                if at >= now:
                    continue
                last = max(last, at)
                add_event((ticket_id, client_id, kind, actor, author, contact, public, False,
                           body, data, at))  # fmt: skip

            # The two timers, and the ticket's stored summary from them.
            fr = _timer(cal, t0=t0, target=fr_t, warn=warn, crit=crit, now=now,
                        stop=min(t1, t3), pause=None)  # fmt: skip
            res = _timer(cal, t0=t0, target=res_t, warn=warn, crit=crit, now=now, stop=t3,
                         pause=pause)  # fmt: skip
            computed = now if resolved is None else last
            summary_input = []
            for kind, target, timer in (("first_response", fr_t, fr), ("resolution", res_t, res)):
                stopped = timer["stopped"]
                outcome = "" if stopped is None else "breached" if timer["breached"] else "met"
                add_timer((client_id, ticket_id, kind, 0, prio, target, timer["state"], t0,
                           timer["elapsed"], computed, timer["due"], timer["warning"],
                           timer["critical"], timer["breached"], timer["breach"], stopped,
                           outcome, timer["level"]))  # fmt: skip
                summary_input.append(
                    SimpleNamespace(state=timer["state"], breached=timer["breached"],
                                    due_at=timer["due"], warning_at=timer["warning"])
                )  # fmt: skip
            rank, due = sla_summary(summary_input, now)

            add_ticket((
                ticket_id, first_number + k, client_id, contact_id,
                asset_id if machine or rng.random() < 0.45 else None, info.contract_id,
                info.snapshot_id, queues[queue_slug], categories[category], subject, description,
                status, impact, urgency, prio, assignee, source,
                tech if source == "staff" else None, t0, last, first_response, resolved, closed,
                int(rank), due,
            ))  # fmt: skip
            if (k + 1) % CHUNK == 0:
                sink.flush()
                rate = (k + 1) / (time.monotonic() - started)
                self.log(f"  {k + 1:,} tickets ({rate:,.0f}/s), {sink.counts['events']:,} events")
        sink.flush()


ASSET_KINDS = (
    (Asset.Kind.SERVER, "srv-db"), (Asset.Kind.SERVER, "srv-app"), (Asset.Kind.SERVER, "srv-fs"),
    (Asset.Kind.SERVER, "srv-ad"), (Asset.Kind.WORKSTATION, "pc"), (Asset.Kind.WORKSTATION, "pc"),
    (Asset.Kind.LAPTOP, "lt"), (Asset.Kind.LAPTOP, "lt"), (Asset.Kind.NETWORK_DEVICE, "fw"),
    (Asset.Kind.NETWORK_DEVICE, "sw"), (Asset.Kind.PRINTER, "imp"),
)  # fmt: skip


# --- entry points -------------------------------------------------------------------------


class LoadError(Exception):
    """The load cannot be generated as asked."""


def load_present() -> bool:
    """True when generated clients exist."""
    return Client.objects.filter(slug__startswith=SLUG_PREFIX).exists()


def _fill_search_documents(first_id: int, end_id: int) -> None:
    """The stored full-text document of the tickets loaded (ids ``first_id`` to ``end_id``),
    which the triggers of migration tickets 0008 would have written had they not been off for
    the load: subject, description, then the replies and notes in order."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE tickets_ticket t
               SET search_document = to_tsvector('simple'::regconfig,
                   COALESCE(t.subject, '') || ' ' || COALESCE(t.description, '') || ' ' ||
                   COALESCE(m.bodies, ''))
              FROM tickets_ticket s
              LEFT JOIN (SELECT ticket_id, string_agg(body, ' ' ORDER BY id) AS bodies
                           FROM tickets_ticketevent
                          WHERE kind IN ('reply', 'note') AND ticket_id >= %s AND ticket_id < %s
                          GROUP BY ticket_id) m ON m.ticket_id = s.id
             WHERE s.id = t.id AND t.id >= %s AND t.id < %s
            """,
            [first_id, end_id, first_id, end_id],
        )


def _secondary_indexes(tables: list[str]) -> list[tuple[str, str]]:
    """(name, definition) of the indexes of these tables that back no constraint."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, pg_get_indexdef(i.indexrelid)
            FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
            WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary
              AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
            """,
            [tables],
        )
        return cursor.fetchall()


def load_generate(
    *,
    clients: int,
    tickets: int,
    technicians: int = 50,
    days: int = 365,
    seed: int = 1,
    now: dt.datetime | None = None,
    log: Log = print,
) -> LoadResult:
    """Generate the load in one transaction: all of it or nothing."""
    if clients < 1 or tickets < 0 or technicians < 1 or days < 1:
        raise LoadError("clients, technicians and days must be at least 1.")
    if load_present():
        raise LoadError("Generated load data is already present: add --reset to replace it.")
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise LoadError("The database has unapplied migrations: run manage.py migrate first.")
    started = time.monotonic()
    now = (now or timezone.now()).replace(second=0, microsecond=0)
    gen = _Generator(now=now, days=days, seed=seed, log=log)
    postgres = connection.vendor == "postgresql"
    big_tables = [TABLES[name][0]._meta.db_table for name in TABLES]
    with transaction.atomic():
        today = timezone.localdate(now, ZoneInfo(PARIS))
        years = sorted({(now - dt.timedelta(days=days + 1)).year, today.year, today.year + 1})
        ref = _reference_rows(today, years)
        techs, tech_weights = gen.people(technicians)
        infos, weights = gen.clients(clients, ref)
        log(f"{len(infos):,} clients, {len(techs)} technicians; tickets next")
        dropped = []
        if postgres:
            with connection.cursor() as cursor:
                # The rows are consistent by construction: skip per-row foreign-key triggers
                # for this transaction, and build indexes once at the end for big loads.
                cursor.execute("SET LOCAL session_replication_role = replica")
                cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
                cursor.execute("SET LOCAL synchronous_commit = off")
                if tickets >= REINDEX_FROM:
                    dropped = _secondary_indexes(big_tables)
                    for name, _ in dropped:
                        cursor.execute(f'DROP INDEX "{name}"')
        sequence, _ = TicketSequence.objects.get_or_create(name="ticket")
        sequence = TicketSequence.objects.select_for_update().get(pk=sequence.pk)
        highest = Ticket.objects.order_by("-number").values_list("number", flat=True).first()
        first_number = max(sequence.last_value, highest or 0) + 1
        sink = _Sink(gen.base)
        first_id = _reserve_ids(Ticket, max(tickets, 1))
        try:
            gen.write_tickets(
                count=tickets, infos=infos, weights=weights, techs=techs,
                tech_weights=tech_weights, ref=ref, sink=sink,
                first_id=first_id, first_number=first_number,
                first_time_id=_reserve_ids(TimeEntry, max(2 * tickets, 1)),
            )  # fmt: skip
        finally:
            sink.close()
        log(f"rows written in {time.monotonic() - started:.0f} s")
        TicketSequence.objects.filter(pk=sequence.pk).update(
            last_value=max(sequence.last_value, first_number + tickets - 1)
        )
        if postgres:
            step = time.monotonic()
            _fill_search_documents(first_id, first_id + tickets)
            log(f"search documents in {time.monotonic() - step:.0f} s")
        if dropped:
            with connection.cursor() as cursor:
                for name, definition in dropped:
                    step = time.monotonic()
                    cursor.execute(definition)
                    log(f"  index {name} rebuilt in {time.monotonic() - step:.0f} s")
    if postgres:
        with connection.cursor() as cursor:
            # VACUUM too: it sets the visibility map, without which index-only scans (the
            # open-ticket counts on the partial urgency index) read the heap for every row.
            step = time.monotonic()
            if not connection.in_atomic_block:  # VACUUM cannot run in a transaction (tests)
                cursor.execute(f"VACUUM (ANALYZE) {', '.join(big_tables)}")
            cursor.execute("ANALYZE")
            log(f"VACUUM ANALYZE in {time.monotonic() - step:.0f} s")
    result = LoadResult(counts=load_counts())
    result.rollups = _rebuild_rollups(now, days, log)
    result.seconds = time.monotonic() - started
    return result


def _rebuild_rollups(now: dt.datetime, days: int, log: Log) -> str:
    try:
        from msp_portal.dashboard import rollups
    except ImportError:
        message = "msp_portal.dashboard.rollups does not exist yet: rollups not rebuilt"
        log(message)
        return message
    start = timezone.localdate(now - dt.timedelta(days=days + 1))
    end = timezone.localdate(now)
    step = time.monotonic()
    try:
        rollups.rollups_rebuild(start=start, end=end)
    except DatabaseError as error:  # the load itself is committed: say so, do not lose it
        message = f"rollups not rebuilt ({error}); run rollups_rebuild({start}, {end})"
        log(message)
        return message
    message = f"rollups rebuilt {start} .. {end} in {time.monotonic() - step:.0f} s"
    log(message)
    return message


def load_counts() -> dict[str, int]:
    """Rows that belong to generated clients (and generated users), per table."""
    mine = {"client__slug__startswith": SLUG_PREFIX}
    return {
        "clients": Client.objects.filter(slug__startswith=SLUG_PREFIX).count(),
        "users": User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").count(),
        "contacts": Contact.objects.filter(**mine).count(),
        "assets": Asset.objects.filter(**mine).count(),
        "contracts": Contract.objects.filter(**mine).count(),
        "tickets": Ticket.objects.filter(**mine).count(),
        "ticket events": TicketEvent.objects.filter(**mine).count(),
        "SLA timers": SlaTimer.objects.filter(**mine).count(),
        "time entries": TimeEntry.objects.filter(**mine).count(),
    }


@transaction.atomic
def load_reset(*, log: Log = print) -> int:
    """Remove the generated clients, users and everything attached to them; returns how many
    tickets went. Rows of other clients are never touched."""
    quote = connection.ops.quote_name
    clients_sql = f"SELECT id FROM {Client._meta.db_table} WHERE slug LIKE %s"
    tickets_sql = f"SELECT id FROM {Ticket._meta.db_table} WHERE client_id IN ({clients_sql})"
    like = [f"{SLUG_PREFIX}%"]
    with connection.cursor() as cursor:
        # Bulk deletes of what hangs off the tickets (Django's collector would fetch every
        # row first), then the tickets; the ORM removes the small rest with its cascades.
        for rel in Ticket._meta.related_objects:
            if rel.related_model is Ticket:
                continue
            if rel.many_to_many:
                through = rel.through._meta
                column = next(
                    f.column for f in through.fields
                    if getattr(f, "related_model", None) is Ticket
                )  # fmt: skip
                cursor.execute(
                    f"DELETE FROM {through.db_table} WHERE {quote(column)} IN ({tickets_sql})",
                    like,
                )
                continue
            table, column = rel.related_model._meta.db_table, quote(rel.field.column)
            if rel.on_delete.__name__ == "SET_NULL":
                cursor.execute(
                    f"UPDATE {table} SET {column} = NULL WHERE {column} IN ({tickets_sql})", like
                )
            else:
                cursor.execute(f"DELETE FROM {table} WHERE {column} IN ({tickets_sql})", like)
            log(f"  {rel.related_model._meta.label}: {cursor.rowcount:,} rows")
        for ticket_m2m in Ticket._meta.many_to_many:
            through = ticket_m2m.remote_field.through._meta
            cursor.execute(
                f"DELETE FROM {through.db_table} WHERE ticket_id IN ({tickets_sql})", like
            )
        cursor.execute(f"UPDATE {Ticket._meta.db_table} SET merged_into_id = NULL "
                       f"WHERE merged_into_id IN ({tickets_sql})", like)  # fmt: skip
        cursor.execute(
            f"DELETE FROM {Ticket._meta.db_table} WHERE client_id IN ({clients_sql})", like
        )
        removed = cursor.rowcount
        cursor.execute(
            f"DELETE FROM {SlaEscalation._meta.db_table} WHERE client_id IN ({clients_sql})",
            like,
        )
    Client.objects.filter(slug__startswith=SLUG_PREFIX).delete()
    User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").delete()
    log(f"removed {removed:,} generated tickets and their clients")
    return removed
