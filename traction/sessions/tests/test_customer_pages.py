"""What customers see (the RSVP page, its calendar file and the workspace's logo) and the
invitation email's opening and preview, as the facilitator sets them."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from traction.accounts import services as account_services
from traction.core.errors import Conflict, PermissionDenied, ValidationFailed
from traction.core.models import AuditEvent
from traction.core.testing import images
from traction.sessions import invitation_email, rsvp, services
from traction.sessions.customer_pages import TZ_COOKIE
from traction.sessions.models import Invitation, Session

# Words of the internal pages a customer must never read.
INTERNAL_WORDS = [
    "internal",
    "gatekeeper",
    "account owner",
    "candidate",
    "insight",
    "outreach",
    "core team",
    "Traction",
]


def html(response) -> str:
    return response.content.decode()


@pytest.fixture
def session(cast) -> Session:
    d = timezone.now().date() + timedelta(days=30)
    start = datetime(d.year, d.month, d.day, 9)
    return services.plan_session(
        cast.viewer("facilitator"),
        program=cast.program,
        title="Onboarding co-design",
        starts_at=start,
        ends_at=start + timedelta(hours=4),
        time_zone="Europe/Berlin",
        location="Berlin office, room 4",
    )


def invite(cast, session: Session) -> Invitation:
    request = services.request_outreach(
        cast.viewer("facilitator"), session=session, contact=cast.contact
    )
    approved = services.decide_outreach(cast.viewer("account_owner"), request=request, approve=True)
    return services.send_invitation(cast.viewer("facilitator"), request=approved)


@pytest.fixture
def invitation(cast, session) -> Invitation:
    return invite(cast, session)


TOKENS: dict[int, str] = {}


def rsvp_url(invitation: Invitation, name: str = "rsvp") -> str:
    """One token per invitation within a test (a token carries the second it was made, so
    two made a second apart differ), so a page and the links on it compare equal."""
    token = TOKENS.get(invitation.pk)
    if token is None or rsvp.read_token(token) != (invitation.pk, invitation.contact_id):
        token = TOKENS[invitation.pk] = rsvp.make_token(invitation.pk, invitation.contact_id)
    return reverse(name, args=[token])


def customer_text(page: str) -> str:
    """The page's words as a reader sees them, without markup or the URLs in attributes."""
    return re.sub(r"<[^>]+>", " ", page)


# --- the RSVP page ------------------------------------------------------------------------------


def test_the_rsvp_page_speaks_for_the_workspace_with_its_logo(cast, client, invitation):
    page = html(client.get(rsvp_url(invitation)))
    assert '<span class="customer-brand-name">Acme</span>' in page
    assert "customer-logo" not in page  # no logo yet: the name alone
    assert "Hello Gina Globex, Acme invites you." in page
    account_services.set_workspace_logo(cast.viewer("admin"), data=images.png())
    page = html(client.get(rsvp_url(invitation)))
    logo = rsvp_url(invitation, "rsvp_logo")
    assert f'<img src="{logo}?v=' in page
    assert client.get(logo).content == images.png()


def test_the_rsvp_page_says_who_invites_and_the_agenda(cast, client, invitation):
    """As the invitation email does: a newcomer's customer found neither on the page."""
    session = invitation.session
    services.set_agenda(
        cast.viewer("facilitator"),
        session=session,
        items=[
            {"title": "Welcome and goals", "minutes": 15, "notes": "Ask Gina first"},
            {"title": "Map the first invoice", "minutes": 90},
        ],
    )
    page = html(client.get(rsvp_url(invitation)))
    creator = session.created_by
    assert f"<dt>Organised by</dt><dd>{creator.full_name}, Acme</dd>" in page
    assert '<li>Welcome and goals <span class="muted">(15 min)</span></li>' in page
    assert '<li>Map the first invoice <span class="muted">(90 min)</span></li>' in page
    assert "Ask Gina first" not in page  # the facilitator's notes stay internal


def test_the_rsvp_page_has_no_internal_words(cast, client, invitation):
    text = customer_text(html(client.get(rsvp_url(invitation))))
    for word in INTERNAL_WORDS:
        assert word.lower() not in text.lower(), word


def test_the_rsvp_page_shows_the_customers_time_beside_the_sessions(cast, client, invitation):
    page = html(client.get(rsvp_url(invitation)))
    assert '09:00–13:00 <span class="muted">(Europe/Berlin)</span>' in page
    # Unknown zone: the second line waits for the browser's script to fill it.
    assert 'data-local-time data-start="' in page
    assert 'data-session-zone="Europe/Berlin" hidden>' in page
    # The zone the browser told (cookie) or the link names (?tz=): the server writes it.
    client.cookies[TZ_COOKIE] = "America/New_York"
    page = html(client.get(rsvp_url(invitation)))
    local = invitation.session.starts_at.astimezone(ZoneInfo("America/New_York"))
    assert f"In your time zone: {local:%A} {local.day} {local:%B %Y}, {local:%H:%M}–" in page
    assert '<span class="muted">(America/New_York)</span>' in page
    page = html(client.get(rsvp_url(invitation), {"tz": "Asia/Kolkata"}))
    assert "(Asia/Kolkata)" in page
    # An alias, nonsense, or the session's own zone: no second line.
    for zone in ("US/Pacific", "Mars/Olympus", "Europe/Berlin"):
        client.cookies[TZ_COOKIE] = zone
        page = html(client.get(rsvp_url(invitation), {"tz": zone}))
        assert "In your time zone" not in page, zone


