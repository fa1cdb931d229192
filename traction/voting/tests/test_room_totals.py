"""The room's running totals: hidden until the facilitator reveals them, stored on the round
(every screen reads the same), refused to whoever may not run the voting, audited once per
change."""

from __future__ import annotations

import pytest
from django.test import Client

from traction.core.errors import PermissionDenied, ValidationFailed
from traction.core.models import AuditEvent
from traction.core.testing.cast import Cast
from traction.core.testing.snapshot import built_on
from traction.insights.tests.conftest import Room, a_card, build_room
from traction.voting import services as voting
from traction.voting.models import VotingRound

pytestmark = pytest.mark.django_db


@pytest.fixture
def room(cast: Cast) -> Room:
    return built_on(cast, build_room)


def test_hiding_and_revealing_is_stored_and_audited_once_per_change(room: Room) -> None:
    fran = room.cast.viewer("facilitator")
    a_card(room)
    voting.open_voting(fran, session=room.session)
    voting.show_totals(fran, session=room.session, shown=False)
    voting.show_totals(fran, session=room.session, shown=False)  # a repeat changes nothing
    assert VotingRound.objects.get(session=room.session).totals_hidden is True
    voting.show_totals(fran, session=room.session, shown=True)
    assert VotingRound.objects.get(session=room.session).totals_hidden is False
    actions = list(
        AuditEvent.objects.filter(action__startswith="voting.totals_")
        .order_by("id")
        .values_list("action", "changes")
    )
    assert actions == [
        ("voting.totals_hidden", {"totals_hidden": [False, True]}),
        ("voting.totals_revealed", {"totals_hidden": [True, False]}),
    ]


def test_only_who_runs_the_voting_reveals(room: Room) -> None:
    fran = room.cast.viewer("facilitator")
    a_card(room)
    voting.open_voting(fran, session=room.session)
    voting.show_totals(fran, session=room.session, shown=False)
    for role in ("core_team", "sponsor", "account_owner", "observer"):
        with pytest.raises(PermissionDenied):
            voting.show_totals(room.cast.viewer(role), session=room.session, shown=True)
    assert VotingRound.objects.get(session=room.session).totals_hidden is True


def test_no_round_no_reveal(room: Room) -> None:
    with pytest.raises(ValidationFailed):
        voting.show_totals(room.cast.viewer("facilitator"), session=room.session, shown=False)


def test_the_room_page_hides_the_totals_for_every_screen(room: Room, client: Client) -> None:
    fran = room.cast.viewer("facilitator")
    a_card(room)
    voting.open_voting(fran, session=room.session)
    client.force_login(room.cast.users["admin"])
    url = f"/w/acme/insights/sessions/{room.session.pk}/voting/room/"
    response = client.post(url + "totals/", {"totals": "hide", "present": "1"})
    assert response.status_code == 302
    assert response["Location"] == url + "?present=1"
    page = client.get(url).content.decode()
    assert "Running totals are hidden" in page
    assert "Reveal the totals" in page
    client.post(url + "totals/", {"totals": "show"})
    assert "Running totals are hidden" not in client.get(url).content.decode()
