"""A decider's home says what waits for their decision: the recommendations not decided yet
in the debriefs of programs they decide in (the sponsor, a named policy maker; admins), with a
link into the room. Drafters and others are not told; a decided or withdrawn one stops
counting."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from traction.core import clock
from traction.core.testing.cast import Cast
from traction.debrief.models import Attendee, Debrief, DebriefStatus, Recommendation

from .actions_world import approve, make_debrief, recommendation

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
STEP = "recommendation{} in the debrief of “Onboarding co-design” wait{} for your decision"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen() -> Iterator[clock.FrozenClock]:
    with clock.frozen(NOW) as f:
        yield f


def test_the_home_tells_the_decider_what_waits_for_their_decision(
    cast: Cast, client_for: Callable[[str], Client]
) -> None:
    home = reverse("accounts:workspace_home", args=[cast.acme.slug])
    debrief = make_debrief(cast, ends_at=NOW - timedelta(hours=5))
    first = recommendation(cast, debrief, title="One-page approval")
    second = recommendation(cast, debrief, title="Approve from the phone")

    sponsor = client_for("sponsor").get(home).content.decode()
    assert "2 " + STEP.format("s", "") in sponsor
    # The notices box does not claim that nothing waits (it speaks of notices only).
    assert "Nothing waits for you" not in sponsor
    assert "No open notices." in sponsor
    room = reverse("debrief:room", args=[cast.acme.slug, debrief.pk])
    assert f'href="{room}#recommendations">Decide</a>' in sponsor
    # The drafter (core team) and the facilitator do not decide: nothing asks them to.
    for role in ("core_team", "facilitator", "observer"):
        assert "for your decision</strong>" not in client_for(role).get(home).content.decode(), role

    approve(cast, first)
    assert "1 " + STEP.format("", "s") in client_for("sponsor").get(home).content.decode()
    Recommendation.objects.filter(pk=second.pk).update(archived_at=NOW)  # draft withdrawn
    assert "for your decision</strong>" not in client_for("sponsor").get(home).content.decode()


def test_the_home_asks_an_invitee_to_answer_the_debrief_invitation(
    cast: Cast, client_for: Callable[[str], Client]
) -> None:
    """An invitee who has not answered a debrief still ahead is asked to, with a link to
    answer (a policy maker's acceptance is part of the session's readiness); once answered,
    or once the room opened, the step is gone, and nobody not invited is asked."""
    home = reverse("accounts:workspace_home", args=[cast.acme.slug])
    debrief = make_debrief(cast, ends_at=NOW + timedelta(days=2))
    Attendee.objects.update_or_create(
        debrief=debrief,
        user=cast.users["sponsor"],
        defaults={"is_policy_maker": True, "response": ""},
    )
    Attendee.objects.filter(debrief=debrief).exclude(user=cast.users["sponsor"]).delete()
    Debrief.objects.filter(pk=debrief.pk).update(status=DebriefStatus.BOOKED, opened_at=None)
    step = "Answer the invitation to the debrief of “Onboarding co-design”"
    sponsor = client_for("sponsor").get(home).content.decode()
    assert step in sponsor
    respond = reverse("debrief:respond", args=[cast.acme.slug, debrief.pk])
    assert f'href="{respond}">Answer<span class="visually-hidden"> {step[7:]}</span></a>' in sponsor
    assert step not in client_for("core_team").get(home).content.decode()  # not invited
    Attendee.objects.filter(debrief=debrief).update(response="accepted")
    assert step not in client_for("sponsor").get(home).content.decode()
    Attendee.objects.filter(debrief=debrief).update(response="")
    Debrief.objects.filter(pk=debrief.pk).update(status=DebriefStatus.OPEN, opened_at=NOW)
    assert step not in client_for("sponsor").get(home).content.decode()
