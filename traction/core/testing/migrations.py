"""Walking the migration history in tests: to given migrations, and back to the latest.

Each walk builds the project's migration state anew, which is most of what a migration test
costs; ``back_to_latest`` makes none when the database is already there.

On SQLite the test database at its latest migrations is copied once per test process, when
it has just been made (``remember_latest``, from the root conftest's ``django_db_setup``),
and ``back_to_latest`` puts that copy back with SQLite's backup API instead of applying
every later migration again: no time at all instead of ten seconds of CPU. What a test
proves is unchanged: its walks to the migrations it names, back and forth with its rows,
still run them (a walk back from the latest state unapplies every later migration on the
way), and applying the whole history forwards is what made the test database. On
PostgreSQL the way back is walked."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

Targets = list[tuple[str, str]]

# The copy of this process's SQLite test database at its latest migrations (empty of rows
# but those the migrations made), or nothing yet / not SQLite.
_latest: list[sqlite3.Connection] = []


def remember_latest() -> None:
    """Keeps a copy of the test database as it is now, at its latest migrations (SQLite
    only; a no-op elsewhere)."""
    if connection.vendor != "sqlite":
        return
    connection.ensure_connection()
    copy = sqlite3.connect(":memory:", check_same_thread=False)
    connection.connection.backup(copy)
    _latest[:] = [copy]


def migrate(targets: Targets) -> MigrationExecutor:
    """Migrates the test database to ``targets`` (forwards or backwards); a fresh executor,
    whose loader sees the migrations now applied (``.loader.project_state(targets).apps``
    gives the historical models)."""
    MigrationExecutor(connection).migrate(targets)
    return MigrationExecutor(connection)


def back_to_latest() -> None:
    """Every app at its latest migration again (for a test's ``finally``); nothing done when
    it is there already. Otherwise the copy is put back on SQLite (the test's rows go with
    it, as a transactional test's flush would take them), and the way is walked elsewhere."""
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    if not executor.migration_plan(leaves):
        return  # there already, rows and all
    if _latest and connection.vendor == "sqlite":
        _latest[0].backup(connection.connection)
    else:
        executor.migrate(leaves)


# Whether a database has had migrations applied (a test database has, once made).
MIGRATED = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'django_migrations'"


def copy_latest_to(path: Path) -> bool:
    """Writes this process's copy of the freshly migrated SQLite test database to the file
    ``path``: a database at the latest migrations, with only the rows the migrations made,
    for a test that runs the project in subprocesses on a file of its own. Their ``migrate``
    then finds every migration applied, instead of applying ~100 again (about seventeen
    seconds of CPU each time). False, and no file, when there is no such copy: the test
    database is not SQLite, or no test database was made (pytest-django makes one only
    when a collected test uses the database; the copy is then of an unmigrated file).
    ``remember_latest`` makes the copy (the root conftest's ``django_db_setup``, which such
    a test asks for)."""
    if not _latest or not _latest[0].execute(MIGRATED).fetchone():
        return False
    target = sqlite3.connect(path)
    try:
        _latest[0].backup(target)
    finally:
        target.close()
    return True
