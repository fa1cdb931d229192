"""The communication plan through the API: read and change the plan (errors per field), its
rows, and the session's promise (``hear_back_by``) through the sessions API."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from traction.core import clock
from traction.core.testing.cast import Cast
from traction.loop import plan_api
from traction.sessions import services as session_services
from traction.sessions.models import Session

from . import world as w

pytestmark = pytest.mark.django_db

DAY = w.ENDED.date()


def on(days: int) -> datetime:
    d = DAY + timedelta(days=days)
    return datetime(d.year, d.month, d.day, 9, 0, tzinfo=UTC)


@pytest.fixture
def world(cast: Cast) -> w.World:
    with clock.frozen(on(-1)):
        return w.build(cast)


def call(client: Client, method: str, path: str, days: int, body: object = None) -> tuple[int, Any]:
    with clock.frozen(on(days)):
        if body is None:
            r = getattr(client, method)("/api/v1" + path)
        else:
            r = getattr(client, method)(
                "/api/v1" + path, data=json.dumps(body), content_type="application/json"
            )
    return r.status_code, r.json()


def test_read_and_change_the_plan(world: w.World, api_client_for: Callable[[str], Client]) -> None:
    cast = world.cast
    client = api_client_for("core_team")
    path = f"/programs/{cast.program.pk}/comms-plan"
    status, body = call(client, "get", path, 2)
    assert status == 200
    assert (body["cadence_days"], body["silence_days"]) == (42, 90)
    assert {t["customer"]: t["default"] for t in body["tellers"]} == {
        "Globex": True,
        "Initech": True,
    }
    assert body["tellers_count"] == 2
    status, body = call(
        client,
        "patch",
        path,
        2,
        {
            "cadence_days": 28,
            "tellers": [
                {"customer_id": cast.other_customer.pk, "teller_id": cast.users["core_team"].pk}
            ],
        },
    )
    assert status == 200, body
    assert body["cadence_days"] == 28
    initech = next(t for t in body["tellers"] if t["customer"] == "Initech")
    assert initech == {
        "customer_id": cast.other_customer.pk,
        "customer": "Initech",
        "teller_id": cast.users["core_team"].pk,
        "default": False,
    }
    status, body = call(client, "patch", path, 2, {"silence_days": 20})
    assert status == 422
    assert "longer than the cadence" in json.dumps(body)
    status, body = call(client, "patch", path, 2, {"cadence_days": "28"})
    assert status == 422  # strings are not numbers
    status, _ = call(api_client_for("observer"), "patch", path, 2, {"notes": "x"})
    assert status == 403


def test_plan_rows(world: w.World, api_client_for: Callable[[str], Client]) -> None:
    cast = world.cast
    Session.objects.filter(pk=world.session.pk).update(hear_back_by=DAY + timedelta(days=14))
    status, body = call(
        api_client_for("facilitator"), "get", f"/programs/{cast.program.pk}/comms-plan/rows", 17
    )
    assert status == 200
    globex = next(r for r in body["items"] if r["customer"] == "Globex")
    assert globex["teller"] == "Owen Owner"
    assert globex["teller_default"] is True
    assert globex["overdue"] is True
    assert globex["overdue_days"] == 3
    assert globex["due_because"] == "promise"
    assert globex["promise"]["days_left"] == -3
    assert globex["promise"]["hear_back_by"] == "2027-01-28"
    assert globex["last_heard_at"] is None
    # Owen reads his customer's row only.
    status, body = call(
        api_client_for("account_owner"), "get", f"/programs/{cast.program.pk}/comms-plan/rows", 17
    )
    assert body["count"] == 1
    assert [r["customer"] for r in body["items"]] == ["Globex"]


def test_the_promise_through_the_sessions_api(
    world: w.World, api_client_for: Callable[[str], Client]
) -> None:
    client = api_client_for("facilitator")
    path = f"/sessions/{world.session.pk}"
    # Marked held: a session over with nothing recorded could still have its date corrected.
    with clock.frozen(on(1)):
        session_services.mark_session_held(world.cast.viewer("facilitator"), session=world.session)
    status, body = call(client, "patch", path, 1, {"hear_back_by": "2027-01-10"})
    assert status == 422
    assert "before the session starts" in json.dumps(body)
    status, body = call(client, "patch", path, 1, {"hear_back_by": "2027-02-01"})
    assert status == 200, body
    assert body["hear_back_by"] == "2027-02-01"
    status, body = call(client, "get", path, 1)
    assert body["hear_back_by"] == "2027-02-01"
    # The session is over: nothing else of it changes.
    status, body = call(client, "patch", path, 1, {"title": "Renamed"})
    assert status == 422
    assert "This session is over and was marked held" in json.dumps(body)
    status, body = call(client, "patch", path, 1, {"hear_back_by": None})
    assert status == 200
    assert body["hear_back_by"] is None


def test_the_plan_nests_its_first_tellers_and_counts_them_all(
    world: w.World, api_client_for: Callable[[str], Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plan_api, "TELLERS", 1)
    path = f"/programs/{world.cast.program.pk}/comms-plan"
    status, body = call(api_client_for("core_team"), "get", path, 2)
    assert status == 200
    assert [t["customer"] for t in body["tellers"]] == ["Globex"]  # by name
    assert body["tellers_count"] == 2
    # An account owner's plan covers the organisations they may identify only.
    status, body = call(api_client_for("account_owner"), "get", path, 2)
    assert [t["customer"] for t in body["tellers"]] == ["Globex"]
    assert body["tellers_count"] == 1
