"""One ticket's story: the replies, notes and status changes that lead to its final status."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from clients.models import Contact
from msp_portal.accounts.models import User
from tickets import services

from .scenarios import Phrases, Scenario
from .timeline import TECH_WEIGHTS, Status, _Timeline

if TYPE_CHECKING:
    from .history import _History


@dataclass
class _Story:
    """The sequence of events that takes one ticket to its final status."""

    history: _History
    timeline: _Timeline
    phrases: Phrases
    scenario: Scenario
    values: dict
    tech: User
    contact: Contact | None
    client_user: User | None
    by_phone: bool
    slug: str
    impact: int
    urgency: int

    # -- wording ------------------------------------------------------------------------------

    def _staff(self, text: str) -> str:
        p = self.phrases
        parts = [self.history._text(text, **self.values)]
        if self.contact is not None:
            parts.insert(0, p.staff_greeting.format(first=self.contact.first_name))
        parts.append(p.staff_signature.format(tech=self.tech.full_name))
        return "\n\n".join(parts)

    def _client(self, text: str) -> str:
        p = self.phrases
        return "\n\n".join(
            (p.client_greeting, text, p.client_signature.format(name=self.contact.full_name))
        )

    # -- events -------------------------------------------------------------------------------

    def _reply(self, minutes, text):
        self.timeline.add(minutes, services.ticket_reply, author=self.tech, body=self._staff(text))

    def _client_reply(self, minutes, text):
        author = {"author": self.client_user} if self.client_user else {}
        if not author:
            author = {"author_contact": self.contact}
        self.timeline.add(minutes, services.ticket_reply, body=self._client(text), **author)

    def _note(self, minutes, text, author=None):
        body = self.history._text(text, **self.values)
        self.timeline.add(minutes, services.ticket_add_note, author=author or self.tech, body=body)

    def _status(self, minutes, status, by="tech", reason="", **options):
        by = self.tech if by == "tech" else by
        self.timeline.add(
            minutes, services.ticket_change_status, status=status, by=by, reason=reason, **options
        )

    def _time(self, minutes_after, *, low=15, high=120):
        rng = self.history.rng
        minutes = rng.choice(
            [m for m in (15, 20, 30, 45, 60, 90, 120, 180, 240) if low <= m <= high]
        )
        self.timeline.add(
            minutes_after,
            services.ticket_log_time,
            technician=self.tech,
            minutes=minutes,
            billable=rng.random() < 0.85,
            note=rng.choice(self.phrases.work),
        )

    # -- the plot -----------------------------------------------------------------------------

    def tell(self, status: str) -> None:
        rng, p, history = self.history.rng, self.phrases, self.history
        urgent = self.timeline.urgent
        requester = self.contact is not None
        asks = requester and bool(self.scenario.question)
        manager = history.manager

        if status == Status.NEW:
            if rng.random() < 0.5:
                self.timeline.add((5, 90), services.ticket_assign, assignee=self.tech, by=manager)
            if rng.random() < 0.2:
                self._reprioritise((5, 60), by=manager)
            return

        by = manager if rng.random() < 0.5 else self.tech
        self.timeline.add((2, 10) if urgent else (5, 90), services.ticket_assign,
                          assignee=self.tech, by=by)  # fmt: skip
        first = (2, 15) if urgent else (10, 150)
        if requester:
            self._reply(first, rng.choice(p.phone_acks if self.by_phone else p.acks))
        else:
            first_status = Status.OPEN if status == Status.OPEN else Status.IN_PROGRESS
            self._status(first, first_status)
        if rng.random() < 0.12:
            self._reprioritise((5, 60), by=self.tech, note=p.escalation)

        if status == Status.OPEN:
            if asks and rng.random() < 0.5:
                self._ask_and_wait()
                self._client_reply((90, 1440), self._answer())  # reopens: back to "open"
            return

        if requester:
            self._status((10, 240), Status.IN_PROGRESS)
        if rng.random() < 0.08:
            self._hand_over()

        if status == Status.IN_PROGRESS:
            if rng.random() < 0.6:
                self._note((15, 300), rng.choice(p.notes))
            if rng.random() < 0.5:
                self._time((5, 60))
            return
        if status == Status.WAITING_ON_CUSTOMER:
            self._ask_and_wait()
            return
        if status == Status.WAITING_ON_THIRD_PARTY:
            self._note((20, 300), rng.choice(p.third_party_notes))
            if requester:
                self._reply((2, 30), p.third_party_reply)
            self._status((1, 5), Status.WAITING_ON_THIRD_PARTY)
            return

        # Resolved or closed: the whole story.
        if asks and rng.random() < 0.6:
            self._ask_and_wait()
            self._client_reply((90, 2880), self._answer())
            self._status((10, 180), Status.IN_PROGRESS)
        if rng.random() < 0.12:
            self._note((20, 300), rng.choice(p.third_party_notes))
            self._status((1, 5), Status.WAITING_ON_THIRD_PARTY)
            self._note((600, 2880), p.third_party_back)
            self._status((1, 10), Status.IN_PROGRESS)
        self._note((15, 300), self.scenario.note or rng.choice(p.notes))
        for _ in range(self.scenario.effort):
            self._time((5, 60), low=30 if self.scenario.effort > 1 else 15,
                       high=240 if self.scenario.effort > 1 else 120)  # fmt: skip
        self._resolve()
        if status == Status.RESOLVED:
            return

        if requester and rng.random() < 0.06:
            self._client_reply((120, 2880), p.reopen)  # a resolved ticket reopens on a reply
            self._reply((10, 120), p.reopen_ack)
            self._status((5, 60), Status.IN_PROGRESS)
            self._time((30, 240), low=30)
            self._resolve()
        if requester and rng.random() < 0.3:
            self._client_reply((30, 1440), rng.choice(p.thanks))  # reopens it, too
            self._status((5, 240), Status.CLOSED, reason=p.confirmed)
        else:
            days = rng.choice((3, 4, 5))
            self._status((days * 1440, days * 1440), Status.CLOSED, by=None,
                         reason=p.auto_close.format(days=days), anytime=True)  # fmt: skip

    def _answer(self) -> str:
        return self.scenario.answer

    def _ask_and_wait(self) -> None:
        self._reply((20, 600), self.scenario.question)
        self._status((1, 3), Status.WAITING_ON_CUSTOMER)

    def _resolve(self) -> None:
        text = self.scenario.resolution or self.phrases.resolution
        minutes = (30, 240) if self.timeline.urgent else (60, 2880)
        if self.contact is not None:
            self._reply(minutes, text)
        else:
            self._note(minutes, text)
        self._status((1, 5), Status.RESOLVED, reason=self.phrases.resolved)

    def _reprioritise(self, minutes, *, by, note: str = "") -> None:
        impact, urgency = self.impact, self.urgency
        if impact > 1:
            impact -= 1
        elif urgency > 1:
            urgency -= 1
        else:
            return
        self.impact, self.urgency = impact, urgency
        self.timeline.add(
            minutes, services.ticket_change_priority, impact=impact, urgency=urgency, by=by
        )
        if note:
            self._note((1, 5), note, author=by)

    def _hand_over(self) -> None:
        history = self.history
        others = [
            history.users[e] for e in TECH_WEIGHTS[self.slug] if history.users[e] != self.tech
        ]
        if not others:
            return
        other = history.rng.choice(others)
        self._note((10, 120), self.phrases.handover.format(name=other.full_name))
        self.timeline.add((1, 5), services.ticket_assign, assignee=other, by=self.tech)
        self.tech = other
