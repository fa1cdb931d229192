"""A session's scenarios have distinct team names (without regard to case): a second "Team
Blue" (a double click on "Create scenario", a second tab) is refused beside the name, in the
form, the service and the API, and nothing is created; renaming onto a taken name is refused
too, while keeping one's own name (or changing only its case) is not."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from traction.core.errors import ValidationFailed
from traction.insights.models import Scenario
from traction.insights.services import scenarios
from traction.insights.tests.conftest import Room
from traction.insights.tests.test_api_maps import fields, send

pytestmark = pytest.mark.django_db

TAKEN = (
    "This session already has a scenario named “{}”: choose another name, or open that one "
    "from the map."
)


def test_a_second_team_of_the_same_name_is_refused_beside_the_name(
    room: Room, client_for: Callable[[str], Client], api_client_for: Callable[[str], Client]
) -> None:
    assert room.scenario.title == "Team Blue"
    before = Scenario.objects.count()
    new = f"/w/{room.cast.acme.slug}/insights/sessions/{room.session.pk}/scenarios/new/"
    page = client_for("facilitator").post(new, {"title": "team blue ", "steps": "Sign"})
    assert page.context["form"].errors["title"] == [TAKEN.format("team blue")]
    assert "choose another name" in page.content.decode()
    # The form has a way back to the map without saving, beside its button.
    board = f"/w/{room.cast.acme.slug}/insights/sessions/{room.session.pk}/map/"
    assert f'<a href="{board}">Cancel</a>' in page.content.decode()
    assert Scenario.objects.count() == before

    api = send(
        api_client_for("facilitator"),
        "POST",
        f"/sessions/{room.session.pk}/scenarios",
        {"title": "Team Blue"},
    )
    assert api.status_code == 422
    assert fields(api) == ["title"]
    assert Scenario.objects.count() == before

    # Another name is fine.
    made = client_for("facilitator").post(new, {"title": "Team Red"})
    assert made.status_code == 302
    assert Scenario.objects.count() == before + 1


def test_renaming_onto_a_taken_name_is_refused_but_a_case_change_is_not(room: Room) -> None:
    fran = room.cast.viewer("facilitator")
    red = scenarios.create_scenario(fran, session=room.session, title="Team Red")
    with pytest.raises(ValidationFailed) as refused:
        scenarios.update_scenario(fran, scenario=red, changes={"title": "TEAM BLUE"})
    assert refused.value.errors == {"title": [TAKEN.format("TEAM BLUE")]}
    red.refresh_from_db()
    assert red.title == "Team Red"
    renamed = scenarios.update_scenario(fran, scenario=red, changes={"title": "team red"})
    assert renamed.title == "team red"
    kept = scenarios.update_scenario(
        fran, scenario=room.scenario, changes={"title": "Team Blue", "outcome": "Paid in a day"}
    )
    assert kept.outcome == "Paid in a day"
