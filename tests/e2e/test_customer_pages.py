"""The customer's pages in a real browser (issue 11): the RSVP page and the ballot at phone
width carry the inviting workspace's logo and the session's time in both zones (the
browser's own zone filled in by the static script), "Add to calendar" downloads the event,
the facilitator previews the invitation email, and the time-zone picker is searched by
keyboard.

The time-zone picker's flow runs once, at phone width (390 px, the stricter layout; owners
act from their phones): the steps and assertions are the same at desktop width, and
tests/e2e/test_internal_pages.py already checks that every internal page, the workspace
settings among them, fits a phone for every role."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from icalendar import Calendar
from playwright.sync_api import Browser, Page, expect

from traction.accounts import services as account_services
from traction.accounts.models import Workspace
from traction.core.testing import images
from traction.core.testing.cast import Cast, build_cast
from traction.sessions import rsvp, services
from traction.sessions.models import Invitation, Session
from traction.voting import links
from traction.voting import services as voting
from traction.voting.tests.test_voting import build_room

from .a11y import assert_accessible
from .helpers import sign_in

PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP: dict[str, Any] = {"viewport": {"width": 1366, "height": 900}}


def berlin_session(cast: Cast) -> Session:
    d = timezone.now().date() + timedelta(days=30)
    return services.plan_session(
        cast.viewer("facilitator"),
        program=cast.program,
        title="Onboarding co-design",
        starts_at=datetime(d.year, d.month, d.day, 9),
        ends_at=datetime(d.year, d.month, d.day, 13),
        time_zone="Europe/Berlin",
        location="Berlin office, room 4",
    )


def invite(cast: Cast, session: Session) -> Invitation:
    request = services.request_outreach(
        cast.viewer("facilitator"), session=session, contact=cast.contact
    )
    approved = services.decide_outreach(cast.viewer("account_owner"), request=request, approve=True)
    return services.send_invitation(cast.viewer("facilitator"), request=approved)


def expected_local(session: Session, zone: str) -> str:
    start = session.starts_at.astimezone(ZoneInfo(zone))
    end = session.ends_at.astimezone(ZoneInfo(zone))
    day = f"{start:%A} {start.day} {start:%B %Y}"
    if start.date() == end.date():
        return f"{day}, {start:%H:%M}–{end:%H:%M}"
    return f"{day}, {start:%H:%M} – {end:%A} {end.day} {end:%B %Y}, {end:%H:%M}"


def loaded_width(page: Page, selector: str) -> int:
    """The natural width of the image at ``selector``, once it has finished loading (it
    loads after the page does: reading it early gives 0)."""
    page.wait_for_function(
        "s => { const i = document.querySelector(s); return i && i.complete; }", arg=selector
    )
    return int(page.evaluate("s => document.querySelector(s).naturalWidth", selector))


def logo_is_drawn(page: Page) -> None:
    logo = page.locator("img.customer-logo")
    expect(logo).to_be_visible()
    assert loaded_width(page, "img.customer-logo") == 120


@pytest.mark.e2e
def test_the_rsvp_page_at_phone_width_has_the_logo_both_times_and_a_calendar_download(
    live_server: Any, transactional_db: None, browser: Browser, screenshots: Path, tmp_path: Path
) -> None:
    cast = build_cast()
    account_services.set_workspace_logo(cast.viewer("admin"), data=images.png())
    session = berlin_session(cast)
    invitation = invite(cast, session)
    token = rsvp.make_token(invitation.pk, invitation.contact_id)
    context = browser.new_context(**PHONE, timezone_id="America/New_York", accept_downloads=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/rsvp/{token}/")

    expect(page.locator(".customer-brand-name")).to_have_text("Acme")
    logo_is_drawn(page)
    when = page.locator(".facts dd").first
    expect(when.locator(".when-session")).to_contain_text("09:00–13:00 (Europe/Berlin)")
    local = when.locator(".when-local")
    expect(local).to_be_visible()
    expect(local).to_have_text(
        f"In your time zone: {expected_local(session, 'America/New_York')} (America/New_York)"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(page, "the RSVP page on a phone")
    page.screenshot(path=str(screenshots / "rsvp-branded-phone.png"), full_page=True)

    # The browser's zone is remembered: after answering, the server writes the same line.
    page.get_by_role("button", name="Accept").click()
    expect(page.get_by_role("status")).to_contain_text("Your answer: Accepted.")
    expect(page.locator(".when-local")).to_have_text(
        f"In your time zone: {expected_local(session, 'America/New_York')} (America/New_York)"
    )

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Add to calendar").click()
    download = download_info.value
    assert download.suggested_filename == "session.ics"
    saved = tmp_path / "session.ics"
    download.save_as(saved)
    (event,) = Calendar.from_ical(saved.read_bytes()).walk("VEVENT")
    assert str(event["UID"]) == f"{session.calendar_uid}@traction"
    assert str(event["SUMMARY"]) == "Onboarding co-design"
    assert event.start.replace(tzinfo=None) == session.local_start.replace(tzinfo=None)
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    context.close()


@pytest.mark.e2e
def test_in_the_sessions_own_zone_only_one_time_is_shown(
    live_server: Any, transactional_db: None, browser: Browser
) -> None:
    cast = build_cast()
    invitation = invite(cast, berlin_session(cast))
    token = rsvp.make_token(invitation.pk, invitation.contact_id)
    context = browser.new_context(**DESKTOP, timezone_id="Europe/Berlin")
    page = context.new_page()
    page.goto(f"{live_server.url}/rsvp/{token}/")
    expect(page.locator(".when-session")).to_contain_text("(Europe/Berlin)")
    expect(page.locator(".when-local")).to_be_hidden()
    expect(page.locator("img.customer-logo")).to_have_count(0)  # no logo: the name alone
    expect(page.locator(".customer-brand-name")).to_have_text("Acme")
    context.close()


@pytest.mark.e2e
def test_the_ballot_at_phone_width_has_the_logo_and_both_times(
    live_server: Any, transactional_db: None, browser: Browser, screenshots: Path
) -> None:
    cast = build_cast()
    account_services.set_workspace_logo(cast.viewer("admin"), data=images.png())
    room = build_room(cast)
    voting.open_voting(cast.viewer("facilitator"), session=room.session, budget=3)
    token = links.make_token(room.invitations["ian"].pk, room.ian.pk)
    context = browser.new_context(**PHONE, timezone_id="Asia/Tokyo")
    page = context.new_page()
    page.goto(f"{live_server.url}/vote/{token}/")
    expect(page.locator(".customer-brand-name")).to_have_text("Acme")
    logo_is_drawn(page)
    expect(page.locator(".ballot-when .when-session")).to_contain_text("(UTC)")
    expect(page.locator(".ballot-when .when-local")).to_have_text(
        f"In your time zone: {expected_local(room.session, 'Asia/Tokyo')} (Asia/Tokyo)"
    )
    expect(page.locator("p.dots-left")).to_have_text("Dots left: 3 of 3", use_inner_text=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(page, "the ballot on a phone")
    page.screenshot(path=str(screenshots / "ballot-branded-phone.png"), full_page=True)
    context.close()


@pytest.mark.e2e
def test_the_facilitator_previews_and_saves_the_invitation_opening(
    live_server: Any, transactional_db: None, browser: Browser, screenshots: Path
) -> None:
    cast = build_cast()
    account_services.set_workspace_logo(cast.viewer("admin"), data=images.png())
    session = berlin_session(cast)
    context = browser.new_context(**DESKTOP)
    page = context.new_page()
    sign_in(page, live_server.url, "fran@acme.test")
    page.goto(f"{live_server.url}/w/acme/sessions/{session.pk}/")
    page.get_by_role("link", name="Invitation email").click()
    expect(page.get_by_role("heading", name="Invitation email", level=1)).to_be_visible()
    preview_html = page.locator("#preview-html")
    expect(preview_html).to_contain_text("Hello Alex Sample,")
    expect(preview_html).to_contain_text("Fran Facilitator of Acme invites you")
    assert loaded_width(page, "#preview-html img") == 120
    opening = page.get_by_label("Opening")
    opening.fill("Dear guest,\n\nwe would love to hear how onboarding went for you.")
    page.get_by_role("button", name="Preview without saving").click()
    expect(page.get_by_role("heading", name="Preview (not saved yet)")).to_be_visible()
    expect(preview_html).to_contain_text("we would love to hear how onboarding went for you.")
    expect(page.locator("#preview-text")).to_contain_text(
        "Dear guest,\n\nwe would love to hear how onboarding went for you."
    )
    assert_accessible(page, "the invitation email page")
    page.screenshot(path=str(screenshots / "invitation-email-preview.png"), full_page=True)
    page.get_by_role("button", name="Save the opening").click()
    expect(page.get_by_text("The opening is saved")).to_be_visible()
    session.refresh_from_db()
    assert session.invitation_opening == (
        "Dear guest,\n\nwe would love to hear how onboarding went for you."
    )
    context.close()


@pytest.mark.e2e
@pytest.mark.parametrize("size", ["phone"])
def test_the_time_zone_picker_is_searched_and_chosen_by_keyboard(
    live_server: Any, transactional_db: None, browser: Browser, size: str
) -> None:
    cast = build_cast()
    context = browser.new_context(**(PHONE if size == "phone" else DESKTOP))
    page = context.new_page()
    sign_in(page, live_server.url, "alice@acme.test")
    page.goto(f"{live_server.url}/w/acme/workspace-settings/")
    search = page.get_by_role("searchbox", name="Find a zone by city or region")
    select = page.get_by_role("combobox", name="Time zone:")
    expect(select).to_have_value("UTC")
    assert_accessible(page, f"workspace settings ({size})")
    page.get_by_label("Workspace name").focus()
    page.keyboard.press("Tab")  # the search box comes right after the name
    expect(search).to_be_focused()
    page.keyboard.type("kolk")
    expect(select).to_have_value("Asia/Kolkata")
    expect(page.locator(".tz-status")).to_have_text("1 time zone matches: Asia/Kolkata selected.")
    page.keyboard.press("Enter")  # keeps the choice; does not submit the form
    expect(search).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("new york")
    expect(select).to_have_value("America/New_York")
    page.keyboard.press("Control+A")
    page.keyboard.type("zzz")
    expect(page.locator(".tz-status")).to_have_text("No time zone matches “zzz”.")
    page.keyboard.press("Control+A")
    page.keyboard.type("berl")
    expect(select).to_have_value("Europe/Berlin")
    page.keyboard.press("ArrowDown")
    expect(select).to_be_focused()
    expect(select).to_have_value("Europe/Berlin")  # moving to the list changes nothing
    page.keyboard.press("Tab")  # then who customer mail is from
    expect(page.get_by_label("Sender name")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Reply-to address")).to_be_focused()
    page.keyboard.press("Tab")  # then the longest lifetime of members' API tokens
    expect(page.get_by_label("Longest lifetime of an API token")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Save settings")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_text("The workspace settings are saved.")).to_be_visible()
    assert Workspace.objects.get(pk=cast.acme.pk).time_zone == "Europe/Berlin"
    # The picker fits the screen (the top navigation's own width is the layout's business).
    width = 390 if size == "phone" else 1366
    for box in (search.bounding_box(), select.bounding_box()):
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= width
    context.close()
