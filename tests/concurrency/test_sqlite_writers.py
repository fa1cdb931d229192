"""Several processes writing to the embedded SQLite default at once.

No "database is locked" errors (WAL + IMMEDIATE transactions + busy timeout) and no lost
updates (every read-then-write goes through a version check and retries on Conflict).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 4
ROUNDS = 25

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")), reason="exercises the embedded SQLite default"
)


def _env(db_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["DATABASE_URL"] = f"sqlite:///{db_path}"
    env["DJANGO_SETTINGS_MODULE"] = "traction.settings.test"
    env["PYTHONPATH"] = str(ROOT)
    return env


def _python(code: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_parallel_writers_neither_lock_nor_lose_updates(
    tmp_path: Path, sqlite_file_at_latest: Callable[[Path], Path]
) -> None:
    # The file starts as a copy of the migrated test database: the subprocess's migrate
    # finds nothing to apply (conftest.py, ``sqlite_file_at_latest``).
    db_path = sqlite_file_at_latest(tmp_path / "parallel.sqlite3")
    env = _env(db_path)
    _python(
        "import django; django.setup();"
        "from django.core.management import call_command; call_command('migrate', verbosity=0);"
        "from traction.core.testing.cast import build_cast; build_cast()",
        env,
    )
    workers = [
        subprocess.Popen(
            [sys.executable, str(ROOT / "tests/concurrency/worker.py"), str(n), str(ROUNDS)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(WORKERS)
    ]
    results = []
    for proc in workers:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))

    assert [r["errors"] for r in results] == [[]] * WORKERS
    assert [r["created"] for r in results] == [ROUNDS] * WORKERS
    assert [r["appended"] for r in results] == [ROUNDS] * WORKERS

    facts = json.loads(
        _python(
            "import django, json; django.setup();"
            "from traction.customers.models import Customer;"
            "from traction.core.models import AuditEvent;"
            "g = Customer.objects.get(name='Globex');"
            "print(json.dumps({"
            "'parallel': Customer.objects.filter(name__startswith='Parallel ').count(),"
            " 'notes': g.notes, 'version': g.version,"
            " 'changed_events': AuditEvent.objects.filter("
            "action='customer.changed', object_id=str(g.pk)).count(),"
            " 'journal': __import__('django.db', fromlist=['connection']).connection.cursor()"
            ".execute('PRAGMA journal_mode').fetchone()[0]}))",
            env,
        )
    )
    assert facts["journal"] == "wal"
    assert facts["parallel"] == WORKERS * ROUNDS
    markers = sorted(f"[w{w}-{i}]" for w in range(WORKERS) for i in range(ROUNDS))
    assert sorted(m + "]" for m in facts["notes"].split("]") if m) == markers  # none lost
    assert facts["version"] == 1 + WORKERS * ROUNDS
    assert facts["changed_events"] == WORKERS * ROUNDS
