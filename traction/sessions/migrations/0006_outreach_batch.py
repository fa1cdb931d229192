"""Outreach requests asked together share a ``batch``: each account owner gets one email and
one notice for their part of it. Every request made before stood alone, so each gets a batch
of its own (a callable default gives every existing row the same value, hence the backfill).
"""

import uuid

from django.db import migrations, models


def one_batch_each(apps, schema_editor):  # type: ignore[no-untyped-def]
    OutreachRequest = apps.get_model("cosessions", "OutreachRequest")
    for pk in OutreachRequest.objects.values_list("pk", flat=True).iterator():
        OutreachRequest.objects.filter(pk=pk).update(batch=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [
        ("cosessions", "0005_rsvp_answers_and_calendars"),
    ]

    operations = [
        migrations.AddField(
            model_name="outreachrequest",
            name="batch",
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.RunPython(one_batch_each, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="outreachrequest",
            name="batch",
            field=models.UUIDField(db_index=True, default=uuid.uuid4, editable=False),
        ),
    ]
