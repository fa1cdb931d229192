"""Settings shared by every environment. Environment-specific modules import from here."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent
PROJECT_DIR = BASE_DIR.parent
VAR_DIR = Path(os.environ.get("TRACTION_VAR_DIR", PROJECT_DIR / "var"))

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # django-csp's system checks; "ninja" so the API docs page renders ninja's template
    # with its bundled Swagger UI files from /static/ (without it, ninja loads them from a
    # CDN: a blank page offline, and a violation of the Content-Security-Policy below).
    "csp",
    "ninja",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "traction.core",
    "traction.accounts",
    "traction.customers",
    "traction.programs",
    "traction.webhooks",
    "traction.sessions",
    "traction.insights",
    "traction.voting",
    "traction.debrief",
    "traction.loop",
    "traction.portal",
]

MIDDLEWARE = [
    # First: forwarded headers (X-Forwarded-For/-Proto/-Host) are dropped unless the request
    # comes from a proxy named in TRACTION_TRUSTED_PROXIES, before anything reads them.
    "traction.core.proxies.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Early, so its response phase runs last: every answer gets the Content-Security-Policy,
    # including redirects and refusals written by the middleware below it.
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, so it sees the resolved view: refuses any response whose view never asked
    # the permission layer and is not explicitly marked public.
    "traction.core.middleware.DefaultDenyMiddleware",
]

ROOT_URLCONF = "traction.urls"
WSGI_APPLICATION = "traction.wsgi.application"

TEMPLATES: list[dict[str, Any]] = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "traction.accounts.context_processors.navigation",
            ],
            # template_partials wraps the loaders itself (cached outside DEBUG); its tags
            # are builtins so every template can define and render partials.
            "builtins": ["template_partials.templatetags.partials"],
        },
    }
]


def database_from_env(default_sqlite: Path) -> dict[str, Any]:
    """DATABASE_URL selects PostgreSQL (or another database); without it, embedded SQLite.

    SQLite runs in WAL mode with IMMEDIATE transactions and a busy timeout, so parallel
    writers queue instead of failing with "database is locked".
    """
    url = os.environ.get("DATABASE_URL", "")
    if url:
        config: dict[str, Any] = dict(
            dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
        )
        if config["ENGINE"] == "django.db.backends.sqlite3":
            config["ENGINE"] = SQLITE_ENGINE
            config["OPTIONS"] = SQLITE_OPTIONS
        return config
    return {
        "ENGINE": SQLITE_ENGINE,
        "NAME": default_sqlite,
        "OPTIONS": SQLITE_OPTIONS,
    }


# Django's own SQLite backend: speed comes through documented APIs, not a custom engine.
SQLITE_ENGINE = "django.db.backends.sqlite3"

SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 30,
    "init_command": (
        "PRAGMA journal_mode=WAL;"
        "PRAGMA synchronous=NORMAL;"
        "PRAGMA foreign_keys=ON;"
        "PRAGMA busy_timeout=30000;"
    ),
}

DATABASES = {"default": database_from_env(VAR_DIR / "traction.sqlite3")}
# Which database choice made DATABASES: "url" (DATABASE_URL) or "embedded" (SQLite file).
# Production settings leave it None when neither was chosen, and nothing starts then.
TRACTION_DATABASE_CHOICE: str | None = "url" if os.environ.get("DATABASE_URL") else "embedded"
TRACTION_DATABASE_MISSING = ""
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["traction.accounts.backends.EmailBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Failed sign-ins (traction/accounts/throttle.py, docs/security.md). Counted per pair of
# account and client address: after LOGIN_THROTTLE_ATTEMPTS failures within the window,
# each further attempt from that pair waits 2, 4, 8 ... seconds (at most
# LOGIN_THROTTLE_MAX_DELAY_SECONDS) after the last failure. One address also gets a
# ceiling of failures over all accounts in the window, against password spraying.
LOGIN_THROTTLE_ATTEMPTS = 5
LOGIN_THROTTLE_WINDOW_SECONDS = 60 * 60
LOGIN_THROTTLE_MAX_DELAY_SECONDS = 15 * 60
LOGIN_THROTTLE_ADDRESS_ATTEMPTS = 100


def csv_env(name: str) -> list[str]:
    """A comma-separated environment variable as a list of non-empty, stripped items."""
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


# Addresses or networks (CIDR) of the reverse proxies in front of Traction. Only requests
# whose peer address is in this list may set X-Forwarded-For, -Proto and -Host; from anyone
# else those headers are dropped (traction/core/proxies.py). Default: no proxy is trusted.
TRACTION_TRUSTED_PROXIES = csv_env("TRACTION_TRUSTED_PROXIES")

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
# Traction is written in English and has no translations: without the translation
# machinery Django renders every date, number and message the same, with less work (the
# setting's documented purpose).
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
# The project-wide static files (stylesheet, vendored htmx) live beside the templates.
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
# Cache lifetime granian gives static files (seconds). Development: none, so an edited
# stylesheet shows at once; production (hashed names) a year.
TRACTION_STATIC_MAX_AGE = 0

# The Content-Security-Policy sent with every response (django-csp; docs/security.md). Every
# script and stylesheet is a file under /static/: no inline <script>, no on* attributes, no
# <style> blocks or style="" attributes, no eval (htmx runs with allowEval off). A page that
# needs behaviour adds a static .js file and a <script src> (docs/security.md says how).
CONTENT_SECURITY_POLICY: dict[str, Any] = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # Stylesheets draw small icons as data: URLs (Swagger UI's among them).
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = "Traction <traction@localhost>"

TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# Outbound webhooks (docs/webhooks.md). The signing secrets are stored encrypted with a key
# derived from TRACTION_WEBHOOK_KEY, or SECRET_KEY when it is not set.
TRACTION_WEBHOOK_KEY = os.environ.get("TRACTION_WEBHOOK_KEY", "")
# Seconds to wait before each retry of a delivery that failed (then it is given up), each
# moved by up to ± the jitter fraction: 1, 5, 15 minutes, then hourly for seven hours.
TRACTION_WEBHOOK_RETRY_SCHEDULE = [60, 300, 900, 3600, 3600, 3600, 3600, 3600, 3600, 3600]
TRACTION_WEBHOOK_RETRY_JITTER = 0.1
TRACTION_WEBHOOK_TIMEOUT = 5  # seconds a receiver has to answer
# An endpoint whose deliveries gave up this many times in a row is disabled.
TRACTION_WEBHOOK_DISABLE_AFTER = 5
# Production requires https:// receivers unless TRACTION_WEBHOOK_ALLOW_HTTP is set.
TRACTION_WEBHOOK_REQUIRE_HTTPS = False
# Production sends only to public addresses unless TRACTION_WEBHOOK_ALLOW_PRIVATE_NETWORKS.
TRACTION_WEBHOOK_ALLOW_PRIVATE_NETWORKS = True

# Bounce webhooks (docs/loop.md): Amazon SNS's signing certificates are fetched only from
# https://sns.<region>.amazonaws.com. Tests add the origin of a local certificate server here
# (e.g. "http://127.0.0.1:8123"); production leaves it empty.
TRACTION_SNS_CERT_TEST_ORIGINS: list[str] = []
TRACTION_SNS_CERT_TIMEOUT = 5  # seconds to fetch a certificate

# The most rows one imported file may hold, next to its size limit (25 MB for insight
# imports, 2 MB for the CSV files of deliveries and measurements): counted while the file is
# read, so a larger file is refused in seconds, naming the limit and the line it was passed
# on, with nothing written. A co-design session's wall or transcript has a few hundred to a
# few thousand rows; 100,000 leaves room for any real one while its preview stays well
# within a proxy's timeout (docs/deploy.md). ``core.csv_reader.row_cap`` reads these.
TRACTION_IMPORT_MAX_ROWS = {"insights": 100_000, "deliveries": 5_000, "measurements": 20_000}

# The largest request body accepted at all (by its Content-Length, before reading it:
# ``core.guard``): the largest import file (25 MB) with room for the form around it. A proxy
# in front should allow at least this much (docs/deploy.md).
TRACTION_MAX_REQUEST_MB = int(os.environ.get("TRACTION_MAX_REQUEST_MB", "30"))

NINJA_PAGINATION_PER_PAGE = 50
NINJA_MAX_PER_PAGE_SIZE = 200

# The address people reach Traction at; links in emails and pages start with it. When it is
# not set, `traction run`/`serve` set it from the address they bind (http://HOST:PORT/).
TRACTION_SITE_URL = os.environ.get("TRACTION_SITE_URL", "http://127.0.0.1:8000")
TRACTION_SITE_URL_SET = bool(os.environ.get("TRACTION_SITE_URL"))
# The customer portal (docs/portal.md): how long a magic link works, and how many links one
# address, and one client address, may ask for per hour on the public "send me a link" page.
TRACTION_PORTAL_LINK_DAYS = 14
TRACTION_PORTAL_REQUESTS_PER_EMAIL = 3
TRACTION_PORTAL_REQUESTS_PER_IP = 10
# How many replies and "did it work for you?" comments one contact may send per hour (each
# becomes an insight for the team to review); past it they are asked to try again later.
TRACTION_PORTAL_COMMENTS_PER_HOUR = 10
# `traction run` loads the demo workspace into an empty database (never in production).
TRACTION_DEMO_ON_FIRST_RUN = True
# Production settings say so: `traction demo` then gives the demo accounts a random
# password instead of the published one.
TRACTION_PRODUCTION = False
# How long an SMTP connection may take before a send fails (seconds).
EMAIL_TIMEOUT = 10

# The loggers that write a request's path: a link's secret in it (an RSVP token, a portal
# link, the bounce URL's secret) is written as "[secret]" (core/logs.py, docs/security.md).
PATH_LOGGERS = ("django.request", "django.security.csrf", "django.server")
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"link_secrets": {"()": "traction.core.logs.LinkSecretsFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {name: {"filters": ["link_secrets"]} for name in PATH_LOGGERS},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
