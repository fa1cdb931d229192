"""Evidence that cannot be rewritten: history is protected from deletes, a closed round is
frozen, cancelling and declining close or clear what they must, merges keep every
contributor, unattributed notes are not customer input, and every read is scoped."""

from __future__ import annotations

import pytest
from django.db.models import ProtectedError

from traction.core.errors import ValidationFailed
from traction.core.models import AuditEvent
from traction.core.testing.cast import Cast
from traction.customers.models import Contact
from traction.insights import services, voting
from traction.insights.models import Insight, Vote
from traction.insights.tests.test_voting import Room, add, build_room
from traction.sessions.models import Session

pytestmark = pytest.mark.django_db


@pytest.fixture
def vroom(cast: Cast) -> Room:
    return build_room(cast)


@pytest.fixture
def opened(cast: Cast, vroom: Room) -> Room:
    voting.open_voting(cast.viewer("facilitator"), session=vroom.session)
    return vroom


# --- 1. protect, never cascade --------------------------------------------------------------------


def test_deleting_a_session_or_a_voter_never_takes_the_evidence_with_it(
    cast: Cast, opened: Room
) -> None:
    add(cast, opened, opened.gina, "mot", 2)
    with pytest.raises(ProtectedError):
        Session.objects.filter(pk=opened.session.pk).delete()
    with pytest.raises(ProtectedError):
        Contact.objects.filter(pk=opened.gina.pk).delete()
    with pytest.raises(ProtectedError):
        Insight.objects.filter(pk=opened.cards["mot"].pk).delete()
    assert Vote.objects.get(contact=opened.gina).dots == 2
    assert Insight.objects.filter(session=opened.session).count() == 7


def test_a_capture_mistake_is_removed_but_a_merged_card_is_kept(cast: Cast, opened: Room) -> None:
    fran = cast.viewer("facilitator")
    typo = services.capture_insight(
        fran, session=opened.session, kind="issue", text="Typo", speaker=f"c:{opened.gina.pk}"
    )
    services.remove_insight(fran, insight=typo, reason="typed twice")
    assert not Insight.objects.filter(pk=typo.pk).exists()
    services.merge_insights(fran, into=opened.cards["issue"], others=[opened.cards["issue2"].pk])
    for card in ("issue", "issue2"):
        with pytest.raises(ValidationFailed) as exc:
            services.remove_insight(fran, insight=Insight.objects.get(pk=opened.cards[card].pk))
        assert "cannot be removed" in exc.value.errors["__all__"][0]
    kept = [opened.cards["issue"].pk, opened.cards["issue2"].pk]
    assert Insight.objects.filter(pk__in=kept).count() == 2
    assert AuditEvent.objects.filter(action="insight.removed").count() == 1


def test_removing_a_scenario_detaches_its_cards_and_says_how_many(cast: Cast, opened: Room) -> None:
    fran = cast.viewer("facilitator")
    scenario = opened.cards["mot"].scenario
    assert scenario is not None
    services.remove_scenario(fran, scenario=scenario)
    assert Insight.objects.filter(session=opened.session, scenario__isnull=True).count() == 7
    event = AuditEvent.objects.get(action="scenario.removed")
    assert event.changes["insights_detached"] == 6
