"""Pollcrew settings: one module, read from the environment.

Development defaults need nothing installed (SQLite, eager Celery, console email
and SMS). ``DJANGO_ENV=production`` refuses to start without a secret key, allowed
hosts and a database URL, and turns on the secure-cookie/HSTS settings that
``manage.py check --deploy`` asks for.
"""

import os
import sys
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
PRODUCTION = DJANGO_ENV == "production"

DEBUG = env.bool("DEBUG", default=not PRODUCTION)

if PRODUCTION:
    from pollcrew.production import problems

    _problems = problems(env, DEBUG)
    if _problems and not env.bool("POLLCREW_ALLOW_UNSAFE_PRODUCTION", default=False):
        raise ImproperlyConfigured(
            "DJANGO_ENV=production refuses to start:\n  " + "\n  ".join(_problems)
        )
    for _problem in _problems:  # deliberately unsafe (a local production-like test)
        sys.stderr.write(f"UNSAFE PRODUCTION (POLLCREW_ALLOW_UNSAFE_PRODUCTION): {_problem}\n")

SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-development-only-do-not-deploy")
# Earlier keys, still accepted for signatures (sessions, device cookies) after a
# rotation: set SECRET_KEY to the new key and list the old one here for a while.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The public address of this site, used in links sent to volunteers and to
# validate provider webhooks behind a proxy. No trailing slash.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "csp",
    "allauth",
    "allauth.account",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "pollcrew",
    # Bottom to top: infrastructure, places and people, elections, staffing,
    # then the apps that only present (documents, volunteer pages, admin pages).
    # docs/architecture.md; tests/test_architecture.py keeps the direction.
    "notifications",
    "accounts",
    "polling_stations",
    "volunteers",
    "elections",
    "staffing",
    "documents",
    "portal",
    "administration",
    "api",
    "exchange",
    "autoassign",
    "bench",
]

MIDDLEWARE = [
    "pollcrew.middleware.TrustedProxies",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "pollcrew.middleware.RejectNulBytes",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.language.StaffLanguage",
    "pollcrew.middleware.NoStoreWhenSignedIn",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.devices.DeviceCookieMiddleware",
    "accounts.sessions.IdleTimeout",
]

# The reverse proxies in front of Pollcrew (addresses or networks): only from these
# is X-Forwarded-For believed, to find the client's address (rate limits, audit).
# "none": clients connect directly (required to be said in production).
TRUSTED_PROXIES = [p for p in env.list("TRUSTED_PROXIES", default=[]) if p.lower() != "none"]

ROOT_URLCONF = "pollcrew.urls"
WSGI_APPLICATION = "pollcrew.wsgi.application"
ASGI_APPLICATION = "pollcrew.asgi.application"

# A deployment can override any template (a letter, a roster) with its own copy
# of the same path under TEMPLATE_OVERRIDES_DIR, looked up first.
TEMPLATE_OVERRIDES_DIR = env.str("TEMPLATE_OVERRIDES_DIR", default="")
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [
            *([Path(TEMPLATE_OVERRIDES_DIR)] if TEMPLATE_OVERRIDES_DIR else []),
            BASE_DIR / "templates",
        ],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.organisation.site_context",
                "accounts.context_processors.staff_scope",
                "csp.context_processors.nonce",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
# SQLite (the default) runs in WAL mode with IMMEDIATE transactions, so that two
# writers queue for the lock instead of failing half-way; PostgreSQL in production.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA foreign_keys=ON",
        }
    )
    # Tests use a file, not shared-cache memory, so that threads and live
    # servers see one database and take turns on its write lock.
    # One file per test process, so that parallel runs don't share a database.
    DATABASES["default"]["TEST"] = {
        "NAME": str(BASE_DIR / "var" / f"test-db-{os.getpid()}.sqlite3")
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (rate limits must hold across every process: a shared cache) -----------
# CACHE_URL: redis://redis:6379/1 in production (required there); the default is a
# folder on this machine, which every process of a one-machine setup shares.
CACHES = {
    "default": {
        **env.cache_url("CACHE_URL", default=f"filecache://{BASE_DIR / 'var' / 'cache'}"),
        # Several Pollcrew sites (or test runs) may share one Redis.
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="pollcrew"),
    }
}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "pollcrew.cache.PooledRedisCache"  # one client per pool

