from django.db import migrations

import traction.core.models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
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
                    model_name="auditevent",
                    name="at",
                    field=traction.core.models.ClockDateTimeField(auto_now_add=True, db_index=True),
                ),
            ],
            database_operations=[],
        ),
    ]
