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
import json
import random
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
    Contract,
)
from contracts.services import sla_snapshot_for
from msp_portal.accounts.models import Role, User
from tickets.models import (
    PRIORITY_MATRIX,
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
)
from .inventory import CATEGORIES
from .load_calendar import (
    INF,
    _minute_calendar,
    _reference_rows,
    _timer,
)
from .load_rows import (
    TABLES,
    _reserve_ids,
    _Sink,
)
from .load_words import (
    APPS,
    ASK_INFO,
    ASSET_KINDS,
    CLIENT_ANSWERS,
    COMPANY_KINDS_EN,
    COMPANY_KINDS_FR,
    DESCRIPTIONS,
    ERRORS,
    FIRST_NAMES,
    KBS,
    LAST_NAMES,
    NOTES,
    REPLIES,
    SOLUTIONS,
    SUBJECTS,
    TIME_NOTES,
    _fill,
)

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


# --- the simulation -----------------------------------------------------------------------

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
