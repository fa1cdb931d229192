"""Follows made before following needed a card the contact could see (``mail_rules.seen_by``)
still put the contact in that priority's mail audience. Such a follow is ended (never
deleted: the row keeps who asked for it, why and since when) and the end is audited on the
contact as ``loop.unfollowed`` with the reason, as an unfollow is. The test of what a
contact could see is ``seen_by`` as it stands now, written against the migration's models.
Reversing it brings the ended follows back (the audit events stay: the trail is
append-only)."""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.db.models import Q

REASON = (
    "Followed before a contact could follow only a card they could see; they never saw this "
    "card, so the follow no longer puts them in its mail audience."
)
ACTION = "loop.unfollowed"


def _seen_by(apps: Any, contact_id: int) -> Q:
    """``traction.loop.mail_rules.seen_by`` over the migration's models (``Vote.objects``
    there: the votes not withdrawn)."""
    Contact = apps.get_model("customers", "Contact")
    Insight = apps.get_model("insights", "Insight")
    Invitation = apps.get_model("cosessions", "Invitation")
    Vote = apps.get_model("voting", "Vote")
    mine = Contact.objects.filter(pk=contact_id).values("customer_id")
    colleagues = Contact.objects.filter(customer_id__in=mine).values("pk")
    merged_from_us = Insight.objects.filter(
        speaker_contact_id__in=colleagues, internal=False, merged_into__isnull=False
    ).values("merged_into_id")
    voted = Vote._default_manager.filter(
        contact_id=contact_id, dots__gt=0, withdrawn_at__isnull=True
    )
    took_part = (
        Q(session_id__in=Invitation.objects.filter(contact_id=contact_id, rsvp="accepted").values(
            "session_id"))
        | Q(session_id__in=Insight.objects.filter(speaker_contact_id=contact_id).values(
            "session_id"))
        | Q(session_id__in=voted.values("session_id"))
    )  # fmt: skip
    return Q(internal=False) & (
        Q(speaker_contact_id__in=colleagues)
        | Q(pk__in=merged_from_us)
        | Q(pk__in=voted.values("insight_id"))
        | took_part
    )


def end_unseen(apps: Any, schema_editor: Any) -> None:
    from traction.core import clock

    Follow = apps.get_model("loop", "Follow")
    Insight = apps.get_model("insights", "Insight")
    AuditEvent = apps.get_model("core", "AuditEvent")
    now = clock.now()
    for follow in Follow.objects.filter(ended_at__isnull=True).order_by("pk").iterator():
        seen = (
            Insight.objects.filter(pk=follow.priority_id)
            .filter(_seen_by(apps, follow.contact_id))
            .exists()
        )
        if seen:
            continue
        Follow.objects.filter(pk=follow.pk).update(ended_at=now)
        AuditEvent.objects.create(
            workspace_id=follow.workspace_id,
            actor_id=None,
            actor_label="system",
            via="system",
            action=ACTION,
            object_type="customers.contact",
            object_id=str(follow.contact_id),
            object_repr=f"contact #{follow.contact_id}",
            changes={
                "priority": follow.priority_id,
                "follow": follow.pk,
                "since": follow.since.isoformat(),
                "migration": "loop.0008_end_follows_of_unseen_cards",
            },
            reason=REASON,
        )


def restore(apps: Any, schema_editor: Any) -> None:
    """Bring back the follows this migration ended (those its audit events name)."""
    Follow = apps.get_model("loop", "Follow")
    AuditEvent = apps.get_model("core", "AuditEvent")
    ended = AuditEvent.objects.filter(action=ACTION, reason=REASON).values_list(
        "changes", flat=True
    )
    ids = [c["follow"] for c in ended if isinstance(c, dict) and "follow" in c]
    for follow in Follow.objects.filter(pk__in=ids, ended_at__isnull=False):
        # Unless the contact follows the card again since (one live follow per card).
        if not Follow.objects.filter(
            contact_id=follow.contact_id, priority_id=follow.priority_id, ended_at__isnull=True
        ).exists():
            Follow.objects.filter(pk=follow.pk).update(ended_at=None)


class Migration(migrations.Migration):
    dependencies = [
        ("loop", "0007_bounce_signatures_and_event_ids"),
        ("core", "0002_stamps_ask_the_clock"),
        ("customers", "0005_contact_unreachable"),
        ("insights", "0015_insights_on_behalf_withdrawable"),
        ("cosessions", "0010_session_hear_back_by"),
        ("voting", "0005_votes_on_behalf_withdrawable"),
    ]

    operations = [migrations.RunPython(end_unseen, restore)]
