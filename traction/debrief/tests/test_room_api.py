"""The room's API: the room's state, recommendations (409 with the current record when two
clients edit from the same version), decisions and their history."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from traction.core import clock
from traction.core.testing.cast import Cast
from traction.core.testing.snapshot import built_on
from traction.customers import services as customer_services
from traction.debrief.models import Recommendation
from traction.debrief.tests.room_world import World, build_world
from traction.programs.models import ProgramMember
from traction.voting.tests.test_voting import api_client, call

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast: Cast) -> World:
    return built_on(cast, build_world)


def test_the_room_state_is_read_and_set(cast: Cast, world: World) -> None:
    fran = api_client(cast, "facilitator")
    d = world.debrief.pk
    with clock.frozen(world.debrief.due_at - timedelta(hours=3)):
        _room_state(cast, fran, d)


def _room_state(cast: Cast, fran: object, d: int) -> None:
    status, body = call(fran, "GET", f"/debriefs/{d}/room")
    assert (status, body["phase"], body["total_minutes"], len(body["plan"])) == (200, "", 180, 7)
    status, body = call(fran, "POST", f"/debriefs/{d}/open")
    assert (status, body["status"], body["phase"], body["seconds_left"]) == (
        200,
        "open",
        "review",
        900,
    )
    version = body["version"]
    status, body = call(
        fran, "PATCH", f"/debriefs/{d}/room", {"phase": "draft", "version": version}
    )
    assert (status, body["phase"], body["seconds_left"]) == (200, "draft", 2400)
    status, body = call(fran, "PATCH", f"/debriefs/{d}/room", {"phase": "map", "version": version})
    assert status == 409
    plan = [{"title": "Everything", "minutes": 90}]
    status, body = call(fran, "PATCH", f"/debriefs/{d}/room", {"plan": plan})
    assert (status, body["phase"], [p["title"] for p in body["plan"]]) == (
        200,
        "everything",
        ["Everything"],
    )
    status, body = call(
        fran, "PATCH", f"/debriefs/{d}/room", {"plan": [{"title": "x", "minutes": 0}]}
    )
    assert status == 422
    status, body = call(fran, "PATCH", f"/debriefs/{d}/room", {"plan": []})
    assert (status, [e["loc"] for e in body["detail"]]) == (422, [["body", "plan"]])
    # A plan of more phases than the room holds is refused at the field, not row by row.
    from traction.debrief.services.room import MAX_PHASES

    many = [{"title": f"P{n}", "minutes": 1} for n in range(5000)]
    status, body = call(fran, "PATCH", f"/debriefs/{d}/room", {"plan": many})
    assert (status, [e["loc"] for e in body["detail"]]) == (422, [["body", "plan"]])
    status, body = call(fran, "PATCH", f"/debriefs/{d}/room", {"plan": many[: MAX_PHASES + 1]})
    assert (status, [e["loc"] for e in body["detail"]]) == (422, [["body", "plan"]])
    status, body = call(fran, "PATCH", f"/debriefs/{d}/room", {"plan": many[:MAX_PHASES]})
    assert (status, len(body["plan"])) == (200, MAX_PHASES)
    # A key given twice is refused, naming the item; a surviving current phase stays current.
    status, room = call(fran, "GET", f"/debriefs/{d}/room")
    current, started = room["phase"], room["phase_started_at"]
    twice = [
        {"key": current, "title": "A", "minutes": 10},
        {"key": current, "title": "B", "minutes": 10},
    ]
    status, body = call(fran, "PATCH", f"/debriefs/{d}/room", {"plan": twice})
    assert (status, [e["loc"] for e in body["detail"]]) == (422, [["body", "plan", 1, "key"]])
    assert f"the key “{current}” of phase 1" in body["detail"][0]["msg"]
    kept = [{"key": current, "title": "A", "minutes": 10}, {"title": "B", "minutes": 10}]
    status, body = call(fran, "PATCH", f"/debriefs/{d}/room", {"plan": kept})
    assert (status, body["phase"], body["phase_started_at"]) == (200, current, started)
    status, _ = call(api_client(cast, "core_team"), "PATCH", f"/debriefs/{d}/room", {"phase": "x"})
    assert status == 403


def test_two_clients_edit_the_same_recommendation_the_second_gets_409_with_the_record(
    cast: Cast, world: World
) -> None:
    cora = api_client(cast, "core_team")
    sam = api_client(cast, "sponsor")
    d = world.debrief.pk
    status, rec = call(
        cora,
        "POST",
        f"/debriefs/{d}/recommendations",
        {
            "title": "Invoice on day one",
            "evidence": [world.card("mot").pk],
            "customer_summary": "First invoice on day one.",
        },
    )
    assert status == 201, rec
    assert (rec["evidence"], rec["outcome"], rec["customer_hears"]) == (
        [world.card("mot").pk],
        "pending",
        "",
    )
    rid, v = rec["id"], rec["version"]
    status, first = call(
        cora, "PATCH", f"/recommendations/{rid}", {"title": "Cora's", "version": v}
    )
    assert (status, first["title"], first["version"]) == (200, "Cora's", v + 1)
    status, second = call(
        sam, "PATCH", f"/recommendations/{rid}", {"rationale": "Sam's reason", "version": v}
    )
    assert status == 409
    assert second["current"]["title"] == "Cora's"
    assert second["current"]["rationale"] == ""
    assert second["current"]["version"] == v + 1
    # Sam re-applies on the current version: both edits kept.
    status, merged = call(
        sam,
        "PATCH",
        f"/recommendations/{rid}",
        {"rationale": "Sam's reason", "version": second["current"]["version"]},
    )
    assert (status, merged["title"], merged["rationale"]) == (200, "Cora's", "Sam's reason")
    status, _ = call(
        cora, "POST", f"/debriefs/{d}/recommendations", {"title": "No evidence", "evidence": []}
    )
    assert status == 422
    internal = world.card("internal").pk  # an internal participant's remark: no evidence
    status, body = call(
        cora, "POST", f"/debriefs/{d}/recommendations", {"title": "Ours", "evidence": [internal]}
    )
    assert status == 422
    assert "internal participant's remark" in str(body)
    assert Recommendation.objects.count() == 1


def test_decide_and_read_the_history(cast: Cast, world: World) -> None:
    cora = api_client(cast, "core_team")
    sam = api_client(cast, "sponsor")
    status, rec = call(
        cora,
        "POST",
        f"/debriefs/{world.debrief.pk}/recommendations",
        {"title": "Phone line", "evidence": [world.card("issue2").pk, world.card("quote").pk]},
    )
    rid = rec["id"]
    status, body = call(
        cora, "POST", f"/recommendations/{rid}/decide", {"outcome": "approved", "reason": "x"}
    )
    assert status == 403
    status, body = call(
        sam, "POST", f"/recommendations/{rid}/decide", {"outcome": "deferred", "reason": "Budget"}
    )
    assert status == 422
    revisit = (clock.today() + timedelta(days=30)).isoformat()
    status, body = call(
        sam,
        "POST",
        f"/recommendations/{rid}/decide",
        {"outcome": "approved", "reason": "Yes", "revisit_on": revisit},
    )
    assert status == 422
    assert "revisit_on" in str(body)
    assert "Only a deferral has a date to revisit" in str(body)
    status, body = call(
        sam,
        "POST",
        f"/recommendations/{rid}/decide",
        {"outcome": "deferred", "reason": "Budget", "revisit_on": revisit},
    )
    assert (status, body["outcome"], body["customer_hears"], body["revisit_on"]) == (
        200,
        "deferred",
        "Under consideration",
        revisit,
    )
    status, body = call(
        sam,
        "POST",
        f"/recommendations/{rid}/decide",
        {"outcome": "rejected", "reason": "Chat instead", "version": 1},
    )
    assert (status, body["current"]["outcome"]) == (409, "deferred")
    status, body = call(
        sam,
        "POST",
        f"/recommendations/{rid}/decide",
        {"outcome": "rejected", "reason": "Chat instead"},
    )
    assert (status, body["customer_hears"]) == (200, "Not planned")
    status, history = call(cora, "GET", f"/recommendations/{rid}/decisions")
    assert history["count"] == 2
    assert [(h["outcome"], h["decided_as"], h["decided_by"]) for h in history["items"]] == [
        ("deferred", "Executive sponsor", "Sam Sponsor"),
        ("rejected", "Executive sponsor", "Sam Sponsor"),
    ]
    status, evidence = call(cora, "GET", f"/recommendations/{rid}/evidence")
    assert [e["text"] for e in evidence["items"]] == [
        "Nobody answers the phone",
        "We print every invoice",
    ]
    status, page = call(
        cora, "GET", f"/recommendations?debrief={world.debrief.pk}&outcome=rejected"
    )
    assert (status, page["count"], page["items"][0]["id"]) == (200, 1, rid)
    status, page = call(cora, "GET", "/recommendations?outcome=approved")
    assert page["count"] == 0
    status, body = call(cora, "POST", f"/recommendations/{rid}/archive", {})
    assert status == 422  # decided: revisit, never archive
    status, brief = call(sam, "GET", f"/debriefs/{world.debrief.pk}/brief")
    assert (status, brief["voting"], brief["coverage_top"], brief["coverage_covered"]) == (
        200,
        "closed",
        4,
        1,
    )
    # How each priority leaves the room, for programs too; and who said it, as the room shows.
    covered = [p for p in brief["priorities"] if p["covered"]]
    assert [(p["covered"], p["covered_as"], p["revisit_on"]) for p in covered] == [
        ("rejected", "rejected", None)
    ]
    assert {p["covered_as"] for p in brief["priorities"] if not p["covered"]} == {""}
    said = [s for p in brief["priorities"] for s in p["said_by"]]
    assert said
    assert all(s["speaker_name"] and s["organisation"] and s["customer_id"] for s in said)
    assert {p["hidden_speakers"] for p in brief["priorities"]} == {0}


def test_a_recommendations_evidence_ids_are_those_the_reader_may_see(
    cast: Cast, world: World
) -> None:
    ProgramMember.objects.create(
        program=cast.program, user=cast.users["account_owner"], kind="observer"
    )
    assert cast.other_customer is not None  # Initech: Alice's now, not Owen's
    customer_services.update_customer(
        cast.viewer("facilitator"),
        customer=cast.other_customer,
        changes={"account_owner_id": cast.users["admin"].pk},
    )
    cora = api_client(cast, "core_team")
    mot, issue = world.card("mot").pk, world.card("issue").pk  # Globex's, Initech's
    status, rec = call(
        cora,
        "POST",
        f"/debriefs/{world.debrief.pk}/recommendations",
        {"title": "Invoices", "evidence": [mot, issue]},
    )
    assert (status, rec["evidence"]) == (201, sorted([mot, issue]))
    owen = api_client(cast, "account_owner")  # owns Globex only
    status, shown = call(owen, "GET", f"/recommendations/{rec['id']}")
    status_e, listed = call(owen, "GET", f"/recommendations/{rec['id']}/evidence")
    assert (status, status_e) == (200, 200)
    assert shown["evidence"] == [i["insight_id"] for i in listed["items"]] == [mot]
    assert listed["count"] == 1  # the other customer's card is not listed
    assert shown["hidden_evidence"] == 1  # but the recommendation says one is hidden
    status, page = call(owen, "GET", f"/recommendations?debrief={world.debrief.pk}")
    assert [(r["evidence"], r["hidden_evidence"]) for r in page["items"]] == [([mot], 1)]
    assert rec["hidden_evidence"] == 0  # Cora sees both


def test_long_texts_are_refused_with_422_naming_the_field(cast: Cast, world: World) -> None:
    from traction.debrief.services import recommendations as recs

    cora = api_client(cast, "core_team")
    d = world.debrief.pk
    mot = world.card("mot").pk
    too_long = "x" * (recs.LONG_TEXT_MAX + 1)
    body = {"title": "Long", "evidence": [mot], "customer_summary": too_long}
    status, answer = call(cora, "POST", f"/debriefs/{d}/recommendations", body)
    assert (status, [e["loc"] for e in answer["detail"]]) == (
        422,
        [["body", "customer_summary"]],
    )
    body = {"title": "Long", "evidence": list(range(1, recs.EVIDENCE_MAX + 2))}
    status, answer = call(cora, "POST", f"/debriefs/{d}/recommendations", body)
    assert (status, [e["loc"] for e in answer["detail"]]) == (
        422,
        [["body", "evidence"]],
    )
    moves = [{"metric_id": n, "direction": "up"} for n in range(1, recs.METRICS_MAX + 2)]
    body = {"title": "Many", "evidence": [mot], "metrics": moves}
    status, answer = call(cora, "POST", f"/debriefs/{d}/recommendations", body)
    assert (status, [e["loc"] for e in answer["detail"]]) == (422, [["body", "metrics"]])
    status, rec = call(
        cora, "POST", f"/debriefs/{d}/recommendations", {"title": "Short", "evidence": [mot]}
    )
    assert status == 201
    status, answer = call(cora, "PATCH", f"/recommendations/{rec['id']}", {"metrics": moves})
    assert (status, [e["loc"] for e in answer["detail"]]) == (422, [["body", "metrics"]])
    status, answer = call(cora, "PATCH", f"/recommendations/{rec['id']}", {"rationale": too_long})
    assert (status, [e["loc"] for e in answer["detail"]]) == (
        422,
        [["body", "rationale"]],
    )
    sam = api_client(cast, "sponsor")
    decide = {"outcome": "approved", "reason": "z" * (recs.REASON_MAX + 1)}
    status, answer = call(sam, "POST", f"/recommendations/{rec['id']}/decide", decide)
    assert (status, [e["loc"] for e in answer["detail"]]) == (422, [["body", "reason"]])
    # The caps are in the OpenAPI document.
    from traction.api.api import api

    schemas = api.get_openapi_schema()["components"]["schemas"]
    create = schemas["RecommendationCreateIn"]["properties"]
    assert create["customer_summary"]["maxLength"] == recs.LONG_TEXT_MAX
    assert create["rationale"]["maxLength"] == recs.LONG_TEXT_MAX
    assert create["evidence"]["maxItems"] == recs.EVIDENCE_MAX
    assert create["metrics"]["maxItems"] == recs.METRICS_MAX
    assert schemas["RecommendationUpdateIn"]["properties"]["metrics"]["maxItems"] == (
        recs.METRICS_MAX
    )
    from traction.debrief.services.room import MAX_PHASES

    assert schemas["RoomIn"]["properties"]["plan"]["maxItems"] == MAX_PHASES
    assert schemas["RecommendationDecideIn"]["properties"]["reason"]["maxLength"] == recs.REASON_MAX


def test_recommendations_filter_by_debrief_id_and_unknown_parameters_are_refused(
    cast: Cast, world: World
) -> None:
    from django.test import Client

    cora = api_client(cast, "core_team")
    d, p = world.debrief.pk, cast.program.pk
    status, rec = call(
        cora,
        "POST",
        f"/debriefs/{d}/recommendations",
        {"title": "Ours", "evidence": [world.card("mot").pk]},
    )
    assert status == 201

    def ids(query: str) -> tuple[int, Any]:
        status, body = call(cora, "GET", f"/recommendations?{query}")
        return status, [r["id"] for r in body["items"]] if status == 200 else body

    assert ids(f"debrief_id={d}") == (200, [rec["id"]])
    assert ids(f"debrief_id={d + 1}") == (200, [])
    assert ids(f"program_id={p}&outcome=pending&page=1&page_size=5") == (200, [rec["id"]])
    # The old names still work (deprecated), alone or agreeing with the new.
    assert ids(f"debrief={d + 1}") == (200, [])
    assert ids(f"debrief={d}&debrief_id={d}&program={p}") == (200, [rec["id"]])
    status, body = ids(f"debrief={d}&debrief_id={d + 1}")
    assert status == 422
    assert "Give debrief_id only" in body["message"]
    # An unknown parameter is named, not ignored.
    status, body = ids(f"debriefid={d}")
    assert status == 422
    assert [e["loc"] for e in body["detail"]] == [["query", "debriefid"]]
    assert "debrief_id" in body["detail"][0]["msg"]
    status, body = call(cora, "GET", "/action-items?recommendation_id=6&page=1")
    assert (status, [e["loc"] for e in body["detail"]]) == (422, [["query", "recommendation_id"]])
    status, body = call(cora, "GET", f"/recommendations/{rec['id']}/decisions?x=1&y=2")
    assert (status, [e["loc"] for e in body["detail"]]) == (422, [["query", "x"], ["query", "y"]])
    status, _ = call(cora, "GET", f"/recommendations/{rec['id']}/decisions?page=1")
    assert status == 200
    # Authentication comes first: no token is 401 whatever the parameters.
    assert Client().get(f"/api/v1/recommendations?debriefid={d}").status_code == 401
    # The old names are marked deprecated in the OpenAPI document.
    from traction.api.api import api

    params = {
        q["name"]: q
        for q in api.get_openapi_schema()["paths"]["/api/v1/recommendations"]["get"]["parameters"]
    }
    assert {"debrief_id", "program_id", "debrief", "program"} <= set(params)
    assert params["debrief"].get("deprecated") or params["debrief"]["schema"].get("deprecated")
