"""Issue 11: a notice that asks for an action resolves itself when the action is done (the
owner decides, an admin waives, the participant acknowledges the briefing); the badge counts
only open notices; a notice's "Open" is a real link."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from traction.accounts.models import Notice
from traction.sessions import services
from traction.sessions.models import Participant, Session

pytestmark = pytest.mark.django_db


def badge(count: int) -> str:
    return f'<span class="count" aria-label="{count} unread">{count}</span>'


@pytest.fixture
def session(cast: Any) -> Session:
    start = (timezone.now() + timedelta(days=30)).replace(tzinfo=None, microsecond=0)
    return services.plan_session(
        cast.viewer("facilitator"),
        program=cast.program,
        title="Onboarding co-design",
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        time_zone="Europe/Berlin",
    )


def test_the_owners_approval_notice_resolves_when_they_decide(
    cast: Any, client_for: Any, session: Session
) -> None:
    request = services.request_outreach(
        cast.viewer("facilitator"), session=session, contact=cast.contact
    )
    owen = client_for("account_owner")
    notices = reverse("accounts:notices", args=["acme"])
    page = owen.get(notices).content.decode()
    assert badge(1) in page
    assert '<span class="badge badge-warn">New</span> Approval needed' in page
    response = owen.post(
        reverse("sessions:outreach_decide", args=["acme", request.pk]), {"decision": "approve"}
    )
    assert response.status_code == 302
    page = owen.get(notices).content.decode()
    assert 'aria-label="1 unread"' not in page
    assert '<span class="badge badge-ok">Done</span> Approval needed' in page
    notice = Notice.objects.get(user=cast.users["account_owner"])
    assert (notice.action, notice.read_at is None, notice.resolved_at is not None) == (
        f"outreach.decide:{request.pk}",
        True,
        True,
    )


def test_an_admin_waiver_resolves_the_owners_notice(cast: Any, session: Session) -> None:
    request = services.request_outreach(
        cast.viewer("facilitator"), session=session, contact=cast.contact
    )
    services.waive_outreach(cast.viewer("admin"), request=request, reason="Owner on leave.")
    owner_notices = Notice.objects.filter(user=cast.users["account_owner"])
    assert [(n.text.split(":")[0], n.resolved_at is not None) for n in owner_notices] == [
        ("An admin waived your approval to invite Gina Globex to “Onboarding co-design”.", False),
        ("Approval needed", True),
    ]


def test_the_briefing_notice_resolves_when_acknowledged(
    cast: Any, client_for: Any, session: Session
) -> None:
    services.add_participant(
        cast.viewer("facilitator"),
        session=session,
        user_id=cast.users["core_team"].pk,
        role="note_taker",
    )
    cora = client_for("core_team")
    home = reverse("accounts:notices", args=["acme"])
    assert badge(1) in cora.get(home).content.decode()
    cora.post(reverse("sessions:briefing_ack", args=["acme", session.pk]))
    page = cora.get(home).content.decode()
    assert 'aria-label="1 unread"' not in page
    assert '<span class="badge badge-ok">Done</span> You are note taker' in page
    participant = Participant.objects.get(session=session, user=cast.users["core_team"])
    assert Notice.objects.get(user=cast.users["core_team"]).action == (
        f"briefing.read:{participant.pk}"
    )


def test_the_briefing_notices_resolve_when_the_session_is_held(
    cast: Any, client_for: Any, session: Session
) -> None:
    # After the session there is nothing left to read for it: marking it held resolves its
    # participants' notices, and the briefing no longer asks to be acknowledged.
    from traction.core import clock

    fran = cast.viewer("facilitator")
    for key in ("core_team", "observer"):
        services.add_participant(fran, session=session, user_id=cast.users[key].pk, role="observer")
    cora = client_for("core_team")
    briefing = reverse("sessions:briefing", args=["acme", session.pk])
    assert "I have read my briefing" in cora.get(briefing).content.decode()
    with clock.frozen(session.ends_at + timedelta(hours=1)):
        services.mark_session_held(fran, session=session)
        page = cora.get(briefing).content.decode()
    assert "I have read my briefing" not in page
    assert "The session is over: there is nothing left to acknowledge." in page
    assert Notice.objects.filter(resolved_at__isnull=True).count() == 0
    assert Notice.objects.filter(action__startswith="briefing.read:").count() == 2


def test_notices_of_sessions_held_before_the_upgrade_are_resolved(
    cast: Any, session: Session
) -> None:
    import importlib

    from django.apps import apps

    from traction.core import clock

    migration = importlib.import_module(
        "traction.sessions.migrations.0011_briefing_notices_of_held_sessions"
    )
    fran = cast.viewer("facilitator")
    services.add_participant(
        fran, session=session, user_id=cast.users["core_team"].pk, role="observer"
    )
    with clock.frozen(session.ends_at + timedelta(hours=1)):
        services.mark_session_held(fran, session=session)
    Notice.objects.update(resolved_at=None)  # as marking held left them before
    later = services.plan_session(
        fran,
        program=cast.program,
        title="Next one",
        starts_at=session.starts_at.replace(tzinfo=None) + timedelta(days=7),
        ends_at=session.ends_at.replace(tzinfo=None) + timedelta(days=7),
        time_zone="Europe/Berlin",
    )
    services.add_participant(
        fran, session=later, user_id=cast.users["core_team"].pk, role="observer"
    )
    migration.resolve(apps, None)
    assert sorted(
        (n.link.split("/")[-3], n.resolved_at is not None) for n in Notice.objects.all()
    ) == [
        (str(session.pk), True),
        (str(later.pk), False),  # not held yet: still asks
    ]


def test_open_is_a_real_link_that_marks_the_notice_read(
    cast: Any, client_for: Any, session: Session
) -> None:
    request = services.request_outreach(
        cast.viewer("facilitator"), session=session, contact=cast.contact
    )
    notice = Notice.objects.get(user=cast.users["account_owner"])
    opener = reverse("accounts:notice_open", args=["acme", notice.pk])
    owen = client_for("account_owner")
    page = owen.get(reverse("accounts:notices", args=["acme"])).content.decode()
    assert f'<a href="{opener}">Open<span class="visually-hidden">: Approval needed' in page
    # Someone else's notice: back to their own notices, this one untouched.
    other = client_for("facilitator").get(opener)
    assert other["Location"] == reverse("accounts:notices", args=["acme"])
    notice.refresh_from_db()
    assert notice.read_at is None
    response = owen.get(opener)
    assert response.status_code == 302
    assert response["Location"] == reverse("sessions:outreach_detail", args=["acme", request.pk])
    notice.refresh_from_db()
    assert notice.read_at is not None


def test_notices_sent_before_the_upgrade_are_backfilled(cast: Any, session: Session) -> None:
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "traction.sessions.migrations.0003_notice_actions_backfilled"
    )
    fran = cast.viewer("facilitator")
    decided = services.request_outreach(fran, session=session, contact=cast.contact)
    services.add_participant(
        fran, session=session, user_id=cast.users["core_team"].pk, role="note_taker"
    )
    services.decide_outreach(cast.viewer("account_owner"), request=decided, approve=True)
    # As they were before: no action, nothing resolved.
    Notice.objects.update(action="", resolved_at=None)
    migration.backfill(apps, None)
    participant = Participant.objects.get(session=session, user=cast.users["core_team"])
    assert sorted(
        (n.user.email, n.action, n.resolved_at is not None) for n in Notice.objects.all()
    ) == [
        ("cora@acme.test", f"briefing.read:{participant.pk}", False),
        ("fran@acme.test", "", False),  # "was approved": asks for nothing
        ("owen@acme.test", f"outreach.decide:{decided.pk}", True),
    ]
