"""Who hears what: raisers, voters, followers and participants, and what excludes them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from traction.core import clock
from traction.loop.audience import Candidate, audience
from traction.loop.models import Follow, Unsubscribe
from traction.sessions.models import Invitation
from traction.voting.models import Vote

from . import world as w

NOW = w.NOW  # the shared world fixture (conftest.py) freezes the clock there

pytestmark = pytest.mark.django_db


def by_name(world: w.World, **kw: object) -> dict[str, Candidate]:
    found = audience(world.cast.program.pk, **kw)  # type: ignore[arg-type]
    return {c.contact.name: c for c in found}


def test_raisers_and_voters_with_why_and_since(world: w.World) -> None:
    found = by_name(world, priority_ids=[world.card.pk])
    gina, ian = found["Gina Globex"], found["Ian Initech"]
    assert gina.reasons == ["raiser", "voter"]
    assert ian.reasons == ["voter"]
    assert gina.included
    # Ian never gave consent to be contacted: kept out, and told why.
    assert ian.excluded == "No consent to contact on record"


def test_one_organisation_only(world: w.World) -> None:
    found = by_name(world, priority_ids=[world.card.pk], customer_id=world.cast.customer.pk)
    assert list(found) == ["Gina Globex"]


def test_an_unsubscribe_beats_a_later_vote(world: w.World) -> None:
    cast = world.cast
    Unsubscribe.objects.create(
        workspace=cast.acme, contact=cast.contact, scope="priority", priority=world.card
    )
    with clock.frozen(NOW + timedelta(days=3)):
        Vote.objects.filter(insight=world.card, contact=cast.contact).update(
            dots=5, updated_at=clock.now()
        )
    gina = by_name(world, priority_ids=[world.card.pk])["Gina Globex"]
    assert gina.excluded.startswith("Unsubscribed from these priorities")


def test_a_later_follow_brings_one_priority_back(world: w.World) -> None:
    cast = world.cast
    Unsubscribe.objects.create(
        workspace=cast.acme, contact=cast.contact, scope="priority", priority=world.card, at=NOW
    )
    Follow.objects.create(
        workspace=cast.acme,
        program=cast.program,
        contact=cast.contact,
        priority=world.card,
        since=NOW + timedelta(days=1),
    )
    gina = by_name(world, priority_ids=[world.card.pk])["Gina Globex"]
    assert gina.included
    assert "follower" in gina.reasons


@pytest.mark.parametrize(
    ("scope", "words"),
    [("all", "Unsubscribed from all mail"), ("program", "Unsubscribed from this program")],
)
def test_wider_unsubscribes(world: w.World, scope: str, words: str) -> None:
    cast = world.cast
    Unsubscribe.objects.create(
        workspace=cast.acme,
        contact=cast.contact,
        scope=scope,
        program=cast.program if scope == "program" else None,
    )
    gina = by_name(world, priority_ids=[world.card.pk])["Gina Globex"]
    assert gina.excluded.startswith(words)


def test_unreachable_and_participants(world: w.World) -> None:
    cast = world.cast
    outreach = world.session.outreach_requests.get()
    Invitation.objects.create(
        workspace=cast.acme,
        session=world.session,
        outreach=outreach,
        contact=cast.contact,
        rsvp="accepted",
        responded_at=NOW,
    )
    found = by_name(world, session_id=world.session.pk)
    assert found["Gina Globex"].reasons == ["participant"]
    cast.contact.unreachable_at = NOW
    cast.contact.save(update_fields=["unreachable_at"])
    gina = by_name(world, session_id=world.session.pk)["Gina Globex"]
    assert gina.excluded.startswith("Unreachable since 20 Jan 2027")
