"""The "read your briefing" notices of sessions already held are resolved, as marking a
session held now does: after the session there is nothing left to read for it."""

from django.db import migrations
from django.utils import timezone


def resolve(apps, schema_editor):
    Notice = apps.get_model("accounts", "Notice")
    Participant = apps.get_model("cosessions", "Participant")
    held = Participant.objects.filter(session__held_at__isnull=False).values_list("pk", flat=True)
    actions = [f"briefing.read:{pk}" for pk in held.iterator()]
    for start in range(0, len(actions), 500):
        Notice.objects.filter(
            action__in=actions[start : start + 500], resolved_at__isnull=True
        ).update(resolved_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [
        ("cosessions", "0010_session_hear_back_by"),
        ("accounts", "0004_notice_action_resolved"),
    ]

    operations = [migrations.RunPython(resolve, migrations.RunPython.noop)]
