"""Marking a session held with its actual end: the service, the page and the API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from traction.core import clock, events
from traction.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from traction.core.models import AuditEvent
from traction.core.testing.cast import Cast
from traction.sessions import services
from traction.sessions.models import Session

pytestmark = pytest.mark.django_db

# 09:00–12:30 Berlin time on 1 July 2030 (CEST, UTC+2): 07:00–10:30 UTC.
PLANNED_AT = datetime(2030, 6, 1, 8, 0, tzinfo=UTC)
STARTS = datetime(2030, 7, 1, 7, 0, tzinfo=UTC)
ENDS = datetime(2030, 7, 1, 10, 30, tzinfo=UTC)


def plan(cast: Cast, **fields: Any) -> Session:
    values: dict[str, Any] = {
        "program": cast.program,
        "title": "Onboarding co-design",
        "starts_at": datetime(2030, 7, 1, 9, 0),
        "ends_at": datetime(2030, 7, 1, 12, 30),
        "time_zone": "Europe/Berlin",
        **fields,
    }
    with clock.frozen(PLANNED_AT):
        return services.plan_session(cast.viewer("facilitator"), **values)


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    seen: list[tuple[str, dict[str, Any]]] = []
    original = events.publish

    def record(event: str, actor: Any, **payload: Any) -> None:
        seen.append((event, payload))
        original(event, actor, **payload)

    monkeypatch.setattr(events, "publish", record)
    return seen


def test_held_at_the_planned_end_by_default(cast: Cast, published: list[Any]) -> None:
    session = plan(cast)
    with clock.frozen(datetime(2030, 7, 1, 11, 0, tzinfo=UTC)):
        held = services.mark_session_held(cast.viewer("facilitator"), session=session)
    assert held.is_held
    assert held.held_at == datetime(2030, 7, 1, 11, 0, tzinfo=UTC)
    assert held.held_by == cast.users["facilitator"]
    assert held.actual_ends_at == ENDS
    assert held.ended_at == ENDS
    assert ("session.held", {"session": held}) in published
    event = AuditEvent.objects.get(action="session.held", object_id=str(session.pk))
    assert event.actor_id == cast.users["facilitator"].pk
    assert set(event.changes) == {"held_at", "actual_ends_at"}


def test_a_wall_clock_end_is_read_in_the_sessions_zone(cast: Cast) -> None:
    session = plan(cast)
    with clock.frozen(datetime(2030, 7, 2, 8, 0, tzinfo=UTC)):
        held = services.mark_session_held(
            cast.viewer("facilitator"), session=session, actual_end=datetime(2030, 7, 1, 13, 15)
        )
    held.refresh_from_db()
    # 13:15 in Berlin in summer is 11:15 UTC.
    assert held.actual_ends_at == datetime(2030, 7, 1, 11, 15, tzinfo=UTC)


def test_a_wall_clock_end_across_the_autumn_change_and_the_skipped_hour(cast: Cast) -> None:
    # Sunday 27 October 2030: Berlin goes from CEST (UTC+2) back to CET (UTC+1) at 03:00.
    session = plan(
        cast,
        starts_at=datetime(2030, 10, 26, 22, 0),
        ends_at=datetime(2030, 10, 27, 1, 30),
    )
    with clock.frozen(datetime(2030, 10, 27, 12, 0, tzinfo=UTC)):
        held = services.mark_session_held(
            cast.viewer("facilitator"), session=session, actual_end=datetime(2030, 10, 27, 4, 0)
        )
        # 04:00 CET (after the change) is 03:00 UTC, not 02:00.
        assert held.actual_ends_at == datetime(2030, 10, 27, 3, 0, tzinfo=UTC)
    spring = plan(
        cast,
        title="Spring session",
        starts_at=datetime(2030, 3, 30, 22, 0),
        ends_at=datetime(2030, 3, 31, 1, 0),
    )
    # 02:30 on 31 March 2030 does not exist in Berlin (clocks go forward at 02:00).
    with (
        clock.frozen(datetime(2030, 3, 31, 12, 0, tzinfo=UTC)),
        pytest.raises(ValidationFailed) as refused,
    ):
        services.mark_session_held(
            cast.viewer("facilitator"), session=spring, actual_end=datetime(2030, 3, 31, 2, 30)
        )
    assert "does not exist in Europe/Berlin" in str(refused.value.errors["actual_end"])


def test_refused_before_the_start_in_the_future_and_when_cancelled(cast: Cast) -> None:
    session = plan(cast)
    fran = cast.viewer("facilitator")
    with (
        clock.frozen(datetime(2030, 7, 1, 6, 59, tzinfo=UTC)),
        pytest.raises(ValidationFailed, match="not started"),
    ):
        services.mark_session_held(fran, session=session)
    with clock.frozen(datetime(2030, 7, 1, 9, 0, tzinfo=UTC)):
        # Under way: the planned end (10:30 UTC) is still ahead, so it must be said.
        with pytest.raises(ValidationFailed) as future:
            services.mark_session_held(fran, session=session)
        assert "future" in str(future.value.errors["actual_end"])
        with pytest.raises(ValidationFailed) as before:
            services.mark_session_held(
                fran, session=session, actual_end=datetime(2030, 7, 1, 8, 30)
            )
        assert "after it starts" in str(before.value.errors["actual_end"])
        # Ended early, 10:45 Berlin time = 08:45 UTC, before now: accepted.
        held = services.mark_session_held(
            fran, session=session, actual_end=datetime(2030, 7, 1, 10, 45)
        )
        assert held.actual_ends_at == datetime(2030, 7, 1, 8, 45, tzinfo=UTC)
    other = plan(cast, title="Cancelled one")
    with clock.frozen(PLANNED_AT):
        services.cancel_session(fran, session=other, reason="Room flooded")
    with (
        clock.frozen(datetime(2030, 7, 2, tzinfo=UTC)),
        pytest.raises(ValidationFailed, match="cancelled"),
    ):
        services.mark_session_held(fran, session=other)
    assert not Session.objects.get(pk=other.pk).is_held


def test_a_correction_keeps_who_and_when_and_a_stale_version_is_refused(cast: Cast) -> None:
    session = plan(cast)
    fran = cast.viewer("facilitator")
    with clock.frozen(datetime(2030, 7, 1, 12, 0, tzinfo=UTC)) as frozen:
        first = services.mark_session_held(fran, session=session)
        read_version = first.version
        frozen.advance(hours=1)
        corrected = services.mark_session_held(
            cast.viewer("admin"),
            session=session,
            actual_end=datetime(2030, 7, 1, 13, 0),
            version=read_version,
        )
        assert corrected.actual_ends_at == datetime(2030, 7, 1, 11, 0, tzinfo=UTC)
        assert corrected.held_at == datetime(2030, 7, 1, 12, 0, tzinfo=UTC)
        assert corrected.held_by == cast.users["facilitator"]
        with pytest.raises(Conflict):
            services.mark_session_held(fran, session=session, version=read_version)
        # Said again with the same end: nothing changes, nothing more in the audit trail.
        again = services.mark_session_held(
            fran, session=session, actual_end=datetime(2030, 7, 1, 13, 0)
        )
        assert again.version == corrected.version
    assert Session.objects.get(pk=session.pk).actual_ends_at == datetime(
        2030, 7, 1, 11, 0, tzinfo=UTC
    )
    changes = [
        e.changes
        for e in AuditEvent.objects.filter(
            action="session.held", object_id=str(session.pk)
        ).order_by("id")
    ]
    assert len(changes) == 2
    assert set(changes[1]) == {"actual_ends_at"}


@pytest.mark.parametrize("principal", ["core_team", "sponsor", "observer", "account_owner"])
def test_only_those_who_plan_sessions_mark_them_held(cast: Cast, principal: str) -> None:
    session = plan(cast)
    with (
        clock.frozen(datetime(2030, 7, 2, tzinfo=UTC)),
        pytest.raises((PermissionDenied, NotFound)),
    ):
        services.mark_session_held(cast.viewer(principal), session=session)


# --- the page and the API -----------------------------------------------------------------


def test_the_page_offers_mark_as_held_then_shows_the_end(
    cast: Cast, client_for: Callable[[str], Client]
) -> None:
    session = plan(cast)
    fran = client_for("facilitator")
    url = reverse("sessions:detail", args=[cast.acme.slug, session.pk])
    with clock.frozen(datetime(2030, 6, 30, tzinfo=UTC)):
        assert "Mark as held" not in fran.get(url).content.decode()
    with clock.frozen(datetime(2030, 7, 1, 12, 0, tzinfo=UTC)):
        page = fran.get(url).content.decode()
        assert "Mark as held" in page
        assert 'value="12:30"' in page  # the planned end, in Berlin time
        assert "Mark as held" not in client_for("core_team").get(url).content.decode()
        held_url = reverse("sessions:held", args=[cast.acme.slug, session.pk])
        refused = fran.post(
            held_url,
            {"end_date": "2030-07-01", "end_time": "15:00", "version": session.version},
        )
        assert refused.status_code == 422
        assert "cannot be in the future" in refused.content.decode()
        done = fran.post(
            held_url,
            {"end_date": "2030-07-01", "end_time": "12:50", "version": session.version},
            follow=True,
        )
        page = done.content.decode()
        assert "Held, ended at 12:50" in page
        assert "Correct the end time" in page
        assert Session.objects.get(pk=session.pk).actual_ends_at == datetime(
            2030, 7, 1, 10, 50, tzinfo=UTC
        )
        # Someone reading the old version: told, their value kept, the current end shown.
        stale = fran.post(
            held_url, {"end_date": "2030-07-01", "end_time": "12:40", "version": session.version}
        )
        assert stale.status_code == 422
        text = stale.content.decode()
        assert "Someone else saved" in text
        assert "Held, ended at 12:50" in text
        assert 'value="12:40"' in text
        listing = fran.get(reverse("sessions:list", args=[cast.acme.slug])).content.decode()
        assert "held</span>" in listing


class Api:
    def __init__(self, client: Client) -> None:
        self.client = client

    def post(self, url: str, body: dict[str, Any]) -> Any:
        return self.client.post(url, body, content_type="application/json")

    def get(self, url: str) -> Any:
        return self.client.get(url)


def test_the_api_marks_held_and_lists_the_end(
    cast: Cast, api_client_for: Callable[[str], Client]
) -> None:
    session = plan(cast)
    api = Api(api_client_for("facilitator"))
    core_team = Api(api_client_for("core_team"))
    with clock.frozen(datetime(2030, 7, 1, 12, 0, tzinfo=UTC)):
        answer = api.post(
            f"/api/v1/sessions/{session.pk}/held",
            {"actual_end": "2030-07-01T12:45", "version": session.version},
        )
        assert answer.status_code == 200, answer.content
        body = answer.json()
        assert body["actual_ends_at"] == "2030-07-01T10:45:00.000Z"
        assert body["held_at"] == "2030-07-01T12:00:00.000Z"
        stale = api.post(f"/api/v1/sessions/{session.pk}/held", {"version": session.version})
        assert stale.status_code == 409
        future = api.post(f"/api/v1/sessions/{session.pk}/held", {"actual_end": "2030-07-01T15:00"})
        assert future.status_code == 422
        got = api.get(f"/api/v1/sessions/{session.pk}").json()
        assert got["actual_ends_at"] == "2030-07-01T10:45:00.000Z"
        assert core_team.post(f"/api/v1/sessions/{session.pk}/held", {}).status_code == 403
