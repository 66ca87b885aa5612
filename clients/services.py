"""Writes on clients and their records: the client itself, sites, contacts and assets.

One function per action, keyword-only, atomic and audited; the staff pages call these and none
writes the rows itself. A refusal is a ``ValidationError`` keyed by the field it concerns, worded
so that the person who typed the value knows what to change.

Who may write: MSP staff who work for the client (as in the REST API); adding a client is for
staff who see every client, since a restricted technician could not see the one they added.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from msp_portal.core.audit import audit_record

from .models import Asset, Client, Contact, Site

CLIENT_FIELDS = frozenset({"name", "slug", "status", "time_zone", "language", "notes"})
SITE_FIELDS = frozenset(
    {"name", "address", "postal_code", "city", "country", "phone", "notes"}
)  # fmt: skip
CONTACT_FIELDS = frozenset(
    {
        "site",
        "first_name",
        "last_name",
        "email",
        "phone",
        "mobile",
        "job_title",
        "is_primary",
        "is_active",
        "notes",
    }
)
ASSET_FIELDS = frozenset(
    {
        "kind",
        "name",
        "hostname",
        "ip_address",
        "url",
        "serial_number",
        "manufacturer",
        "model",
        "operating_system",
        "site",
        "owner",
        "purchase_date",
        "expires_on",
        "status",
        "attributes",
        "notes",
    }
)


# -- who may write ------------------------------------------------------------------------------


def can_add_clients(user) -> bool:
    """Active MSP staff who see every client (a restricted technician would lose the new one)."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.is_msp_staff
        and user.has_all_clients
    )


def can_edit_client_records(user, client: Client) -> bool:
    """Active MSP staff who work for this client may keep its records up to date."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.is_msp_staff
        and Client.objects.for_user(user).filter(pk=client.pk).exists()
    )


def _ensure_may_edit(by, client: Client) -> None:
    if not can_edit_client_records(by, client):
        raise PermissionDenied


def _unknown_fields(fields: dict, allowed: frozenset[str]) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"not editable here: {', '.join(sorted(unknown))}")


def audit_value(value):
    """A field value as the audit log can store it (JSON): rows by id, dates as ISO text."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset | models.QuerySet):
        return sorted(audit_value(v) for v in value)
    return value


def _apply(obj: models.Model, fields: dict) -> list[str]:
    """Set the fields that differ; returns their names."""
    changed = [name for name, value in fields.items() if getattr(obj, name) != value]
    for name in changed:
        setattr(obj, name, fields[name])
    return changed


def _update_fields(changed: list[str], obj: models.Model) -> list[str]:
    names = []
    for name in changed:
        field = obj._meta.get_field(name)
        names.append(field.attname)
    if any(f.name == "updated_at" for f in obj._meta.fields):
        names.append("updated_at")
    return names


# -- clients ----------------------------------------------------------------------------------


#: Short names that would clash with the pages' own addresses (/clients/new/).
RESERVED_SLUGS = frozenset({"new"})


def _slug_taken(slug: str, *, exclude_pk: int | None) -> bool:
    return Client.objects.filter(slug__iexact=slug).exclude(pk=exclude_pk).exists()


def _slug_error(slug: str) -> ValidationError:
    return ValidationError(
        {
            "slug": _(
                "A client with this short name already exists (%(slug)s): choose another one."
            )
            % {"slug": slug}
        }
    )


def _clean_client(client: Client) -> None:
    if not client.slug:
        client.slug = slugify(client.name)[:60]
    client.slug = client.slug.lower()
    if not client.slug:
        raise ValidationError(
            {"slug": _("Give a short name made of letters, digits and hyphens, such as acme.")}
        )
    if client.slug in RESERVED_SLUGS:
        raise ValidationError(
            {"slug": _("%(slug)s is reserved by the portal: choose another short name.")
             % {"slug": client.slug}}
        )  # fmt: skip
    if _slug_taken(client.slug, exclude_pk=client.pk):
        raise _slug_error(client.slug)
    client.full_clean(validate_unique=False)


def client_create(*, by, request=None, **fields) -> Client:
    """A new client; its short name is made from its name when none is given."""
    if not can_add_clients(by):
        raise PermissionDenied
    _unknown_fields(fields, CLIENT_FIELDS)
    client = Client(**fields)
    _clean_client(client)
    try:
        with transaction.atomic():
            client.save()
            audit_record(
                actor=by, action="client.created", request=request, client_id=client.pk,
                obj=client, data={"name": client.name, "slug": client.slug},
            )  # fmt: skip
    except IntegrityError:  # another request took the short name meanwhile
        raise _slug_error(client.slug) from None
    return client


def client_update(*, client: Client, by, request=None, **fields) -> Client:
    """Change a client's name, short name, status, time zone, language or notes."""
    _ensure_may_edit(by, client)
    _unknown_fields(fields, CLIENT_FIELDS)
    try:
        with transaction.atomic():
            locked = Client.objects.select_for_update().get(pk=client.pk)
            before = {name: getattr(locked, name) for name in fields}
            changed = _apply(locked, fields)
            if not changed:
                return locked
            _clean_client(locked)
            changed = [name for name in fields if getattr(locked, name) != before[name]]
            locked.save(update_fields=changed)
            audit_record(
                actor=by, action="client.updated", request=request, client_id=locked.pk,
                obj=locked, data={"fields": sorted(changed)},
            )  # fmt: skip
    except IntegrityError:
        raise _slug_error(fields.get("slug", client.slug)) from None
    return locked


# -- sites ------------------------------------------------------------------------------------


