"""Issue 11: a practice session rehearses one session. Linking one already linked elsewhere
is refused with a plain message (web: beside the field; API: 422), never a 500."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse

from traction.core.errors import ValidationFailed
from traction.core.models import AuditEvent
from traction.sessions import services
from traction.sessions.models import Session

pytestmark = pytest.mark.django_db


def plan(cast: Any, title: str, start: datetime, kind: str = "co_design") -> Session:
    return services.plan_session(
        cast.viewer("facilitator"),
        program=cast.program,
        title=title,
        kind=kind,
        starts_at=start,
        ends_at=start.replace(hour=start.hour + 1),
        time_zone="Europe/Berlin",
    )


@pytest.fixture
def two_and_a_practice(cast: Any) -> tuple[Session, Session, Session]:
    first = plan(cast, "Berlin co-design", datetime(2030, 7, 1, 9))
    second = plan(cast, "Paris co-design", datetime(2030, 7, 8, 9))
    rehearsal = plan(cast, "Dry run", datetime(2030, 6, 28, 9), kind="practice")
    services.link_practice(cast.viewer("facilitator"), session=first, practice=rehearsal)
    return first, second, rehearsal


MESSAGE = (
    "“Dry run” already rehearses “Berlin co-design”; a practice session rehearses one "
    "session. Choose another practice session, or plan a new one."
)


def test_the_api_refuses_a_practice_session_linked_elsewhere(
    cast: Any, api_client_for: Any, two_and_a_practice: tuple[Session, Session, Session]
) -> None:
    first, second, rehearsal = two_and_a_practice
    response = api_client_for("facilitator").put(
        f"/api/v1/sessions/{second.pk}/practice",
        json.dumps({"practice_id": rehearsal.pk}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert [(e["loc"][-1], e["msg"]) for e in response.json()["detail"]] == [
        ("practice_id", MESSAGE)
    ]
    second.refresh_from_db()
    first.refresh_from_db()
    assert (second.practice_id, first.practice_id) == (None, rehearsal.pk)
    linked = AuditEvent.objects.filter(action="session.practice_linked", object_id=str(second.pk))
    assert not linked.exists()
    # Linking it again to the session it already rehearses is fine.
    again = api_client_for("facilitator").put(
        f"/api/v1/sessions/{first.pk}/practice",
        json.dumps({"practice_id": rehearsal.pk}),
        content_type="application/json",
    )
    assert again.status_code == 200


def test_the_form_offers_only_free_practice_sessions(
    cast: Any, client_for: Any, two_and_a_practice: tuple[Session, Session, Session]
) -> None:
    first, second, rehearsal = two_and_a_practice
    spare = plan(cast, "Spare rehearsal", datetime(2030, 6, 29, 9), kind="practice")
    client = client_for("facilitator")
    page = client.get(reverse("sessions:detail", args=["acme", second.pk])).content.decode()
    assert f'<option value="{spare.pk}">' in page
    assert f'<option value="{rehearsal.pk}"' not in page
    # The session it rehearses still offers it (selected).
    own = client.get(reverse("sessions:detail", args=["acme", first.pk])).content.decode()
    assert f'<option value="{rehearsal.pk}" selected>' in own


def test_the_form_refuses_a_taken_practice_session_beside_the_field(
    cast: Any, client_for: Any, two_and_a_practice: tuple[Session, Session, Session]
) -> None:
    _first, second, rehearsal = two_and_a_practice
    response = client_for("facilitator").post(
        reverse("sessions:practice", args=["acme", second.pk]), {"practice": rehearsal.pk}
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert f'<span class="field-error" id="practice-error" role="alert">{MESSAGE}</span>' in page
    assert 'aria-describedby="practice-error"' in page
    second.refresh_from_db()
    assert second.practice_id is None


def test_a_racing_link_is_refused_not_a_crash(
    cast: Any, two_and_a_practice: tuple[Session, Session, Session]
) -> None:
    first, second, rehearsal = two_and_a_practice
    Session.objects.filter(pk=first.pk).update(practice=None)
    stale_first = Session.objects.get(pk=first.pk)
    # Simulate the race: the other row takes the practice between the check and the save.
    original = Session.objects.filter

    def racing_filter(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("practice") == rehearsal:
            Session.objects.filter = original  # type: ignore[method-assign]
            Session.objects.filter(pk=second.pk).update(practice=rehearsal)
            return original(pk__in=[])  # the check ran before the other link was committed
        return original(*args, **kwargs)

    Session.objects.filter = racing_filter  # type: ignore[method-assign]
    try:
        with pytest.raises(ValidationFailed) as refused, transaction.atomic():
            services.link_practice(
                cast.viewer("facilitator"), session=stale_first, practice=rehearsal
            )
    finally:
        Session.objects.filter = original  # type: ignore[method-assign]
    assert refused.value.errors == {
        "practice": [
            "“Dry run” was just linked to another session; choose another practice session."
        ]
    }
    assert Session.objects.get(pk=first.pk).practice_id is None


def test_practice_eligibility_is_one_rule_for_pickers_and_refusals(
    cast: Any, two_and_a_practice: tuple[Session, Session, Session]
) -> None:
    """``Session.rehearsal_refusal`` (with its reasons) and ``practice_candidates`` (pickers)
    give the same answer for every session of the workspace."""
    first, second, rehearsal = two_and_a_practice
    spare = plan(cast, "Spare rehearsal", datetime(2030, 6, 29, 9), kind="practice")
    late = plan(cast, "Late rehearsal", datetime(2030, 7, 9, 9), kind="practice")
    interview = plan(cast, "Interview", datetime(2030, 6, 20, 9), kind="interview")
    elsewhere = services.plan_session(
        cast.viewer("facilitator"),
        program=cast.other_program,
        title="Other program's rehearsal",
        kind="practice",
        starts_at=datetime(2030, 6, 21, 9),
        ends_at=datetime(2030, 6, 21, 10),
    )
    everything = [first, rehearsal, spare, late, interview, elsewhere, second]
    refusals = {s.title: s.rehearsal_refusal(second) for s in everything}
    assert refusals == {
        "Berlin co-design": "Choose a session of the kind “Practice session”.",
        "Dry run": MESSAGE,
        "Spare rehearsal": "",
        "Late rehearsal": "The practice session must come before the session.",
        "Interview": "Choose a session of the kind “Practice session”.",
        "Other program's rehearsal": "The practice session must belong to the same program.",
        "Paris co-design": "Choose a session of the kind “Practice session”.",
    }
    assert [s.title for s in Session.objects.practice_candidates(second)] == ["Spare rehearsal"]
    # The session a practice session already rehearses may keep it.
    assert rehearsal.rehearsal_refusal(first) == ""
    assert [s.title for s in Session.objects.practice_candidates(first)] == [
        "Dry run",
        "Spare rehearsal",
    ]
