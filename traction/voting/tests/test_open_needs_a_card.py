"""Voting opens only when there is something to vote on: with no card customers could vote on,
opening is refused (service, page beside the form, API 422) and no round is written; one
accepted card from a customer is enough."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from traction.core.errors import ValidationFailed
from traction.core.models import AuditEvent
from traction.core.testing.cast import Cast
from traction.core.testing.snapshot import built_on
from traction.insights.tests.conftest import Room, a_card, build_room
from traction.voting import services as voting
from traction.voting.models import VotingRound
from traction.voting.services.rounds import NOTHING_TO_VOTE_ON

pytestmark = pytest.mark.django_db


@pytest.fixture
def room(cast: Cast) -> Room:
    return built_on(cast, build_room)


def test_the_service_refuses_a_round_with_nothing_to_vote_on(room: Room) -> None:
    fran = room.cast.viewer("facilitator")
    with pytest.raises(ValidationFailed) as caught:
        voting.open_voting(fran, session=room.session)
    assert caught.value.errors == {"__all__": [NOTHING_TO_VOTE_ON]}
    assert not VotingRound.objects.exists()
    assert not AuditEvent.objects.filter(action="voting.opened").exists()
    a_card(room)
    assert voting.open_voting(fran, session=room.session).is_open


def test_the_page_says_why_beside_the_form(room: Room, client_for: Callable[[str], Client]) -> None:
    client = client_for("facilitator")
    url = reverse("voting:open", args=[room.cast.acme.slug, room.session.pk])
    refused = client.post(url, {"budget": "3"})
    assert refused.status_code == 200  # the voting page again, as for its other refusals
    page = refused.content.decode()
    form = page.split('id="open-title"')[1].split("</form>")[0]
    assert re.search(r"nothing to vote on yet", form)
    assert not VotingRound.objects.exists()


def test_the_api_answers_422(room: Room, api_client_for: Callable[[str], Client]) -> None:
    api = api_client_for("facilitator")
    path = f"/api/v1/sessions/{room.session.pk}/voting/open"
    refused = api.post(path, {"budget": 3}, content_type="application/json")
    assert refused.status_code == 422
    assert "nothing to vote on yet" in refused.content.decode()
    assert not VotingRound.objects.exists()
    a_card(room)
    assert api.post(path, {"budget": 3}, content_type="application/json").status_code == 200
