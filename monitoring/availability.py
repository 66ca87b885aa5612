"""Time-weighted availability from state changes: plain data in, seconds out (no queries).

A check is "up" while UP or DEGRADED (it answers, if slowly) and "down" while DOWN. Time spent
UNKNOWN, PAUSED or MAINTENANCE proves nothing either way and is excluded: a planned
maintenance does not count against a client's availability, and neither does a check that
could not run. The ratio is up / (up + down), or None when no time counted at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

UP_STATES = frozenset({"up", "degraded"})
DOWN_STATES = frozenset({"down"})


@dataclass(frozen=True)
class Availability:
    up_seconds: float
    down_seconds: float
    excluded_seconds: float
    #: up / (up + down), between 0 and 1; None when nothing counted.
    ratio: float | None

    @property
    def percent(self) -> float | None:
        return None if self.ratio is None else self.ratio * 100

    @property
    def down_minutes(self) -> int:
        """Time down, in whole minutes (a started minute counts)."""
        return int(-(-self.down_seconds // 60))


def availability(
    changes: Iterable[tuple[dt.datetime, str]],
    *,
    state_before: str,
    start: dt.datetime,
    end: dt.datetime,
) -> Availability:
    """Availability over ``[start, end)``.

    ``changes`` are ``(at, to_state)`` pairs in time order; ``state_before`` is the state at
    ``start``. Changes before ``start`` move the starting state; changes at or after ``end`` are
    ignored.
    """
    totals = {"up": 0.0, "down": 0.0, "excluded": 0.0}

    def add(state: str, seconds: float) -> None:
        if seconds <= 0:
            return
        bucket = "up" if state in UP_STATES else "down" if state in DOWN_STATES else "excluded"
        totals[bucket] += seconds

    state, cursor = state_before, start
    if end > start:
        for at, to_state in changes:
            if at >= end:
                break
            if at > cursor:
                add(state, (at - cursor).total_seconds())
                cursor = at
            state = to_state
        add(state, (end - cursor).total_seconds())
    counted = totals["up"] + totals["down"]
    return Availability(
        up_seconds=totals["up"],
        down_seconds=totals["down"],
        excluded_seconds=totals["excluded"],
        ratio=totals["up"] / counted if counted > 0 else None,
    )
