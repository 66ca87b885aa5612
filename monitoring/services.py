"""What MSP staff change in monitoring: checks and maintenance windows.

One function per action, audited; the staff pages and the admin call these, none of them
writes the rows itself. Targets are validated by ``probes.validate_config`` -- the same rules
the probes apply before connecting -- so a check aimed at a cloud metadata address or a network
the MSP did not allow is refused when it is saved, not only when it runs. That validation
resolves host names, which can be slow, so creating and updating run it before their
transaction opens: no row stays locked meanwhile.

The engine (``engine.py``) owns the run-time fields (state, counters, lease); pausing and
resuming are the two places people change them, and both write a state change so availability
accounts for the pause.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.models import Asset, Client
from msp_portal.core.audit import audit_record

from .models import Check, CheckState, CheckStateChange, MaintenanceWindow
from .probes import validate_config

#: Fields of a check that people set; the rest belongs to the engine.
CHECK_FIELDS = frozenset(
    {
        "name",
        "kind",
        "config",
        "asset",
        "interval_seconds",
        "retry_interval_seconds",
        "timeout_seconds",
        "grace_seconds",
        "failure_threshold",
        "recovery_threshold",
        "degraded_latency_ms",
        "resolve_ticket_on_recovery",
    }
)
WINDOW_FIELDS = frozenset(
    {"name", "starts_at", "ends_at", "recurrence", "repeat_until", "reason", "checks"}
)
#: A recurring window must end before its next occurrence starts.
_PERIOD = {
    MaintenanceWindow.Recurrence.DAILY: dt.timedelta(days=1),
    MaintenanceWindow.Recurrence.WEEKLY: dt.timedelta(weeks=1),
    MaintenanceWindow.Recurrence.MONTHLY: dt.timedelta(days=28),
}


def _ensure_staff(by, client: Client) -> None:
    """Only MSP staff who work for this client change its monitoring."""
    if not (
        by is not None
        and by.is_active
        and by.is_msp_staff
        and Client.objects.for_user(by).filter(pk=client.pk).exists()
    ):
        raise PermissionDenied


def _unknown_fields(fields: dict, allowed: frozenset[str]) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"not editable here: {', '.join(sorted(unknown))}")


def _check_asset(client: Client, asset: Asset | None) -> None:
    if asset is not None and asset.client_id != client.pk:
        raise ValidationError({"asset": _("This asset belongs to another client.")})


def _validated_config(kind: str, config: dict) -> dict:
    """The cleaned settings, or ValidationError({"config": [...]}). It resolves host names:
    callers run it before their transaction, so no row stays locked during a slow lookup."""
    try:
        return validate_config(kind, config or {})
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            raise
        raise ValidationError({"config": error.error_list}) from None


def _full_clean(check: Check) -> None:
    check.full_clean(exclude=["client", "asset", "open_ticket", "heartbeat_token"])


def _record_change(check: Check, to_state: str, *, reason: str, at: dt.datetime) -> None:
    if check.state == to_state:
        return
    CheckStateChange.objects.create(
        client_id=check.client_id,
        monitor=check,
        from_state=check.state,
        to_state=to_state,
        at=at,
        reason=reason[:500],
    )
    check.state, check.state_changed_at = to_state, at


def _lock(check: Check) -> Check:
    return Check.objects.select_for_update().get(pk=check.pk)


def check_create(*, client: Client, by, **fields) -> Check:
    """A new check for this client; it runs at once (a heartbeat waits for its first ping).
    The target is validated first, outside the transaction that saves it."""
    _ensure_staff(by, client)
    _unknown_fields(fields, CHECK_FIELDS)
    _check_asset(client, fields.get("asset"))
    check = Check(client=client, **fields)
    check.config = _validated_config(check.kind, check.config)
    _full_clean(check)
    with transaction.atomic():
        check.next_run_at = timezone.now()
        check.save()
        audit_record(
            actor=by, action="check.created", client_id=client.pk, obj=check,
            data={"name": check.name, "kind": check.kind},
        )  # fmt: skip
    return check


def check_update(*, check: Check, by, **fields) -> Check:
    """Change what a check looks at and how; its state and history stay.

    A new target is validated (and resolved) before the row is locked; settings left as they
    were are not looked up again, so a check whose host stopped resolving can still be renamed
    or paused from its form.
    """
    _ensure_staff(by, check.client)
    _unknown_fields(fields, CHECK_FIELDS)
    current = Check.objects.only("kind", "config").get(pk=check.pk)
    kind, config = fields.get("kind", current.kind), fields.get("config", current.config)
    if kind != current.kind or config != current.config:
        fields["config"] = _validated_config(kind, config)
    with transaction.atomic():
        locked = _lock(check)
        _check_asset(locked.client, fields.get("asset", locked.asset))
        changed = [name for name, value in fields.items() if getattr(locked, name) != value]
        for name in changed:
            setattr(locked, name, fields[name])
        _full_clean(locked)
        if not changed:
            return locked
        update = {"asset_id" if name == "asset" else name for name in changed}
        if "interval_seconds" in changed and locked.enabled and locked.kind != Check.Kind.HEARTBEAT:
            # A shorter interval takes effect now rather than after the old, longer one.
            soonest = timezone.now() + dt.timedelta(seconds=locked.interval_seconds)
            if locked.next_run_at > soonest:
                locked.next_run_at = soonest
                update.add("next_run_at")
        locked.save(update_fields=sorted(update))
        audit_record(
            actor=by, action="check.updated", client_id=locked.client_id, obj=locked,
            data={"fields": sorted(changed)},
        )  # fmt: skip
    return locked


@transaction.atomic
def check_pause(*, check: Check, by) -> Check:
    """Stop running the check: no results, no alerts, PAUSED until resumed. Idempotent."""
    _ensure_staff(by, check.client)
    locked = _lock(check)
    if not locked.enabled and locked.state == CheckState.PAUSED:
        return locked
    now = timezone.now()
    _record_change(locked, CheckState.PAUSED, reason=_("Paused by %(user)s") % {"user": by}, at=now)
    # Clearing the lease makes an engine run already under way drop its result.
    locked.enabled, locked.lease_token, locked.lease_expires_at = False, "", None
    locked.save(
        update_fields=["enabled", "state", "state_changed_at", "lease_token", "lease_expires_at"]
    )
    audit_record(actor=by, action="check.paused", client_id=locked.client_id, obj=locked)
    return locked


@transaction.atomic
def check_resume(*, check: Check, by) -> Check:
    """Run the check again from scratch: UNKNOWN until its results decide. Idempotent."""
    _ensure_staff(by, check.client)
    locked = _lock(check)
    if locked.enabled:
        return locked
    now = timezone.now()
    _record_change(
        locked, CheckState.UNKNOWN, reason=_("Resumed by %(user)s") % {"user": by}, at=now
    )
    locked.state_changed_at = now  # a heartbeat gets a full period from here
    locked.enabled = True
    locked.consecutive_failures = locked.consecutive_successes = 0
    locked.recent_outcomes, locked.flapping = "", False
    locked.next_run_at = now
    locked.lease_token, locked.lease_expires_at = "", None
    locked.save(
        update_fields=[
            "enabled", "state", "state_changed_at", "consecutive_failures",
            "consecutive_successes", "recent_outcomes", "flapping", "next_run_at",
            "lease_token", "lease_expires_at",
        ]
    )  # fmt: skip
    audit_record(actor=by, action="check.resumed", client_id=locked.client_id, obj=locked)
    return locked


@transaction.atomic
def check_delete(*, check: Check, by) -> None:
    """Delete the check with its results and history; its ticket, if any, stays."""
    _ensure_staff(by, check.client)
    audit_record(
        actor=by, action="check.deleted", client_id=check.client_id, obj=check,
        data={"name": check.name, "kind": check.kind, "target": check.target},
    )  # fmt: skip
    Check.objects.filter(pk=check.pk).delete()


# -- maintenance windows -------------------------------------------------------------------


def _clean_window(window: MaintenanceWindow, checks: Iterable[Check] | None) -> None:
    errors: dict[str, list[str]] = {}
    if window.starts_at and window.ends_at and window.ends_at <= window.starts_at:
        errors.setdefault("ends_at", []).append(_("A maintenance window must end after it starts."))
    if window.recurrence == MaintenanceWindow.Recurrence.NONE:
        window.repeat_until = None
    elif window.starts_at and window.ends_at:
        if window.ends_at - window.starts_at >= _PERIOD[window.recurrence]:
            errors.setdefault("ends_at", []).append(
                _("A repeating window must end before its next occurrence starts.")
            )
        first_day = window.starts_at.astimezone(ZoneInfo(window.client.time_zone)).date()
        if window.repeat_until is not None and window.repeat_until < first_day:
            errors.setdefault("repeat_until", []).append(
                _("The last repetition cannot be before the first one.")
            )
    if checks is not None and any(c.client_id != window.client_id for c in checks):
        errors.setdefault("checks", []).append(_("A check belongs to another client."))
    if errors:
        raise ValidationError(errors)
    window.full_clean(exclude=["client", "created_by", "checks"])


@transaction.atomic
def maintenance_window_create(
    *, client: Client, by, checks: Iterable[Check] = (), **fields
) -> MaintenanceWindow:
    """A planned window, in the client's time zone; no checks listed means all of them."""
    _ensure_staff(by, client)
    _unknown_fields(fields, WINDOW_FIELDS)
    checks = list(checks)
    window = MaintenanceWindow(client=client, created_by=by, **fields)
    _clean_window(window, checks)
    window.save()
    window.checks.set(checks)
    audit_record(
        actor=by, action="maintenance.created", client_id=client.pk, obj=window,
        data={"name": window.name, "checks": [c.pk for c in checks]},
    )  # fmt: skip
    return window


