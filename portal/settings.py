"""Seatkeeper settings.

Everything that differs between machines comes from the environment. With nothing set, the
portal runs in development mode on a SQLite file beside manage.py; `portal.settings_production`
is the path for a real deployment.
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "django-insecure-development-only-never-use-in-production")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_tables2",
    "django_filters",
    "django_htmx",
    "template_partials",
    "mailer",
    "django_tasks",
    "django_tasks_db",
    "csp",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "licensing.accounts",
    "licensing.teams",
    "licensing.subscriptions",
    "licensing.activity",
    "licensing.groups",
    "licensing.reports",
    "licensing.webhooks",
    "licensing.jobs",
    "licensing.integrations",
    "portal",
]

MIDDLEWARE = [
    # First, so that its process_exception is the last resort for a view's database error (503 page).
    "portal.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "portal.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # After the session, auth and allauth: someone who must have a second factor and has none does
    # nothing but set one up (licensing.accounts.mfa).
    "licensing.accounts.middleware.SecondFactorRequiredMiddleware",
    "licensing.activity.middleware.ActivityContextMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "csp.context_processors.nonce",
                "portal.context_processors.navigation",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------
# SQLite is the embedded default. IMMEDIATE transactions take the write lock when a transaction
# starts, so two concurrent writers queue (for up to `timeout` seconds) instead of one failing
# with "database is locked" halfway through; WAL lets readers carry on meanwhile.
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
}
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # No JIT compilation: the planner's estimates of the report queries (correlated subqueries per
        # group) pass its cost thresholds, and compiling took about as long as running: on the bench's
        # 50,000 members, 12.9 s of the 25.5 s of Seat Usage's By User page query. Ours are short ones.
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "seatkeeper.sqlite3")),
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(SQLITE_OPTIONS)
    # Tests use a file, not shared-cache memory: threads in the concurrency tests need real
    # file locks to queue on.
    # SQLITE_TEST_PATH lets two test runs on one machine keep out of each other's way.
    DATABASES["default"]["TEST"] = {
        "NAME": os.environ.get("SQLITE_TEST_PATH", str(BASE_DIR / "test-seatkeeper.sqlite3"))
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["licensing.accounts.backends.EmailBackend"]
# auth.W004 asks for `unique=True` on the e-mail field; the unique constraint on Lower(email) is
# stricter (no two accounts differing only in case) and the backend looks addresses up the same way.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Signing in (django-allauth) ----------------------------------------------------------------
# The portal's sign-in, the Django admin's (admin.site.login goes to it) and the second factor are
# allauth's; accounts are created by invitation only (the adapter closes sign-up). Every password
# check, here and in the desktop API, goes through licensing.accounts.throttle.
ACCOUNT_ADAPTER = "licensing.accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {"login": "licensing.accounts.signin_forms.SignInForm"}
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"  # an invitation link proved the address (R-U4)
ACCOUNT_SESSION_REMEMBER = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False  # Django's password change keeps the session itself
ACCOUNT_RATE_LIMITS = {
    # Failed passwords are counted by licensing.accounts.throttle (per address, per account and
    # address, per account): the adapter's authenticate() never consumes allauth's "login_failed".
    # allauth's mfa counts wrong second-factor codes under that name (per account): without it, whoever
    # has the password could try all 1,000,000 codes.
    "login_failed": "10/m/ip,5/5m/key",
    "login": "30/m/ip",
    "reauthenticate": "10/m/user",
    "reset_password_from_key": "20/m/ip",
}
MFA_ADAPTER = "licensing.accounts.adapter.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_TOTP_ISSUER = "Seatkeeper"
MFA_RECOVERY_CODE_COUNT = 10
# A code of the step before or after is taken too (RFC 6238 §5.2: a phone's clock a little off, a code
# typed as it turns); each code still works once.
MFA_TOTP_TOLERANCE = 1
# WebAuthn needs a secure origin; in development (DEBUG) http://127.0.0.1 and the tests' live server
# are allowed too. Production is https behind the proxy.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
# The key the second factors' secrets are encrypted with (licensing.accounts.adapter); from SECRET_KEY
# when empty.
MFA_ENCRYPTION_KEY = os.environ.get("MFA_ENCRYPTION_KEY", "")
# Support staff (anyone who may open the Django admin) must use a second factor: on in production
# (settings_production), a setting here so that the demo's support login works without one.
SUPPORT_REQUIRES_SECOND_FACTOR = env_bool("SUPPORT_REQUIRES_SECOND_FACTOR", False)
# The throttle of every password check (licensing/accounts/throttle.py). Failures are counted before
# the password is checked, in the database cache, so across workers and hosts. A person whose
# address has failed too often waits; the account's owner at another address does not.
SIGNIN_WINDOW_MINUTES = int(os.environ.get("SIGNIN_WINDOW_MINUTES", "15"))
SIGNIN_FAILURES_PER_ADDRESS = int(os.environ.get("SIGNIN_FAILURES_PER_ADDRESS", "20"))
SIGNIN_FAILURES_PER_ACCOUNT_AND_ADDRESS = int(os.environ.get("SIGNIN_FAILURES_PER_ACCOUNT_AND_ADDRESS", "5"))
# Failures of one account from all addresses within an hour (a spread-out guess); a browser where the
# owner signed in before still signs in (a signed cookie), and so does a password reset.
SIGNIN_FAILURES_PER_ACCOUNT = int(os.environ.get("SIGNIN_FAILURES_PER_ACCOUNT", "50"))
# Password-reset mails asked for, from one address and for one e-mail address, in the same window.
SIGNIN_RESETS_PER_ADDRESS = int(os.environ.get("SIGNIN_RESETS_PER_ADDRESS", "20"))
SIGNIN_RESETS_PER_ACCOUNT = int(os.environ.get("SIGNIN_RESETS_PER_ACCOUNT", "5"))
# Behind a reverse proxy, how many proxies set X-Forwarded-For (allauth reads the client's address
# from it); 0 uses REMOTE_ADDR.
ALLAUTH_TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))

# The throttle's counts and allauth's rate limits live in the database (a cache table created by a
# migration: portal/migrations), shared by every worker process and host.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "seatkeeper_cache",
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    }
}

# R-U5: how long an invitation stays valid. The guide says 90 days in one chapter, 7 in another.
INVITATION_EXPIRY_DAYS = int(os.environ.get("INVITATION_EXPIRY_DAYS", "90"))
# Invitation mails (inviting, re-sending, Invite Multiple, the import, Assign users) an admin may send
# in an hour, and a team may receive in 24 hours, counted in the activity log; 0 = no limit. Support
# staff and the system (purchases) are not limited, and their invitations do not count.
INVITATIONS_PER_ADMIN_PER_HOUR = int(os.environ.get("INVITATIONS_PER_ADMIN_PER_HOUR", "200"))
INVITATIONS_PER_TEAM_PER_DAY = int(os.environ.get("INVITATIONS_PER_TEAM_PER_DAY", "1000"))

# --- Desktop sign-in API (R-S1..R-S3, licensing/accounts/api.py) --------------------------------
# How long a device stays signed in (R-S2); after that the software asks for the password again.
API_TOKEN_DAYS = int(os.environ.get("API_TOKEN_DAYS", "90"))
# --- The team-admin API (issue 21 §3, licensing/teams/api.py) -------------------------------------
# The longest a personal access token may run: its owner picks the end, at most this many days ahead.
ACCESS_TOKEN_MAX_DAYS = int(os.environ.get("ACCESS_TOKEN_MAX_DAYS", "365"))
# The licence check tells the software to check again after this many hours, and to keep working
# without a connection until this many days after the last successful check.
LICENCE_RECHECK_HOURS = int(os.environ.get("LICENCE_RECHECK_HOURS", "24"))
LICENCE_OFFLINE_DAYS = int(os.environ.get("LICENCE_OFFLINE_DAYS", "30"))
# Signing the software in through the browser (R-ID5, RFC 8628): how long the code it shows stays
# valid, and how many seconds it waits between two questions whether the person has approved.
DEVICE_AUTHORIZATION_SECONDS = int(os.environ.get("DEVICE_AUTHORIZATION_SECONDS", "600"))
DEVICE_POLL_INTERVAL_SECONDS = int(os.environ.get("DEVICE_POLL_INTERVAL_SECONDS", "5"))

# --- Internationalisation -----------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("nl", _("Dutch"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Amsterdam")
# Short dates per language (portal/formats/<language>/formats.py): "28 Nov 2026", Dutch "28 nov 2026".
FORMAT_MODULE_PATH = ["portal.formats"]
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Mail ---------------------------------------------------------------------------------------
# Every mail is first written to django-mailer's queue in the database, in the same transaction as
# the change it reports, and sent after commit; a mail server that is down loses nothing.
EMAIL_BACKEND = "mailer.backend.DbBackend"
MAILER_EMAIL_BACKEND = os.environ.get(
    "MAILER_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if os.environ.get("EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend",
)
# The log of sent mails keeps no copy of them: their bodies hold password-reset and invitation links.
MAILER_EMAIL_LOG_MESSAGE_DATA = False
# The mail queue is written in INSERTs of 500 messages: a group of 10,000 given a product queues 10,000
# mails, about 20 MB of pickled messages, which in one statement took 7.1 s on PostgreSQL, in batches
# of 500 4.2 s (bench/RESULTS.md, groups).
MAILER_MESSAGES_BATCH_SIZE = 500
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Seatkeeper <no-reply@seatkeeper.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The absolute address that links in mails point to.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# --- Background jobs (portal/jobs.py) -----------------------------------------------------------
# Django's task framework (the django-tasks backport of Django 6's django.tasks) with its tasks kept in
# our own database (django-tasks-db): SQLite or PostgreSQL, no other server. `manage.py db_worker` runs
# them (beside gunicorn; `make run` starts one with runserver); `manage.py seatkeeper_periodic`, from
# cron or a systemd timer, enqueues the periodic work and puts back the jobs of a worker that died.
# The tests run every task at once, in the process, when it is enqueued (tests/conftest.py); the
# tests of the runner itself (tests/jobs) use this database backend and a real worker.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
# A job that fails is tried again after JOBS_RETRY_SECONDS, then 4 times as long each time (30 s, 2 min,
# 8 min, 32 min), JOBS_ATTEMPTS times in all; the last failure stays failed, in the Django admin.
JOBS_ATTEMPTS = int(os.environ.get("JOBS_ATTEMPTS", "5"))
JOBS_RETRY_SECONDS = int(os.environ.get("JOBS_RETRY_SECONDS", "30"))
# A job still running after this many minutes belonged to a worker that died (killed, out of memory,
# the machine restarted): the periodic command makes it ready again, JOBS_ATTEMPTS times at most. Longer
# than any job runs (an export of 50,000 members' usage takes well under a minute).
JOBS_STALE_MINUTES = int(os.environ.get("JOBS_STALE_MINUTES", "15"))
# Larger than this, the By User export of Seat Usage and the confirmation of an import are jobs with a
# progress page (licensing.jobs); smaller ones answer at once, as before.
JOBS_EXPORT_ROWS_AT_ONCE = int(os.environ.get("JOBS_EXPORT_ROWS_AT_ONCE", "5000"))
JOBS_IMPORT_ROWS_AT_ONCE = int(os.environ.get("JOBS_IMPORT_ROWS_AT_ONCE", "500"))
# By User's bulk actions (delete, assign, unassign, change role, resend) on more members than this run
# as a job with a progress page; fewer answer at once (licensing.teams.bulk). Each member is its own
# locked transaction with its activity row and mail, 5 to 25 ms on 2 busy cores: 200 answer within
# about 1 to 5 s, the 4 pages of a list of 50 ticked one after the other.
JOBS_BULK_MEMBERS_AT_ONCE = int(os.environ.get("JOBS_BULK_MEMBERS_AT_ONCE", "200"))
# How long the file of an export and the result of an import are kept once done.
JOBS_KEEP_HOURS = int(os.environ.get("JOBS_KEEP_HOURS", "24"))
# How long the rows of finished tasks stay in the admin (Tasks › Task results) for support staff.
JOBS_RESULTS_KEEP_DAYS = int(os.environ.get("JOBS_RESULTS_KEEP_DAYS", "14"))

# --- Webhooks (licensing/webhooks, R-API4) -------------------------------------------------------
# Deliveries are sent by the worker (db_worker), signed per Standard Webhooks, to addresses that resolve
# to public hosts only, following no redirect, each within WEBHOOKS_TIMEOUT_SECONDS.
WEBHOOKS_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOKS_TIMEOUT_SECONDS", "5"))
# Private, loopback and link-local addresses are refused unless this is set (the tests; a vendor whose
# receivers are on its own network).
WEBHOOKS_ALLOW_PRIVATE = env_bool("WEBHOOKS_ALLOW_PRIVATE", False)
# Endpoints must be https:// in production (settings_production); http:// is allowed in development.
WEBHOOKS_REQUIRE_HTTPS = env_bool("WEBHOOKS_REQUIRE_HTTPS", not DEBUG)
# The waits, in seconds, before each retry of a failed delivery: about a day and a quarter in all
# (Standard Webhooks' schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h); then it has failed for good.
WEBHOOKS_RETRY_DELAYS = [
    float(delay) for delay in env_list("WEBHOOKS_RETRY_DELAYS", "5,300,1800,7200,18000,36000,36000")
]
# An endpoint whose deliveries have all failed for this many hours is switched off and its owner mailed.
WEBHOOKS_DISABLE_AFTER_HOURS = float(os.environ.get("WEBHOOKS_DISABLE_AFTER_HOURS", "24"))
# The key the endpoints' signing secrets are encrypted with; from SECRET_KEY when empty (set it to the
# old SECRET_KEY when you change that, or rotate every endpoint's secret).
WEBHOOKS_ENCRYPTION_KEY = os.environ.get("WEBHOOKS_ENCRYPTION_KEY", "")

# --- Forms and tables ---------------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5-responsive.html"

# --- Security -----------------------------------------------------------------------------------
# The policy holds in development too, so that a violation shows up before production.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# django-mailer's lock file would make every request that flushes the queue wait for any other
# that is sending. Not needed: each message is sent inside a transaction that re-reads and locks its
# row (FOR UPDATE NOWAIT on PostgreSQL; SQLite's IMMEDIATE transactions serialise), so a message
# deleted by another sender meanwhile is skipped, never sent twice.
MAILER_USE_FILE_LOCK = False
