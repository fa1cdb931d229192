"""The maps API: scenarios, steps, capture and attribution, refusals that write nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from traction.insights import services
from traction.insights.models import Insight, Scenario
from traction.insights.tests.conftest import Room

pytestmark = pytest.mark.django_db

API = "/api/v1"


def send(client: Client, method: str, url: str, body: Any = None) -> Any:
    data = "" if body is None else json.dumps(body)
    return client.generic(method, API + url, data, content_type="application/json")


def fields(response: Any) -> list[str]:
    return [str(e["loc"][-1]) for e in response.json()["detail"]]


def test_capture_through_the_api_is_attributed(
    room: Room, api_client_for: Callable[[str], Client]
) -> None:
    cora = api_client_for("core_team")
    response = send(
        cora,
        "POST",
        f"/sessions/{room.session.pk}/insights",
        {
            "kind": "moment_of_truth",
            "text": "The first invoice is right",
            "speaker": room.speaker("gina"),
            "step_id": room.steps[2].pk,
            "tags": ["Billing", "#billing"],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert {
        k: body[k]
        for k in (
            "kind",
            "speaker",
            "speaker_name",
            "internal",
            "tags",
            "source",
            "step_id",
            "scenario_id",
        )
    } == {
        "kind": "moment_of_truth",
        "speaker": f"c:{room.gina.pk}",
        "speaker_name": "Gina Globex",
        "internal": False,
        "tags": ["billing"],
        "source": "api",
        "step_id": room.steps[2].pk,
        "scenario_id": room.scenario.pk,
    }
    assert body["customer_id"] == room.gina.customer_id


def test_bad_capture_names_each_field_and_writes_nothing(
    room: Room, api_client_for: Callable[[str], Client]
) -> None:
    fran = api_client_for("facilitator")
    url = f"/sessions/{room.session.pk}/insights"
    response = send(fran, "POST", url, {"kind": "rumour", "text": ""})
    assert response.status_code == 422
    assert sorted(fields(response)) == ["kind", "text"]
    response = send(
        fran, "POST", url, {"kind": "issue", "text": "x", "speaker": "c:999999", "step_id": 999_999}
    )
    assert response.status_code == 422
    assert sorted(fields(response)) == ["speaker", "step"]
    response = send(fran, "POST", url, {"kind": "issue", "text": "x", "workspace_id": 2})
    assert response.status_code == 422
    assert Insight.objects.count() == 0


def test_internal_filter_separates_customer_input(
    room: Room, api_client_for: Callable[[str], Client]
) -> None:
    fran = room.cast.viewer("facilitator")
    for who, text in (("gina", "Customer"), ("core_team", "Internal")):
        services.capture_insight(
            fran, session=room.session, kind="idea", text=text, speaker=room.speaker(who)
        )
    client = api_client_for("observer")
    url = f"/sessions/{room.session.pk}/insights"
    assert [i["text"] for i in send(client, "GET", url + "?internal=false").json()["items"]] == [
        "Customer"
    ]
    assert [i["text"] for i in send(client, "GET", url + "?internal=true").json()["items"]] == [
        "Internal"
    ]
    assert send(client, "GET", url).json()["count"] == 2


def test_an_account_owner_sees_only_their_customers_insights(
    room: Room, api_client_for: Callable[[str], Client]
) -> None:
    fran = room.cast.viewer("facilitator")
    for who in ("gina", "ivy"):
        services.capture_insight(
            fran, session=room.session, kind="idea", text=who, speaker=room.speaker(who)
        )
    owen = api_client_for("account_owner")
    items = send(owen, "GET", f"/sessions/{room.session.pk}/insights").json()["items"]
    assert [i["text"] for i in items] == ["gina"]


def test_scenarios_and_steps_round_trip(
    room: Room, api_client_for: Callable[[str], Client]
) -> None:
    fran = api_client_for("facilitator")
    created = send(
        fran,
        "POST",
        f"/sessions/{room.session.pk}/scenarios",
        {"title": "Team Red", "team": [room.ivy.pk], "steps": ["Order", "Deliver"]},
    )
    assert created.status_code == 201
    scenario = created.json()
    assert [s["title"] for s in scenario["steps"]] == ["Order", "Deliver"]
    assert scenario["team"] == [room.ivy.pk]
    sid = scenario["id"]
    order, deliver = (s["id"] for s in scenario["steps"])
    added = send(fran, "POST", f"/scenarios/{sid}/steps", {"title": "Pay", "position": 1})
    assert added.status_code == 201
    reordered = send(
        fran, "PUT", f"/scenarios/{sid}/steps", {"step_ids": [order, deliver, added.json()["id"]]}
    )
    assert [s["title"] for s in reordered.json()] == ["Order", "Deliver", "Pay"]
    merged = send(
        fran, "POST", f"/steps/{order}/merge", {"absorb": deliver, "title": "Order and deliver"}
    )
    assert merged.json() == {
        "id": order,
        "position": 1,
        "title": "Order and deliver",
        "support": [],
    }
    stale = send(fran, "PATCH", f"/scenarios/{sid}", {"outcome": "Less paperwork", "version": 99})
    assert stale.status_code == 409
    ok = send(fran, "PATCH", f"/scenarios/{sid}", {"outcome": "Less paperwork", "version": 1})
    assert ok.json()["outcome"] == "Less paperwork"
    assert send(fran, "DELETE", f"/scenarios/{sid}").status_code == 204
    assert not Scenario.objects.filter(pk=sid).exists()


def test_speakers_list_customers_then_internal_participants(
    room: Room, api_client_for: Callable[[str], Client]
) -> None:
    body = send(api_client_for("observer"), "GET", f"/sessions/{room.session.pk}/speakers").json()
    assert [(s["name"], s["internal"], s["organisation"]) for s in body] == [
        ("Gina Globex", False, "Globex"),
        ("Ivy Initech", False, "Initech"),
        ("Cora Core", True, ""),
        ("Olive Observer", True, ""),
    ]
