"""Benchmark settings: production settings, on a throwaway SQLite database, plain HTTP.

``bench/run.py`` sets TRACTION_VAR_DIR to a temporary directory before Django starts, so
the database lives there; the other production values get harmless defaults here.
"""

import os

os.environ.setdefault("TRACTION_SECRET_KEY", "bench-only-" + "x" * 50)
os.environ.setdefault("TRACTION_ALLOWED_HOSTS", "127.0.0.1,localhost")
os.environ.setdefault("TRACTION_SSL_REDIRECT", "false")
os.environ.setdefault("TRACTION_HSTS_SECONDS", "0")
os.environ.setdefault(
    "TRACTION_SQLITE_PATH",
    os.path.join(os.environ.get("TRACTION_VAR_DIR", "var"), "traction.sqlite3"),
)

from .prod import *  # noqa: F403
from .prod import LOGGING

DEBUG = False
# The benchmark serves the API without a collectstatic run: plain static storage.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The benchmark's URLconf adds the hand-written baseline view next to the real routes.
ROOT_URLCONF = "bench.urls"
LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": "WARNING"}}