def _clean_site(site: Site) -> None:
    site.country = (site.country or "").upper()
    taken = (
        Site.objects.filter(client_id=site.client_id, name__iexact=site.name)
        .exclude(pk=site.pk)
        .exists()
    )
    if taken:
        raise ValidationError(
            {"name": _("This client already has a site named %(name)s.") % {"name": site.name}}
        )
    site.full_clean(exclude=["client"], validate_constraints=False)


def site_create(*, client: Client, by, request=None, **fields) -> Site:
    """A new site of this client."""
    _ensure_may_edit(by, client)
    _unknown_fields(fields, SITE_FIELDS)
    site = Site(client=client, **fields)
    _clean_site(site)
    with transaction.atomic():
        site.save()
        audit_record(
            actor=by, action="site.created", request=request, client_id=client.pk, obj=site,
            data={"name": site.name},
        )  # fmt: skip
    return site


def site_update(*, site: Site, by, request=None, **fields) -> Site:
    """Change a site's name, address or notes."""
    _ensure_may_edit(by, site.client)
    _unknown_fields(fields, SITE_FIELDS)
    with transaction.atomic():
        locked = Site.objects.select_for_update().get(pk=site.pk)
        changed = _apply(locked, fields)
        if not changed:
            return locked
        _clean_site(locked)
        locked.save(update_fields=changed)
        audit_record(
            actor=by, action="site.updated", request=request, client_id=locked.client_id,
            obj=locked, data={"fields": sorted(changed)},
        )  # fmt: skip
    return locked


# -- contacts ---------------------------------------------------------------------------------


def _check_site(client_id: int, site: Site | None) -> None:
    if site is not None and site.client_id != client_id:
        raise ValidationError(
            {"site": _("This site belongs to another client: choose one of this client's sites.")}
        )


def _clean_contact(contact: Contact) -> None:
    _check_site(contact.client_id, contact.site)
    contact.email = (contact.email or "").strip().lower()
    if contact.email:
        taken = (
            Contact.objects.filter(client_id=contact.client_id, email__iexact=contact.email)
            .exclude(pk=contact.pk)
            .exists()
        )
        if taken:
            raise ValidationError(
                {"email": _("Another contact of this client already has this e-mail address.")}
            )
    contact.full_clean(exclude=["client", "user"], validate_constraints=False)


def _only_primary(contact: Contact) -> None:
    """One primary contact per client: marking one unmarks the others."""
    if contact.is_primary:
        Contact.objects.filter(client_id=contact.client_id, is_primary=True).exclude(
            pk=contact.pk
        ).update(is_primary=False)


def contact_create(*, client: Client, by, request=None, **fields) -> Contact:
    """A new contact of this client; marked primary, it replaces the previous primary one."""
    _ensure_may_edit(by, client)
    _unknown_fields(fields, CONTACT_FIELDS)
    contact = Contact(client=client, **fields)
    _clean_contact(contact)
    with transaction.atomic():
        contact.save()
        _only_primary(contact)
        audit_record(
            actor=by, action="contact.created", request=request, client_id=client.pk,
            obj=contact, data={"name": contact.full_name},
        )  # fmt: skip
    return contact


def contact_update(*, contact: Contact, by, request=None, **fields) -> Contact:
    """Change a contact's details; the portal login, if any, is managed elsewhere."""
    _ensure_may_edit(by, contact.client)
    _unknown_fields(fields, CONTACT_FIELDS)
    with transaction.atomic():
        locked = Contact.objects.select_for_update().get(pk=contact.pk)
        changed = _apply(locked, fields)
        if not changed:
            return locked
        _clean_contact(locked)
        locked.save(update_fields=_update_fields(changed, locked))
        _only_primary(locked)
        audit_record(
            actor=by, action="contact.updated", request=request, client_id=locked.client_id,
            obj=locked, data={"fields": sorted(changed)},
        )  # fmt: skip
    return locked


# -- assets -----------------------------------------------------------------------------------


def _clean_asset(asset: Asset) -> None:
    _check_site(asset.client_id, asset.site)
    if asset.owner is not None and asset.owner.client_id != asset.client_id:
        raise ValidationError(
            {
                "owner": _(
                    "This contact belongs to another client: choose one of this client's contacts."
                )
            }
        )
    asset.full_clean(exclude=["client"])


def asset_create(*, client: Client, by, request=None, **fields) -> Asset:
    """A new item in this client's inventory; its site and owner must be this client's."""
    _ensure_may_edit(by, client)
    _unknown_fields(fields, ASSET_FIELDS)
    asset = Asset(client=client, **fields)
    _clean_asset(asset)
    with transaction.atomic():
        asset.save()
        audit_record(
            actor=by, action="asset.created", request=request, client_id=client.pk, obj=asset,
            data={"name": asset.name, "kind": asset.kind},
        )  # fmt: skip
    return asset


def asset_update(*, asset: Asset, by, request=None, **fields) -> Asset:
    """Change an asset's details; it stays with its client."""
    _ensure_may_edit(by, asset.client)
    _unknown_fields(fields, ASSET_FIELDS)
    with transaction.atomic():
        locked = Asset.objects.select_for_update().get(pk=asset.pk)
        changed = _apply(locked, fields)
        if not changed:
            return locked
        _clean_asset(locked)
        locked.save(update_fields=_update_fields(changed, locked))
        audit_record(
            actor=by, action="asset.updated", request=request, client_id=locked.client_id,
            obj=locked, data={"fields": sorted(changed)},
        )  # fmt: skip
    return locked
