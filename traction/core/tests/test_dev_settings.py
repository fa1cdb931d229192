"""The development settings' database: var/traction.sqlite3, or the file TRACTION_SQLITE_PATH
names (a second demo beside the first, as README says); DATABASE_URL wins over both."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def database_name(**env: str) -> str:
    environment = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    environment.pop("TRACTION_SQLITE_PATH", None)
    environment.update(DJANGO_SETTINGS_MODULE="traction.settings.dev", **env)
    out = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; "
         "print(settings.DATABASES['default']['NAME'])"],
        env=environment, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return out.stdout.strip()


def test_the_development_database(tmp_path: Path) -> None:
    var, second = str(tmp_path / "var"), str(tmp_path / "second.sqlite3")
    assert database_name(TRACTION_VAR_DIR=var) == f"{var}/traction.sqlite3"
    assert database_name(TRACTION_VAR_DIR=var, TRACTION_SQLITE_PATH=second) == second
    url = "postgres://u:p@127.0.0.1:5432/traction"
    assert database_name(TRACTION_VAR_DIR=var, TRACTION_SQLITE_PATH=second, DATABASE_URL=url) == (
        "traction"
    )
