"""Walking the migration history in tests: to given migrations, and back to the latest.

Each walk builds the project's migration state anew, which is most of what a migration test
costs, and a walk backwards costs most: Django's executor renders the project state before
every migration it unapplies (from the latest state back to an early migration, about twenty
seconds of CPU). So a migration test starts at the migrations before the one it tests with
``fresh_at``: the test database emptied, then walked forwards from nothing to them (a few
seconds), only those and what they depend on applied. It makes its rows there with the
historical models, walks to the migrations it tests (and back, when it proves them
reversible: a short walk, with so few applied), and ends with ``back_to_latest``. That every
migration reverses is proven once, by walking the whole history back to nothing and forwards
again (traction/core/tests/test_migration_history.py).

On SQLite the test database at its latest migrations is copied once per test process, when
it has just been made (``remember_latest``, from the root conftest's ``django_db_setup``),
and ``back_to_latest`` puts that copy back with SQLite's backup API instead of applying
every later migration again: no time at all instead of ten seconds of CPU. Applying the
whole history forwards is what made the test database. On PostgreSQL the way back to the
latest migrations is walked (forwards, after ``fresh_at``)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from django.db import connection
from django.db.backends.base.creation import TEST_DATABASE_PREFIX
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


def fresh_at(targets: Targets) -> MigrationExecutor:
    """Empties the test database and migrates it forwards from nothing to ``targets``: only
    those migrations and the ones they depend on are applied (an app none of them depends
    on has no tables), without rows but those their migrations make. Returns a fresh
    executor, as ``migrate`` does.

    SQLite: a blank database is copied over the test database (SQLite's backup API, as
    ``back_to_latest`` does the other way): every table, index, trigger and full-text table
    goes. PostgreSQL: the test database's ``public`` schema is dropped and made again (only
    a database whose name has Django's test prefix). Elsewhere the history is walked back to
    ``targets``, as ``migrate`` does (later migrations of other apps stay applied)."""
    _empty_test_database()
    return migrate(targets)


def _empty_test_database() -> None:
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        blank = sqlite3.connect(":memory:")
        try:
            blank.backup(connection.connection)
        finally:
            blank.close()
    elif connection.vendor == "postgresql":
        name = connection.settings_dict["NAME"]
        if not name.startswith(TEST_DATABASE_PREFIX):
            raise RuntimeError(f"not a test database, not emptied: {name}")
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE")
            cursor.execute("CREATE SCHEMA public")


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
