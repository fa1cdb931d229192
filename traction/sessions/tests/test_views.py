"""Web pages for planning and preparing sessions: the gatekeeping, briefings, RSVP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from traction.accounts.models import Notice
from traction.sessions import rsvp, services
from traction.sessions.models import (
    AgendaItem,
    Invitation,
    OutreachRequest,
    OutreachStatus,
    Participant,
    RsvpStatus,
    Session,
)


def html(response) -> str:
    return response.content.decode()


def field_error(field: str, message: str) -> str:
    return f'<ul class="errorlist" id="id_{field}_error"><li>{message}</li></ul>'


def url(name: str, *args: object) -> str:
    return reverse(f"sessions:{name}", args=["acme", *args])


def day(offset: int = 30) -> datetime:
    """A naive date ``offset`` days ahead, at midnight (the service reads it in the zone)."""
    d = timezone.now().date() + timedelta(days=offset)
    return datetime(d.year, d.month, d.day)


@pytest.fixture
def session(cast) -> Session:
    start = day() + timedelta(hours=9)
    return services.plan_session(
        cast.viewer("facilitator"),
        program=cast.program,
        title="Onboarding co-design",
        starts_at=start,
        ends_at=start + timedelta(hours=4),
        time_zone="Europe/Berlin",
        location="Berlin office, room 4",
    )


@pytest.fixture
def approved(cast, session) -> OutreachRequest:
    request = services.request_outreach(
        cast.viewer("facilitator"), session=session, contact=cast.contact, message="Finance lead."
    )
    return services.decide_outreach(
        cast.viewer("account_owner"),
        request=request,
        approve=True,
        conditions="Do not discuss pricing.",
    )


@pytest.fixture
def invitation(cast, approved) -> Invitation:
    return services.send_invitation(cast.viewer("facilitator"), request=approved)


# --- list, create, detail ---------------------------------------------------------------------


def test_an_empty_list_invites_planning(cast, client_for):
    page = html(client_for("facilitator").get(url("list")))
    assert "<title>Sessions · Acme · Traction</title>" in page
    assert "<strong>No upcoming sessions.</strong>" in page
    assert f'href="{url("create")}">Plan a session</a>' in page


def test_the_list_shows_upcoming_sessions_with_readiness(cast, client_for, session):
    page = html(client_for("facilitator").get(url("list")))
    assert f'<a href="{url("detail", session.pk)}">Onboarding co-design</a>' in page
    assert "<td>Effortless onboarding</td>" in page
    assert "(Europe/Berlin)" in page
    assert "<strong>0%</strong> ready" in page
    # Filters: another program's sessions only.
    page = html(client_for("facilitator").get(url("list"), {"program": cast.other_program.pk}))
    assert "Onboarding co-design" not in page
    assert "<strong>No upcoming sessions match these filters.</strong>" in page


def test_an_observer_sees_no_plan_button(cast, client_for, session):
    page = html(client_for("observer").get(url("list")))
    assert "Onboarding co-design" in page
    assert "Plan a session" not in page


def test_planning_through_the_form_stores_the_utc_instant(cast, client_for):
    client = client_for("facilitator")
    page = html(client.get(url("create") + f"?program={cast.program.pk}"))
    assert f'<option value="{cast.program.pk}" selected>Effortless onboarding</option>' in page
    # The picker starts at the workspace's zone (UTC unless an admin set another).
    assert '<option value="UTC" selected>UTC</option>' in page
    assert '<option value="Europe/London">Europe/London</option>' in page
    response = client.post(
        url("create"),
        {
            "program": cast.program.pk,
            "kind": "co_design",
            "title": "Berlin co-design",
            "date": "2031-07-15",
            "start_time": "09:30",
            "end_time": "13:30",
            "time_zone": "Europe/Berlin",
            "location": "Alexanderplatz 1",
            "video_link": "",
        },
    )
    created = Session.objects.get(title="Berlin co-design")
    assert response.status_code == 302
    assert response["Location"] == url("detail", created.pk)
    # 09:30 in Berlin in summer (CEST, UTC+2) is 07:30 UTC.
    assert created.starts_at == datetime(2031, 7, 15, 7, 30, tzinfo=UTC)
    assert created.ends_at == datetime(2031, 7, 15, 11, 30, tzinfo=UTC)
    assert created.time_zone == "Europe/Berlin"
    assert created.agenda.count() == 6
    page = html(client.get(response["Location"]))
    assert 'Tuesday 15 July 2031, 09:30–13:30 <span class="muted">(Europe/Berlin)</span>' in page


def test_a_session_that_ends_before_it_starts_is_refused_beside_the_field(cast, client_for):
    response = client_for("facilitator").post(
        url("create"),
        {
            "program": cast.program.pk,
            "kind": "interview",
            "title": "Backwards",
            "date": "2031-07-15",
            "start_time": "10:00",
            "end_time": "09:00",
            "time_zone": "UTC",
        },
    )
    assert response.status_code == 200
    assert "must end after it starts" in html(response)
    assert not Session.objects.filter(title="Backwards").exists()


def test_the_detail_page_shows_when_agenda_readiness_and_outreach(cast, client_for, invitation):
    session = invitation.session
    page = html(client_for("facilitator").get(url("detail", session.pk)))
    assert "<h1>Onboarding co-design</h1>" in page
    assert '09:00–13:00 <span class="muted">(Europe/Berlin)</span>' in page
    assert "Berlin office, room 4" in page
    assert (
        "<strong>210 of 240 minutes planned.</strong> "
        '<span class="badge badge-warn">30 minutes of the session are not planned yet.</span>'
    ) in page
    assert "Account owners approved outreach</strong>" in page
    assert "1 of 1 approved, 0 pending" in page
    assert '<span class="condition small">Condition: Do not discuss pricing.</span>' in page
    assert '<span class="badge">No answer yet</span>' in page
    assert f'href="{url("edit", session.pk)}">Edit</a>' in page
    assert '<h2 id="readiness">Readiness: 14%</h2>' in page  # 1 of 7 (the debrief's too)


def test_a_pending_request_shows_its_age(cast, client_for, session):
    request = services.request_outreach(
        cast.viewer("facilitator"), session=session, contact=cast.contact
    )
    OutreachRequest.objects.filter(pk=request.pk).update(
        created_at=timezone.now() - timedelta(days=3, hours=2)
    )
    page = html(client_for("facilitator").get(url("detail", session.pk)))
    assert '<span class="badge badge-warn">Pending for 3\xa0days</span>' in page


def test_an_observer_sees_the_session_without_action_buttons(cast, client_for, session):
    page = html(client_for("observer").get(url("detail", session.pk)))
    assert "<h1>Onboarding co-design</h1>" in page
    for button in ("Edit agenda", "Request outreach", "Manage participants", "Cancel session"):
        assert button not in page


def test_a_stranger_gets_404_everywhere(cast, client_for, session, approved):
    client = client_for("stranger")
    for target in (
        url("list"),
        url("detail", session.pk),
        url("outreach_detail", approved.pk),
        url("briefing", session.pk),
    ):
        assert client.get(target).status_code == 404
    assert (
        client.post(url("outreach_decide", approved.pk), {"decision": "approve"}).status_code == 404
    )


def test_editing_the_time_tells_that_invitees_get_an_update(cast, client_for, invitation):
    session = invitation.session
    client = client_for("facilitator")
    page = html(client.get(url("edit", session.pk)))
    assert "If you change the title, time, place or link, invitees will receive an updated" in page
    local = session.local_start
    response = client.post(
        url("edit", session.pk),
        {
            "title": session.title,
            "date": local.date().isoformat(),
            "start_time": "10:00",
            "end_time": "14:00",
            "time_zone": "Europe/Berlin",
            "location": session.location,
            "video_link": "",
            "version": session.version,
        },
        follow=True,
    )
    assert "Invitees will receive an updated calendar invitation." in html(response)
    session.refresh_from_db()
    assert session.local_start.hour == 10
    assert session.calendar_sequence == 1


def test_a_stale_edit_asks_to_reload(cast, client_for, session):
    response = client_for("facilitator").post(
        url("edit", session.pk),
        {
            "title": "Changed",
            "date": "2031-07-15",
            "start_time": "10:00",
            "end_time": "14:00",
            "time_zone": "Europe/Berlin",
            "version": session.version - 1 if session.version > 1 else 99,
        },
    )
    assert "was changed by someone else since you opened it. Reload it." in html(response)
    session.refresh_from_db()
    assert session.title == "Onboarding co-design"


def test_cancelling_needs_a_reason(cast, client_for, session):
    client = client_for("facilitator")
    response = client.post(url("cancel", session.pk), {"reason": ""})
    assert field_error("reason", "Say why the session is cancelled.") in html(response)
    session.refresh_from_db()
    assert not session.is_cancelled
    response = client.post(url("cancel", session.pk), {"reason": "Customers busy."}, follow=True)
    assert "<strong>This session is cancelled.</strong>" in html(response)


# --- agenda -----------------------------------------------------------------------------------


def agenda_post(rows: list[tuple[str, str, str, bool]], initial: int = 6) -> dict[str, str]:
    """What the browser sends: the template's 6 rows first (``initial``), then new ones."""
    data = {
        "items-TOTAL_FORMS": str(len(rows)),
        "items-INITIAL_FORMS": str(initial),
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
    }
    for n, (title, minutes, order, delete) in enumerate(rows):
        data[f"items-{n}-title"] = title
        data[f"items-{n}-minutes"] = minutes
        data[f"items-{n}-ORDER"] = order
        if delete:
            data[f"items-{n}-DELETE"] = "on"
    return data


