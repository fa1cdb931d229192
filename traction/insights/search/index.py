"""The full-text index itself: its names, and its check and repair on SQLite."""

from __future__ import annotations

from django.db import connections

from traction.insights.models import Insight

FTS_TABLE = "insights_insight_fts"
# The indexed expression of migration 0002_search, for the query's own (qualified) columns:
# PostgreSQL uses an expression index only for the same expression.
PG_VECTOR = "to_tsvector('simple'::regconfig, {text} || ' ' || {tags})"


def sqlite_index_ok(using: str = "default") -> bool:
    """Are the FTS table and its three triggers there? (A table rebuild drops triggers.)"""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return True
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM sqlite_master WHERE (type = 'table' AND name = %s) "
            "OR (type = 'trigger' AND name IN (%s, %s, %s))",
            [FTS_TABLE, f"{FTS_TABLE}_ai", f"{FTS_TABLE}_ad", f"{FTS_TABLE}_au"],
        )
        return int(cursor.fetchone()[0]) == 4


def repair_sqlite_index(using: str = "default") -> bool:
    """Create the FTS table and triggers again if a table rebuild dropped them, and re-index
    every row. Runs after every ``migrate`` (see apps.py); True when it had to repair."""
    import importlib

    connection = connections[using]
    if connection.vendor != "sqlite" or sqlite_index_ok(using):
        return False
    if Insight._meta.db_table not in connection.introspection.table_names():
        return False  # not migrated yet (or migrated backwards): nothing to repair
    migration = importlib.import_module("traction.insights.migrations.0002_search")
    with connection.cursor() as cursor:
        for sql in migration.SQLITE_FORWARD:
            cursor.execute(sql)
    return True
