"""Enter in a form with a "Find a member" box, in the browser: Enter in an ordinary field
(the title, the name) saves, exactly as the save button does, although the Find button comes
first in the form; Enter in the Find box (and a click on Find) narrows the list and saves
nothing, and the search's address holds no CSRF token. The hidden default button is out of
the tab order and the accessibility tree; the pages pass axe-core. Without JavaScript, Enter
in a field still saves."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from traction.core import clock
from traction.core.testing.cast import build_cast
from traction.debrief.models import ActionItem
from traction.debrief.tests.actions_world import approved, make_debrief
from traction.programs.models import Program

from .a11y import assert_accessible
from .helpers import sign_in


def tab_reaches_a_hidden_button(page: Page, presses: int) -> bool:
    """Whether Tab, pressed ``presses`` times from the page's start, ever rests on a button
    hidden from screen readers (the forms' default buttons)."""
    page.locator("body").focus()
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('button[aria-hidden=true]')"):
            return True
    return False


@pytest.mark.e2e
def test_enter_adds_the_action_item_and_enter_in_find_finds(
    live_server: Any, transactional_db: Any, browser: Browser
) -> None:
    cast = build_cast()
    debrief = make_debrief(cast, ends_at=clock.now() - timedelta(days=2))
    approved(cast, debrief)
    page = browser.new_context().new_page()
    sign_in(page, live_server.url, "fran@acme.test")
    there = f"{live_server.url}/w/acme/debriefs/{debrief.pk}/actions/"
    page.goto(there)
    form = page.locator("form#add")
    owner = form.get_by_label("Owner:", exact=True)
    find = form.get_by_label("Find a member (owner, contributors)")
    expect(form.get_by_role("button", name="Add action item")).to_have_count(1)
    assert form.locator("button[aria-hidden=true]").count() == 1
    assert not tab_reaches_a_hidden_button(page, 60)
    assert_accessible(page, "the actions page with its add form")

    # Enter in the Find box finds: the owners narrow, nothing is added, no token in the URL.
    form.get_by_label("What is to be done").fill("Draft the approval page")
    find.fill("cora")
    find.press("Enter")
    expect(find).to_have_value("cora")
    expect(owner.locator("option", has_text="Cora Core")).to_have_count(1)
    expect(owner.locator("option", has_text="Fran Facilitator")).to_have_count(0)
    assert "owner_q=cora" in page.url
    assert "csrfmiddlewaretoken" not in page.url
    expect(form.get_by_label("What is to be done")).to_have_value("Draft the approval page")
    assert not ActionItem.objects.exists()

    # A click on Find sends no token either.
    find.fill("sam")
    form.get_by_role("button", name="Find").click()
    expect(owner.locator("option", has_text="Sam Sponsor")).to_have_count(1)
    assert "owner_q=sam" in page.url
    assert "csrfmiddlewaretoken" not in page.url

    # Enter in the title adds the item, as "Add action item" does.
    owner.select_option(label="Sam Sponsor")
    form.get_by_label("Due date").fill((clock.today() + timedelta(days=5)).isoformat())
    form.get_by_label("What is to be done").press("Enter")
    expect(page.get_by_text("“Draft the approval page” was added")).to_be_visible()
    item = ActionItem.objects.get()
    assert (item.title, item.owner_id) == ("Draft the approval page", cast.users["sponsor"].pk)
    assert "csrfmiddlewaretoken" not in page.url


@pytest.mark.e2e
def test_enter_starts_the_program_and_enter_in_find_finds(
    live_server: Any, transactional_db: Any, browser: Browser
) -> None:
    build_cast()
    programs = Program.objects.count()
    page = browser.new_context().new_page()
    sign_in(page, live_server.url, "alice@acme.test")
    page.goto(f"{live_server.url}/w/acme/programs/new/")
    team = page.get_by_role("group", name="Core team")
    find = page.get_by_label("Find a member (sponsor and core team)")
    expect(page.get_by_role("button", name="Start program")).to_have_count(1)
    assert_accessible(page, "the new program form")

    page.get_by_label("Name").fill("Faster month-end close")
    page.get_by_label("Goal").fill("Close the books in three days.")
    find.fill("cora")
    find.press("Enter")
    expect(find).to_have_value("cora")
    expect(team.get_by_label("Cora Core")).to_have_count(1)
    expect(team.get_by_label("Fran Facilitator")).to_have_count(0)
    assert "members_q=cora" in page.url
    assert "csrfmiddlewaretoken" not in page.url
    expect(page.get_by_label("Name")).to_have_value("Faster month-end close")
    assert Program.objects.count() == programs

    team.get_by_label("Cora Core").check()
    page.get_by_label("Name").press("Enter")
    expect(page.get_by_text("The program “Faster month-end close” was started.")).to_be_visible()
    program = Program.objects.get(name="Faster month-end close")
    assert list(program.members.values_list("user__email", flat=True)) == ["cora@acme.test"]
    assert_accessible(page, "the new program's page")


@pytest.mark.e2e
def test_without_javascript_enter_in_a_field_still_saves(
    live_server: Any, transactional_db: Any, browser: Browser
) -> None:
    build_cast()
    page = browser.new_context(java_script_enabled=False).new_page()
    sign_in(page, live_server.url, "alice@acme.test")
    page.goto(f"{live_server.url}/w/acme/programs/new/")
    page.get_by_label("Name").fill("Self-serve refunds")
    page.get_by_label("Goal").fill("Refunds without a ticket.")
    page.get_by_label("Find a member (sponsor and core team)").fill("cora")
    page.get_by_label("Name").press("Enter")
    expect(page.get_by_text("The program “Self-serve refunds” was started.")).to_be_visible()
    assert Program.objects.filter(name="Self-serve refunds").exists()
