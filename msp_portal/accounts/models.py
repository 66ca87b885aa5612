"""People who sign in: MSP staff and the clients' portal users."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from msp_portal.core.defaults import default_language
from msp_portal.core.validators import validate_time_zone


class Role(models.TextChoices):
    ADMIN = "admin", _("MSP administrator")
    MANAGER = "manager", _("Manager")
    TECHNICIAN = "technician", _("Technician")
    CLIENT_ADMIN = "client_admin", _("Client administrator")
    CLIENT_USER = "client_user", _("Client user")


STAFF_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.TECHNICIAN})
CLIENT_ROLES = frozenset({Role.CLIENT_ADMIN, Role.CLIENT_USER})


class UserManager(BaseUserManager["User"]):
    """Creates users from an e-mail address, the login."""

    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> User:
        fields["role"] = Role.ADMIN
        return self.create_user(email, password, **fields)

    def get_by_natural_key(self, username: str) -> User:
        return self.get(email__iexact=username)


class User(AbstractBaseUser):
    """A person who signs in, identified by e-mail; staff or tied to one client."""

    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("client"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="users",
        help_text=_("Required for client roles, empty for MSP staff."),
    )
    sees_all_clients = models.BooleanField(
        _("sees all clients"),
        default=True,
        help_text=_(
            "Technicians only: when unticked, the technician sees only the clients listed below. "
            "Administrators and managers always see every client."
        ),
    )
    allowed_clients = models.ManyToManyField(
        "clients.Client",
        verbose_name=_("allowed clients"),
        blank=True,
        related_name="+",
    )
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=default_language
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        help_text=_("Staff only; portal users see times in their company's time zone."),
        validators=[validate_time_zone],
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["full_name", "email"]
        constraints = [
            models.CheckConstraint(
                name="user_client_matches_role",
                condition=(
                    Q(role__in=sorted(STAFF_ROLES), client__isnull=True)
                    | Q(role__in=sorted(CLIENT_ROLES), client__isnull=False)
                ),
                violation_error_message=_(
                    "Client roles need a client; MSP staff roles must not have one."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def is_msp_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_client_side(self) -> bool:
        return self.role in CLIENT_ROLES

    @property
    def is_msp_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_client_admin(self) -> bool:
        return self.role == Role.CLIENT_ADMIN

    @property
    def has_all_clients(self) -> bool:
        """True when no client restriction applies to this staff member."""
        return self.role in {Role.ADMIN, Role.MANAGER} or (
            self.role == Role.TECHNICIAN and self.sees_all_clients
        )

    # The Django admin is for MSP administrators only; these derive from the role.
    @property
    def is_staff(self) -> bool:
        return self.is_active and self.is_msp_admin

    @property
    def is_superuser(self) -> bool:
        return self.is_active and self.is_msp_admin

    def has_perm(self, perm: str, obj: object = None) -> bool:
        return self.is_superuser

    def has_perms(self, perm_list, obj: object = None) -> bool:
        return self.is_superuser

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_superuser

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()


class ApiTokenQuerySet(models.QuerySet):
    def for_user(self, user) -> ApiTokenQuerySet:
        """A user's own tokens; nobody manages another person's tokens through the API."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        return self.filter(user=user)


class ApiToken(models.Model):
    """A personal API key: only its prefix and SHA-256 hash are kept, never the token itself."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=8, unique=True, editable=False)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}...)"

    def is_expired(self, now) -> bool:
        return self.expires_at is not None and self.expires_at <= now

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