def template_rows(session: Session) -> list[tuple[str, str, str, bool]]:
    return [(i.title, str(i.minutes), str(i.position), False) for i in session.agenda.all()]


def test_the_agenda_form_shows_the_template_and_the_total(cast, client_for, session):
    page = html(client_for("facilitator").get(url("agenda", session.pk)))
    assert 'value="Issues &amp; vision discussion"' in page
    assert "of 240 minutes" in page


def test_the_agenda_is_saved_in_the_new_order(cast, client_for, session):
    response = client_for("facilitator").post(
        url("agenda", session.pk),
        agenda_post(
            [(t, m, o, t != "Welcome") for t, m, o, _ in template_rows(session)]
            + [("Coffee", "10", "0", False), ("", "", "", False)]
        ),
        follow=True,
    )
    assert "The agenda was saved: 25 of 240 minutes planned." in html(response)
    assert [(i.title, i.minutes) for i in session.agenda.all()] == [
        ("Coffee", 10),
        ("Welcome", 15),
    ]


def test_invalid_minutes_show_beside_the_row_and_save_nothing(cast, client_for, session):
    before = list(session.agenda.values_list("title", "minutes"))
    response = client_for("facilitator").post(
        url("agenda", session.pk),
        agenda_post([*template_rows(session), ("Marathon", "0", "7", False)]),
    )
    page = html(response)
    assert response.status_code == 200
    assert "Please correct the rows marked below. Nothing was saved." in page
    assert (
        '<ul class="errorlist" id="id_items-6-minutes_error">'
        "<li>Ensure this value is greater than or equal to 1.</li></ul>"
    ) in page
    assert '<tr id="row-7" class="row-invalid">' in page
    assert list(session.agenda.values_list("title", "minutes")) == before


