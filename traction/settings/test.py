"""Test settings: fast password hashing, in-memory email, SQLite unless DATABASE_URL is set."""

from .base import *  # noqa: F403
from .base import VAR_DIR, database_from_env

DEBUG = False
SECRET_KEY = "test-only-key"
ALLOWED_HOSTS = ["*"]
# Argon2 costs about a third of a second per check on two cores; tests use MD5 only here.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DATABASES = {"default": database_from_env(VAR_DIR / "test.sqlite3")}
# SQLite tests run in memory (shared with live-server threads by Django), so parallel runs
# never trip over one file.
