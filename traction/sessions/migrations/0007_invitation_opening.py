"""Sessions get their own invitation opening; the agenda item the templates called "Top
questions from internal participants" (which customers read in their invitation and
calendar) becomes "Questions from our team" where it still has the template's words."""

from django.db import migrations, models

OLD = "Top questions from internal participants"
NEW = "Questions from our team"


def rename(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("cosessions", "AgendaItem").objects.filter(title=OLD).update(title=NEW)


def rename_back(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("cosessions", "AgendaItem").objects.filter(title=NEW).update(title=OLD)


class Migration(migrations.Migration):
    dependencies = [
        ("cosessions", "0006_outreach_batch"),
    ]

    operations = [
        migrations.AddField(
            model_name="session",
            name="invitation_opening",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.RunPython(rename, rename_back),
    ]
