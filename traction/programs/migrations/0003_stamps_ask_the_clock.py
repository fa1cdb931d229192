from django.db import migrations

import traction.core.models


class Migration(migrations.Migration):
    dependencies = [
        ("programs", "0002_history_kept"),
    ]

    # State only. The columns do not change: ClockDateTimeField is a DateTimeField that asks
    # traction.core.clock for its auto_now/auto_now_add stamps, and a default (clock.now) lives
    # in Python, not in the database. Run as a database operation, an AlterField would make
    # Django's SQLite schema editor remake each table (copy, drop, rename), which also drops
    # the triggers that keep the full-text index of insights_insight current.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="program",
                    name="created_at",
                    field=traction.core.models.ClockDateTimeField(auto_now_add=True),
                ),
                migrations.AlterField(
                    model_name="program",
                    name="updated_at",
                    field=traction.core.models.ClockDateTimeField(auto_now=True),
                ),
                migrations.AlterField(
                    model_name="programmember",
                    name="added_at",
                    field=traction.core.models.ClockDateTimeField(auto_now_add=True),
                ),
            ],
            database_operations=[],
        ),
    ]