def test_only_planners_edit_the_agenda(cast, client_for, session):
    assert client_for("observer").get(url("agenda", session.pk)).status_code == 403
    assert client_for("core_team").post(url("agenda", session.pk), {}).status_code == 403
    assert AgendaItem.objects.filter(session=session).count() == 6


# --- gatekeeping ------------------------------------------------------------------------------


def test_the_outreach_form_disables_contacts_without_consent_or_owner(cast, client_for, session):
    page = html(client_for("facilitator").get(url("outreach_new", session.pk)))
    gina, ian = cast.contact.pk, cast.other_contact.pk
    assert f'<input type="checkbox" name="contacts" value="{gina}" id="contact-{gina}">' in page
    assert (
        f'<input type="checkbox" name="contacts" value="{ian}" id="contact-{ian}" disabled '
        f'aria-describedby="why-{ian}">'
    ) in page
    assert (
        f'<span class="muted small" id="why-{ian}">Ian Initech has not agreed to be contacted; '
        "record their consent first. Initech has no account owner to approve outreach; assign "
        "one first.</span>"
    ) in page
    assert "Rita Rival" not in page


def test_outreach_approval_invitation_end_to_end(cast, client_for, session, mailoutbox):
    fran, owen = client_for("facilitator"), client_for("account_owner")
    response = fran.post(
        url("outreach_new", session.pk),
        {"contacts": [cast.contact.pk], "message": "She runs finance onboarding."},
        follow=True,
    )
    assert "Outreach requested for 1 contact. The account owners were asked to approve." in html(
        response
    )
    request = OutreachRequest.objects.get(session=session, contact=cast.contact)
    assert request.status == OutreachStatus.PENDING
    # The owner has a notice and sees the request in their approvals, with a badge.
    assert Notice.objects.filter(user=cast.users["account_owner"], read_at=None).count() == 1
    page = html(owen.get(url("approvals")))
    assert '<span class="count" aria-label="1 waiting">1</span>' in page
    assert (
        f'href="{url("outreach_detail", request.pk)}">Details, or approve with conditions' in page
    )
    page = html(owen.get(url("outreach_detail", request.pk)))
    assert "<h1>Invite Gina Globex (Globex) to “Onboarding co-design”?</h1>" in page
    assert "She runs finance onboarding." in page
    assert "<strong>Issues &amp; vision discussion</strong>" in page
    assert 'name="decision" value="approve"' in page
    assert "Waive the approval" not in page
    response = owen.post(
        url("outreach_decide", request.pk),
        {"decision": "approve", "conditions": "Do not discuss pricing.", "reason": ""},
        follow=True,
    )
    assert "You approved inviting Gina Globex with your conditions." in html(response)
    request.refresh_from_db()
    assert (request.status, request.conditions) == ("approved", "Do not discuss pricing.")
    # The facilitator sends the invitation.
    page = html(fran.get(url("outreach_detail", request.pk)))
    assert ">Send invitation</button>" in page
    response = fran.post(url("invitation_send", request.pk), follow=True)
    assert "Gina Globex was invited; the email has a calendar file." in html(response)
    assert Invitation.objects.filter(session=session, contact=cast.contact).count() == 1