def test_add_to_calendar_downloads_this_invitations_event(cast, client, invitation):
    response = client.get(rsvp_url(invitation, "rsvp_calendar"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="session.ics"'
    calendar = Calendar.from_ical(response.content)
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"{invitation.session.calendar_uid}@traction"
    assert str(event["SUMMARY"]) == "Onboarding co-design"
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert [str(a) for a in event.attendees] == ["mailto:gina@globex.test"]
    assert event["ATTENDEE"].params["PARTSTAT"] == "NEEDS-ACTION"
    # Downloaded after accepting, the file says so (it said NEEDS-ACTION still).
    client.post(rsvp_url(invitation), {"answer": "accept"})
    accepted = Calendar.from_ical(client.get(rsvp_url(invitation, "rsvp_calendar")).content)
    (event,) = accepted.walk("VEVENT")
    assert event["ATTENDEE"].params["PARTSTAT"] == "ACCEPTED"
    page = html(client.get(rsvp_url(invitation)))
    assert f'href="{rsvp_url(invitation, "rsvp_calendar")}" download>Add to calendar</a>' in page


def test_a_cancelled_sessions_calendar_file_cancels_the_event(cast, client, invitation):
    services.cancel_session(cast.viewer("facilitator"), session=invitation.session, reason="Storm")
    calendar = Calendar.from_ical(client.get(rsvp_url(invitation, "rsvp_calendar")).content)
    assert calendar["METHOD"] == "CANCEL"
    assert "Add to calendar" not in html(client.get(rsvp_url(invitation)))


def test_a_tampered_link_reaches_no_calendar_and_no_logo(cast, client, invitation):
    account_services.set_workspace_logo(cast.viewer("admin"), data=images.png())
    token = rsvp.make_token(invitation.pk, invitation.contact_id)
    for name in ("rsvp_calendar", "rsvp_logo"):
        assert client.get(reverse(name, args=[token[:-2] + "xx"])).status_code == 404
    # A contact's link for another contact's invitation (a valid signature) reaches nothing.
    forged = rsvp.make_token(invitation.pk, cast.other_contact.pk)
    assert client.get(reverse("rsvp_logo", args=[forged])).status_code == 404


def test_a_customers_link_gets_its_own_workspaces_logo_never_another(cast, client, invitation):
    """Two workspaces with logos: each link serves the logo of the workspace that invited."""
    account_services.set_workspace_logo(cast.viewer("admin"), data=images.png())
    account_services.set_workspace_logo(cast.viewer("stranger"), data=images.png(rgb=(200, 0, 0)))
    d = timezone.now().date() + timedelta(days=20)
    rival_session = services.plan_session(
        cast.viewer("stranger"),
        program=cast.rival_program,
        title="Rival session",
        starts_at=datetime(d.year, d.month, d.day, 9),
        ends_at=datetime(d.year, d.month, d.day, 11),
    )
    from traction.customers import services as customer_services

    customer_services.update_customer(
        cast.viewer("stranger"),
        customer=cast.rival_customer,
        changes={"account_owner_id": cast.users["stranger"].pk},
    )
    customer_services.update_contact(
        cast.viewer("stranger"), contact=cast.rival_contact, changes={"consent_to_contact": True}
    )
    request = services.request_outreach(
        cast.viewer("stranger"), session=rival_session, contact=cast.rival_contact
    )
    rival_invitation = services.send_invitation(cast.viewer("stranger"), request=request)
    assert client.get(rsvp_url(invitation, "rsvp_logo")).content == images.png()
    assert client.get(rsvp_url(rival_invitation, "rsvp_logo")).content == images.png(
        rgb=(200, 0, 0)
    )
    page = html(client.get(rsvp_url(rival_invitation)))
    assert '<span class="customer-brand-name">Rival</span>' in page
    assert "Acme" not in page


# --- the opening and the preview -------------------------------------------------------------


def preview_url(session: Session) -> str:
    return reverse("sessions:invitation_email", args=["acme", session.pk])


def test_the_opening_is_stored_validated_and_audited(cast, session):
    facilitator = cast.viewer("facilitator")
    services.set_invitation_opening(
        facilitator, session=session, text="Dear guest,\r\n\r\nJoin us in Berlin.  ", version=1
    )
    session.refresh_from_db()
    assert session.invitation_opening == "Dear guest,\n\nJoin us in Berlin."
    assert session.version == 2
    event = AuditEvent.objects.get(action="session.invitation_opening_changed")
    assert event.changes == {"invitation_opening": ["", "Dear guest,\n\nJoin us in Berlin."]}
    with pytest.raises(Conflict):  # someone saved since version 1
        services.set_invitation_opening(facilitator, session=session, text="Other", version=1)
    with pytest.raises(ValidationFailed) as refused:
        services.set_invitation_opening(facilitator, session=session, text="x" * 1001)
    assert "Keep it to 1,000 characters" in refused.value.errors["opening"][0]
    with pytest.raises(ValidationFailed):
        services.set_invitation_opening(facilitator, session=session, text="bell\x07")
    with pytest.raises(PermissionDenied):
        services.set_invitation_opening(cast.viewer("core_team"), session=session, text="Hi")
    # The standard words unchanged are the standard opening: nothing stored.
    standard = invitation_email.standard_opening(session, "Fran Facilitator")
    services.set_invitation_opening(facilitator, session=session, text=standard)
    session.refresh_from_db()
    assert session.invitation_opening == ""


def test_the_preview_shows_the_email_for_a_sample_invitee_in_html_and_text(
    cast, client_for, session
):
    account_services.set_workspace_logo(cast.viewer("admin"), data=images.png())
    client = client_for("facilitator")
    page = html(client.get(preview_url(session)))
    assert "<h1>Invitation email</h1>" in page
    assert "As Alex Sample &lt;alex.sample@example.com&gt;, a sample invitee" in page
    assert "Fran Facilitator of Acme invites you to a co-design session" in page  # the form
    html_part = page.split('id="preview-html">', 1)[1].split("</div>\n  <h3>", 1)[0]
    assert "<b>Acme</b>" in html_part
    assert '<img src="/w/acme/logo/?v=' in html_part
    assert "Hello Alex Sample," in html_part
    text_part = page.split('id="preview-text">', 1)[1].split("</pre>", 1)[0]
    assert text_part.startswith("Hello Alex Sample,")
    assert "Questions from our team (20 min)" in text_part
    # "Preview without saving": the typed words in both parts, nothing stored.
    page = html(
        client.post(
            preview_url(session), {"opening": "Dear guest,\n\nWe <3 your ideas.", "preview": "1"}
        )
    )
    assert "Preview (not saved yet)" in page
    assert '<p class="email-opening">We &lt;3 your ideas.</p>' in page
    assert "Dear guest,\n\nWe &lt;3 your ideas." in page.split('id="preview-text">', 1)[1]
    session.refresh_from_db()
    assert session.invitation_opening == ""
    # "Save": stored, back to the session.
    response = client.post(
        preview_url(session), {"opening": "Dear guest, welcome.", "save": "1", "version": 1}
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.invitation_opening == "Dear guest, welcome."


def test_a_too_long_opening_is_refused_beside_the_field(cast, client_for, session):
    page = html(
        client_for("facilitator").post(
            preview_url(session), {"opening": "x" * 1200, "save": "1", "version": 1}
        )
    )
    assert (
        '<ul class="errorlist" id="id_opening_error">'
        "<li>Keep it to 1,000 characters or fewer (this has 1,200).</li>" in page
    )
    session.refresh_from_db()
    assert session.invitation_opening == ""


def test_the_session_page_links_the_invitation_email_for_who_sends(cast, client_for, session):
    detail = reverse("sessions:detail", args=["acme", session.pk])
    assert "Invitation email</a>" in html(client_for("facilitator").get(detail))
    assert "Invitation email</a>" not in html(client_for("observer").get(detail))


def test_new_sessions_start_in_the_workspaces_time_zone(cast, client_for):
    account_services.update_workspace(cast.viewer("admin"), name="Acme", time_zone="Asia/Kolkata")
    page = html(client_for("facilitator").get(reverse("sessions:create", args=["acme"])))
    assert '<option value="Asia/Kolkata" selected>Asia/Kolkata</option>' in page
    assert '<option value="Asia/Calcutta"' not in page


def test_an_old_zone_name_stays_choosable_when_editing(cast, client_for, session):
    Session.objects.filter(pk=session.pk).update(time_zone="Europe/Kiev")
    page = html(client_for("facilitator").get(reverse("sessions:edit", args=["acme", session.pk])))
    assert '<option value="Europe/Kiev" selected>Europe/Kiev (old name)</option>' in page


def test_a_span_over_midnight_names_both_days() -> None:
    from traction.sessions.customer_pages import span

    tokyo = ZoneInfo("Asia/Tokyo")
    start = datetime(2027, 3, 26, 22, 0, tzinfo=tokyo)
    assert span(start, start + timedelta(hours=1)) == "Friday 26 March 2027, 22:00–23:00"
    assert span(start, start + timedelta(hours=4)) == (
        "Friday 26 March 2027, 22:00 – Saturday 27 March 2027, 02:00"
    )
