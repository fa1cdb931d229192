"""One shape of ``loc`` in every 422 (docs/api.md, "Errors"): a problem found by the checks
of the request's shape (ninja's schemas) and one found by the operation's rules (a service's
ValidationFailed) name the same field with the same ``loc``, for a sample of operations: JSON
bodies, a field inside a list, a multipart form, a query parameter."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from traction.core import clock
from traction.core.testing.cast import Cast
from traction.core.testing.snapshot import built_on
from traction.debrief.tests.room_world import World, build_world
from traction.debrief.tests.scorecard_helpers import make_metric

pytestmark = pytest.mark.django_db

ApiClientFor = Callable[[str], Client]


def refused(client: Client, method: str, url: str, body: Any) -> list[Any]:
    """The ``loc`` of each problem of a 422 (the call must be refused)."""
    response = client.generic(
        method, "/api/v1" + url, json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 422, response.content
    return [e["loc"] for e in response.json()["detail"]]


def refused_upload(client: Client, url: str, fields: dict[str, Any]) -> list[Any]:
    response = client.post("/api/v1" + url, fields)
    assert response.status_code == 422, response.content
    return [e["loc"] for e in response.json()["detail"]]


@pytest.fixture
def world(cast: Cast) -> World:
    return built_on(cast, build_world)


def test_a_body_field_has_one_loc(cast: Cast, api_client_for: ApiClientFor) -> None:
    make_metric(cast, "Days to first invoice")
    core = api_client_for("core_team")
    url = f"/programs/{cast.program.pk}/metrics"
    schema = refused(core, "POST", url, {"name": "Days to\nfirst invoice"})  # one line only
    rule = refused(core, "POST", url, {"name": "days to first invoice"})  # a duplicate
    assert schema == rule == [["body", "name"]]

    admin = api_client_for("admin")
    schema = refused(admin, "POST", "/webhooks/endpoints", {"url": 7})
    rule = refused(admin, "POST", "/webhooks/endpoints", {"url": "https://u:p@example.test/x"})
    assert schema == rule == [["body", "url"]]


def test_a_field_of_a_decision_and_of_an_item_in_a_list_have_one_loc(
    cast: Cast, world: World, api_client_for: ApiClientFor
) -> None:
    cora, sam = api_client_for("core_team"), api_client_for("sponsor")
    created = cora.post(
        f"/api/v1/debriefs/{world.debrief.pk}/recommendations",
        json.dumps({"title": "Phone line", "evidence": [world.card("issue2").pk]}),
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    decide = f"/recommendations/{created.json()['id']}/decide"
    revisit = (clock.today() + timedelta(days=30)).isoformat()
    deferred = {"outcome": "deferred", "reason": "Budget", "revisit_on": "2027-02-30"}
    approved = {"outcome": "approved", "reason": "Yes", "revisit_on": revisit}
    schema = refused(sam, "POST", decide, deferred)  # not a calendar date
    rule = refused(sam, "POST", decide, approved)  # only a deferral has one
    assert schema == rule == [["body", "revisit_on"]]

    fran = api_client_for("facilitator")
    room = f"/debriefs/{world.debrief.pk}/room"
    with clock.frozen(world.debrief.due_at - timedelta(hours=3)):
        key = fran.get("/api/v1" + room).json()["plan"][0]["key"]
        first = {"key": key, "title": "A", "minutes": 10}
        schema = refused(fran, "PATCH", room, {"plan": [first, {"key": 5, "title": "B"}]})
        twice = refused(fran, "PATCH", room, {"plan": [first, {**first, "title": "B"}]})
    assert ["body", "plan", 1, "key"] in schema
    assert twice == [["body", "plan", 1, "key"]]

    # The agenda's service counts items from 1 for people; the loc counts from 0, as the
    # schema's does.
    agenda = f"/sessions/{world.room.session.pk}/agenda"
    first = {"title": "Welcome", "minutes": 10}
    schema = refused(fran, "PUT", agenda, {"items": [first, {"title": "A\nB", "minutes": 5}]})
    rule = refused(fran, "PUT", agenda, {"items": [first, {"title": "   ", "minutes": 5}]})
    assert schema == rule == [["body", "items", 1, "title"]]


def test_a_multipart_field_and_a_query_parameter_have_one_loc(
    cast: Cast, world: World, api_client_for: ApiClientFor
) -> None:
    fran = api_client_for("facilitator")
    url = f"/sessions/{world.room.session.pk}/imports"

    def upload(**fields: str) -> list[Any]:
        notes = SimpleUploadedFile("notes.txt", b"Gina Globex: Hello.\n")
        return refused_upload(fran, url, {"file": notes, **fields})

    assert upload(speakers="x" * 100_001) == upload(speakers="[1]") == [["body", "speakers"]]
    assert upload(scenario_id="0") == [["body", "scenario_id"]]  # a form field is in the body
    # The file itself: missing, or unreadable (its line number in the message).
    missing = refused_upload(fran, url, {"speakers": "{}"})
    assert missing == [["body", "file"]]

    admin = api_client_for("admin")
    schema = admin.get("/api/v1/search/insights", {"page": "0"})
    rule = admin.get("/api/v1/search/insights", {"page": "201", "page_size": "50"})
    assert (schema.status_code, rule.status_code) == (422, 422)
    assert [e["loc"] for e in schema.json()["detail"]] == [["query", "page"]]
    assert [e["loc"] for e in rule.json()["detail"]] == [["query", "page"]]
    # A rule of no one query parameter: the source alone (not ninja's "filters").
    both = admin.get("/api/v1/recommendations", {"debrief": "1", "debrief_id": "2"})
    assert both.status_code == 422
    assert [e["loc"] for e in both.json()["detail"]] == [["query"]]
