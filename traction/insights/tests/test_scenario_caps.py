"""A scenario's caps are one per field, the same in the web form, the service and the API; a
first step too long is refused beside the field, naming its line, and never cut."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.test import Client

from traction.core.errors import ValidationFailed
from traction.core.text import too_long
from traction.insights.models import Scenario
from traction.insights.services import scenarios
from traction.insights.tests.conftest import Room

pytestmark = pytest.mark.django_db

LONG_STEP = "s" * (scenarios.STEP_TITLE_MAX + 1)


def _new(room: Room) -> str:
    return f"/w/{room.cast.acme.slug}/insights/sessions/{room.session.pk}/scenarios/new/"


def test_the_form_refuses_a_long_step_naming_its_line_and_creates_nothing(
    room: Room, client_for: Callable[[str], Client]
) -> None:
    before = Scenario.objects.count()
    steps = "\n".join(["Sign", "", LONG_STEP, "Invoice"])  # the blank line counts as line 2
    page = client_for("facilitator").post(_new(room), {"title": "Team Red", "steps": steps})
    assert page.status_code == 200
    said = f"Line 3: {too_long(scenarios.STEP_TITLE_MAX, len(LONG_STEP))}"
    assert page.context["form"].errors["steps"] == [said]
    assert Scenario.objects.count() == before


def test_the_form_caps_each_text_as_the_api_does(
    room: Room, client_for: Callable[[str], Client]
) -> None:
    long = "o" * (scenarios.TEXT_MAX + 1)
    page = client_for("facilitator").post(_new(room), {"title": "Team Red", "outcome": long})
    assert page.context["form"].errors["outcome"] == [too_long(scenarios.TEXT_MAX, len(long))]
    assert f'maxlength="{scenarios.TEXT_MAX}"' in page.content.decode()
    many = "\n".join(f"Step {n}" for n in range(scenarios.STEPS_MAX + 1))
    page = client_for("facilitator").post(_new(room), {"title": "Team Red", "steps": many})
    assert page.context["form"].errors["steps"] == [
        too_long(scenarios.STEPS_MAX, scenarios.STEPS_MAX + 1, "steps")
    ]


def test_the_service_refuses_what_the_form_would_and_never_cuts(room: Room) -> None:
    fran = room.cast.viewer("facilitator")
    with pytest.raises(ValidationFailed) as refused:
        scenarios.create_scenario(
            fran,
            session=room.session,
            title="Team Red",
            outcome="o" * (scenarios.TEXT_MAX + 1),
            steps=["Sign", LONG_STEP],
        )
    assert refused.value.errors == {
        "outcome": [too_long(scenarios.TEXT_MAX, scenarios.TEXT_MAX + 1)],
        "steps": [f"Line 2: {too_long(scenarios.STEP_TITLE_MAX, len(LONG_STEP))}"],
    }
    at_cap = "s" * scenarios.STEP_TITLE_MAX
    made = scenarios.create_scenario(fran, session=room.session, title="Team Red", steps=[at_cap])
    assert list(made.steps.values_list("title", flat=True)) == [at_cap]


def test_a_scenario_stored_longer_than_a_cap_stays_editable(
    room: Room, client_for: Callable[[str], Client]
) -> None:
    old = "w" * (scenarios.TEXT_MAX + 10)  # written before the cap
    Scenario.objects.filter(pk=room.scenario.pk).update(context_who=old)
    fran = room.cast.viewer("facilitator")
    scenario = Scenario.objects.get(pk=room.scenario.pk)
    renamed = scenarios.update_scenario(
        fran, scenario=scenario, changes={"title": "Team Teal", "context_who": old}
    )
    assert (renamed.title, renamed.context_who) == ("Team Teal", old)
    with pytest.raises(ValidationFailed) as refused:
        scenarios.update_scenario(fran, scenario=renamed, changes={"context_who": old + "!"})
    assert refused.value.errors == {"context_who": [too_long(scenarios.TEXT_MAX, len(old) + 1)]}

    edit = f"/w/{room.cast.acme.slug}/insights/scenarios/{scenario.pk}/edit/"
    page = client_for("facilitator").post(
        edit, {"title": "Team Navy", "context_who": old, "version": renamed.version}
    )
    assert page.status_code == 302, page.context["form"].errors
    assert Scenario.objects.get(pk=scenario.pk).title == "Team Navy"


def test_the_api_refuses_a_long_step_at_its_index(
    room: Room, api_client_for: Callable[[str], Client]
) -> None:
    answer = api_client_for("facilitator").post(
        f"/api/v1/sessions/{room.session.pk}/scenarios",
        json.dumps({"title": "Team Red", "steps": ["Sign", LONG_STEP]}),
        content_type="application/json",
    )
    assert answer.status_code == 422
    assert [(e["loc"], e["msg"]) for e in answer.json()["detail"]] == [
        (["body", "steps", 1], too_long(scenarios.STEP_TITLE_MAX, len(LONG_STEP)))
    ]
