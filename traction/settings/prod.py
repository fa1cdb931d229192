"""Production settings: everything comes from the environment; nothing insecure by default."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import VAR_DIR, database_from_env


def env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfigured(f"Set the environment variable {name} for production.")
    return value


DEBUG = False
SECRET_KEY = env("TRACTION_SECRET_KEY")
ALLOWED_HOSTS = [h.strip() for h in env("TRACTION_ALLOWED_HOSTS").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("TRACTION_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]
DATABASES = {"default": database_from_env(VAR_DIR / "traction.sqlite3")}

SECURE_SSL_REDIRECT = os.environ.get("TRACTION_SSL_REDIRECT", "true") == "true"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = int(os.environ.get("TRACTION_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

EMAIL_BACKEND = os.environ.get(
    "TRACTION_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST = os.environ.get("TRACTION_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("TRACTION_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("TRACTION_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("TRACTION_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("TRACTION_EMAIL_TLS", "false") == "true"
DEFAULT_FROM_EMAIL = os.environ.get("TRACTION_FROM_EMAIL", "Traction <traction@localhost>")

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
}
