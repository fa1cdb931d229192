"""Production settings: everything comes from the environment; nothing insecure by default.

Every variable is listed, with its default, in docs/deploy.md. Required: TRACTION_SECRET_KEY
(50 characters or more), TRACTION_ALLOWED_HOSTS, and an explicit database: DATABASE_URL,
or TRACTION_SQLITE_PATH for the embedded database. Without a database choice the settings
still load (so `manage.py check --deploy` works on a build machine), but every command
that starts Traction or touches data refuses with a message saying what to set.
"""

import importlib.util
import os
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import LOGGING, SQLITE_ENGINE, SQLITE_OPTIONS, VAR_DIR, csv_env, database_from_env

DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production"
MIN_SECRET_KEY_LENGTH = 50


def env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None or value == "":
        raise ImproperlyConfigured(f"Set the environment variable {name} for production.")
    return value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not '{value}'.")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not '{value}'.") from None


DEBUG = False
SECRET_KEY = env("TRACTION_SECRET_KEY")
if len(SECRET_KEY) < MIN_SECRET_KEY_LENGTH or SECRET_KEY == DEV_SECRET_KEY:
    raise ImproperlyConfigured(
        f"TRACTION_SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} random characters "
        f"(it is {len(SECRET_KEY)}): it signs sessions and the RSVP and voting links. Make one "
        "with: python3 -c 'import secrets; print(secrets.token_urlsafe(64))'"
    )
ALLOWED_HOSTS = csv_env("TRACTION_ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "Set the environment variable TRACTION_ALLOWED_HOSTS for production "
        "(the host names people use, comma-separated, e.g. traction.example.com)."
    )
CSRF_TRUSTED_ORIGINS = csv_env("TRACTION_CSRF_TRUSTED_ORIGINS")

# Links in emails: the address people use. Defaults to https:// and the first host name.
TRACTION_SITE_URL = os.environ.get("TRACTION_SITE_URL") or (
    f"https://{ALLOWED_HOSTS[0].lstrip('.')}" if ALLOWED_HOSTS[0] != "*" else ""
)
if not TRACTION_SITE_URL or urlsplit(TRACTION_SITE_URL).scheme not in ("http", "https"):
    raise ImproperlyConfigured(
        "Set TRACTION_SITE_URL to the address people open Traction at, e.g. "
        "https://traction.example.com (links in emails start with it)."
    )
TRACTION_SITE_URL_SET = True
# An empty production database gets its first workspace from `traction setup`, never the
# demo (whose accounts have a published password).
TRACTION_DEMO_ON_FIRST_RUN = False
TRACTION_PRODUCTION = True

# --- the database: explicit, pooled -----------------------------------------------------------

# How many PostgreSQL connections one web worker process may hold (docs/deploy.md).
TRACTION_DB_POOL_SIZE = env_int("TRACTION_DB_POOL_SIZE", 4)


def _pool_available() -> bool:
    """Django's pool needs psycopg's pool package (psycopg[pool] in requirements)."""
    return importlib.util.find_spec("psycopg_pool") is not None


def production_database() -> tuple[str | None, dict[str, Any]]:
    """The database settings and which choice made them ("url", "embedded" or None)."""
    url = os.environ.get("DATABASE_URL", "")
    sqlite_path = os.environ.get("TRACTION_SQLITE_PATH", "")
    if url and sqlite_path:
        raise ImproperlyConfigured(
            "Set either DATABASE_URL or TRACTION_SQLITE_PATH, not both: which database "
            "Traction uses must be unambiguous."
        )
    if url:
        config = database_from_env(VAR_DIR / "unused.sqlite3")
        if config["ENGINE"] == "django.db.backends.postgresql" and _pool_available():
            # Django's own psycopg pool: each worker process keeps 1 to POOL_SIZE
            # connections open and hands them to requests; persistent connections off.
            config["CONN_MAX_AGE"] = 0
            config["CONN_HEALTH_CHECKS"] = False
            config.setdefault("OPTIONS", {})["pool"] = {
                "min_size": 1,
                "max_size": TRACTION_DB_POOL_SIZE,
                "timeout": 10,
                "max_idle": 300,
            }
        return "url", config
    if sqlite_path:
        return "embedded", {"ENGINE": SQLITE_ENGINE, "NAME": sqlite_path, "OPTIONS": SQLITE_OPTIONS}
    # Not chosen: a database that refuses every use. The commands that start Traction
    # check TRACTION_DATABASE_CHOICE first and say what to set.
    return None, {"ENGINE": "django.db.backends.dummy"}


TRACTION_DATABASE_CHOICE, _default_database = production_database()
DATABASES = {"default": _default_database}
TRACTION_DATABASE_MISSING = (
    "Production needs an explicit database. Set DATABASE_URL "
    "(postgres://USER:PASSWORD@HOST:5432/NAME) or, for the embedded SQLite database, "
    "TRACTION_SQLITE_PATH=/var/lib/traction/traction.sqlite3. See docs/deploy.md."
)

# --- HTTPS and the proxy ------------------------------------------------------------------------

SECURE_SSL_REDIRECT = env_bool("TRACTION_SSL_REDIRECT", True)
# Believed only from the proxies in TRACTION_TRUSTED_PROXIES: TrustedProxyMiddleware drops
# the header from anyone else before Django reads it.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Load balancers probe /healthz over plain HTTP: answered, never redirected.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("TRACTION_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- static files: hashed names, collected once per release -----------------------------------

# `traction collectstatic` (once per release) writes them under TRACTION_VAR_DIR/static
# with content hashes in their names, so they can be cached for a year.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}
TRACTION_STATIC_MAX_AGE = env_int("TRACTION_STATIC_MAX_AGE", 365 * 24 * 3600)

# --- email ----------------------------------------------------------------------------------------

EMAIL_BACKEND = os.environ.get(
    "TRACTION_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST = os.environ.get("TRACTION_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("TRACTION_EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("TRACTION_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("TRACTION_EMAIL_PASSWORD", "")
# STARTTLS (usually port 587) or implicit TLS (port 465: on by default there).
EMAIL_USE_TLS = env_bool("TRACTION_EMAIL_TLS", False)
EMAIL_USE_SSL = env_bool("TRACTION_EMAIL_SSL", EMAIL_PORT == 465)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured(
        "TRACTION_EMAIL_TLS (STARTTLS) and TRACTION_EMAIL_SSL (implicit TLS, port 465) "
        "exclude each other: set one."
    )
EMAIL_TIMEOUT = env_int("TRACTION_EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = os.environ.get("TRACTION_FROM_EMAIL", "Traction <traction@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Webhook receivers must be https:// unless this is set (e.g. a receiver on the same host).
TRACTION_WEBHOOK_REQUIRE_HTTPS = not env_bool("TRACTION_WEBHOOK_ALLOW_HTTP", False)
# Receivers on loopback, private or link-local addresses are refused unless this is set.
TRACTION_WEBHOOK_ALLOW_PRIVATE_NETWORKS = env_bool("TRACTION_WEBHOOK_ALLOW_PRIVATE_NETWORKS", False)

LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": "INFO"}}

# Never fetch Amazon SNS certificates from anywhere but sns.<region>.amazonaws.com.
TRACTION_SNS_CERT_TEST_ORIGINS = []
