"""Numbers people type into insights' forms and the API: "²" (a digit to ``str.isdigit``, not
to ``int``), 5,000 digits (past Python's int parsing limit) and 25 digits (past any database
integer) get a clear refusal (a form error, 400, 404 or 422), never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from traction.core.errors import ValidationFailed
from traction.core.testing.cast import Cast
from traction.insights import services
from traction.voting import services as voting
from traction.voting.tests.test_voting import Room, api_client, ballot_url, build_room, web

pytestmark = pytest.mark.django_db

BAD = ["²", "9" * 5000, "9" * 25, "-1", "1e3", ""]


@pytest.fixture
def opened(cast: Cast) -> Room:
    room = build_room(cast)
    voting.open_voting(cast.viewer("facilitator"), session=room.session)
    return room


def _ok(status: int) -> None:
    assert status < 500, status


@pytest.mark.parametrize("bad", BAD)
def test_web_forms_refuse_bad_numbers_plainly(cast: Cast, opened: Room, bad: str) -> None:
    client = web(cast)
    base = f"/w/{cast.acme.slug}/insights/"
    s = opened.session.pk
    card = opened.cards["mot"]
    scenario = card.scenario
    assert scenario is not None
    posts: list[tuple[str, dict[str, Any]]] = [
        (f"sessions/{s}/voting/budget/", {"budget": bad}),
        (f"sessions/{s}/voting/room/dot/", {"contact_id": bad, "insight_id": bad, "change": "add"}),
        (f"sessions/{s}/voting/room/dot/", {"contact_id": opened.gina.pk, "insight_id": bad, "change": "add"}),  # noqa: E501
        (f"sessions/{s}/voting/paper/", {f"cell_{card.pk}_{opened.gina.pk}": bad}),
        (f"sessions/{s}/voting/links/email/", {"contact_id": bad}),
        (f"sessions/{s}/voting/remove-dots/", {"contact_id": bad, "reason": "x"}),
        (f"sessions/{s}/voting/reopen/", {"reason": "x", "budget": bad}),
        (f"sessions/{s}/capture/", {"text": "x", "kind": "issue", "step": bad, "scenario": bad}),
        (f"sessions/{s}/capture/", {"text": f"/i >{bad} quick", "kind": "issue"}),
        (f"scenarios/{scenario.pk}/steps/", {"action": "move", "step": bad, "position": bad}),
        (f"scenarios/{scenario.pk}/steps/", {"action": "merge", "step": bad, "absorb": bad}),
        (f"scenarios/{scenario.pk}/edit/", {"title": "T", "version": bad}),
        (f"{card.pk}/edit/", {"kind": "idea", "text": "x", "version": bad, "step": bad}),
    ]  # fmt: skip
    for url, data in posts:
        _ok(client.post(base + url, data).status_code)
    for url in (
        f"sessions/{s}/voting/room/?voter={bad}",
        f"sessions/{s}/map/?scenario={bad}",
        f"search/?q=invoice&page={bad}",
        f"search/?q=invoice&session={bad}",
        f"search/?q=invoice&session={s}&step={bad}",
        f"search/?q=invoice&program={bad}&customer={bad}",
    ):
        _ok(client.get(base + url).status_code)
    _ok(Client().post(ballot_url(opened, "gina"), {f"card_{card.pk}": bad}).status_code)


@pytest.mark.parametrize("bad", ["²", 10**25, "9" * 5000, -1])
def test_api_refuses_bad_numbers_with_422(cast: Cast, opened: Room, bad: Any) -> None:
    client = api_client(cast, "facilitator")
    s = opened.session.pk
    card = opened.cards["mot"]
    scenario = card.scenario
    assert scenario is not None

    def send(method: str, url: str, body: Any) -> int:
        response = getattr(client, method)(
            "/api/v1" + url, json.dumps(body), content_type="application/json"
        )
        return int(response.status_code)

    calls: list[tuple[str, str, Any]] = [
        ("patch", f"/sessions/{s}/voting", {"budget": bad}),
        ("post", f"/sessions/{s}/voting/dots", {"contact_id": bad, "insight_id": card.pk, "change": "add"}),  # noqa: E501
        ("put", f"/sessions/{s}/voting/paper", {"entries": [{"insight_id": card.pk, "contact_id": opened.gina.pk, "dots": bad}]}),  # noqa: E501
        ("post", f"/sessions/{s}/voting/remove-dots", {"contact_id": bad, "reason": "x"}),
        ("post", f"/sessions/{s}/insights", {"kind": "issue", "text": "x", "step_id": bad}),
        ("patch", f"/insights/{card.pk}", {"text": "y", "version": bad}),
        ("post", f"/scenarios/{scenario.pk}/steps", {"title": "New", "position": bad}),
        ("patch", f"/scenarios/{scenario.pk}", {"title": "T", "version": bad}),
    ]  # fmt: skip
    for method, url, body in calls:
        assert send(method, url, body) == 422, (url, body)
    for url in (f"/search?q=invoice&page={bad}", f"/sessions/{s}/insights?page={bad}"):
        status = client.get("/api/v1" + url).status_code
        assert status in (400, 404, 422), (url, status)


@pytest.mark.parametrize("title", ["Team\nBlue", "Team\u2028Blue", "Team\rBlue"])
def test_scenario_and_step_titles_with_line_breaks_are_refused(
    cast: Cast, opened: Room, title: str
) -> None:
    from traction.insights.models import Scenario, Step

    client = api_client(cast, "facilitator")
    s = opened.session.pk
    scenario = opened.cards["mot"].scenario
    assert scenario is not None
    before = (Scenario.objects.count(), list(Step.objects.values_list("title", flat=True)))
    for method, url, body in [
        ("post", f"/sessions/{s}/scenarios", {"title": title}),
        ("patch", f"/scenarios/{scenario.pk}", {"title": title}),
        ("post", f"/scenarios/{scenario.pk}/steps", {"title": title}),
    ]:
        response = getattr(client, method)(
            "/api/v1" + url, json.dumps(body), content_type="application/json"
        )
        assert response.status_code == 422, (url, response.content)
    web_client = web(cast)
    base = f"/w/{cast.acme.slug}/insights/"
    page = web_client.post(base + f"sessions/{s}/scenarios/new/", {"title": title})
    assert page.status_code == 200
    assert "line breaks are not allowed" in page.content.decode()
    page = web_client.post(
        base + f"scenarios/{scenario.pk}/steps/", {"action": "add", "title": title}
    )
    assert "line breaks are not allowed" in page.content.decode()
    step = scenario.steps.first()
    assert step is not None
    with pytest.raises(ValidationFailed):
        services.rename_step(cast.viewer("facilitator"), step=step, title=title)
    with pytest.raises(ValidationFailed):
        services.create_scenario(
            cast.viewer("facilitator"), session=opened.session, title="Fine", steps=[title]
        )
    assert (Scenario.objects.count(), list(Step.objects.values_list("title", flat=True))) == before
