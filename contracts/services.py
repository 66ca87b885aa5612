"""Writes on contracts, policies and calendars: versions and the snapshots timers run on."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

import holidays
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from . import sla
from .models import BusinessCalendar, Contract, Holiday, SLAPolicy, SLASnapshot


def _digest(spec: dict) -> str:
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()


def sla_snapshot_for(contract: Contract) -> SLASnapshot:
    """The snapshot of the contract's policy and calendar as they are now (made once per
    distinct content, so every ticket opened under the same rules shares one row)."""
    policy = SLAPolicy.objects.prefetch_related(
        "targets__calendar__windows", "targets__calendar__holidays"
    ).get(pk=contract.sla_policy_id)
    calendar = BusinessCalendar.objects.prefetch_related("windows", "holidays").get(
        pk=contract.calendar_id
    )
    spec = policy.to_spec(calendar)
    digest = _digest(spec)
    existing = SLASnapshot.objects.filter(digest=digest).first()
    if existing is not None:
        return existing
    sla.Policy.from_spec(spec, {})  # refuse rules the SLA core cannot run, before storing them
    try:
        with transaction.atomic():
            return SLASnapshot.objects.create(
                policy=policy,
                calendar=calendar,
                policy_version=policy.version,
                calendar_version=calendar.version,
                digest=digest,
                spec=spec,
            )
    except IntegrityError:  # another transaction stored the same rules first
        return SLASnapshot.objects.get(digest=digest)


def calendar_changed(*, calendar: BusinessCalendar) -> None:
    """Count a new version of the calendar; running timers keep the one they started with."""
    BusinessCalendar.objects.filter(pk=calendar.pk).update(version=F("version") + 1)


def policy_changed(*, policy: SLAPolicy) -> None:
    """Count a new version of the policy; running timers keep the one they started with."""
    SLAPolicy.objects.filter(pk=policy.pk).update(version=F("version") + 1)


@transaction.atomic
def calendar_add_public_holidays(
    *, calendar: BusinessCalendar, years: Iterable[int], country: str = "", subdivision: str = ""
) -> int:
    """Add the public holidays of a country (and region) for some years, from the ``holidays``
    package, as dated full-day closures; dates already closed are left alone. Returns how many
    were added."""
    country = (country or calendar.holiday_country).upper()
    subdivision = (subdivision or calendar.holiday_subdivision).upper() or None
    if not country:
        raise ValidationError(
            {"holiday_country": _("Choose the country whose public holidays to add.")}
        )
    try:
        table = holidays.country_holidays(
            country, subdiv=subdivision, years=sorted(set(years)), language=get_language()
        )
    except NotImplementedError:
        raise ValidationError(
            {
                "holiday_country": _("No public holidays are known for %(code)s%(region)s.")
                % {"code": country, "region": f"-{subdivision}" if subdivision else ""}
            }
        ) from None
    taken = set(
        calendar.holidays.filter(
            end_date__isnull=True, recurring=False, closed_from__isnull=True
        ).values_list("date", flat=True)
    )
    new = [
        Holiday(calendar=calendar, date=day, name=str(name)[:120])
        for day, name in sorted(table.items())
        if day not in taken
    ]
    Holiday.objects.bulk_create(new)
    if new:
        calendar_changed(calendar=calendar)
    return len(new)
