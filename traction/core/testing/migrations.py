"""Walking the migration history in tests: to given migrations, and back to the latest.

Each walk builds the project's migration state anew, which is most of what a migration test
costs; ``back_to_latest`` makes none when the database is already there."""

from __future__ import annotations

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

Targets = list[tuple[str, str]]


def migrate(targets: Targets) -> MigrationExecutor:
    """Migrates the test database to ``targets`` (forwards or backwards); a fresh executor,
    whose loader sees the migrations now applied (``.loader.project_state(targets).apps``
    gives the historical models)."""
    MigrationExecutor(connection).migrate(targets)
    return MigrationExecutor(connection)


def back_to_latest() -> None:
    """Every app at its latest migration again (for a test's ``finally``)."""
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    if executor.migration_plan(leaves):
        executor.migrate(leaves)
