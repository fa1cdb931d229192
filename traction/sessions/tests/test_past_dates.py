"""A session planned with its end already past (a wrong year, or one recorded afterwards):
asked to confirm on the page, warned of in the API; while not marked held and with nothing
recorded from it, its date can be corrected (its debrief follows) and it can be cancelled."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from traction.core import clock
from traction.core.errors import ValidationFailed
from traction.core.testing.cast import Cast
from traction.debrief.models import Debrief, DebriefStatus
from traction.insights.services.capture import capture_insight
from traction.sessions import services
from traction.sessions.models import Session

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 7, 21, 0, tzinfo=UTC)


def stray(cast: Cast) -> Session:
    """Planned on 7 December 2026 for 20 January 2025 (meant: 2027)."""
    with clock.frozen(NOW):
        return services.plan_session(
            cast.viewer("facilitator"),
            program=cast.program,
            title="Onboarding co-design",
            starts_at=datetime(2025, 1, 20, 9, 0),
            ends_at=datetime(2025, 1, 20, 12, 30),
            time_zone="Europe/Berlin",
        )


def form_data(**fields: Any) -> dict[str, Any]:
    return {
        "kind": "co_design",
        "title": "Onboarding co-design",
        "date": "2025-01-20",
        "start_time": "09:00",
        "end_time": "12:30",
        "time_zone": "Europe/Berlin",
        **fields,
    }


def test_the_form_asks_before_planning_a_session_already_over(
    cast: Cast, client_for: Callable[[str], Client]
) -> None:
    fran = client_for("facilitator")
    url = reverse("sessions:create", args=[cast.acme.slug])
    with clock.frozen(NOW):
        asked = fran.post(url, form_data(program=cast.program.pk))
        page = asked.content.decode()
        assert asked.status_code == 200
        assert Session.objects.filter(title="Onboarding co-design").count() == 0
        assert "This session ended on 20 January 2025 — already over." in page
        assert "Record a session held in the past?" in page
        assert 'name="confirm_past"' in page
        # A session ahead asks nothing (and the box is not shown).
        fresh = fran.get(url).content.decode()
        assert 'name="confirm_past"' not in fresh
        saved = fran.post(url, form_data(program=cast.program.pk, confirm_past="on"))
    assert saved.status_code == 302
    assert Session.objects.filter(title="Onboarding co-design").count() == 1


def test_the_api_plans_it_with_a_warning(
    cast: Cast, api_client_for: Callable[[str], Client]
) -> None:
    body = {
        "program_id": cast.program.pk,
        "title": "Onboarding co-design",
        "starts_at": "2025-01-20T09:00",
        "ends_at": "2025-01-20T12:30",
        "time_zone": "Europe/Berlin",
    }
    client = api_client_for("facilitator")
    with clock.frozen(NOW):
        past = client.post("/api/v1/sessions", json.dumps(body), content_type="application/json")
        body |= {"starts_at": "2027-01-20T09:00", "ends_at": "2027-01-20T12:30"}
        ahead = client.post("/api/v1/sessions", json.dumps(body), content_type="application/json")
    assert past.status_code == 201, past.content
    assert len(past.json()["warnings"]) == 1
    assert "This session ended on 20 January 2025 — already over." in past.json()["warnings"][0]
    assert ahead.status_code == 201
    assert ahead.json()["warnings"] == []


def test_a_stray_session_is_corrected_and_its_debrief_follows(cast: Cast) -> None:
    session = stray(cast)
    debrief = Debrief.objects.get(session=session)
    assert debrief.clock_from_recording
    assert debrief.due_at == NOW + timedelta(hours=24)
    with clock.frozen(NOW + timedelta(hours=1)):
        fixed = services.update_session(
            cast.viewer("facilitator"),
            session=session,
            changes={
                "starts_at": datetime(2027, 1, 20, 9, 0),
                "ends_at": datetime(2027, 1, 20, 12, 30),
            },
        )
    assert fixed.ends_at == datetime(2027, 1, 20, 11, 30, tzinfo=UTC)
    debrief.refresh_from_db()
    assert not debrief.clock_from_recording
    assert debrief.due_at == datetime(2027, 1, 21, 11, 30, tzinfo=UTC)
    # Booked as for a session planned so: an hour after it ends (13:30 Berlin time).
    assert debrief.starts_at == datetime(2027, 1, 20, 12, 30, tzinfo=UTC)


def test_a_stray_session_is_cancelled_with_its_debrief(
    cast: Cast, client_for: Callable[[str], Client]
) -> None:
    session = stray(cast)
    fran = client_for("facilitator")
    detail = reverse("sessions:detail", args=[cast.acme.slug, session.pk])
    cancel = reverse("sessions:cancel", args=[cast.acme.slug, session.pk])
    with clock.frozen(NOW + timedelta(hours=1)):
        page = fran.get(detail).content.decode()
        assert "Cancel session…" in page
        assert "nothing has been recorded from it yet" in page
        done = fran.post(cancel, {"reason": "Planned for 2025 by mistake"})
    assert done.status_code == 302
    session.refresh_from_db()
    assert session.is_cancelled
    assert Debrief.objects.get(session=session).status == DebriefStatus.CANCELLED


def test_held_or_with_insights_it_stays_and_the_page_says_why(
    cast: Cast, client_for: Callable[[str], Client]
) -> None:
    fran = client_for("facilitator")
    later = NOW + timedelta(hours=1)
    captured, held = stray(cast), stray(cast)
    with clock.frozen(later):
        capture_insight(
            cast.viewer("facilitator"), session=captured, kind="issue", text="Setup takes weeks"
        )
        services.mark_session_held(cast.viewer("facilitator"), session=held)
    for session, why in (
        (captured, "holds what was recorded in it (1 insight)"),
        (held, "was marked held (it ended on 20 January 2025)"),
    ):
        with clock.frozen(later), pytest.raises(ValidationFailed) as refused:
            services.update_session(
                cast.viewer("facilitator"),
                session=session,
                changes={
                    "starts_at": datetime(2027, 1, 20, 9, 0),
                    "ends_at": datetime(2027, 1, 20, 12, 30),
                },
            )
        assert why in str(refused.value.errors)
        with clock.frozen(later), pytest.raises(ValidationFailed):
            services.cancel_session(cast.viewer("facilitator"), session=session, reason="Typo")
        with clock.frozen(later):
            page = fran.get(reverse("sessions:detail", args=[cast.acme.slug, session.pk]))
            edit = fran.get(reverse("sessions:edit", args=[cast.acme.slug, session.pk]))
        assert "Cancel session…" not in page.content.decode()
        assert why in page.content.decode()
        assert why in edit.content.decode()
    # Only when its customers hear back still changes.
    with clock.frozen(later):
        services.update_session(
            cast.viewer("facilitator"), session=held, changes={"hear_back_by": None}
        )


def test_moving_a_session_into_the_past_on_edit_asks_too(
    cast: Cast, client_for: Callable[[str], Client]
) -> None:
    with clock.frozen(NOW):
        session = services.plan_session(
            cast.viewer("facilitator"),
            program=cast.program,
            title="Onboarding co-design",
            starts_at=datetime(2027, 1, 20, 9, 0),
            ends_at=datetime(2027, 1, 20, 12, 30),
            time_zone="Europe/Berlin",
        )
    fran = client_for("facilitator")
    url = reverse("sessions:edit", args=[cast.acme.slug, session.pk])
    data = form_data(version=session.version)
    data.pop("kind")
    with clock.frozen(NOW):
        asked = fran.post(url, data)
        assert "This session ended on 20 January 2025 — already over." in asked.content.decode()
        session.refresh_from_db()
        assert session.local_start.year == 2027
        assert fran.post(url, data | {"confirm_past": "on"}).status_code == 302
    session.refresh_from_db()
    assert session.local_start.year == 2025
