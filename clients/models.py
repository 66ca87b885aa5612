"""The tenant (Client) and what the MSP knows of it: sites, contacts and the asset inventory."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from msp_portal.core.defaults import default_language, default_time_zone
from msp_portal.core.tenancy import TenantQuerySet
from msp_portal.core.validators import validate_time_zone


class ClientQuerySet(TenantQuerySet):
    tenant_field = "pk"

    def active(self) -> ClientQuerySet:
        return self.exclude(status=Client.Status.FORMER)


class Client(models.Model):
    """A company the MSP serves: the tenant every other row belongs to."""

    class Status(models.TextChoices):
        ONBOARDING = "onboarding", _("Onboarding")
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        FORMER = "former", _("Former client")

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default=default_time_zone, validators=[validate_time_zone]
    )
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=default_language
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ClientQuerySet.as_manager()

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("clients:detail", args=[self.slug])


class Site(models.Model):
    """A client's location: an office, a data centre, a shop."""

    client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.CASCADE, related_name="sites"
    )
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=255, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True, help_text=_("ISO code"))
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["client", "name"]
        constraints = [
            models.UniqueConstraint(fields=["client", "name"], name="site_name_unique_per_client")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def one_line_address(self) -> str:
        return ", ".join(p for p in (self.address, f"{self.postal_code} {self.city}".strip()) if p)


class Contact(models.Model):
    """A person at a client; may have a portal login."""

    client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.CASCADE, related_name="contacts"
    )
    site = models.ForeignKey(
        Site,
        verbose_name=_("site"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contacts",
    )
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(_("e-mail address"), blank=True, db_index=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    mobile = models.CharField(_("mobile"), max_length=40, blank=True)
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("portal login"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contact",
    )
    notes = models.TextField(_("notes"), blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["client", "last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "email"],
                condition=~models.Q(email=""),
                name="contact_email_unique_per_client",
            )
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def clean(self) -> None:
        if self.site_id and self.site.client_id != self.client_id:
            raise ValidationError({"site": _("This site belongs to another client.")})
        if self.user_id and self.user.client_id != self.client_id:
            raise ValidationError({"user": _("This login belongs to another client.")})


class AssetQuerySet(TenantQuerySet):
    def in_service(self) -> AssetQuerySet:
        return self.exclude(status=Asset.Status.RETIRED)


class Asset(models.Model):
    """One item of a client's inventory, from a laptop to a domain name or a backup job."""

    class Kind(models.TextChoices):
        SERVER = "server", _("Server")
        WORKSTATION = "workstation", _("Workstation")
        LAPTOP = "laptop", _("Laptop")
        NETWORK_DEVICE = "network_device", _("Network device")
        PRINTER = "printer", _("Printer")
        WEBSITE = "website", _("Website")
        DOMAIN = "domain", _("Domain name")
        TLS_CERTIFICATE = "tls_certificate", _("TLS certificate")
        CLOUD_RESOURCE = "cloud_resource", _("Cloud resource")
        SOFTWARE_LICENCE = "software_licence", _("Software licence")
        BACKUP_JOB = "backup_job", _("Backup job")

    class Status(models.TextChoices):
        ACTIVE = "active", _("In service")
        IN_STOCK = "in_stock", _("In stock")
        IN_REPAIR = "in_repair", _("In repair")
        RETIRED = "retired", _("Retired")

    client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.CASCADE, related_name="assets"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    hostname = models.CharField(_("host name"), max_length=255, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    url = models.URLField(_("URL"), max_length=500, blank=True)
    serial_number = models.CharField(_("serial number"), max_length=100, blank=True)
    manufacturer = models.CharField(_("manufacturer"), max_length=100, blank=True)
    model = models.CharField(_("model"), max_length=100, blank=True)
    operating_system = models.CharField(_("operating system"), max_length=100, blank=True)
    site = models.ForeignKey(
        Site,
        verbose_name=_("site"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assets",
    )
    owner = models.ForeignKey(
        Contact,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assets",
    )
    purchase_date = models.DateField(_("purchase date"), null=True, blank=True)
    expires_on = models.DateField(
        _("warranty / expiry date"),
        null=True,
        blank=True,
        help_text=_("End of warranty, or expiry of a domain, certificate or licence."),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = AssetQuerySet.as_manager()

    class Meta:
        verbose_name = _("asset")
        verbose_name_plural = _("assets")
        ordering = ["client", "name"]
        indexes = [
            models.Index(fields=["client", "kind"], name="asset_client_kind"),
            models.Index(fields=["expires_on"], name="asset_expires_on"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("clients:asset_detail", args=[self.pk])

    @property
    def address(self) -> str:
        """The network address to show: URL, host name or IP, whichever is set."""
        return self.url or self.hostname or (self.ip_address or "")

    def clean(self) -> None:
        errors = {}
        if self.site_id and self.site.client_id != self.client_id:
            errors["site"] = _("This site belongs to another client.")
        if self.owner_id and self.owner.client_id != self.client_id:
            errors["owner"] = _("This contact belongs to another client.")
        if not isinstance(self.attributes, dict):
            errors["attributes"] = _('Attributes must be a JSON object, such as {"ram_gb": 16}.')
        if errors:
            raise ValidationError(errors)
