"""Frozen cards keep the id of the step they were on (the API's ``step_id``), beside its
title. Rows frozen before this carry the step their card is on now: the closest record."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def backfill(apps, schema_editor):
    FrozenCard = apps.get_model("insights", "FrozenCard")
    Insight = apps.get_model("insights", "Insight")
    FrozenCard.objects.update(
        step_id=Subquery(Insight.objects.filter(pk=OuterRef("insight_id")).values("step_id")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0005_freeze_closed_rounds"),
    ]

    operations = [
        migrations.AddField(
            model_name="frozencard",
            name="step",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="insights.step",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
