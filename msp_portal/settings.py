"""Settings for the MSP portal: one file, every value from the environment.

Each helper below fails loudly, naming the variable, when a value cannot be read: a portal
that starts with a half-understood configuration is worse than one that refuses to start.
See README.md and .env.example for the full list.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    """Return the variable as a string, or the default when it is unset."""
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean: 1/true/yes/on or 0/false/no/off; anything else stops start-up."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean: use 1/0, true/false, yes/no.")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    """Read an integer, optionally bounded below; a bad value stops start-up."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}.")
    return value


def env_list(name: str, default: str = "") -> list[str]:
    """Read a comma-separated list, ignoring blanks."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_timezone(name: str, default: str) -> str:
    """Read an IANA time zone name and check that it exists."""
    value = os.environ.get(name, default)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a known IANA time zone (for example Europe/Paris)."
        ) from None
    return value


VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)

# The environment wins; otherwise the per-installation key `make run` generates into
# VAR_DIR/secret_key, so that manage.py commands work in that installation too.
SECRET_KEY_FILE = VAR_DIR / "secret_key"
SECRET_KEY = env_str("SECRET_KEY") or (
    SECRET_KEY_FILE.read_text().strip() if SECRET_KEY_FILE.is_file() else ""
)
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it to a long random string "
            '(python -c "import secrets; print(secrets.token_urlsafe(50))"), '
            f"write one into {SECRET_KEY_FILE} (make run does), "
            "or set DEBUG=1 for a throw-away development instance."
        )
    SECRET_KEY = "insecure-development-only-key"  # DEBUG only: never used to serve for real

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
PORTAL_BASE_URL = env_str("PORTAL_BASE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "csp",
    "axes",
    # Two-factor sign-in; listed before msp_portal.accounts, whose admin unregisters theirs.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "msp_portal.accounts",
    "msp_portal.core",
    "msp_portal.dashboard",
    "msp_portal.webhooks",
    "msp_portal.notifications",
    "msp_portal.reports",
    "clients",
    "contracts",
    "tickets",
    "monitoring",
]

MIDDLEWARE = [
    "msp_portal.core.middleware.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "msp_portal.accounts.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "msp_portal.core.middleware.StaffIdleTimeoutMiddleware",
    # After the idle timeout, which may have signed the user out already.
    "msp_portal.accounts.middleware.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a lockout flagged during the view into its page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "msp_portal.urls"
WSGI_APPLICATION = "msp_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
            ],
        },
    },
]

# Database: SQLite under var/ unless DATABASE_URL names PostgreSQL.
DATABASE_URL = env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
_db_scheme = urlsplit(DATABASE_URL).scheme
if _db_scheme not in {"sqlite", "postgres", "postgresql", "pgsql"}:
    raise ImproperlyConfigured(
        f"DATABASE_URL scheme {_db_scheme!r} is not supported: use postgres://user:pass@host/db "
        "or leave DATABASE_URL unset for the embedded SQLite database."
    )
try:
    _default_db = dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL cannot be read: {exc}") from None
if _default_db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; IMMEDIATE avoids the
    # "database is locked" upgrade deadlock between two writers.
    _default_db["CONN_MAX_AGE"] = 0
    _default_db["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file, not memory, so that a real worker started by the integration tests sees it.
    _default_db["TEST"] = {"NAME": str(VAR_DIR / "test_db.sqlite3")}
DATABASES = {"default": _default_db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: per process unless CACHE_URL names Redis. API rate limits count in it, so every web
# node must share one (docker compose points it at its Redis).
CACHE_URL = env_str("CACHE_URL", "")
if CACHE_URL and urlsplit(CACHE_URL).scheme not in {"redis", "rediss"}:
    raise ImproperlyConfigured(
        f"CACHE_URL scheme {urlsplit(CACHE_URL).scheme!r} is not supported: use "
        "redis://host:6379/1, or leave it unset for a per-process memory cache."
    )
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# The throttle must see every attempt, so it comes first; ModelBackend then checks the password.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 12, minimum=60)
SESSION_COOKIE_HTTPONLY = True
# Attachments (tickets/attachments.py): the largest file accepted, in bytes, and how many files
# one message may carry.
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024, minimum=1024)
ATTACHMENT_MAX_FILES = env_int("ATTACHMENT_MAX_FILES", 10, minimum=1)
# A request whose declared body is larger is answered 413 before Django reads it
# (msp_portal.core.middleware.RequestSizeLimitMiddleware); by default room for the largest
# message: the files plus 1 MB of form. Cap it in the reverse proxy too (nginx
# client_max_body_size), which can refuse a body sent without a length.
REQUEST_MAX_BYTES = env_int(
    "REQUEST_MAX_BYTES", ATTACHMENT_MAX_BYTES * ATTACHMENT_MAX_FILES + 1024 * 1024, minimum=65536
)

# Staff sessions open every client's data: they end after this many idle minutes
# (msp_portal.core.middleware); client users keep SESSION_COOKIE_AGE.
STAFF_IDLE_TIMEOUT_MINUTES = env_int("STAFF_IDLE_TIMEOUT_MINUTES", 30, minimum=1)

# Login throttling (django-axes): failures are counted per account *and* address together, so
# one person's typos lock out that person on that machine, not a whole client office behind one
# address, and a password-guessing run against one account from one place is stopped.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_RESET_ON_SUCCESS = True
# The login form's field is "username" (holding the e-mail); axes would otherwise look for the
# model's USERNAME_FIELD, "email". The callable also folds case, as the login does.
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "msp_portal.accounts.views.lockout_username"
AXES_LOCKOUT_CALLABLE = "msp_portal.accounts.views.locked_out"
AXES_HTTP_RESPONSE_CODE = 429
# Sign-ins are already in the audit log (msp_portal.accounts.signals); the address is
# REMOTE_ADDR, as for the audit log: a TLS proxy in front must set it.
AXES_DISABLE_ACCESS_LOG = True

# --- Two-factor ----------------------------------------------------------------------------------
# Sign-in takes a second factor (TOTP, django-otp) for staff, who open every client's data, unless
# this is switched off; client users may enable it on /account/security/ and are then asked too
# (msp_portal.accounts.middleware.TwoFactorMiddleware).
OTP_REQUIRED_FOR_STAFF = env_bool("OTP_REQUIRED_FOR_STAFF", True)
# The name authenticator apps show next to the account.
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "MSP portal") or "MSP portal"
# Wrong codes lock the device for 1, 2, 4, 8... seconds (django-otp's throttling; 0 would turn it
# off, so the factors are pinned here rather than left to the library's defaults).
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
# Recovery codes generated when two-factor is set up (each usable once).
OTP_RECOVERY_CODE_COUNT = 10
# --- end of two-factor ---------------------------------------------------------------------------

# HTTPS: set HTTPS=1 wherever the portal is served over TLS (production). Cookies then travel
# only over TLS, plain-http requests are redirected and browsers are told to stick to HTTPS.
# Off by default for `make run` and the tests, which speak plain http on loopback.
HTTPS = env_bool("HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
# The container health check speaks plain http to the web process itself.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", HTTPS)
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Sent on HTTPS responses only (SecurityMiddleware), so harmless on plain http.
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
# Preloading binds the whole registered domain (often the MSP's own) for months and is hard to
# undo: the domain's owner decides, and until then `check --deploy` does not nag about it.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): scripts only from this site, and inline ones only with
# the per-response nonce (templates write nonce="{{ CSP_NONCE }}"); no inline styles at all
# (htmx's indicator style is switched off in base.html and lives in portal.css). The API docs
# page relaxes style-src for itself only (msp_portal/api/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "object-src": [NONE],
    },
}

# Language and time: French first, English too; each user picks theirs.
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "fr")
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
if LANGUAGE_CODE not in dict(LANGUAGES):
    raise ImproperlyConfigured(f"LANGUAGE_CODE={LANGUAGE_CODE!r} must be one of: en, fr.")
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_timezone("TIME_ZONE", "Europe/Paris")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns at every start when it is missing
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"  # never served directly: attachments go through a checked view
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG

# E-mail: printed to the console unless an SMTP host is configured.
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "support@msp.example")
# The address clients write to and reply to; a ticket's replies go to its signed sub-address
# (support+t42.3f9a...@msp.example), so a reply finds its ticket and proves it saw our message.
TICKET_REPLY_ADDRESS = env_str("TICKET_REPLY_ADDRESS", "") or DEFAULT_FROM_EMAIL
# The right-hand side of the Message-IDs the portal writes.
MAIL_DOMAIN = env_str("MAIL_DOMAIN", "") or TICKET_REPLY_ADDRESS.rpartition("@")[2] or "localhost"

# --- notifications (e-mail out) ------------------------------------------------------------------
# Failed attempts after which a ticket notification is parked for an administrator (admin:
# Notifications, "Re-queue"); retries wait 1 min, 5 min, 30 min, then 2 h. Default: 5
NOTIFICATIONS_MAX_ATTEMPTS = env_int("NOTIFICATIONS_MAX_ATTEMPTS", 5, minimum=1)
# A ticket change recorded with an instant older than this (an import, the demo's history) mails
# nobody; live changes are always newer. Default: 24
NOTIFICATIONS_MAX_AGE_HOURS = env_int("NOTIFICATIONS_MAX_AGE_HOURS", 24, minimum=1)
# --- end of notifications ------------------------------------------------------------------------

# --- mail in -------------------------------------------------------------------------------------
# IMAP mailboxes are set up in the admin (Mailbox); these are the rules every mailbox follows
# (tickets/mailin). A sender that is not a known contact: "reject" (one polite reply) or "hold"
# (triage queue); the default for new mailboxes, each mailbox may choose.
MAIL_IN_UNKNOWN_SENDER_POLICY = env_str("MAIL_IN_UNKNOWN_SENDER_POLICY", "hold") or "hold"
if MAIL_IN_UNKNOWN_SENDER_POLICY not in {"reject", "hold"}:
    raise ImproperlyConfigured(
        f"MAIL_IN_UNKNOWN_SENDER_POLICY={MAIL_IN_UNKNOWN_SENDER_POLICY!r} must be reject or hold."
    )
# Messages one sender may send in an hour; the next ones are kept, rate-limited, not processed.
MAIL_IN_FLOOD_LIMIT = env_int("MAIL_IN_FLOOD_LIMIT", 30, minimum=1)
# Hours during which an unknown sender gets at most one polite reply.
MAIL_IN_REJECT_REPLY_HOURS = env_int("MAIL_IN_REJECT_REPLY_HOURS", 24, minimum=1)
# The largest message read, in bytes: a larger one is stored with its headers only, marked
# failed for a person, and never deleted from the server (marked read, or moved). Default: 30 MB
MAIL_IN_MAX_BYTES = env_int("MAIL_IN_MAX_BYTES", 30 * 1024 * 1024, minimum=64 * 1024)
# Messages read from one mailbox per poll (beat polls every minute).
MAIL_IN_BATCH_SIZE = env_int("MAIL_IN_BATCH_SIZE", 50, minimum=1)
# Seconds a poll holds its mailbox; a poll that died frees it after this.
MAIL_IN_LEASE_SECONDS = env_int("MAIL_IN_LEASE_SECONDS", 300, minimum=30)
# Seconds to wait for the IMAP server to connect and answer.
MAIL_IN_TIMEOUT_SECONDS = env_int("MAIL_IN_TIMEOUT_SECONDS", 30, minimum=1)
# A technician answering a ticket's notification from their own address adds a public staff
# reply; off: such mail is held for triage. (From can be forged: the signed reference in the
# reply still has to match, and the MTA should enforce DMARC for the MSP's own domain.)
MAIL_IN_STAFF_REPLIES = env_bool("MAIL_IN_STAFF_REPLIES", True)
# --- end of mail in ------------------------------------------------------------------------------

# --- client portal -------------------------------------------------------------------------------
# Days a resolved ticket waits for its client before it is closed (hourly); 0 never closes them.
# Keep it shorter than PORTAL_REOPEN_DAYS so the client can still reopen a ticket closed that way.
TICKETS_AUTO_CLOSE_DAYS = env_int("TICKETS_AUTO_CLOSE_DAYS", 3, minimum=0)
# Days after its resolution during which a client may reopen a resolved or closed ticket from the
# portal; after that the portal offers a new ticket that refers to the old one.
PORTAL_REOPEN_DAYS = env_int("PORTAL_REOPEN_DAYS", 7, minimum=0)
# Seconds an invitation or password-reset link stays valid (Django's setting; 3 days by default).
# A link also dies once it has been used: the token covers the password it replaces.
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 60 * 60 * 24 * 3, minimum=300)
# Password-reset requests accepted per hour, per e-mail address and per client IP address
# (counted in the cache: give every web node the same CACHE_URL). Beyond: the same neutral
# page, no e-mail, and an audit entry.
PASSWORD_RESET_PER_EMAIL_PER_HOUR = env_int("PASSWORD_RESET_PER_EMAIL_PER_HOUR", 5, minimum=1)
PASSWORD_RESET_PER_IP_PER_HOUR = env_int("PASSWORD_RESET_PER_IP_PER_HOUR", 20, minimum=1)
# Client users keep SESSION_COOKIE_AGE (12 h by default, counted from sign-in): staff sessions
# also end after STAFF_IDLE_TIMEOUT_MINUTES idle. Sessions end at once when a user is deactivated
# (portal Users page) or changes their password (Django's session hash).
# --- end of client portal ------------------------------------------------------------------------

# --- service reports and exports -----------------------------------------------------------------
# Days a finished reversibility archive stays downloadable before the hourly cleanup deletes it.
EXPORT_RETENTION_DAYS = env_int("EXPORT_RETENTION_DAYS", 7, minimum=1)
# A running export without progress for this long belongs to a dead worker and is restarted.
EXPORT_STALE_MINUTES = env_int("EXPORT_STALE_MINUTES", 15, minimum=1)
# --- end of service reports and exports ----------------------------------------------------------

# Celery: Celery's filesystem broker under var/ unless CELERY_BROKER_URL names Redis.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or "filesystem://"
_broker_scheme = urlsplit(CELERY_BROKER_URL).scheme or CELERY_BROKER_URL.split(":")[0]
if _broker_scheme not in {"filesystem", "redis", "rediss", "amqp", "amqps"}:
    raise ImproperlyConfigured(
        f"CELERY_BROKER_URL scheme {_broker_scheme!r} is not supported: use "
        "redis://host:6379/0, or leave it unset for the embedded filesystem broker."
    )
if _broker_scheme == "filesystem":
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        # The default one-second poll makes a burst of tasks crawl through one machine's worker.
        "polling_interval": 0.1,
    }
else:
    # Longer than any task may run, so a slow task is not redelivered while it still runs.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
# The queue tasks go to when none is named; a second installation (or a test's own worker)
# sharing one broker uses another name. Default: celery
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "celery") or "celery"
# Celery's Django fixup closes the database connection around every task unless this is set;
# a monitoring batch every few hundred milliseconds would then open a PostgreSQL backend each
# time. Connections are instead kept as for web requests (CONN_MAX_AGE, health checks):
# msp_portal.celery calls close_old_connections() around each task.
CELERY_DB_REUSE_MAX = 1000
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# REST API v1 (msp_portal/api): bearer tokens first, so that a request without credentials
# gets 401 with a WWW-Authenticate header rather than 403; the session serves the browser.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "msp_portal.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "msp_portal.api.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": ["msp_portal.api.throttling.PerTokenRateThrottle"],
    # Per token (or session user) and, without credentials, per address.
    "DEFAULT_THROTTLE_RATES": {"api": "1200/minute", "anon": "60/minute"},
    "EXCEPTION_HANDLER": "msp_portal.api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "msp_portal.api.schema.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "MSP portal API",
    "DESCRIPTION": (
        "REST API v1 of the MSP portal: the same tenancy and services as the pages. "
        "Authenticate with `Authorization: Bearer <token>` (create tokens with "
        "`manage.py create_api_token` or POST /api/v1/tokens/) or with a browser session."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "TicketStatusEnum": "contracts.models.TicketStatus",
        "PriorityEnum": "contracts.models.Priority",
        "CheckStateEnum": "monitoring.models.CheckState",
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(f"LOG_LEVEL={LOG_LEVEL!r} must be DEBUG, INFO, WARNING or ERROR.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # axes announces its configuration at INFO in every process, manage.py commands included;
    # WeasyPrint logs every step of every PDF at INFO.
    "loggers": {
        name: {"level": "WARNING" if LOG_LEVEL in {"DEBUG", "INFO"} else LOG_LEVEL}
        for name in ("axes", "weasyprint", "fontTools")
    },
}

# The worker is reported stale on /health/ when its last heartbeat is older than this.
WORKER_HEARTBEAT_SECONDS = env_int("WORKER_HEARTBEAT_SECONDS", 30, minimum=5)

# --- Reliability ---------------------------------------------------------------------------------
# A second celery beat (another host, a mistaken second start) stands by; it takes over this many
# seconds after the holder of the lease dies, at once after a clean stop (msp_portal.core.beat).
BEAT_LEASE_SECONDS = env_int("BEAT_LEASE_SECONDS", 30, minimum=5)
# Failed dispatches after which an outbox event is parked with its error (admin, Outbox events,
# filter "Parked"), instead of being re-driven forever.
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 8, minimum=1)

# --- Webhooks (msp_portal.webhooks) ------------------------------------------------------------
# Seconds to wait for a receiver to connect and answer one delivery attempt.
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1)
# Attempts per delivery before it is given up (retries after 1 min, 5 min, 30 min, 2 h, 12 h).
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 6, minimum=1)
# Failed attempts in a row, across deliveries, after which a hook is disabled and admins told.
WEBHOOK_DISABLE_AFTER_FAILURES = env_int("WEBHOOK_DISABLE_AFTER_FAILURES", 10, minimum=1)
# Let hooks call private, loopback and reserved addresses (a receiver on the MSP's own LAN).
# Link-local and cloud metadata addresses stay refused either way.
WEBHOOK_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", False)
# --- end of webhooks -----------------------------------------------------------------------------

# --- Monitoring (monitoring/) --------------------------------------------------------------------


def env_networks(name: str) -> list[str]:
    """Read a comma-separated list of IP networks (CIDR); a bad one stops start-up."""
    import ipaddress

    networks = []
    for item in env_list(name):
        try:
            networks.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name}: {item!r} is not an IP network; write it like 10.0.0.0/8 or fd00::/8."
            ) from None
    return networks


# Networks checks may reach besides public addresses. By default checks refuse loopback, private,
# link-local and cloud metadata addresses (169.254.169.254 and friends): the portal must not be
# a way into its own host or cloud account. An MSP that watches its clients' LANs through a VPN
# lists those ranges here; the demo and the tests list 127.0.0.0/8 and ::1 explicitly.
MONITORING_ALLOWED_NETWORKS = env_networks("MONITORING_ALLOWED_NETWORKS")
# Raw check results are kept this many days; hourly and daily rollups are kept for months.
MONITORING_RESULT_RETENTION_DAYS = env_int("MONITORING_RESULT_RETENTION_DAYS", 14, minimum=1)
# Days the hourly rollups are kept (daily rollups are kept for good).
MONITORING_HOURLY_ROLLUP_DAYS = env_int("MONITORING_HOURLY_ROLLUP_DAYS", 90, minimum=1)
# Checks run by one worker task, concurrently with asyncio.
MONITORING_BATCH_SIZE = env_int("MONITORING_BATCH_SIZE", 500, minimum=1)
# Probes in flight at once within one batch.
MONITORING_CONCURRENCY = env_int("MONITORING_CONCURRENCY", 200, minimum=1)
# Seconds a claimed batch belongs to its worker task; after that (a worker died) the next tick
# takes its checks again. A batch is cut off at two thirds of it.
MONITORING_LEASE_SECONDS = env_int("MONITORING_LEASE_SECONDS", 180, minimum=10)
# Seconds between two beat ticks that claim the due checks.
MONITORING_TICK_SECONDS = env_int("MONITORING_TICK_SECONDS", 2, minimum=1)
# --- end of monitoring ---------------------------------------------------------------------------
