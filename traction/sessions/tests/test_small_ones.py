"""Issue 11, small ones on the session pages: a new agenda item given an existing number goes
before that item (the rest move down); the decide page marks the Approvals tab."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from traction.sessions import services
from traction.sessions.models import Session

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(cast: Any) -> Session:
    start = (timezone.now() + timedelta(days=30)).replace(tzinfo=None, microsecond=0)
    return services.plan_session(
        cast.viewer("facilitator"),
        program=cast.program,
        title="Onboarding co-design",
        starts_at=start,
        ends_at=start + timedelta(hours=4),
        time_zone="Europe/Berlin",
    )


def agenda_post(rows: list[tuple[str, int | str, str]], initial: int) -> dict[str, str]:
    data = {
        "items-TOTAL_FORMS": str(len(rows)),
        "items-INITIAL_FORMS": str(initial),
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
    }
    for n, (title, minutes, order) in enumerate(rows):
        data |= {f"items-{n}-title": title, f"items-{n}-minutes": str(minutes)}
        data[f"items-{n}-ORDER"] = order
    return data


def test_a_new_item_given_an_existing_number_goes_before_it(
    cast: Any, client_for: Any, session: Session
) -> None:
    existing = [(i.title, i.minutes, str(i.position)) for i in session.agenda.all()]
    before = [t for t, _, _ in existing]
    response = client_for("facilitator").post(
        reverse("sessions:agenda", args=["acme", session.pk]),
        agenda_post([*existing, ("Coffee", 10, "2"), ("", "", "")], initial=len(existing)),
    )
    assert response.status_code == 302
    after = [(i.position, i.title) for i in session.agenda.all()]
    assert after == list(enumerate([before[0], "Coffee", *before[1:]], start=1))


def test_an_existing_item_moved_to_a_taken_number_goes_before_it(
    cast: Any, client_for: Any, session: Session
) -> None:
    existing = [(i.title, i.minutes, str(i.position)) for i in session.agenda.all()]
    before = [t for t, _, _ in existing]
    last = existing[-1]
    moved = [*existing[:-1], (last[0], last[1], "1")]
    client_for("facilitator").post(
        reverse("sessions:agenda", args=["acme", session.pk]),
        agenda_post(moved, initial=len(existing)),
    )
    assert [i.title for i in session.agenda.all()] == [before[-1], *before[:-1]]


def test_the_decide_page_marks_approvals_not_sessions(
    cast: Any, client_for: Any, session: Session
) -> None:
    request = services.request_outreach(
        cast.viewer("facilitator"), session=session, contact=cast.contact
    )
    response = client_for("account_owner").post(
        reverse("sessions:outreach_decide", args=["acme", request.pk]),
        {"decision": "decline", "reason": " "},
    )
    page = response.content.decode()
    sessions = reverse("sessions:list", args=["acme"])
    approvals = reverse("sessions:approvals", args=["acme"])
    assert f'<a href="{approvals}" aria-current="page">Approvals' in page
    assert f'<a href="{sessions}">Sessions</a>' in page
    assert page.count('aria-current="page"') == 1
