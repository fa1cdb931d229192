"""A recommendation not decided yet says who decides it to whoever may not: the program's
policy makers by name when few (the executive sponsor first), else how many, and that a
workspace admin may too. A policy maker gets the decision's buttons instead. Read in the
room's own query for the debrief: the page costs the same queries however many decide."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from traction.core import clock
from traction.core.testing.cast import Cast
from traction.core.testing.snapshot import built_on
from traction.debrief.services import recommendations as recs
from traction.debrief.tests.room_world import World, build_world
from traction.programs import services as programs
from traction.programs.models import PolicyMaker
from traction.voting.tests.test_voting import web

pytestmark = pytest.mark.django_db
WHO = "<strong>Who decides:</strong> "
ADMINS = "; a workspace admin may too."


@pytest.fixture
def world(cast: Cast) -> World:
    return built_on(cast, build_world)


def _page(client: Client, cast: Cast, world: World) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/w/{cast.acme.slug}/debriefs/{world.debrief.pk}/")
    assert response.status_code == 200
    return response.content.decode(), len(captured.captured_queries)


def test_who_decides_is_said_beside_a_recommendation_not_decided_yet(
    cast: Cast, world: World
) -> None:
    assert cast.program is not None
    rec = recs.draft_recommendation(
        cast.viewer("core_team"), world.debrief, title="Invoice on day one",
        evidence=[world.card("mot").pk],
    )  # fmt: skip
    fran = web(cast, "facilitator")
    page, alone = _page(fran, cast, world)
    said = "The program’s policy maker decides it: Sam Sponsor (executive sponsor)" + ADMINS
    assert f'id="who-decides-{rec.pk}"' in page
    assert WHO + said in page

    for who in ("core_team", "account_owner"):
        programs.add_policy_maker(
            cast.viewer("admin"), program=cast.program, user_id=cast.users[who].pk
        )
    page, named = _page(fran, cast, world)
    assert (
        WHO + "The program’s policy makers decide it: Sam Sponsor (executive sponsor), Cora Core "
        "and Owen Owner" + ADMINS
    ) in page
    assert named == alone

    # The sponsor decides: the buttons, not the hint.
    sam, _ = _page(web(cast, "sponsor"), cast, world)
    assert "Who decides:" not in sam
    assert f'{rec.pk}/decide/?outcome=approved">Approve' in sam

    # More than three: counted, not named; one who left the role no longer counts.
    programs.add_policy_maker(
        cast.viewer("admin"), program=cast.program, user_id=cast.users["observer"].pk
    )
    page, counted = _page(fran, cast, world)
    assert (
        WHO + "The program’s 4 policy makers decide it (its executive sponsor among them)" + ADMINS
    ) in page
    assert counted == alone
    PolicyMaker.objects.filter(user=cast.users["observer"]).update(left_at=clock.now())
    page, _ = _page(fran, cast, world)
    assert "Sam Sponsor (executive sponsor), Cora Core and Owen Owner" + ADMINS in page

    # Decided: nobody is told who decides any more.
    recs.decide(cast.viewer("sponsor"), rec, "approved", "Yes")
    page, _ = _page(fran, cast, world)
    assert "Who decides:" not in page
