"""The action items API: list with filters, create, update (409 on a stale version), status
(note required), timeline, reassign."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from traction.accounts import services as accounts
from traction.core import clock
from traction.core.testing.cast import Cast
from traction.debrief.models import ActionItem, Debrief, Recommendation

from .actions_world import approved, make_debrief, recommendation

UTC = ZoneInfo("UTC")
NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
API = "/api/v1"


@pytest.fixture(autouse=True)
def frozen() -> Iterator[clock.FrozenClock]:
    with clock.frozen(NOW) as f:
        yield f


@pytest.fixture
def debrief(cast: Cast) -> Debrief:
    return make_debrief(cast, ends_at=NOW - timedelta(days=3))


@pytest.fixture
def rec(cast: Cast, debrief: Debrief) -> Recommendation:
    return approved(cast, debrief)


def call(client: Client, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    return client.generic(
        method, API + path, json.dumps(body or {}), content_type="application/json"
    )


def create(client: Client, cast: Cast, rec: Recommendation, **kw: Any) -> Any:
    body = {
        "recommendation_id": rec.pk,
        "title": "Ship the one-page approval",
        "owner_id": cast.users["core_team"].pk,
        "due_on": "2027-03-31",
    }
    body.update(kw)
    return call(client, "POST", "/action-items", body)


def test_create_list_and_filter(
    cast: Cast, rec: Recommendation, api_client_for: Callable[[str], Client]
) -> None:
    fran = api_client_for("facilitator")
    made = create(fran, cast, rec, contributor_ids=[cast.users["sponsor"].pk])
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["status"] == "open"
    assert body["owner"]["email"] == "cora@acme.test"
    assert [u["email"] for u in body["contributors"]] == ["sam@acme.test"]
    assert body["debrief_id"] == rec.debrief_id
    assert body["ownerless"] is False
    create(fran, cast, rec, title="Sam's", owner_id=cast.users["sponsor"].pk)
    cora = api_client_for("core_team")
    mine = cora.get(API + "/action-items", {"owner": "me"}).json()
    assert [a["title"] for a in mine["items"]] == ["Ship the one-page approval"]
    sams = api_client_for("sponsor").get(API + "/action-items", {"owner": "me"}).json()
    assert sorted(a["title"] for a in sams["items"]) == ["Sam's", "Ship the one-page approval"]
    by_program = fran.get(API + "/action-items", {"program_id": cast.program.pk}).json()
    assert by_program["count"] == 2
    assert fran.get(API + "/action-items", {"overdue": "true"}).json()["count"] == 0
    assert fran.get(API + "/action-items", {"status": "blocked"}).json()["count"] == 0


def test_create_refusals(
    cast: Cast, debrief: Debrief, rec: Recommendation, api_client_for: Callable[[str], Client]
) -> None:
    fran = api_client_for("facilitator")
    pending = recommendation(cast, debrief, title="Still pending")
    refused = create(fran, cast, pending)
    assert refused.status_code == 422
    assert "Only approved recommendations" in refused.content.decode()
    no_due = call(
        fran,
        "POST",
        "/action-items",
        {"recommendation_id": rec.pk, "title": "x", "owner_id": cast.users["core_team"].pk},
    )
    assert no_due.status_code == 422
    observer_owner = create(fran, cast, rec, owner_id=cast.users["observer"].pk)
    assert observer_owner.status_code == 422
    assert create(api_client_for("observer"), cast, rec).status_code == 403
    assert not ActionItem.objects.exists()


def test_update_conflict_status_timeline_and_reassign(
    cast: Cast, rec: Recommendation, api_client_for: Callable[[str], Client]
) -> None:
    fran = api_client_for("facilitator")
    action = create(fran, cast, rec).json()
    path = f"/action-items/{action['id']}"
    first = call(fran, "PATCH", path, {"due_on": "2027-04-15", "note": "Legal", "version": 1})
    assert first.status_code == 200
    assert first.json()["version"] == 2
    stale = call(api_client_for("sponsor"), "PATCH", path, {"title": "Mine", "version": 1})
    assert stale.status_code == 409
    cora = api_client_for("core_team")
    no_note = call(cora, "POST", path + "/status", {"status": "in_progress", "note": ""})
    assert no_note.status_code == 422
    no_reason = call(cora, "POST", path + "/status", {"status": "blocked", "note": "Stuck"})
    assert no_reason.status_code == 422
    assert "Say why it is blocked." in no_reason.content.decode()
    moved = call(cora, "POST", path + "/status", {"status": "in_progress", "note": "Go"})
    assert moved.status_code == 200
    assert moved.json()["started_at"] == clock.iso_utc(NOW)
    gone = call(cora, "POST", path + "/status", {"status": "done", "note": "x", "version": 1})
    assert gone.status_code == 409
    accounts.remove_member(cast.viewer("admin"), membership=cast.membership("core_team"))
    flagged = fran.get(API + path).json()
    assert flagged["ownerless"] is True
    reassigned = call(
        fran, "POST", path + "/reassign", {"owner_id": cast.users["sponsor"].pk, "note": "Sam"}
    )
    assert reassigned.status_code == 200
    assert reassigned.json()["ownerless"] is False
    timeline = fran.get(API + path + "/timeline").json()["items"]
    assert [e["note"] for e in timeline] == [
        "Created for Cora Core, due 31 Mar 2027.",
        "Re-dated from 31 Mar 2027 to 15 Apr 2027. Legal",
        "Go",
        "Owner left the workspace: it needs a new owner.",
        "Reassigned from Cora Core to Sam Sponsor. Sam",
    ]
    assert timeline[1]["due_on"] == "2027-04-15"


def test_a_progress_note_alone_through_the_api(
    cast: Cast, rec: Recommendation, api_client_for: Callable[[str], Client]
) -> None:
    """The status it has already, with a note: the note goes onto the timeline, the status
    stays, the version moves on (a stale one is still a conflict)."""
    made = create(api_client_for("facilitator"), cast, rec).json()
    path = f"/action-items/{made['id']}"
    cora = api_client_for("core_team")
    body = {"status": "open", "note": "Kick-off booked", "version": made["version"]}
    noted = call(cora, "POST", path + "/status", body)
    assert noted.status_code == 200, noted.content
    assert noted.json()["status"] == "open"
    assert noted.json()["started_at"] is None
    assert noted.json()["version"] == made["version"] + 1
    assert call(cora, "POST", path + "/status", body).status_code == 409
    no_note = call(cora, "POST", path + "/status", {"status": "open", "note": ""})
    assert no_note.status_code == 422
    timeline = cora.get(API + path + "/timeline").json()["items"]
    assert [(e["status"], e["note"]) for e in timeline][-1] == ("open", "Kick-off booked")


def test_time_to_action_of_a_program_and_of_one_debrief(
    cast: Cast,
    debrief: Debrief,
    rec: Recommendation,
    frozen: clock.FrozenClock,
    api_client_for: Callable[[str], Client],
) -> None:
    fran = api_client_for("facilitator")
    made = create(fran, cast, rec).json()
    frozen.advance(hours=24)
    cora = api_client_for("core_team")
    started = call(
        cora, "POST", f"/action-items/{made['id']}/status", {"status": "in_progress", "note": "Go"}
    )
    assert started.status_code == 200, started.content
    answer = call(fran, "GET", f"/programs/{cast.program.pk}/time-to-action")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    [row] = body["recommendations"]
    assert row["recommendation_id"] == rec.pk
    assert (
        body["to_decision_seconds"] == (rec.decided_at - debrief.session.ended_at).total_seconds()
    )
    assert body["to_start_seconds"] == (NOW + timedelta(hours=24) - rec.decided_at).total_seconds()
    assert body["to_done_seconds"] is None  # not done yet
    assert body["recommendations_count"] == 1
    paged = call(fran, "GET", f"/programs/{cast.program.pk}/time-to-action/recommendations")
    assert paged.status_code == 200, paged.content
    assert paged.json() == {"items": [row], "count": 1}
    other = call(fran, "GET", f"/programs/{cast.program.pk}/time-to-action?debrief_id=999999")
    assert other.json()["recommendations"] == []
    assert other.json()["recommendations_count"] == 0
    none = f"/programs/{cast.program.pk}/time-to-action/recommendations?debrief_id=999999"
    assert call(fran, "GET", none).json() == {"items": [], "count": 0}
    stranger = call(
        api_client_for("stranger"), "GET", f"/programs/{cast.program.pk}/time-to-action"
    )
    assert stranger.status_code == 404
    stranger_list = call(
        api_client_for("stranger"),
        "GET",
        f"/programs/{cast.program.pk}/time-to-action/recommendations",
    )
    assert stranger_list.status_code == 404
