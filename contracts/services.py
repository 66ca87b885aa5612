"""Writes on contracts, policies and calendars: versions and the snapshots timers run on."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

import holidays
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from clients.models import Client
from clients.services import audit_value
from msp_portal.accounts.models import Role
from msp_portal.core.audit import audit_record

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


# -- contracts: what a client bought, written by managers and audited ---------------------------

CONTRACT_FIELDS = frozenset(
    {
        "reference",
        "title",
        "status",
        "start_date",
        "end_date",
        "auto_renew",
        "notice_period_days",
        "billing_model",
        "monthly_fee",
        "currency",
        "included_hours",
        "sla_policy",
        "calendar",
        "covered_sites",
        "covered_assets",
        "notes",
    }
)
_M2M = ("covered_sites", "covered_assets")
#: Changing these changes the SLA promised: they get an audit entry of their own.
_SLA_FIELDS = ("sla_policy", "calendar")


def can_edit_contracts(user) -> bool:
    """Commercial terms and SLAs are for MSP administrators and managers."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.role in (Role.ADMIN, Role.MANAGER)
    )


def _ensure_may_edit_contracts(by, client) -> None:
    if not (can_edit_contracts(by) and Client.objects.for_user(by).filter(pk=client.pk).exists()):
        raise PermissionDenied


def _check_contract(contract: Contract, sites, assets) -> None:
    """Refusals worded for the person filling the form, keyed by the field to change."""
    errors: dict[str, str] = {}
    reference_taken = (
        Contract.objects.filter(reference__iexact=contract.reference)
        .exclude(pk=contract.pk)
        .exists()
    )
    if reference_taken:
        errors["reference"] = _("A contract with this reference already exists.")
    if contract.end_date and contract.start_date and contract.end_date < contract.start_date:
        errors["end_date"] = _("The end date must be on or after the start date.")
    foreign_sites = [s.name for s in sites or () if s.client_id != contract.client_id]
    if foreign_sites:
        errors["covered_sites"] = _("These sites belong to another client: %(names)s.") % {
            "names": ", ".join(foreign_sites)
        }
    foreign_assets = [a.name for a in assets or () if a.client_id != contract.client_id]
    if foreign_assets:
        errors["covered_assets"] = _("These assets belong to another client: %(names)s.") % {
            "names": ", ".join(foreign_assets)
        }
    calendar = BusinessCalendar.objects.prefetch_related("windows", "holidays").get(
        pk=contract.calendar_id
    )
    if not calendar.weekly_minutes:
        errors["calendar"] = _(
            "This calendar has no business hours, so SLA times could not be counted: choose "
            "another one or add hours to it first."
        )
    else:
        policy = SLAPolicy.objects.prefetch_related(
            "targets__calendar__windows", "targets__calendar__holidays"
        ).get(pk=contract.sla_policy_id)
        try:
            sla.Policy.from_spec(policy.to_spec(calendar), {})
        except sla.SLAError:
            errors["sla_policy"] = _(
                "The SLA core cannot run this policy with this calendar; check the policy's "
                "targets in the SLA settings, or choose another policy."
            )
    if errors:
        raise ValidationError(errors)
    contract.full_clean(exclude=["client", *_M2M], validate_unique=False)


def _save_reference(contract: Contract, update_fields=None) -> None:
    try:
        with transaction.atomic():
            contract.save(update_fields=update_fields)
    except IntegrityError:  # another request took the reference meanwhile
        raise ValidationError(
            {"reference": _("A contract with this reference already exists.")}
        ) from None


@transaction.atomic
def contract_create(*, client, by, request=None, **fields) -> Contract:
    """A new contract for this client, recorded in the audit log with its terms and SLA."""
    _ensure_may_edit_contracts(by, client)
    unknown = set(fields) - CONTRACT_FIELDS
    if unknown:
        raise TypeError(f"not editable here: {', '.join(sorted(unknown))}")
    sites, assets = fields.pop("covered_sites", ()), fields.pop("covered_assets", ())
    contract = Contract(client=client, **fields)
    _check_contract(contract, sites, assets)
    _save_reference(contract)
    contract.covered_sites.set(sites)
    contract.covered_assets.set(assets)
    terms = {name: audit_value(getattr(contract, name)) for name in fields}
    terms |= {"covered_sites": audit_value(sites), "covered_assets": audit_value(assets)}
    audit_record(
        actor=by, action="contract.created", request=request, client_id=client.pk, obj=contract,
        data={"reference": contract.reference, "terms": terms},
    )  # fmt: skip
    return contract


@transaction.atomic
def contract_update(*, contract: Contract, by, request=None, **fields) -> Contract:
    """Change a contract's terms, SLA or coverage; every change is audited with its old and
    new value, and a change of SLA policy or calendar gets an entry of its own. Open tickets
    keep the SLA rules they were opened under (their snapshot)."""
    _ensure_may_edit_contracts(by, contract.client)
    unknown = set(fields) - CONTRACT_FIELDS
    if unknown:
        raise TypeError(f"not editable here: {', '.join(sorted(unknown))}")
    locked = Contract.objects.select_for_update().get(pk=contract.pk)
    changes: dict[str, list] = {}
    m2m = {name: fields.pop(name) for name in _M2M if name in fields}
    for name, value in fields.items():
        old = getattr(locked, name)
        if old != value:
            changes[name] = [audit_value(old), audit_value(value)]
            setattr(locked, name, value)
    current = {name: set(getattr(locked, name).all()) for name in m2m}
    for name, value in m2m.items():
        if set(value) != current[name]:
            changes[name] = [audit_value(current[name]), audit_value(value)]
    if not changes:
        return locked
    sites = m2m.get("covered_sites", current.get("covered_sites"))
    assets = m2m.get("covered_assets", current.get("covered_assets"))
    _check_contract(locked, sites, assets)
    plain = [name for name in fields if name in changes]
    if plain:
        attnames = [locked._meta.get_field(name).attname for name in plain]
        _save_reference(locked, update_fields=attnames)
    for name, value in m2m.items():
        if name in changes:
            getattr(locked, name).set(value)
    audit_record(
        actor=by, action="contract.updated", request=request, client_id=locked.client_id,
        obj=locked, data={"reference": locked.reference, "changes": changes},
    )  # fmt: skip
    sla_changes = {name: changes[name] for name in _SLA_FIELDS if name in changes}
    if sla_changes:
        audit_record(
            actor=by, action="contract.sla_changed", request=request,
            client_id=locked.client_id, obj=locked,
            data={
                "reference": locked.reference,
                "changes": sla_changes,
                "names": {
                    "sla_policy": locked.sla_policy.name, "calendar": locked.calendar.name,
                },
            },
        )  # fmt: skip
    return locked
