"""A facilitator marks a session held with its actual end, then corrects it (issue 12).

The flow runs once, at phone width (390 px, the stricter layout; owners act from their phones):
the steps and assertions are the same at desktop width, and tests/e2e/test_internal_pages.py
already checks that every internal page fits a phone for every role."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from tests.e2e.a11y import assert_accessible
from traction.core.testing.cast import build_cast
from traction.sessions import services
from traction.sessions.models import Session

from .helpers import sign_in

DESKTOP: dict[str, Any] = {"viewport": {"width": 1366, "height": 900}}
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}


@pytest.mark.e2e
@pytest.mark.parametrize("size", ["phone"])
def test_the_facilitator_marks_the_session_held_and_corrects_the_end(
    live_server, transactional_db, browser: Browser, screenshots: Path, size: str
) -> None:
    cast = build_cast()
    # Yesterday, 09:00–12:30 in Berlin: over, not yet marked held.
    day = (timezone.now() - timedelta(days=1)).date()
    session = services.plan_session(
        cast.viewer("facilitator"),
        program=cast.program,
        title="Onboarding co-design",
        starts_at=timezone.datetime(day.year, day.month, day.day, 9, 0),
        ends_at=timezone.datetime(day.year, day.month, day.day, 12, 30),
        time_zone="Europe/Berlin",
    )
    context = browser.new_context(**(PHONE if size == "phone" else DESKTOP))
    page = context.new_page()
    sign_in(page, live_server.url, "fran@acme.test")
    page.goto(f"{live_server.url}/w/acme/sessions/{session.pk}/")
    panel = page.locator("#held")
    expect(panel.get_by_role("heading", name="Mark as held")).to_be_visible()
    expect(panel.get_by_label("Ended at")).to_have_value("12:30")
    expect(panel.get_by_label("Ended on")).to_have_value(day.isoformat())
    assert_accessible(page, "session page with the Mark as held panel")
    page.screenshot(path=str(screenshots / f"found-held-panel-{size}.png"), full_page=True)
    panel.get_by_role("button", name="Mark as held").click()
    expect(page.locator("#held").get_by_text("Held, ended at 12:30")).to_be_visible()
    held = Session.objects.get(pk=session.pk)
    assert held.held_by == cast.users["facilitator"]
    assert held.actual_ends_at == held.ends_at

    # It ran over: the facilitator corrects the end.
    page.get_by_text("Correct the end time").click()
    page.locator("#held").get_by_label("Ended at").fill("13:05")
    page.get_by_role("button", name="Save the end time").click()
    expect(page.locator("#held").get_by_text("Held, ended at 13:05")).to_be_visible()
    assert Session.objects.get(pk=session.pk).actual_ends_at == held.ends_at + timedelta(minutes=35)

    # An end in the future is refused beside the field, nothing changes.
    page.get_by_text("Correct the end time").click()
    tomorrow = (timezone.now() + timedelta(days=2)).date().isoformat()
    page.locator("#held").get_by_label("Ended on").fill(tomorrow)
    page.get_by_role("button", name="Save the end time").click()
    expect(page.get_by_text("The actual end cannot be in the future.")).to_be_visible()
    assert Session.objects.get(pk=session.pk).actual_ends_at == held.ends_at + timedelta(minutes=35)
    assert_accessible(page, "session page with a refused end time")
    page.screenshot(path=str(screenshots / f"found-held-refused-{size}.png"), full_page=True)

    page.goto(f"{live_server.url}/w/acme/sessions/")
    expect(page.get_by_text("held", exact=True)).to_be_visible()
    context.close()
