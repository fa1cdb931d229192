"""Insights entered on a contact's behalf (source ``behalf``, ``behalf_reason``) and
withdrawn (status ``withdrawn``, ``withdrawn_at``, ``withdrawn_by``, ``withdraw_reason``).

On SQLite, adding these columns makes Django copy ``insights_insight`` into a new table (and
removing them, backwards, again), which drops the triggers and the index of the full-text
search (migration 0002_search). The statements of 0002 put them back (all ``IF NOT EXISTS``,
then a rebuild of the index) after the columns are added, and after they are removed when
going backwards, so the index survives even where ``migrate``'s own repair does not run.
"""

import importlib

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def restore_search_index(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "sqlite":
        return
    search = importlib.import_module("traction.insights.migrations.0002_search")
    for sql in search.SQLITE_FORWARD:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0014_portal_source"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, restore_search_index),
        migrations.AddField(
            model_name="insight",
            name="behalf_reason",
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.AddField(
            model_name="insight",
            name="withdraw_reason",
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.AddField(
            model_name="insight",
            name="withdrawn_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="insight",
            name="withdrawn_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="insight",
            name="source",
            field=models.CharField(
                choices=[
                    ("live", "Captured live"),
                    ("import", "Imported"),
                    ("api", "Added through the API"),
                    ("portal", "From the customer portal"),
                    ("behalf", "Entered on the contact's behalf"),
                ],
                default="live",
                max_length=8,
            ),
        ),
        migrations.AlterField(
            model_name="insight",
            name="status",
            field=models.CharField(
                choices=[
                    ("candidate", "Waiting for review"),
                    ("accepted", "Accepted"),
                    ("discarded", "Discarded"),
                    ("merged", "Merged into another"),
                    ("withdrawn", "Withdrawn"),
                ],
                default="accepted",
                max_length=10,
            ),
        ),
        migrations.RunPython(restore_search_index, migrations.RunPython.noop),
    ]
