"""The state machine of one check: plain data in, the next state and the alerts out (no ORM).

- DOWN only after ``failure_threshold`` failures in a row; UP (or DEGRADED) again after
  ``recovery_threshold`` successes in a row. A degraded result (slow, certificate near expiry)
  counts as a success for recovery and shows as DEGRADED; it never opens a ticket.
- A result that "could not run" (the probe itself failed: no ICMP permission, a crash) proves
  nothing about the target: it moves no counter, and only a full run of them makes the check
  UNKNOWN.
- During a maintenance window the check shows MAINTENANCE and raises nothing; results are still
  recorded. When the window ends the next result decides the state again.
- Flapping: over the last 21 results, too many changes between ok and failing mark the check as
  flapping (with hysteresis). A flapping check raises one "flapping" alert, not a ticket per
  bounce; its state changes are still stored, for availability.
- ``hold_down``: the engine believes the monitoring host itself is cut off; a check that would
  go DOWN stays where it is (its failure count keeps growing, so it goes DOWN on the next
  failure once the host is back).
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

UNKNOWN, UP, DEGRADED, DOWN, PAUSED, MAINTENANCE = (
    "unknown",
    "up",
    "degraded",
    "down",
    "paused",
    "maintenance",
)
SUCCESS, DEGRADED_OUTCOME, FAILURE, ERROR = "success", "degraded", "failure", "error"
LETTER = {SUCCESS: "s", DEGRADED_OUTCOME: "d", FAILURE: "f", ERROR: "e"}

HISTORY = 21
#: Flapping starts when at least this many of the last 20 transitions flip ok <-> failing ...
FLAP_START = 8
#: ... and stops when no more than this many do.
FLAP_STOP = 3
#: Fewer results than this say nothing about flapping.
FLAP_MIN_RESULTS = 10
#: An open ticket hears that its check is still down at most this often.
STILL_DOWN_EVERY = dt.timedelta(hours=1)

# Alerts (outbox topics are derived from these by the engine).
ALERT_DOWN = "down"
ALERT_STILL_DOWN = "still_down"
ALERT_RECOVERED = "recovered"
ALERT_FLAPPING = "flapping"


@dataclass(frozen=True)
class CheckView:
    """What the state machine needs to know of a check."""

    state: str
    consecutive_failures: int
    consecutive_successes: int
    recent_outcomes: str
    flapping: bool
    failure_threshold: int
    recovery_threshold: int
    last_alert_at: dt.datetime | None = None


@dataclass
class Decision:
    state: str
    consecutive_failures: int
    consecutive_successes: int
    recent_outcomes: str
    flapping: bool
    last_alert_at: dt.datetime | None
    #: (from, to, reason) when the state changes.
    transition: tuple[str, str, str] | None = None
    alerts: list[str] = field(default_factory=list)
    #: A DOWN transition was held back because the monitoring host looks cut off.
    held: bool = False


def flips(outcomes: str) -> int:
    """How many times the results went from ok to failing or back (errors are skipped)."""
    seq = [c != "f" for c in outcomes if c != "e"]
    return sum(1 for a, b in itertools.pairwise(seq) if a != b)


def is_flapping(outcomes: str, *, was_flapping: bool) -> bool:
    if len(outcomes.replace("e", "")) < FLAP_MIN_RESULTS:
        return False
    n = flips(outcomes)
    return n > FLAP_STOP if was_flapping else n >= FLAP_START


def evaluate(
    check: CheckView,
    outcome: str,
    *,
    at: dt.datetime,
    in_maintenance: bool = False,
    hold_down: bool = False,
    reason: str = "",
) -> Decision:
    """The check's next state after one result."""
    history = (check.recent_outcomes + LETTER.get(outcome, "e"))[-HISTORY:]
    failures, successes = check.consecutive_failures, check.consecutive_successes
    if outcome == FAILURE:
        failures, successes = failures + 1, 0
    elif outcome in (SUCCESS, DEGRADED_OUTCOME):
        failures, successes = 0, successes + 1
    flapping = is_flapping(history, was_flapping=check.flapping)
    d = Decision(
        state=check.state,
        consecutive_failures=failures,
        consecutive_successes=successes,
        recent_outcomes=history,
        flapping=flapping,
        last_alert_at=check.last_alert_at,
    )

    def move(to: str, why: str) -> None:
        if to != d.state:
            d.transition = (d.state, to, why)
            d.state = to

    if in_maintenance:
        move(MAINTENANCE, reason or "maintenance")
        return d

    ok = outcome in (SUCCESS, DEGRADED_OUTCOME)
    healthy = DEGRADED if outcome == DEGRADED_OUTCOME else UP
    leaving_pause = check.state in (MAINTENANCE, PAUSED)
    start = UNKNOWN if leaving_pause else check.state

    if outcome == ERROR:
        # Only a whole run of "could not run" says we no longer know.
        tail = history[-max(check.failure_threshold, 1) :]
        if leaving_pause or (start != UNKNOWN and set(tail) == {"e"}):
            move(UNKNOWN, reason)
    elif ok:
        if start == DOWN:
            if successes >= check.recovery_threshold:
                move(healthy, reason)
                if not flapping:
                    d.alerts.append(ALERT_RECOVERED)
        else:
            move(healthy, reason)
    else:
        if start == DOWN:
            if at - (check.last_alert_at or at) >= STILL_DOWN_EVERY and not flapping:
                d.alerts.append(ALERT_STILL_DOWN)
                d.last_alert_at = at
        elif failures >= check.failure_threshold:
            if hold_down:
                d.held = True
                if leaving_pause:
                    move(UNKNOWN, reason)
            else:
                move(DOWN, reason)
                d.last_alert_at = at
                if not flapping:
                    d.alerts.append(ALERT_DOWN)
        elif leaving_pause:
            move(UNKNOWN, reason)

    if flapping and not check.flapping:
        d.alerts.append(ALERT_FLAPPING)
        d.last_alert_at = at
    elif check.flapping and not flapping and d.state == DOWN:
        # Settled down while down: now it deserves its ticket.
        d.alerts.append(ALERT_DOWN)
        d.last_alert_at = at
    return d
