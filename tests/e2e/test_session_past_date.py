"""A session planned with a mistaken year (issue: a dead end): the form asks before saving
one already over; saved anyway, its page offers Edit and Cancel session… since nothing was
recorded from it; corrected to the year meant, its debrief moves with it. Checked with axe."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from traction.core.testing.cast import build_cast
from traction.debrief.models import Debrief
from traction.sessions.models import Session

from .a11y import assert_accessible
from .helpers import DESKTOP, sign_in


@pytest.mark.e2e
def test_a_session_planned_in_a_past_year_is_asked_about_then_corrected(
    live_server: Any, transactional_db: Any, browser: Browser
) -> None:
    build_cast()
    base = live_server.url
    today = timezone.now().date()
    wrong = today - timedelta(days=700)  # two years back, the year mistyped
    meant = today + timedelta(days=40)

    fran = browser.new_context(viewport=DESKTOP).new_page()
    sign_in(fran, base, "fran@acme.test", lands_on="/w/acme/")
    fran.goto(base + "/w/acme/sessions/new/")
    fran.get_by_role("combobox", name="Program").select_option(label="Effortless onboarding")
    fran.get_by_label("Title").fill("Onboarding co-design, Berlin")
    fran.get_by_label("Date").fill(wrong.isoformat())
    fran.get_by_label("Starts at").fill("09:00")
    fran.get_by_label("Ends at").fill("12:30")
    fran.get_by_label("Time zone").select_option("Europe/Berlin")
    fran.get_by_role("button", name="Plan session").click()
    # Not saved: asked beside the date.
    expect(fran.get_by_text("already over. Record a session held in the past?")).to_be_visible()
    assert not Session.objects.exists()
    assert_accessible(fran, "the plan form asking about a past date")
    fran.get_by_label("Yes, record a session held in the past").check()
    fran.get_by_role("button", name="Plan session").click()
    expect(fran.get_by_role("heading", level=1)).to_have_text("Onboarding co-design, Berlin")
    expect(fran.locator("#over-notice")).to_contain_text("If its date is a mistake")
    expect(fran.get_by_role("link", name="Cancel session…")).to_be_visible()

    # Edit corrects the year; the debrief is then due a day after the new end.
    fran.get_by_role("link", name="Edit", exact=True).click()
    fran.get_by_label("Date").fill(meant.isoformat())
    fran.get_by_role("button", name="Save changes").click()
    expect(fran.get_by_text("was saved")).to_be_visible()
    expect(fran.locator("#over-notice")).to_have_count(0)
    session = Session.objects.get()
    debrief = Debrief.objects.get()
    assert debrief.due_at == session.ends_at + timedelta(hours=24)
    assert not debrief.clock_from_recording
