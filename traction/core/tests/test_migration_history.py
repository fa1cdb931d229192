"""Every migration of the project reverses: the whole history of the project's apps walked back
to nothing and forwards again with the migration executor, on the test database.

This is the proof that each migration can be unapplied (with the full-text index of insights
intact on the way): the tests of single migrations start from a database emptied and walked
forwards to the migrations before theirs (``fresh_at``, core/testing/migrations.py), so they
no longer walk every later migration back. Only the project's apps are walked: Django's and
the task queue's stay applied (django_tasks_database has irreversible migrations of its own).
Runs in the SQLite step only (``sqlite_only_migration``): the migrations that ask for their
database's vendor keep tests of their own on both."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder

from traction.core.testing.migrations import back_to_latest, migrate
from traction.insights.search.index import FTS_TABLE, sqlite_index_ok

# Before the stamp migrations of insights and voting, and before every later insights
# migration (0012 adds a column in place, 0015 remakes the table and puts the index back):
# the walk back stops here once to look at the full-text index.
BEFORE_THE_STAMPS = [("insights", "0010_search_index_row"), ("voting", "0003_room_totals_hidden")]


def _schema() -> set[tuple[str, str, str]]:
    """Every table, index and trigger, with its SQL (SQLite's own index names aside)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT type, name, sql FROM sqlite_master "
            "WHERE name NOT LIKE 'sqlite_autoindex_%' AND name <> 'sqlite_sequence'"
        )
        return set(cursor.fetchall())


@pytest.mark.sqlite_only_migration
@pytest.mark.django_db(transaction=True)
def test_the_whole_history_walks_back_to_nothing_and_forwards_again() -> None:
    graph = MigrationExecutor(connection).loader.graph
    latest = graph.leaf_nodes()
    ours = sorted(
        {
            app
            for app, name in graph.nodes
            if graph.nodes[app, name].__module__.startswith("traction.")
        }
    )
    tables = {
        model._meta.db_table
        for label in ours
        for model in apps.get_app_config(label).get_models()
        if model._meta.managed
    }
    made = _schema()  # as the test database was made: every migration applied, forwards
    try:
        migrate(BEFORE_THE_STAMPS)
        assert sqlite_index_ok()

        migrate([(label, None) for label in ours])
        applied = {app for app, _ in MigrationRecorder(connection).applied_migrations()}
        assert applied.isdisjoint(ours)
        left = set(connection.introspection.table_names())
        assert left.isdisjoint(tables | {FTS_TABLE})

        migrate(latest)
        assert not MigrationExecutor(connection).migration_plan(latest)
        assert sqlite_index_ok()
        assert _schema() == made
    finally:
        back_to_latest()
