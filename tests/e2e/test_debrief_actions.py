"""An owner's action items in the browser (issue 12): Cora finds the action she was given
under "My actions", moves it to in progress with a note, adds a progress note alone (the
status kept), then moves it to blocked with a reason (a missing reason is shown beside its
field); the pages pass axe-core.

The flows run once, at phone width (390 px, the stricter layout; owners act from their
phones): their steps and assertions are the same at desktop width, and
tests/e2e/test_internal_pages.py already checks every internal page fits a phone for every
role. The one step that differs on a desktop, reaching "My actions" from the bar without
opening the "Menu", has its own short desktop check."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from traction.core import clock
from traction.core.testing.cast import build_cast
from traction.debrief.models import ActionItem
from traction.debrief.services import actions as services
from traction.debrief.tests.actions_world import approved, make_debrief

from .a11y import assert_accessible
from .helpers import DESKTOP, PHONE, sign_in


@pytest.mark.e2e
@pytest.mark.parametrize("viewport", [PHONE], ids=["phone"])
def test_the_owner_moves_an_action_along_from_my_actions(
    live_server: Any, transactional_db: Any, browser: Browser, viewport: dict[str, int]
) -> None:
    cast = build_cast()
    debrief = make_debrief(cast, ends_at=clock.now() - timedelta(days=2))
    rec = approved(cast, debrief)
    services.create_action(
        cast.viewer("facilitator"),
        recommendation=rec,
        title="Ship the one-page approval",
        owner_id=cast.users["core_team"].pk,
        due_on=clock.today() + timedelta(days=3),
    )
    base = live_server.url
    phone = viewport == PHONE
    context = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone)
    page = context.new_page()
    sign_in(page, base, "cora@acme.test")
    page.goto(base + "/w/acme/")
    nav = page.get_by_role("navigation", name="Main")
    if phone:
        nav.locator("summary", has_text="Menu").click()
    nav.get_by_role("link", name="My actions").click()
    expect(page.get_by_role("heading", name="My actions", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Due this week")).to_be_visible()
    assert_accessible(page, "my actions")

    page.get_by_role("link", name="Ship the one-page approval").click()
    expect(page.get_by_role("heading", name="Ship the one-page approval")).to_be_visible()
    page.get_by_label("Status:").select_option("in_progress")
    page.get_by_label("Progress note").fill("Kick-off held with finance")
    page.get_by_role("button", name="Save the change").click()
    expect(page.get_by_text("“Ship the one-page approval” is now in progress.")).to_be_visible()
    timeline = page.get_by_role("region", name="Timeline")
    expect(timeline).to_contain_text("Kick-off held with finance")

    # A progress note alone: the status starts as it is, and stays.
    expect(page.get_by_label("Status:")).to_have_value("in_progress")
    page.get_by_label("Progress note").fill("Finance approved the wording")
    page.get_by_role("button", name="Save the change").click()
    expect(
        page.get_by_text("Your note is on the timeline of “Ship the one-page approval”")
    ).to_be_visible()
    expect(timeline).to_contain_text("Finance approved the wording")
    expect(page.get_by_label("Status:")).to_have_value("in_progress")

    page.get_by_label("Status:").select_option("blocked")
    page.get_by_label("Progress note").fill("Waiting for legal")
    page.get_by_role("button", name="Save the change").click()
    reason = page.locator(".field", has=page.get_by_label("Reason"))
    expect(reason).to_contain_text("Say why it is blocked.")
    assert_accessible(page, "the status form with an error")
    page.get_by_label("Reason").fill("Legal review of the wording")
    page.get_by_role("button", name="Save the change").click()
    expect(page.get_by_text("“Ship the one-page approval” is now blocked.")).to_be_visible()
    expect(timeline).to_contain_text("Waiting for legal (Reason: Legal review of the wording)")
    assert_accessible(page, "the action page")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

    page.get_by_role("link", name="← My actions").click()
    expect(page.get_by_role("heading", name="Blocked")).to_be_visible()
    expect(page.get_by_text("Legal review of the wording")).to_be_visible()
    context.close()


@pytest.mark.e2e
def test_my_actions_is_in_the_bar_at_desktop_width(
    live_server: Any, transactional_db: Any, browser: Browser
) -> None:
    """At desktop width the navigation has no "Menu" to open: "My actions" is in the bar."""
    build_cast()
    base = live_server.url
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    sign_in(page, base, "cora@acme.test")
    page.goto(base + "/w/acme/")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.locator("summary", has_text="Menu")).to_be_hidden()
    nav.get_by_role("link", name="My actions").click()
    expect(page.get_by_role("heading", name="My actions", level=1)).to_be_visible()
    context.close()


@pytest.mark.e2e
def test_the_team_adds_an_action_and_reviews_earlier_ones(
    live_server: Any, transactional_db: Any, browser: Browser
) -> None:
    cast = build_cast()
    first = make_debrief(cast, ends_at=clock.now() - timedelta(days=40), title="First session")
    earlier = services.create_action(
        cast.viewer("facilitator"),
        recommendation=approved(cast, first, "Earlier recommendation"),
        title="Call every new customer",
        owner_id=cast.users["sponsor"].pk,
        due_on=clock.today() + timedelta(days=1),
    )
    second = make_debrief(cast, ends_at=clock.now() - timedelta(hours=3), title="Second session")
    approved(cast, second, "One-page invoice approval")
    base = live_server.url
    page = browser.new_context(viewport=DESKTOP).new_page()
    sign_in(page, base, "cora@acme.test")

    page.goto(base + f"/w/acme/debriefs/{second.pk}/review/")
    expect(page.get_by_role("heading", name="Call every new customer")).to_be_visible()
    assert_accessible(page, "the review of earlier actions")
    card = page.get_by_role("article", name="Call every new customer")
    card.get_by_label("Re-date").check()
    card.get_by_label("New due date").fill((clock.today() + timedelta(days=14)).isoformat())
    card.get_by_role("button", name="Record").click()
    expect(page.locator(".field-error, .errorlist").first).to_contain_text(
        "Say why it needs a new date."
    )
    card = page.get_by_role("article", name="Call every new customer")
    card.get_by_label("Re-date").check()
    card.get_by_label("New due date").fill((clock.today() + timedelta(days=14)).isoformat())
    card.get_by_label("Note").fill("Support needs a script first")
    card.get_by_role("button", name="Record").click()
    expect(page.get_by_text("“Call every new customer” was re-dated.")).to_be_visible()
    earlier.refresh_from_db()
    assert earlier.due_on == clock.today() + timedelta(days=14)

    page.goto(base + f"/w/acme/debriefs/{second.pk}/actions/")
    assert_accessible(page, "the debrief's action items")
    form = page.locator("form#add")
    form.get_by_label("What is to be done").fill("Ship the one-page approval")
    form.get_by_role("combobox", name="Owner").select_option(label="Cora Core")
    form.get_by_label("Sam Sponsor").check()
    form.get_by_role("button", name="Add action item").click()
    expect(form.locator(".field", has=page.get_by_label("Due date"))).to_contain_text(
        "This field is required."
    )
    assert_accessible(page, "the add form with an error")
    form.get_by_label("Due date").fill((clock.today() + timedelta(days=10)).isoformat())
    form.get_by_role("button", name="Add action item").click()
    expect(page.get_by_text("“Ship the one-page approval” was added")).to_be_visible()
    expect(page.get_by_role("link", name="Ship the one-page approval")).to_be_visible()


@pytest.mark.e2e
@pytest.mark.parametrize("viewport", [PHONE], ids=["phone"])
def test_the_room_sums_up_the_actions_and_links_to_the_full_list(
    live_server: Any, transactional_db: Any, browser: Browser, viewport: dict[str, int]
) -> None:
    """The room's actions panel: counts by state and the ones needing attention; its links
    lead to the debrief's paginated list, narrowed to a state, and to the add form."""
    cast = build_cast()
    debrief = make_debrief(cast, ends_at=clock.now() - timedelta(days=2), title="The session")
    rec = approved(cast, debrief, "Invoice on day one")
    fran = cast.viewer("facilitator")
    for n in range(12):
        services.create_action(
            fran,
            recommendation=rec,
            title=f"Step {n:02}",
            owner_id=cast.users["core_team"].pk,
            due_on=clock.today() + timedelta(days=n + 1),
        )
    # Steps 00 and 01 were due before today (set directly: the services refuse a past date).
    ActionItem.objects.filter(title__in=["Step 00", "Step 01"]).update(
        due_on=clock.today() - timedelta(days=1)
    )
    context = browser.new_context(viewport=viewport)  # type: ignore[arg-type]
    page = context.new_page()
    base = live_server.url
    sign_in(page, base, "fran@acme.test")
    page.goto(base + f"/w/acme/debriefs/{debrief.pk}/")
    panel = page.get_by_role("region", name="Action items and owners")
    expect(panel.get_by_role("link", name="Overdue 2")).to_be_visible()
    attention = panel.locator("#attention li")
    expect(attention).to_have_count(10)
    expect(attention.first).to_contain_text("Step 00")
    expect(attention.first).to_contain_text("Overdue")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    panel.get_by_role("link", name="Overdue 2").click()
    rows = page.locator("#action-list tbody tr")
    expect(rows).to_have_count(2)
    expect(page.get_by_role("link", name="Step 01")).to_be_visible()
    assert_accessible(page, "the debrief's overdue action items")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    page.goto(base + f"/w/acme/debriefs/{debrief.pk}/")
    page.get_by_role("link", name="See all 12 action items").click()
    expect(page.locator("#action-list tbody tr")).to_have_count(12)
    page.goto(base + f"/w/acme/debriefs/{debrief.pk}/")
    page.get_by_role("link", name="Add an action item").click()
    expect(page.locator("form#add").get_by_label("What is to be done")).to_be_visible()
    context.close()
