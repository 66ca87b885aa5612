"""The demo's history: about 110 tickets played through the services, then check results."""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

from django.utils import timezone

from clients.models import Asset, Client, Contact
from contracts.models import Priority
from monitoring.models import Check, CheckResult, CheckState, CheckStateChange
from tickets import services
from tickets.models import Ticket, priority_for

from .calendars import MONTREAL, PARIS
from .scenarios import (
    EN_PEOPLE,
    EN_RMM,
    EN_SCENARIOS,
    FR,
    FR_RMM,
    FR_SCENARIOS,
    PEOPLE,
    PHRASES,
    Scenario,
    _french_of,
)
from .story import _Story
from .timeline import (
    CLIENT_WEIGHTS,
    OPEN_FROM,
    OPEN_UNTIL,
    OPENED_DAYS_AGO,
    SOURCE_WEIGHTS,
    STATUS_MIX,
    TECH_WEIGHTS,
    Source,
    Status,
    _Plan,
    _squeezed,
    _Timeline,
)

SEED = 2026


class _History:
    """Writes the demo's past: ~110 tickets through the services, then monitoring results."""

    def __init__(
        self, *, now, clients, users, contacts, assets, queues, categories, checks, closed_days
    ):
        self.now = now
        self.limit = now - dt.timedelta(minutes=2)
        self.rng = random.Random(SEED)
        self.clients, self.users, self.contacts = clients, users, contacts
        self.assets, self.queues, self.categories = assets, queues, categories
        self.checks, self.closed_days = checks, closed_days
        self.manager = users["manager@msp.example"]
        self.refs = iter(range(48213, 99999, 37))

    def write(self) -> None:
        plans = self._monitoring_plans()
        for status, count in STATUS_MIX:
            plans.extend(self._plan(status) for _ in range(count))
        plans.sort(key=lambda p: p.opened_at)  # ticket numbers follow the calendar
        tickets = {}
        for plan in plans:
            ticket = services.ticket_open(**plan.open_kwargs, at=plan.opened_at)
            for at, action, kwargs in plan.steps:
                action(ticket=ticket, at=at, **kwargs)
            if plan.key:
                tickets[plan.key] = ticket
        self._monitoring_results(tickets)

    # -- helpers ------------------------------------------------------------------------------

    def _pick(self, weights: dict):
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def _tz(self, client: Client) -> ZoneInfo:
        return ZoneInfo(client.time_zone)

    def _opening(self, client: Client, status: str, urgent: bool) -> dt.datetime:
        low, high = OPENED_DAYS_AGO[status]
        at = self.now - dt.timedelta(days=self.rng.uniform(low, high))
        if urgent:  # P1s happen at any hour
            return min(at, self.limit - dt.timedelta(minutes=30))
        tz, closed = self._tz(client), self.closed_days.get(client.time_zone, set())
        day = at.astimezone(tz).date()
        minute = self.rng.randint(0, 9 * 60 + 30)
        while True:
            opened = dt.datetime.combine(day, OPEN_FROM, tzinfo=tz) + dt.timedelta(minutes=minute)
            if day.weekday() < 5 and day not in closed and opened < self.limit:
                return opened
            day -= dt.timedelta(days=1)

    def _earlier(
        self, client: Client, at: dt.datetime, urgent: bool, jitter: random.Random
    ) -> dt.datetime:
        """``at``, or the end of the last working day before it when it falls outside hours."""
        if urgent:
            return at
        tz, closed = self._tz(client), self.closed_days.get(client.time_zone, set())
        local = at.astimezone(tz)
        day = local.date()
        if day.weekday() < 5 and day not in closed:
            if OPEN_FROM <= local.time() <= OPEN_UNTIL:
                return at
            if local.time() > OPEN_UNTIL:
                day += dt.timedelta(days=1)  # the same day's end, below
        day -= dt.timedelta(days=1)
        while day.weekday() >= 5 or day in closed:
            day -= dt.timedelta(days=1)
        closing = dt.datetime.combine(day, OPEN_UNTIL, tzinfo=tz)
        return closing - dt.timedelta(minutes=jitter.randint(10, 120))

    def _text(self, template: str, **values) -> str:
        return template.format(**values) if "{" in template else template

    # -- one ticket ---------------------------------------------------------------------------

    def _plan(self, status: str) -> _Plan:
        rng = self.rng
        slug = self._pick(CLIENT_WEIGHTS)
        client = self.clients[slug]
        sources = dict(SOURCE_WEIGHTS[slug])
        if status == Status.WAITING_ON_CUSTOMER:
            sources.pop(Source.API, None)  # nobody to wait for on an agent's alert
        source = self._pick(sources)

        created_by, contact, lang = None, None, client.language
        people = self.contacts[slug]
        if source == Source.PORTAL:
            logins = [(c, lg) for c, lg in people if c.user_id] or people
            weights = [3 if c.email == "user@acme.example" else 2 for c, _ in logins]
            contact, lang = rng.choices(logins, weights=weights)[0]
            created_by = contact.user  # None if the contact has no login: then it came by mail
        elif source in (Source.EMAIL, Source.STAFF):
            contact, lang = rng.choice(people)
        phrases = PHRASES[lang]

        if source == Source.API:
            pool = FR_RMM if lang == "fr" else EN_RMM
        else:
            pool = FR_SCENARIOS if lang == "fr" else EN_SCENARIOS
        scenario = rng.choice(
            [
                s
                for s in pool
                if (not s.only or slug in s.only)
                # a ticket left waiting on the customer has a question for them
                and (s.question or status != Status.WAITING_ON_CUSTOMER)
            ]
        )
        if scenario.queue == "projets" and contact is not None:
            contact, created_by = self._project_requester(people, contact, lang, created_by)
        asset = self._asset_for(slug, scenario, contact)
        values = {
            "person": rng.choice(PEOPLE if lang == "fr" else EN_PEOPLE),
            "asset": asset.name if asset else client.name,
            "ref": f"{next(self.refs)}",
        }
        impact, urgency = scenario.impact, scenario.urgency
        if rng.random() < 0.25:
            urgency = min(3, max(1, urgency + rng.choice((-1, 1))))
        urgent = priority_for(impact, urgency) == Priority.P1

        tech_email = self._pick(TECH_WEIGHTS[slug])
        tech = self.users[tech_email]
        if source == Source.STAFF:
            created_by = rng.choice([tech, self.manager])

        description = self._text(scenario.description, **values)
        if source in (Source.PORTAL, Source.EMAIL):
            description = "\n\n".join(
                (phrases.client_greeting, description,
                 phrases.client_signature.format(name=contact.full_name))
            )  # fmt: skip
        elif source == Source.STAFF:
            description = phrases.phone_call.format(
                name=contact.full_name,
                of_name=_french_of(contact.full_name),
                job=contact.job_title or "-",
                text=description,
            )

        cc = []  # user@acme.example is copied on some colleagues' tickets: more in her portal
        if (
            slug == "acme"
            and contact
            and contact.email != "user@acme.example"
            and rng.random() < 0.15
        ):
            cc = [c for c, _ in people if c.email == "user@acme.example"]
        plan = _Plan(
            opened_at=self._opening(client, status, urgent),
            open_kwargs={
                "client": client,
                "subject": self._text(scenario.subject, **values),
                "description": description,
                "source": source,
                "created_by": created_by,
                "contact": contact,
                "asset": asset,
                "queue": self.queues[scenario.queue],
                "category": self.categories[scenario.category],
                "impact": impact,
                "urgency": urgency,
                "cc_contacts": cc,
            },
        )
        timeline = _Timeline(
            self._tz(client), self.closed_days.get(client.time_zone, set()), rng, urgent=urgent
        )
        story = _Story(
            history=self,
            timeline=timeline,
            phrases=phrases,
            scenario=scenario,
            values=values,
            tech=tech,
            contact=contact,
            client_user=created_by if source == Source.PORTAL else None,
            by_phone=source == Source.STAFF,
            slug=slug,
            impact=impact,
            urgency=urgency,
        )
        story.tell(status)
        # A story that would run into the future starts earlier instead; as a last resort
        # (never seen with this seed) its events are squeezed together.
        jitter = random.Random(timeline.seed)  # not self.rng: the cast must not depend on now
        for _ in range(10):
            steps = timeline.place(plan.opened_at)
            if not steps or steps[-1][0] <= self.limit:
                break
            # At least half a day: office hours make small steps back land on the same end.
            back = max(steps[-1][0] - self.limit, dt.timedelta(hours=12))
            plan.opened_at = self._earlier(client, plan.opened_at - back, urgent, jitter)
        else:
            steps = _squeezed(steps, plan.opened_at, self.limit)
        plan.steps = steps
        return plan

    def _project_requester(self, people, contact, lang, created_by):
        """Projects are asked for by the client's primary contact, when they write the same way."""
        primary = next((c for c, lg in people if c.is_primary and lg == lang), None)
        if primary is None or (created_by is not None and primary.user_id is None):
            return contact, created_by
        return primary, primary.user if created_by is not None else None

    def _asset_for(self, slug: str, scenario: Scenario, contact: Contact | None) -> Asset | None:
        if not scenario.kinds:
            return None
        candidates = [
            a
            for a in self.assets[slug]
            if a.kind in scenario.kinds and a.status == Asset.Status.ACTIVE
        ]
        if contact is not None:  # the requester's own device, else one at their site
            owned = [a for a in candidates if a.owner_id == contact.pk]
            nearby = [a for a in candidates if a.site_id in (None, contact.site_id)]
            candidates = owned or nearby or candidates
        return self.rng.choice(candidates) if candidates else None

    # -- monitoring incidents -----------------------------------------------------------------

    def _monitoring_plans(self) -> list[_Plan]:
        """Three incidents seen by the checks: two past outages and last night's backup."""
        paris = ZoneInfo(PARIS)
        today = timezone.localtime(self.now, paris).date()
        checks, tech = self.checks, self.users["tech@msp.example"]
        plans = []

        # 1. The Acme site was down for 7 minutes one night, five days ago.
        check = checks["Site web Acme (HTTP)"]
        down = dt.datetime.combine(today - dt.timedelta(days=5), dt.time(2, 14), tzinfo=paris)
        up = down + dt.timedelta(minutes=7)
        self.web_outage = (down, up)
        plan = _Plan(
            opened_at=down,
            key="acme-web",
            open_kwargs=self._alert(
                check,
                f"[Surveillance] {check.name} : injoignable",
                "3 échecs consécutifs : connexion refusée par l'hôte.",
                impact=1,
                urgency=1,
            ),
        )
        next_morning = dt.datetime.combine(down.date(), dt.time(9, 12), tzinfo=paris)
        plan.steps = [
            (up, services.ticket_reply, {
                "body": "Le contrôle est revenu à l'état normal après 7 minutes.",
                "automated": True}),
            (up + dt.timedelta(seconds=5), services.ticket_change_status, {
                "status": Status.RESOLVED, "by": None,
                "reason": "Rétablissement détecté par la surveillance."}),
            (next_morning, services.ticket_assign, {"assignee": tech, "by": self.manager}),
            (next_morning + dt.timedelta(minutes=20), services.ticket_add_note, {
                "author": tech,
                "body": "Redémarrage du pool applicatif par l'hébergeur à 02:14 (maintenance "
                "non annoncée). Rien à faire de notre côté ; demande d'information envoyée."}),
            (next_morning + dt.timedelta(minutes=25), services.ticket_log_time, {
                "technician": tech, "minutes": 15, "billable": False,
                "note": "Analyse de l'alerte nocturne"}),
            (up + dt.timedelta(days=3), services.ticket_change_status, {
                "status": Status.CLOSED, "by": None,
                "reason": FR.auto_close.format(days=3)}),
        ]  # fmt: skip
        plans.append(plan)

        # 2. Power cut at the Lyon office twelve days ago: the NAS was unreachable for 38 min.
        check = checks["NAS DUR-NAS01 (TCP)"]
        chloe = self.users["chloe.bernard@msp.example"]
        down = dt.datetime.combine(today - dt.timedelta(days=12), dt.time(14, 3), tzinfo=paris)
        while down.weekday() >= 5:
            down -= dt.timedelta(days=1)
        up = down + dt.timedelta(minutes=38)
        self.nas_outage = (down, up)
        plan = _Plan(
            opened_at=down,
            key="durand-nas",
            open_kwargs=self._alert(
                check,
                f"[Surveillance] {check.name} : injoignable",
                "3 échecs consécutifs : délai de connexion dépassé.",
                impact=2,
                urgency=1,
            ),
        )
        plan.steps = [
            (down + dt.timedelta(minutes=6), services.ticket_assign, {
                "assignee": chloe, "by": chloe}),
            (down + dt.timedelta(minutes=14), services.ticket_add_note, {
                "author": chloe,
                "body": "Appel au cabinet : coupure d'électricité dans le quartier. L'onduleur a "
                "tenu 20 minutes puis a arrêté le NAS proprement."}),
            (up, services.ticket_reply, {
                "body": "Le contrôle est revenu à l'état normal après 38 minutes.",
                "automated": True}),
            (up + dt.timedelta(seconds=5), services.ticket_change_status, {
                "status": Status.RESOLVED, "by": None,
                "reason": "Rétablissement détecté par la surveillance."}),
            (up + dt.timedelta(minutes=25), services.ticket_add_note, {
                "author": chloe,
                "body": "NAS redémarré, vérification des volumes OK. Proposer au client une "
                "batterie d'onduleur plus grosse."}),
            (up + dt.timedelta(minutes=30), services.ticket_log_time, {
                "technician": chloe, "minutes": 45, "note": "Suivi de la coupure et contrôles"}),
            (up + dt.timedelta(days=3), services.ticket_change_status, {
                "status": Status.CLOSED, "by": None,
                "reason": FR.auto_close.format(days=3)}),
        ]  # fmt: skip
        plans.append(plan)

        # 3. Last night's backup of SRV-FS01 never reported: the check is down, a ticket is open.
        check = checks["Sauvegarde nocturne SRV-FS01 (heartbeat)"]
        missed = dt.datetime.combine(today, dt.time(3, 5), tzinfo=paris)
        if missed > self.limit - dt.timedelta(minutes=5):
            missed -= dt.timedelta(days=1)
        self.backup_missed = missed
        plan = _Plan(
            opened_at=missed,
            key="acme-backup",
            open_kwargs=self._alert(
                check,
                f"[Surveillance] {check.name} : aucun signal",
                "Aucun signal reçu depuis la sauvegarde de 02:00 (délai de grâce : 1 h).",
                impact=2,
                urgency=1,
            ),
        )
        start_of_day = dt.datetime.combine(missed.date(), dt.time(9, 5), tzinfo=paris)
        if missed.weekday() < 5 and start_of_day + dt.timedelta(minutes=30) < self.limit:
            plan.steps = [
                (start_of_day, services.ticket_assign, {"assignee": tech, "by": self.manager}),
                (start_of_day + dt.timedelta(minutes=10), services.ticket_change_status, {
                    "status": Status.IN_PROGRESS, "by": tech}),
                (start_of_day + dt.timedelta(minutes=25), services.ticket_add_note, {
                    "author": tech,
                    "body": "Job Veeam en échec : dépôt NAS plein (98 %). Purge des anciens "
                    "points de restauration en cours, relance du job ensuite."}),
            ]  # fmt: skip
        plans.append(plan)
        return plans

    def _alert(self, check: Check, subject: str, body: str, *, impact: int, urgency: int):
        return {
            "client": check.client,
            "subject": subject,
            "description": body,
            "source": Source.MONITORING,
            "asset": check.asset,
            "queue": self.queues["service-desk"],
            "category": self.categories["surveillance"],
            "impact": impact,
            "urgency": urgency,
        }

    def _monitoring_results(self, tickets: dict[str, Ticket]) -> None:
        """Results and state changes that match the incidents, so the pages have a past."""
        rng, now = self.rng, self.now
        results: list[CheckResult] = []
        changes: list[CheckStateChange] = []
        since = now - dt.timedelta(days=40)
        Outcome, State = CheckResult.Outcome, CheckState

        def result(check, at, outcome, message, latency=None, **data):
            results.append(
                CheckResult(
                    client_id=check.client_id,
                    monitor=check,
                    outcome=outcome,
                    latency_ms=latency,
                    message=message,
                    data=data,
                    scheduled_at=at,
                    checked_at=at + dt.timedelta(milliseconds=rng.randint(5, 900)),
                )
            )

        def change(check, at, old, new, reason):
            changes.append(
                CheckStateChange(
                    client_id=check.client_id,
                    monitor=check,
                    from_state=old,
                    to_state=new,
                    at=at,
                    reason=reason,
                )
            )

        def recent_successes(check, count, low, high, **data):
            for n in range(count, 0, -1):
                latency = round(rng.uniform(low, high), 1)
                at = now - dt.timedelta(seconds=n * check.interval_seconds)
                result(check, at, Outcome.SUCCESS, f"OK in {latency:.0f} ms", latency, **data)

        def set_state(check, state, since_at, *, failures=0, successes=0, last_run=None):
            last_run = last_run or now - dt.timedelta(seconds=rng.randint(5, 50))
            next_run = now
            if check.kind == Check.Kind.HEARTBEAT:
                # The engine looks at a heartbeat only once its deadline has passed.
                period = check.interval_seconds + check.grace_seconds
                next_run = max(now, last_run + dt.timedelta(seconds=period))
            Check.objects.filter(pk=check.pk).update(
                state=state,
                state_changed_at=since_at,
                consecutive_failures=failures,
                consecutive_successes=successes,
                last_run_at=last_run,
                next_run_at=next_run,
                last_outcome="failure" if state == CheckState.DOWN else "success",
            )

        checks = self.checks
        # HTTP checks: up, with the Acme night-time outage.
        web = checks["Site web Acme (HTTP)"]
        down, up = self.web_outage
        change(web, since, State.UNKNOWN, State.UP, "First successful run.")
        for n in (2, 1, 0):
            result(web, down - dt.timedelta(minutes=n), Outcome.FAILURE, "Connection refused")
        change(web, down, State.UP, State.DOWN, "3 consecutive failures: connection refused.")
        for n in (1, 0):
            result(web, up - dt.timedelta(minutes=n), Outcome.SUCCESS, "HTTP 200", 88.0, status=200)
        change(web, up, State.DOWN, State.UP, "2 consecutive successes.")
        recent_successes(web, 30, 35, 140, status=200)
        set_state(web, State.UP, up, successes=30)

        shop = checks["Online shop (HTTP)"]
        change(shop, since, State.UNKNOWN, State.UP, "First successful run.")
        recent_successes(shop, 30, 60, 240, status=200)
        set_state(shop, State.UP, since, successes=30)

        # TLS: the shop certificate is close to expiry (automatic renewal broken).
        tls = checks["Online shop certificate (TLS)"]
        expires = tls.asset.expires_on
        warned = now - dt.timedelta(days=2, hours=3)
        change(tls, since, State.UNKNOWN, State.UP, "Certificate valid.")
        change(tls, warned, State.UP, State.DEGRADED, "Certificate expires in less than 14 days.")
        for n in range(12, 0, -1):
            at = now - dt.timedelta(hours=n)
            days_left = (expires - timezone.localdate(at, ZoneInfo(MONTREAL))).days
            result(tls, at, Outcome.DEGRADED, f"Certificate expires in {days_left} days", 41.0,
                   not_after=expires.isoformat(), issuer="Let's Encrypt R11")  # fmt: skip
        # Paused since this morning: the demo has no TLS server on loopback to look at, and the
        # renewal is being handled by hand.
        paused_tls = now - dt.timedelta(minutes=50)
        why = "Paused while the certificate is renewed by hand."
        change(tls, paused_tls, State.DEGRADED, State.PAUSED, why)
        set_state(tls, State.PAUSED, paused_tls, last_run=now - dt.timedelta(hours=1))

        # TCP: the Lyon NAS, with the power cut; the Acme firewall check is paused.
        nas = checks["NAS DUR-NAS01 (TCP)"]
        down, up = self.nas_outage
        change(nas, since, State.UNKNOWN, State.UP, "First successful run.")
        for n in (2, 1, 0):
            result(nas, down - dt.timedelta(minutes=n), Outcome.FAILURE, "Connection timed out")
        change(nas, down, State.UP, State.DOWN, "3 consecutive failures: connection timed out.")
        change(nas, up, State.DOWN, State.UP, "2 consecutive successes.")
        recent_successes(nas, 30, 2, 12)
        set_state(nas, State.UP, up, successes=30)

        firewall = checks["Pare-feu FW-PARIS-01 - administration (TCP)"]
        paused = now - dt.timedelta(days=9, hours=5)
        change(firewall, since, State.UNKNOWN, State.UP, "First successful run.")
        change(firewall, paused, State.UP, State.PAUSED, "Paused during the firewall upgrade.")
        for n in range(5, 0, -1):
            result(firewall, paused - dt.timedelta(minutes=n), Outcome.SUCCESS, "Port open", 3.0)
        set_state(firewall, State.PAUSED, paused, last_run=paused - dt.timedelta(minutes=1))

        # Heartbeats: one result a night; last night's Acme backup never reported.
        backup = checks["Sauvegarde nocturne SRV-FS01 (heartbeat)"]
        missed = self.backup_missed
        first = missed - dt.timedelta(days=8)
        change(backup, first - dt.timedelta(hours=1), State.UNKNOWN, State.UP, "First ping.")
        for n in range(8, 0, -1):
            at = missed - dt.timedelta(days=n, minutes=rng.randint(55, 62))
            result(backup, at, Outcome.SUCCESS, "Ping received", job="Veeam SRV-FS01")
        result(backup, missed, Outcome.FAILURE, "No ping within the grace period")
        change(backup, missed, State.UP, State.DOWN, "No ping within the grace period.")
        set_state(backup, State.DOWN, missed, failures=1, last_run=missed)
        Check.objects.filter(pk=backup.pk).update(open_ticket=tickets["acme-backup"])

        nas_backup = checks["Sauvegarde externalisée NAS (heartbeat)"]
        paris = ZoneInfo(PARIS)
        last = timezone.localtime(now, paris).date()
        last_ping = None
        change(nas_backup, since, State.UNKNOWN, State.UP, "First ping.")
        for n in range(8, 0, -1):
            ping = dt.datetime.combine(last - dt.timedelta(days=n), dt.time(23, 30), tzinfo=paris)
            ping += dt.timedelta(minutes=rng.randint(20, 95))
            if ping < self.limit:
                result(nas_backup, ping, Outcome.SUCCESS, "Ping received", job="Hyper Backup C2")
                last_ping = ping
        set_state(nas_backup, State.UP, since, successes=8, last_run=last_ping)

        CheckResult.objects.bulk_create(results)
        CheckStateChange.objects.bulk_create(changes)
        # The checks have been watched since their first state change, not since this seed.
        Check.objects.filter(pk__in=[c.pk for c in checks.values()]).update(
            created_at=since - dt.timedelta(minutes=5)
        )