def test_declining_needs_a_reason_beside_the_field(cast, client_for, session):
    request = services.request_outreach(
        cast.viewer("facilitator"), session=session, contact=cast.contact
    )
    response = client_for("account_owner").post(
        url("outreach_decide", request.pk), {"decision": "decline", "reason": " "}
    )
    assert response.status_code == 200
    assert field_error("reason", "Say why, so the facilitator can respond.") in html(response)
    request.refresh_from_db()
    assert request.status == OutreachStatus.PENDING


def test_an_observer_cannot_approve(cast, client_for, session):
    request = services.request_outreach(
        cast.viewer("facilitator"), session=session, contact=cast.contact
    )
    response = client_for("observer").post(
        url("outreach_decide", request.pk), {"decision": "approve"}
    )
    assert response.status_code == 403
    request.refresh_from_db()
    assert request.status == OutreachStatus.PENDING


def test_a_facilitator_cannot_decide_for_the_owner(cast, client_for, session):
    request = services.request_outreach(
        cast.viewer("facilitator"), session=session, contact=cast.contact
    )
    page = html(client_for("facilitator").get(url("outreach_detail", request.pk)))
    assert "Your decision" not in page
    response = client_for("facilitator").post(
        url("outreach_decide", request.pk), {"decision": "approve"}
    )
    assert response.status_code == 403


def test_an_admin_waives_with_a_reason(cast, client_for, session):
    request = services.request_outreach(
        cast.viewer("facilitator"), session=session, contact=cast.contact
    )
    client = client_for("admin")
    assert "Waive the approval (admin)" in html(client.get(url("outreach_detail", request.pk)))
    response = client.post(url("outreach_waive", request.pk), {"reason": ""})
    assert field_error("reason", "A waiver needs a reason; it is kept in the audit trail.") in html(
        response
    )
    client.post(url("outreach_waive", request.pk), {"reason": "Owen is on leave."})
    request.refresh_from_db()
    assert request.status == OutreachStatus.WAIVED


def test_inviting_without_approval_is_refused_with_a_clear_message(cast, client_for, session):
    request = services.request_outreach(
        cast.viewer("facilitator"), session=session, contact=cast.contact
    )
    response = client_for("facilitator").post(url("invitation_send", request.pk), follow=True)
    assert (
        "Gina Globex cannot be invited: the account owner has not approved "
        "(waiting for the account owner)."
    ) in html(response)
    assert not Invitation.objects.exists()


def test_send_all_invites_only_approved_contacts(cast, client_for, approved):
    response = client_for("facilitator").post(
        url("invitations_send_all", approved.session_id), follow=True
    )
    assert "Invited: Gina Globex." in html(response)
    assert Invitation.objects.count() == 1


