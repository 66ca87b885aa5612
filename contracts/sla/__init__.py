"""Pure SLA core: business-time arithmetic and SLA timer evaluation (shared/sla/SPEC.md).

Stdlib only, no Django and no ORM: aware datetimes and plain data in, aware datetimes and plain
data out. All arithmetic runs on integer epoch seconds (SPEC D10: Python does wall-clock
arithmetic on datetimes sharing a ZoneInfo), so sub-second input is truncated (SPEC 2.1.4).
"""

from .calendar import _WEEKDAYS as _WEEKDAYS
from .calendar import (
    DAY,
    DST_PROFILE,
    HORIZON_DAYS,
    BusinessTimeSearchExhausted,
    Calendar,
    CalendarHasNoBusinessHours,
    Holiday,
    InvalidCalendar,
    InvalidPolicy,
    SLAError,
    UnknownPriority,
    add_minutes,
    add_seconds,
    business_seconds_between,
    is_business,
    next_business_instant,
)
from .timers import Event, Policy, Target, TimerResult, evaluate
from .vectors import run_vector

__all__ = [
    "DAY",
    "DST_PROFILE",
    "HORIZON_DAYS",
    "BusinessTimeSearchExhausted",
    "Calendar",
    "CalendarHasNoBusinessHours",
    "Event",
    "Holiday",
    "InvalidCalendar",
    "InvalidPolicy",
    "Policy",
    "SLAError",
    "Target",
    "TimerResult",
    "UnknownPriority",
    "add_minutes",
    "add_seconds",
    "business_seconds_between",
    "evaluate",
    "is_business",
    "next_business_instant",
    "run_vector",
]
