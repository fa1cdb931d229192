"""The audit trail and the content types name voting's models by their new app.

Audit events record their object as ``app_label.model`` (``insights.votinground``). After the
move, new events say ``voting.votinground``; the earlier ones are relabelled here, so a round's
history reads under one name (the audit log filters by it). Only the label changes: who did
what, when and why stays as recorded. The content types of the five models are renamed the
same way when Django created them under insights (a fresh database has none yet).
"""

from typing import Any

from django.db import migrations

MODELS = ("votinground", "vote", "frozencard", "frozenvote", "linkdelivery")


def _relabel(apps: Any, schema_editor: Any, old: str, new: str) -> None:
    using = schema_editor.connection.alias
    AuditEvent = apps.get_model("core", "AuditEvent")
    for model in MODELS:
        AuditEvent.objects.using(using).filter(object_type=f"{old}.{model}").update(
            object_type=f"{new}.{model}"
        )
    ContentType = apps.get_model("contenttypes", "ContentType")
    taken = set(
        ContentType.objects.using(using)
        .filter(app_label=new, model__in=MODELS)
        .values_list("model", flat=True)
    )
    ContentType.objects.using(using).filter(app_label=old, model__in=MODELS).exclude(
        model__in=taken
    ).update(app_label=new)


def forwards(apps: Any, schema_editor: Any) -> None:
    _relabel(apps, schema_editor, "insights", "voting")


def backwards(apps: Any, schema_editor: Any) -> None:
    _relabel(apps, schema_editor, "voting", "insights")


class Migration(migrations.Migration):
    dependencies = [
        ("voting", "0001_initial"),
        ("insights", "0009_voting_moves_to_its_app"),
        ("core", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