@transaction.atomic
def maintenance_window_update(*, window: MaintenanceWindow, by, **fields) -> MaintenanceWindow:
    """Change a window; ``checks`` replaces its list of checks when given."""
    _ensure_staff(by, window.client)
    _unknown_fields(fields, WINDOW_FIELDS)
    locked = (
        MaintenanceWindow.objects.select_for_update().select_related("client").get(pk=window.pk)
    )
    checks = fields.pop("checks", None)
    checks = list(checks) if checks is not None else None
    for name, value in fields.items():
        setattr(locked, name, value)
    _clean_window(locked, checks)
    locked.save(update_fields=sorted(set(fields) | {"repeat_until"}))
    if checks is not None:
        locked.checks.set(checks)
    audit_record(
        actor=by, action="maintenance.updated", client_id=locked.client_id, obj=locked,
        data={"fields": sorted(fields) + (["checks"] if checks is not None else [])},
    )  # fmt: skip
    return locked


@transaction.atomic
def maintenance_window_delete(*, window: MaintenanceWindow, by) -> None:
    """Remove a window; checks in MAINTENANCE return to normal with their next result."""
    _ensure_staff(by, window.client)
    audit_record(
        actor=by, action="maintenance.deleted", client_id=window.client_id, obj=window,
        data={"name": window.name},
    )  # fmt: skip
    MaintenanceWindow.objects.filter(pk=window.pk).delete()
