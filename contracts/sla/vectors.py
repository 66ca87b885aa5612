"""Conformance vectors: run one vector of shared/sla/vectors.json and render its outcome."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .calendar import (
    Calendar,
    SLAError,
    add_minutes,
    add_seconds,
    business_seconds_between,
)
from .timers import Event, Policy, _ratio, evaluate

# --- Conformance entry point (shared/sla/vectors.json) -------------------------------------


def _calendar_ref(ref: object, fixtures: Mapping[str, Any]) -> Mapping[str, Any]:
    return fixtures["calendars"][ref] if isinstance(ref, str) else ref  # type: ignore[return-value]


def run_vector(vector: Mapping[str, Any], fixtures: Mapping[str, Any]) -> dict[str, Any]:
    """Run one calendar or ticket vector as written in vectors.json and return its outcome."""
    if "checkpoints" in vector:
        ref = vector["policy"]
        spec = fixtures["policies"][ref] if isinstance(ref, str) else ref
        policy = Policy.from_spec(spec, fixtures.get("calendars", {}))
        ticket = vector["ticket"]
        ticket_args = {
            "created_at": datetime.fromisoformat(ticket["created_at"]),
            "priority": ticket["priority"],
            "status": ticket.get("status", "new"),
            "events": [Event.from_spec(e) for e in ticket.get("events", [])],
        }
        checkpoints = []
        for checkpoint in vector["checkpoints"]:
            now = datetime.fromisoformat(checkpoint["now"])
            fr, res, *cycles = (t.to_dict() for t in evaluate(policy, now=now, **ticket_args))
            checkpoints.append(
                {"first_response": fr, "resolution": res, "next_response_cycles": cycles}
            )
        return {"checkpoints": checkpoints}
    try:
        cal = Calendar.from_spec(_calendar_ref(vector["calendar"], fixtures))
        op = vector["op"]
        if op == "validate":
            return {"result": "valid"}
        start = datetime.fromisoformat(vector["start"])
        if op == "add":
            return {"result": add_minutes(cal, start, vector["minutes"]).isoformat()}
        if op == "add_seconds":
            return {"result": add_seconds(cal, start, vector["seconds"]).isoformat()}
        if op == "between":
            end = datetime.fromisoformat(vector["end"])
            return {"result": _ratio(business_seconds_between(cal, start, end), 60)}
        raise ValueError(f"unknown op {op!r}")
    except SLAError as exc:
        return {"error": type(exc).__name__}