# --- participants, briefings, questions ---------------------------------------------------------


def test_participants_are_added_with_a_role_and_briefed(cast, client_for, approved):
    session = approved.session
    client = client_for("facilitator")
    response = client.post(
        url("participants", session.pk),
        {"user": cast.users["core_team"].pk, "role": "note_taker"},
        follow=True,
    )
    assert (
        "Cora Core is note taker, was sent the calendar invitation and asked to read their "
        "briefing." in html(response)
    )
    participant = Participant.objects.get(session=session, user=cast.users["core_team"])
    # Cora reads her briefing: the owner's condition is highlighted.
    cora = client_for("core_team")
    page = html(cora.get(url("briefing", session.pk)))
    assert "You are <strong>note taker</strong>." in page
    assert (
        "<li><strong>Globex</strong> (Gina Globex, owner Owen Owner): "
        "<strong>Do not discuss pricing.</strong></li>"
    ) in page
    assert "Do not interrupt customers during the issues &amp; vision discussion" in page
    assert ">I have read my briefing</button>" in page
    response = cora.post(url("briefing_ack", session.pk), follow=True)
    assert "Thank you: your briefing is acknowledged." in html(response)
    participant.refresh_from_db()
    assert participant.briefing_acknowledged_at is not None
    # The facilitator opens Cora's briefing.
    page = html(client.get(url("briefing", session.pk) + f"?participant={participant.pk}"))
    assert "Cora Core is <strong>note taker</strong>." in page
    assert '<span class="badge badge-ok">✓ Acknowledged</span>' in page


def test_someone_without_a_role_has_no_briefing(cast, client_for, session):
    response = client_for("observer").get(url("briefing", session.pk))
    assert response.status_code == 404
    assert "You are not a participant of this session" in html(response)


def test_questions_are_submitted_voted_and_picked(cast, client_for, session):
    services.add_participant(
        cast.viewer("facilitator"),
        session=session,
        user_id=cast.users["core_team"].pk,
        role="observer",
    )
    cora = client_for("core_team")
    cora.post(url("questions", session.pk), {"text": "What slows your first invoice?"})
    question = session.questions.get()
    cora.post(url("question_upvote", question.pk), {"up": "1"})
    page = html(cora.get(url("questions", session.pk)))
    assert '<td class="num">1</td>' in page
    assert "▲ Voted" in page
    assert "Save picked questions" not in page
    fran = client_for("facilitator")
    response = fran.post(
        url("questions_pick", session.pk),
        {"pick": [question.pk], f"order_{question.pk}": "1"},
        follow=True,
    )
    assert "1 question picked for the end of the session." in html(response)
    question.refresh_from_db()
    assert (question.picked, question.position) == (True, 1)


def test_an_empty_question_is_refused_beside_the_field(cast, client_for, session):
    response = client_for("facilitator").post(url("questions", session.pk), {"text": "  "})
    assert field_error("text", "Write the question you want to ask the customers.") in html(
        response
    )


# --- RSVP -----------------------------------------------------------------------------------


def test_the_rsvp_page_accepts_with_a_note(cast, client, invitation):
    token = rsvp.make_token(invitation.pk, invitation.contact_id)
    target = reverse("rsvp", args=[token])
    page = html(client.get(target))
    assert "<h1>Onboarding co-design</h1>" in page
    assert "Hello Gina Globex, Acme invites you." in page
    assert '09:00–13:00 <span class="muted">(Europe/Berlin)</span>' in page
    page = html(client.post(target, {"answer": "accept", "note": "Bringing a colleague?"}))
    assert "<strong>Thank you.</strong> Your answer: Accepted." in page
    invitation.refresh_from_db()
    assert (invitation.rsvp, invitation.rsvp_note) == (RsvpStatus.ACCEPTED, "Bringing a colleague?")
    client.post(target, {"answer": "decline"})
    invitation.refresh_from_db()
    assert invitation.rsvp == RsvpStatus.DECLINED


def test_a_tampered_rsvp_token_is_a_404_with_the_message(cast, client, invitation):
    token = rsvp.make_token(invitation.pk, invitation.contact_id)
    response = client.get(reverse("rsvp", args=[token[:-2] + "xx"]))
    assert response.status_code == 404
    assert "This RSVP link is not valid." in html(response)
    forged = signing.dumps({"i": invitation.pk, "c": cast.other_contact.pk}, salt="wrong")
    assert client.post(reverse("rsvp", args=[forged]), {"answer": "accept"}).status_code == 404
    invitation.refresh_from_db()
    assert invitation.rsvp == RsvpStatus.INVITED