# --- Accounts (staff only; volunteers never have an account) -------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
ACCOUNT_ADAPTER = "accounts.adapter.StaffAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGIN_BY_CODE_ENABLED = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
# Wrong passwords are limited by accounts.limits (the adapter's pre_authenticate
# replaces allauth's check, which anyone could use to lock an owner out). allauth's
# "login_failed" limit still counts wrong second-factor codes, per user (only
# someone who has the password gets that far): 5 in 5 minutes, 10 a minute per address.
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
# Account emails are named after the product, never after the request's Host header.
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Pollcrew] "
# The password-reset form never emails an address that has no account (an
# "unknown account" email would go to anyone whose address is typed in).
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
# Tell the user (through the outbox) when their password or second factor changes.
ACCOUNT_EMAIL_NOTIFICATIONS = True
# Staff sessions end after this many hours without activity (accounts.sessions).
STAFF_SESSION_IDLE_HOURS = env.float("STAFF_SESSION_IDLE_HOURS", default=8)
SESSION_COOKIE_AGE = int(STAFF_SESSION_IDLE_HOURS * 3600)
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "staffing:elections"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"

# --- Internationalisation -----------------------------------------------------
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="da")
LANGUAGES = [("da", _("Danish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# English dates day-first on a 24-hour clock (pollcrew/formats/en), not American.
FORMAT_MODULE_PATH = ["pollcrew.formats"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Copenhagen")
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
# Production serves hashed names from the manifest collectstatic writes; a
# production-like test on a developer's machine may use the plain files instead.
WHITENOISE_MANIFEST_STRICT = env.bool("WHITENOISE_MANIFEST_STRICT", default=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Email ----------------------------------------------------------------------
# EMAIL_URL: consolemail:// (default), smtp://user:pass@host:25, smtp+tls://…:587,
# smtp+ssl://…:465. See django-environ's email_url.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
if EMAIL_CONFIG["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend":
    # The same, saying on every message that it was printed, not sent.
    EMAIL_CONFIG["EMAIL_BACKEND"] = "notifications.email.ConsoleEmailBackend"
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Pollcrew <valg@pollcrew.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- SMS ------------------------------------------------------------------------
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_FROM = env.str("TWILIO_FROM", default="")  # a number or an alphanumeric sender ID
TWILIO_MESSAGING_SERVICE_SID = env.str("TWILIO_MESSAGING_SERVICE_SID", default="")
# Who answers an SMS sent to our number (Twilio's "A message comes in" webhook,
# SITE_URL + /notifications/twilio/inbound/): "JA"/"NEJ" answer an invitation.
INBOUND_SMS_HANDLER = "staffing.inbound.answer_sms"
# Only for tests and local fakes: where the Twilio REST API is reached.
TWILIO_BASE_URL = env.str("TWILIO_BASE_URL", default="")
_twilio_ready = (
    TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN and (TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID)
)
SMS_BACKEND = env.str(
    "SMS_BACKEND",
    default="notifications.sms.TwilioBackend"
    if _twilio_ready
    else "notifications.sms.ConsoleBackend",
)
SMS_DEFAULT_REGION = env.str("SMS_DEFAULT_REGION", default="DK")
# Sending rate of the Twilio account (messages per second, across all workers;
# notifications.ratelimit). Twilio's default for a sender outside the US and Canada
# is 10 per second (1 for a US long code); a messaging service with more senders, or
# bought throughput, allows more. Above its rate Twilio queues (a messaging service)
# or refuses with 429; Pollcrew paces instead: a message waits for its slot. 0: no limit.
SMS_RATE_PER_SECOND = env.float("SMS_RATE_PER_SECOND", default=10.0)
# At most this many SMS a day (a cost guard; the rest wait for the next day). 0: no cap.
SMS_DAILY_CAP = env.int("SMS_DAILY_CAP", default=0)

# --- Celery ---------------------------------------------------------------------
# Unset CELERY_BROKER_URL: tasks run eagerly in the web process (demo, plain tests).
CELERY_TASK_ALWAYS_EAGER = not env.str("CELERY_BROKER_URL", default="")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or "memory://"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "sweep-outbox": {"task": "notifications.tasks.sweep_outbox", "schedule": timedelta(seconds=30)},
    "expire-invitations": {
        "task": "staffing.tasks.expire_invitations",
        "schedule": timedelta(minutes=15),
    },
    "purge-expired-links": {
        "task": "staffing.tasks.purge_expired_links",
        "schedule": timedelta(hours=24),
    },
    "purge-audit-log": {
        "task": "accounts.tasks.purge_audit_log",
        "schedule": timedelta(hours=24),
    },
    "purge-sign-in-leftovers": {
        "task": "accounts.tasks.purge_sign_in_leftovers",
        "schedule": timedelta(hours=24),
    },
    "apply-retention": {
        "task": "staffing.tasks.apply_retention",
        "schedule": timedelta(hours=24),
    },
    "purge-print-files": {
        "task": "documents.tasks.purge_print_files",
        "schedule": timedelta(hours=1),
    },
    # Invitation and shift reminders (staffing.reminders): each is keyed, so a run
    # twice, or two beat processes at once, sends nothing twice.
    "send-reminders": {
        "task": "staffing.tasks.send_reminders",
        "schedule": timedelta(minutes=15),
    },
    # Standby offers not claimed in time expire and go to the next people
    # (staffing.services.standby); election-day offers last minutes.
    "expire-standby-offers": {
        "task": "staffing.tasks.expire_offers",
        "schedule": timedelta(minutes=1),
    },
    # Finished full data exports (exchange.exit_jobs) are deleted after
    # EXIT_FILES_KEEP_HOURS.
    "purge-full-exports": {
        "task": "exchange.exit_tasks.purge_full_exports",
        "schedule": timedelta(hours=1),
    },
    # Webhook deliveries over and older than WEBHOOK_DELIVERIES_KEEP_DAYS.
    "purge-webhook-deliveries": {
        "task": "notifications.tasks.purge_webhook_deliveries",
        "schedule": timedelta(hours=24),
    },
    # Accepted auto-assign proposals send their next wave once enough have answered.
    "autoassign-next-waves": {
        "task": "autoassign.tasks.send_due_waves",
        "schedule": timedelta(minutes=5),
    },
    # Uploaded spreadsheets never imported are emptied (exchange.imports.jobs).
    "purge-import-files": {
        "task": "exchange.tasks.purge_import_files",
        "schedule": timedelta(hours=24),
    },
}
# Webhook deliveries due for a retry, or whose task was lost, are sent by the
# sweep-outbox task above (notifications.webhooks.sweep).

# --- Printing (documents) ------------------------------------------------------
# How long a printed batch (letters, rosters…) stays downloadable, and after how
# long a job that stopped moving is given up so that it can be asked for again.
PRINT_FILES_KEEP_HOURS = env.int("PRINT_FILES_KEEP_HOURS", default=72)
PRINT_JOB_TIMEOUT_HOURS = env.int("PRINT_JOB_TIMEOUT_HOURS", default=3)

# --- Retention (personal data an election no longer needs) ----------------------
# Days after an election is closed before its decline reasons, message bodies and
# recipients and personal links go; months without activity before a volunteer
# with no seat in any open election is removed (counts are kept for statistics).
RETENTION_DAYS_AFTER_CLOSE = env.int("RETENTION_DAYS_AFTER_CLOSE", default=90)
RETENTION_INACTIVE_MONTHS = env.int("RETENTION_INACTIVE_MONTHS", default=24)

# --- Pollcrew -------------------------------------------------------------------
# How long a volunteer's personal link keeps working after election day.
PERSONAL_LINK_DAYS_AFTER_ELECTION = env.int("PERSONAL_LINK_DAYS_AFTER_ELECTION", default=14)
# Shifts must fall in their election's window: from this many days before election
# day until noon the day after (elections.window).
SHIFT_WINDOW_DAYS_BEFORE = env.int("SHIFT_WINDOW_DAYS_BEFORE", default=60)
# A queued message whose delivery task was published this long ago and never ran
# (a lost task) is published again. Publishing failures are swept at once.
OUTBOX_REDISPATCH_AFTER = timedelta(seconds=env.int("OUTBOX_REDISPATCH_SECONDS", default=600))
# A message left in 'sending' this long was interrupted (its worker died, or hit the
# delivery task's time limit, which is shorter): it is looked up at the provider and
# sent again only if it is not there. Also how long a delivery task may sit, taken
# by a worker but not run, behind messages that were sent since: a lost task.
OUTBOX_INTERRUPTED_AFTER = timedelta(seconds=env.int("OUTBOX_INTERRUPTED_SECONDS", default=45))
# The SMTP server's sending rate and daily cap (per server and user, across all
# workers), as for SMS above. Relays differ too much for one default: 0, no limit.
# The shared secret the mail server's bounce pipe sends to /notifications/email/bounce/
# (Authorization: Bearer …); empty: bounces are not taken (the URL is a 404).
EMAIL_BOUNCE_TOKEN = env.str("EMAIL_BOUNCE_TOKEN", default="")
# Requests a minute to the volunteer pages (/v/…) from one address (an IPv6 /64).
PORTAL_REQUESTS_PER_MINUTE = env.int("PORTAL_REQUESTS_PER_MINUTE", default=600)
# One-time codes asked for, and codes typed back, from one address (the volunteer
# pages and public sign-up): per hour, and per 15 minutes.
PORTAL_CODES_PER_HOUR = env.int("PORTAL_CODES_PER_HOUR", default=10)
PORTAL_GUESSES_PER_15_MINUTES = env.int("PORTAL_GUESSES_PER_15_MINUTES", default=20)
# One-time codes a sign-up link sends in an hour, at most (each is an SMS or an
# email; the link is public).
SIGNUP_CODES_PER_LINK_PER_HOUR = env.int("SIGNUP_CODES_PER_LINK_PER_HOUR", default=300)
EMAIL_RATE_PER_SECOND = env.float("EMAIL_RATE_PER_SECOND", default=0.0)
EMAIL_DAILY_CAP = env.int("EMAIL_DAILY_CAP", default=0)
# Where the sending rates are counted: a Redis URL. Empty: the cache's Redis, else
# the broker's; with neither, each process counts for itself.
RATE_LIMIT_REDIS_URL = env.str("RATE_LIMIT_REDIS_URL", default="")
MUNICIPALITY_NAME = env.str("MUNICIPALITY_NAME", default="Pollcrew")
# The audit log keeps entries this many months (then a daily beat task deletes them).
AUDIT_RETENTION_MONTHS = env.int("AUDIT_RETENTION_MONTHS", default=13)
# Secrets in outgoing messages (the token of a personal link), cut from the stored
# copy once a message is sent, failed or cancelled, and never shown in the admin.
# The same patterns keep them out of log lines (request paths).
MESSAGE_SECRET_PATTERNS = [
    # standby claim links and calendar feeds first: the generic one below would
    # take "offer" or "calendar" for the token and leave the real one
    r"(?<=/v/offer/)[^/\s\"'<>?#&]+",
    r"(?<=/v/calendar/)[^/\s\"'<>?#&.]+",
    # personal links, also at the end of a path ("/v/<token>", "/v/<token>?x")
    r"(?<=/v/)[^/\s\"'<>?#&]+",
    r"(?<=/password/reset/key/)[^/\s\"'<>?#&]+",  # staff password reset links
]
# How volunteers reach the election office (phone, email), shown on their pages.
ELECTION_OFFICE_CONTACT = env.str("ELECTION_OFFICE_CONTACT", default="")

# --- Security -------------------------------------------------------------------
# A strict Content-Security-Policy on every page (ours, allauth's, the Django
# admin's): scripts and styles from this site only, inline ones only with the
# request's nonce; nothing may frame the site, forms post only here, no <base>.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF, *env.list("CSP_FORM_ACTION", default=[])],
        "base-uri": [NONE],
    }
}
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)

# Every handler scrubs what it writes (pollcrew.logs): link tokens are cut out,
# phone numbers and email addresses masked. Django's own loggers are routed to
# the same handler (their default one, and mail_admins, would not scrub), and
# Celery workers keep this configuration instead of installing their own.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"scrub": {"()": "pollcrew.logs.RedactPersonalData"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["scrub"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
        "celery": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "weasyprint": {"level": "WARNING"},
        "twilio.http_client": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Sign-in: multi-factor and single sign-on (each in its own module) ------------
from pollcrew import settings_mfa, settings_sso  # noqa: E402

settings_mfa.apply(globals(), env)
settings_sso.apply(globals(), env)

# --- REST API (api) ---
# /api/v1/: personal API tokens only (Authorization: Bearer …), JSON only, the
# same scopes and services as the pages. See docs/api.md.
API_RATE = env.str("API_RATE", default="600/minute")  # per token
API_PAGE_SIZE = env.int("API_PAGE_SIZE", default=100)
API_MAX_PAGE_SIZE = env.int("API_MAX_PAGE_SIZE", default=1000)
API_TOKEN_TOUCH_SECONDS = env.int("API_TOKEN_TOUCH_SECONDS", default=60)  # last_used_at
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.HasRole"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Pagination",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "api.ordering.StableOrdering",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "api.errors.handle",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Pollcrew API",
    "DESCRIPTION": "Elections, seats, volunteers and messages of Pollcrew. See docs/api.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ElectionStatusEnum": "elections.models.Election.Status",
        "ElectionKindEnum": "elections.models.Election.Kind",
        "TeamKindEnum": "volunteers.models.Team.Kind",
        "AssignmentStatusEnum": "staffing.models.Assignment.Status",
        "MessageStatusEnum": "notifications.models.Message.Status",
        "GroupMessageStatusEnum": "staffing.models_group_messages.GroupMessage.Status",
        "ChannelEnum": "volunteers.models.Volunteer.Channel",
    },
}

# --- Webhooks (notifications.webhooks) and imports (exchange) ---
# docs/webhooks.md, docs/import.md.
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
# http:// and private, loopback or link-local addresses (a receiver on your own network).
WEBHOOK_ALLOW_PRIVATE = env.bool("WEBHOOK_ALLOW_PRIVATE", default=False)
WEBHOOK_DELIVERIES_KEEP_DAYS = env.int("WEBHOOK_DELIVERIES_KEEP_DAYS", default=30)
IMPORT_IN_REQUEST_MAX_ROWS = env.int("IMPORT_IN_REQUEST_MAX_ROWS", default=2000)
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=30 * 1024 * 1024)
IMPORT_FILES_KEEP_DAYS = env.int("IMPORT_FILES_KEEP_DAYS", default=7)
# Bounds on what a file may hold: filled rows, and what an XLSX (a ZIP) unpacks to.
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=200_000)
IMPORT_MAX_UNPACKED_BYTES = env.int("IMPORT_MAX_UNPACKED_BYTES", default=200 * 1024 * 1024)
# A full data export's ZIP (personal data) is kept this long for its admin to download.
EXIT_FILES_KEEP_HOURS = env.int("EXIT_FILES_KEEP_HOURS", default=24)
