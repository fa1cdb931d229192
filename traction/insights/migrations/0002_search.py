"""Full-text search over insights (text and tags), per database vendor.

SQLite: an FTS5 *external-content* table over ``insights_insight`` (it stores only the
index, not a second copy of the text), kept in sync by triggers, and filled from the rows
already there. PostgreSQL: a GIN index on the very expression ``search.index.PG_VECTOR`` that
the search query uses (an expression index is used only for that exact expression). Other
vendors: nothing; search then matches word by word without an index (``search/fulltext.py``).

Both vendors also get an index on (workspace, status): the listing without a query walks
it newest first instead of sorting every row of the workspace.

Written by hand with RunPython: none of this is model state, so ``makemigrations --check``
sees no drift. Beware on SQLite: a later migration that *rebuilds* ``insights_insight``
(Django does so for most AlterField/RemoveField) drops these triggers with the old table;
the app repairs that after every ``migrate`` (``search.repair_sqlite_index``, connected to
post_migrate in apps.py), running SQLITE_FORWARD again, which re-indexes every row.
"""

# ruff: noqa: S608 -- the SQL below is constant; FTS only names our own table
from django.db import migrations

FTS = "insights_insight_fts"

SQLITE_FORWARD = [
    # unicode61 with diacritics removed: "facture" finds "facturé"; prefix indexes of 2 and
    # 3 characters keep the first keystrokes of a word ("in", "inv") as cheap as a word.
    f"""CREATE VIRTUAL TABLE IF NOT EXISTS {FTS} USING fts5(
        text, tags,
        content='insights_insight', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2', prefix='2 3'
    )""",
    f"""CREATE TRIGGER IF NOT EXISTS {FTS}_ai AFTER INSERT ON insights_insight BEGIN
        INSERT INTO {FTS}(rowid, text, tags) VALUES (new.id, new.text, new.tags);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS {FTS}_ad AFTER DELETE ON insights_insight BEGIN
        INSERT INTO {FTS}({FTS}, rowid, text, tags) VALUES ('delete', old.id, old.text, old.tags);
    END""",
    # Only when the indexed columns change: reviewing or voting does not touch the index.
    f"""CREATE TRIGGER IF NOT EXISTS {FTS}_au AFTER UPDATE ON insights_insight
        WHEN old.text IS NOT new.text OR old.tags IS NOT new.tags OR old.id IS NOT new.id
    BEGIN
        INSERT INTO {FTS}({FTS}, rowid, text, tags) VALUES ('delete', old.id, old.text, old.tags);
        INSERT INTO {FTS}(rowid, text, tags) VALUES (new.id, new.text, new.tags);
    END""",
    f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')",
    "CREATE INDEX IF NOT EXISTS insight_ws_status ON insights_insight (workspace_id, status)",
]

SQLITE_BACKWARD = [
    f"DROP TRIGGER IF EXISTS {FTS}_ai",
    f"DROP TRIGGER IF EXISTS {FTS}_ad",
    f"DROP TRIGGER IF EXISTS {FTS}_au",
    f"DROP TABLE IF EXISTS {FTS}",
    "DROP INDEX IF EXISTS insight_ws_status",
]

# Must stay the same text as search.PG_VECTOR (a test compares them).
PG_VECTOR = "to_tsvector('simple'::regconfig, text || ' ' || tags)"

POSTGRESQL_FORWARD = [
    f"CREATE INDEX IF NOT EXISTS insight_search ON insights_insight USING gin (({PG_VECTOR}))",
    "CREATE INDEX IF NOT EXISTS insight_ws_status ON insights_insight (workspace_id, status)",
]

POSTGRESQL_BACKWARD = [
    "DROP INDEX IF EXISTS insight_search",
    "DROP INDEX IF EXISTS insight_ws_status",
]


def _run(statements: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("insights", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRESQL_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRESQL_BACKWARD}),
            elidable=False,
        )
    ]