def test_an_rsvp_link_expires_when_the_session_ends(cast, client, invitation):
    Session.objects.filter(pk=invitation.session_id).update(
        starts_at=timezone.now() - timedelta(hours=5), ends_at=timezone.now() - timedelta(hours=1)
    )
    token = rsvp.make_token(invitation.pk, invitation.contact_id)
    response = client.get(reverse("rsvp", args=[token]))
    assert response.status_code == 404
    assert "This RSVP link expired when the session ended." in html(response)


# --- the program page, navigation and notices ---------------------------------------------------


def test_the_program_page_lists_upcoming_sessions_with_readiness(cast, client_for, session):
    page = html(
        client_for("facilitator").get(reverse("programs:detail", args=["acme", cast.program.pk]))
    )
    assert '<h2 id="sessions">Upcoming sessions</h2>' in page
    assert f'<a href="{url("detail", session.pk)}">Onboarding co-design</a>' in page
    assert "<strong>0%</strong> ready" in page
    assert f'href="{url("create")}?program={cast.program.pk}">Plan a session</a>' in page


def test_the_navigation_shows_sessions_and_notices(cast, client_for, approved):
    page = html(client_for("facilitator").get(url("list")))
    assert f'<a href="{url("list")}" aria-current="page">Sessions</a>' in page
    # Fran was told that Owen approved.
    assert '<span class="count" aria-label="1 unread">1</span>' in page


def test_notices_are_listed_and_marked_read(cast, client_for, approved):
    client = client_for("facilitator")
    target = reverse("accounts:notices", args=["acme"])
    page = html(client.get(target))
    assert "Outreach to Gina Globex for “Onboarding co-design” was approved." in page
    notice = Notice.objects.get(user=cast.users["facilitator"])
    response = client.post(target, {"notice": notice.pk})
    assert response["Location"] == url("outreach_detail", approved.pk)
    notice.refresh_from_db()
    assert notice.read_at is not None


def test_the_home_page_tells_the_owner_what_waits_for_their_decision(cast, client_for, session):
    services.request_outreach(cast.viewer("facilitator"), session=session, contact=cast.contact)
    page = html(client_for("account_owner").get("/w/acme/"))
    assert "1 outreach request waits for your decision." in page
    assert url("approvals") in page
    assert "waits for your decision" not in html(client_for("facilitator").get("/w/acme/"))


def test_the_briefing_page_does_not_query_more_with_more_customers(cast, client_for, session):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from traction.customers import services as customers

    fran = cast.viewer("facilitator")
    services.add_participant(
        fran, session=session, user_id=cast.users["core_team"].pk, role="note_taker"
    )
    client = client_for("core_team")
    counts = []
    for n in range(6):
        contact = customers.add_contact(
            fran,
            customer=cast.customer,
            name=f"Person {n}",
            email=f"p{n}@globex.test",
            consent_to_contact=True,
        )
        services.request_outreach(fran, session=session, contact=contact)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url("briefing", session.pk)).status_code == 200
        counts.append(len(queries))
    assert counts[1:] == [counts[1]] * 5, counts


def test_the_session_list_does_not_query_more_with_more_sessions(cast, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for("facilitator")
    counts = []
    for n in range(4):
        services.plan_session(
            cast.viewer("facilitator"),
            program=cast.program,
            title=f"Session {n}",
            starts_at=day(10 + n),
            ends_at=day(10 + n) + timedelta(hours=3),
        )
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url("list")).status_code == 200
        counts.append(len(queries))
    assert counts[1:] == [counts[1]] * 3, counts


def test_readiness_is_the_same_from_a_list_as_from_one_session(cast, invitation):
    from traction.sessions import selectors
    from traction.sessions.models import Session

    session = Session.objects.get(pk=invitation.session_id)
    (listed,) = selectors.with_readiness_facts(Session.objects.filter(pk=session.pk))
    one, many = selectors.readiness(session), selectors.readiness(listed)
    assert [(c.key, c.done, c.detail) for c in one.checks] == [
        (c.key, c.done, c.detail) for c in many.checks
    ]
    assert one.percent == many.percent > 0
