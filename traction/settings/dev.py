"""Development default: embedded SQLite under var/, console email, debug on."""

import os
from pathlib import Path

from .base import *  # noqa: F403
from .base import VAR_DIR, database_from_env

DEBUG = True
SECRET_KEY = "dev-only-insecure-key-never-use-in-production"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
INTERNAL_IPS = ["127.0.0.1"]

VAR_DIR.mkdir(parents=True, exist_ok=True)

# The embedded database is var/traction.sqlite3 (TRACTION_VAR_DIR moves var/); as in
# production, TRACTION_SQLITE_PATH names another file (a second demo beside the first).
if os.environ.get("TRACTION_SQLITE_PATH") and not os.environ.get("DATABASE_URL"):
    DATABASES = {"default": database_from_env(Path(os.environ["TRACTION_SQLITE_PATH"]))}

# Development sends each email at once (the immediate task backend in base.py, printed on the
# console): no queue, no worker. To try the queue and `traction worker` as in production, start
# both with TRACTION_TASKS=database (e.g. `TRACTION_TASKS=database make run`).
if os.environ.get("TRACTION_TASKS") == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
