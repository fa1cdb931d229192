"""A cap on length says the same, with the limit and the actual size, wherever it is met: the
web form, the service and the API (``traction.core.text.too_long``)."""

from __future__ import annotations

import json

import pytest

from traction.core.errors import ValidationFailed
from traction.core.testing.cast import Cast
from traction.core.testing.snapshot import built_on
from traction.core.text import too_long
from traction.debrief.services import recommendations as recs
from traction.debrief.tests.room_world import World, build_world
from traction.voting.tests.test_voting import api_client, web

pytestmark = pytest.mark.django_db

LONG = "x" * (recs.LONG_TEXT_MAX + 213)
SAID = "Keep it to 5,000 characters or fewer (this has 5,213)."


@pytest.fixture
def world(cast: Cast) -> World:
    return built_on(cast, build_world)


def test_the_wording_says_the_limit_and_the_size() -> None:
    assert too_long(recs.LONG_TEXT_MAX, len(LONG)) == SAID
    assert too_long(100, 101, "items") == "Keep it to 100 items or fewer (this has 101)."


def test_a_long_rationale_is_refused_in_one_wording_by_form_service_and_api(
    cast: Cast, world: World
) -> None:
    d = world.debrief
    mot = world.card("mot").pk
    page = web(cast, "core_team").post(
        f"/w/{cast.acme.slug}/debriefs/{d.pk}/recommendations/new/",
        {"title": "Long", "evidence": [mot], "rationale": LONG, "kind": "tactical"},
    )
    assert page.status_code == 200
    assert page.context["form"].errors["rationale"] == [SAID]

    with pytest.raises(ValidationFailed) as refused:
        recs.draft_recommendation(
            cast.viewer("core_team"), d, title="Long", evidence=[mot], rationale=LONG
        )
    assert refused.value.errors["rationale"] == [SAID]

    answer = api_client(cast, "core_team").post(
        f"/api/v1/debriefs/{d.pk}/recommendations",
        json.dumps({"title": "Long", "evidence": [mot], "rationale": LONG}),
        content_type="application/json",
    )
    assert answer.status_code == 422
    assert [(e["loc"], e["msg"]) for e in answer.json()["detail"]] == [
        (["body", "rationale"], SAID)
    ]


def test_too_much_evidence_is_refused_in_one_wording_by_service_and_api(
    cast: Cast, world: World
) -> None:
    ids = list(range(1, recs.EVIDENCE_MAX + 2))
    said = too_long(recs.EVIDENCE_MAX, len(ids), "items")
    with pytest.raises(ValidationFailed) as refused:
        recs.draft_recommendation(
            cast.viewer("core_team"), world.debrief, title="Many", evidence=ids
        )
    assert refused.value.errors["evidence"] == [said]
    answer = api_client(cast, "core_team").post(
        f"/api/v1/debriefs/{world.debrief.pk}/recommendations",
        json.dumps({"title": "Many", "evidence": ids}),
        content_type="application/json",
    )
    assert [(e["loc"], e["msg"]) for e in answer.json()["detail"]] == [(["body", "evidence"], said)]
