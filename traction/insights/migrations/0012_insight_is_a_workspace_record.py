"""Insight is a ``core.models.WorkspaceRecord``: its workspace and version were already the
record's (same columns); it gains ``updated_at``, filled with each row's ``created_at``.

Added without remaking ``insights_insight``: Django's SQLite schema editor adds a NOT NULL
column by copying the whole table into a new one, which drops the triggers that keep its
full-text index current (migration 0002_search). So the model state changes through
``AddField`` and the database through the statements below: on SQLite, ``ALTER TABLE ...
ADD COLUMN`` with a constant default (SQLite cannot drop a column default in place; Django
always writes the column, so the default is never used), then the copy of ``created_at``;
elsewhere Django's own schema editor adds the column as NULL, fills it, then makes it NOT NULL.
Backwards, SQLite drops the column in place (``DROP COLUMN``, SQLite 3.35+).
"""

from django.db import migrations, models

import traction.core.models

# Constant SQL, quoted the standard way (both SQLite and PostgreSQL read it).
FILL = 'UPDATE "insights_insight" SET "updated_at" = "created_at"'
SQLITE_ADD = (
    'ALTER TABLE "insights_insight" ADD COLUMN "updated_at" datetime NOT NULL '
    "DEFAULT '1970-01-01 00:00:00'"
)
SQLITE_DROP = 'ALTER TABLE "insights_insight" DROP COLUMN "updated_at"'


def _nullable() -> models.DateTimeField:
    field = models.DateTimeField(null=True)
    field.set_attributes_from_name("updated_at")
    return field


def _required() -> models.DateTimeField:
    field = models.DateTimeField()
    field.set_attributes_from_name("updated_at")
    return field


def add_updated_at(apps, schema_editor):  # type: ignore[no-untyped-def]
    Insight = apps.get_model("insights", "Insight")
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_ADD)
        schema_editor.execute(FILL)
        return
    schema_editor.add_field(Insight, _nullable())
    schema_editor.execute(FILL)
    schema_editor.alter_field(Insight, _nullable(), _required())


def drop_updated_at(apps, schema_editor):  # type: ignore[no-untyped-def]
    Insight = apps.get_model("insights", "Insight")
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_DROP)
        return
    schema_editor.remove_field(Insight, _required())


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0011_stamps_ask_the_clock"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="insight",
                    name="updated_at",
                    field=traction.core.models.ClockDateTimeField(auto_now=True),
                ),
            ],
            database_operations=[migrations.RunPython(add_updated_at, drop_updated_at)],
        ),
    ]
