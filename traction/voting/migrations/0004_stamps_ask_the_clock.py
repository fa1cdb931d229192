from django.db import migrations, models

import traction.core.clock
import traction.core.models


class Migration(migrations.Migration):
    dependencies = [
        ("voting", "0003_room_totals_hidden"),
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
                    model_name="linkdelivery",
                    name="queued_at",
                    field=models.DateTimeField(default=traction.core.clock.now),
                ),
                migrations.AlterField(
                    model_name="vote",
                    name="updated_at",
                    field=traction.core.models.ClockDateTimeField(auto_now=True),
                ),
                migrations.AlterField(
                    model_name="votinground",
                    name="opened_at",
                    field=models.DateTimeField(default=traction.core.clock.now),
                ),
            ],
            database_operations=[],
        ),
    ]
