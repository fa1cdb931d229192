"""loop 0008: follows made before following needed a card the contact could see
(``mail_rules.seen_by``) are ended, never deleted, with the reason in the contact's audit
trail; they leave the priority's mail audience. Follows of cards the contact saw stay."""

from __future__ import annotations

from datetime import timedelta

import pytest

from traction.core.models import AuditEvent
from traction.core.testing.cast import build_cast
from traction.core.testing.migrations import back_to_latest, migrate
from traction.insights.models import Insight
from traction.loop import audience
from traction.loop.models import Follow, RecipientReason
from traction.sessions.models import Session

from . import world as w

BEFORE = [("loop", "0007_bounce_signatures_and_event_ids")]
AFTER = [("loop", "0008_end_follows_of_unseen_cards")]


def _followers(card: Insight) -> set[int]:
    return {
        contact
        for contact, whys in audience.subscribers([card.pk]).items()
        if any(why.reason == RecipientReason.FOLLOWER for why in whys)
    }


@pytest.mark.sqlite_only_migration
@pytest.mark.django_db(transaction=True)
def test_follows_of_cards_the_contact_never_saw_are_ended_with_a_reason() -> None:
    cast = build_cast()
    world = w.build(cast)
    assert cast.contact is not None
    assert cast.other_contact is not None
    gina, ian = cast.contact, cast.other_contact
    # Another session of the program Gina never took part in: Ian's card there.
    elsewhere = Session.objects.create(
        workspace=cast.acme,
        program=cast.program,
        title="Initech only",
        starts_at=w.ENDED - timedelta(days=7, hours=3),
        ends_at=w.ENDED - timedelta(days=7),
        time_zone="Europe/Berlin",
        created_by=cast.users["facilitator"],
    )
    unseen = Insight.objects.create(
        workspace=cast.acme,
        program=cast.program,
        session=elsewhere,
        kind="idea",
        text="Approve invoices in bulk",
        speaker_contact=ian,
        speaker_name=ian.name,
        customer=cast.other_customer,
    )
    try:
        migrate(BEFORE)
        # Made before the rule (a member added them for Gina): one card she saw (Ian's idea
        # in the session she voted in), one she never saw.
        kept = Follow.objects.create(
            workspace=cast.acme, program=cast.program, contact=gina, priority=world.quiet,
            why="Asked in the session",
        )  # fmt: skip
        legacy = Follow.objects.create(
            workspace=cast.acme, program=cast.program, contact=gina, priority=unseen,
            why="Asked by phone",
        )  # fmt: skip
        assert gina.pk in _followers(unseen)
        migrate(AFTER)
        legacy.refresh_from_db()
        kept.refresh_from_db()
        assert legacy.ended_at is not None  # ended, still there with who, why and since
        assert legacy.why == "Asked by phone"
        assert kept.ended_at is None
        assert gina.pk not in _followers(unseen)
        assert gina.pk in _followers(world.quiet)
        [event] = AuditEvent.objects.filter(action="loop.unfollowed", object_id=str(gina.pk))
        assert event.object_type == "customers.contact"
        assert event.changes["priority"] == unseen.pk
        assert event.changes["follow"] == legacy.pk
        assert "never saw this card" in event.reason
        assert event.via == "system"
        # Reversed: the follow comes back; the trail keeps what happened.
        migrate(BEFORE)
        legacy.refresh_from_db()
        assert legacy.ended_at is None
        assert AuditEvent.objects.filter(action="loop.unfollowed").count() == 1
    finally:
        back_to_latest()
