from django.db import migrations, models

import traction.core.clock
import traction.core.models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0008_workspace_time_zone_and_logo"),
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
                    model_name="apitoken",
                    name="created_at",
                    field=traction.core.models.ClockDateTimeField(auto_now_add=True),
                ),
                migrations.AlterField(
                    model_name="failedlogin",
                    name="at",
                    field=models.DateTimeField(db_index=True, default=traction.core.clock.now),
                ),
                migrations.AlterField(
                    model_name="memberinvitation",
                    name="created_at",
                    field=traction.core.models.ClockDateTimeField(auto_now_add=True),
                ),
                migrations.AlterField(
                    model_name="membership",
                    name="created_at",
                    field=traction.core.models.ClockDateTimeField(auto_now_add=True),
                ),
                migrations.AlterField(
                    model_name="notice",
                    name="created_at",
                    field=models.DateTimeField(default=traction.core.clock.now),
                ),
                migrations.AlterField(
                    model_name="user",
                    name="date_joined",
                    field=models.DateTimeField(default=traction.core.clock.now),
                ),
                migrations.AlterField(
                    model_name="workspace",
                    name="created_at",
                    field=traction.core.models.ClockDateTimeField(auto_now_add=True),
                ),
            ],
            database_operations=[],
        ),
    ]
