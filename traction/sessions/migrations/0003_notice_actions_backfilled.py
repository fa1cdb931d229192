"""Notices sent before notices could resolve themselves (accounts 0004) get the action they
ask for, read from their link, and are resolved when it is already done: an approval that
was decided or moved to another owner, a briefing that was acknowledged."""

import re

from django.db import migrations
from django.utils import timezone

OUTREACH = re.compile(r"/sessions/outreach/(\d+)/$")
BRIEFING = re.compile(r"/sessions/(\d+)/briefing/$")


def backfill(apps, schema_editor):
    Notice = apps.get_model("accounts", "Notice")
    OutreachRequest = apps.get_model("cosessions", "OutreachRequest")
    Participant = apps.get_model("cosessions", "Participant")
    now = timezone.now()
    for notice in Notice.objects.filter(action="").exclude(link="").iterator():
        action, done = "", False
        if notice.text.startswith("Approval needed") and (m := OUTREACH.search(notice.link)):
            request = OutreachRequest.objects.filter(pk=int(m.group(1))).first()
            if request is not None:
                action = f"outreach.decide:{request.pk}"
                done = request.status != "pending" or request.account_owner_id != notice.user_id
        elif "read your briefing" in notice.text and (m := BRIEFING.search(notice.link)):
            participant = Participant.objects.filter(
                session_id=int(m.group(1)), user_id=notice.user_id
            ).first()
            if participant is not None:
                action = f"briefing.read:{participant.pk}"
                done = participant.briefing_acknowledged_at is not None
        if action:
            notice.action = action
            notice.resolved_at = now if done else None
            notice.save(update_fields=["action", "resolved_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("cosessions", "0002_history_kept"),
        ("accounts", "0004_notice_action_resolved"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
