"""Issue 11 defects, as a browser meets them: the practice-session link (only free ones are
offered; one taken meanwhile is refused beside the field, not a 500), the favicon (no 404 on
any page), the sign-in error, landing in one's only workspace, notices that clear and open
in a new tab, and Escape closing the navigation's menus."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from traction.core.testing.cast import build_cast
from traction.sessions import services
from traction.sessions.forms import practice_label

from .helpers import sign_in


def plan(cast: Any, title: str, days: int, kind: str = "co_design") -> Any:
    start = (timezone.now() + timedelta(days=days)).replace(tzinfo=None, microsecond=0)
    return services.plan_session(
        cast.viewer("facilitator"),
        program=cast.program,
        title=title,
        kind=kind,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        time_zone="Europe/Berlin",
    )


@pytest.mark.e2e
def test_practice_link_favicon_landing_notices_and_menus(
    live_server: Any, transactional_db: Any, page: Page
) -> None:
    cast = build_cast()
    base = live_server.url
    berlin = plan(cast, "Berlin co-design", 40)
    paris = plan(cast, "Paris co-design", 41)
    dry_run = plan(cast, "Dry run", 30, kind="practice")
    spare = plan(cast, "Spare rehearsal", 31, kind="practice")
    services.link_practice(cast.viewer("facilitator"), session=berlin, practice=dry_run)
    missing: list[str] = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)

    # A wrong password is said to be wrong, not "could not be saved".
    page.goto(base + "/login/")
    page.get_by_label("Email").fill("fran@acme.test")
    page.get_by_label("Password").fill("not her password")
    page.get_by_role("button", name="Sign in").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("You are not signed in:")
    expect(alert).to_contain_text("That email and password do not match an account.")
    expect(alert).not_to_contain_text("could not be saved")

    # Fran, a member of one workspace, lands in it (no chooser).
    sign_in(page, base, "fran@acme.test")
    expect(page).to_have_url(base + "/w/acme/")

    # Paris offers only the free practice session.
    page.goto(f"{base}/w/acme/sessions/{paris.pk}/")
    choice = page.get_by_label("Practice session")
    options = choice.locator("option").all_inner_texts()
    # (Each option is a title and its date: practice sessions often share a name.)
    assert options == ["No practice session", practice_label(spare)]
    choice.select_option(label=practice_label(spare))
    # Someone links it elsewhere before Fran presses Link: refused beside the field.
    services.link_practice(cast.viewer("facilitator"), session=berlin, practice=spare)
    page.get_by_role("button", name="Link").click()
    expect(page.get_by_role("alert")).to_have_text(
        "“Spare rehearsal” already rehearses “Berlin co-design”; a practice session rehearses "
        "one session. Choose another practice session, or plan a new one."
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Paris co-design")
    # Dry run is free again (Berlin now uses Spare): offered and linked.
    page.get_by_label("Practice session").select_option(label=practice_label(dry_run))
    page.get_by_role("button", name="Link").click()
    expect(page.get_by_role("status")).to_contain_text("Practice session: “Dry run”.")

    # Escape closes the account menu and gives the focus back to its button.
    menu = page.locator("details.usermenu")
    menu.locator("summary").click()
    expect(menu).to_have_attribute("open", "")
    page.keyboard.press("Escape")
    expect(menu).not_to_have_attribute("open", "")
    expect(menu.locator("summary")).to_be_focused()
    menu.locator("summary").click()
    page.get_by_role("button", name="Sign out").click()

    # Owen's approval notice: a real link (opens in a new tab), and done once he decides.
    services.request_outreach(cast.viewer("facilitator"), session=paris, contact=cast.contact)
    sign_in(page, base, "owen@acme.test")
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Notices").click()
    expect(nav.get_by_role("link", name="Notices")).to_contain_text("1")
    opener = page.locator(".notice-list").get_by_role("link", name=re.compile("^Open"))
    with page.context.expect_page() as tab:
        opener.click(modifiers=["Control"])
    new_tab = tab.value
    new_tab.wait_for_load_state()
    expect(new_tab.get_by_role("heading", level=1)).to_contain_text("Invite Gina Globex")
    new_tab.get_by_role("button", name="Approve").click()
    expect(new_tab.get_by_role("status")).to_contain_text("You approved inviting Gina Globex")
    new_tab.close()
    page.reload()
    expect(page.get_by_text("Done", exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="Notices")).to_have_text("Notices")

    assert [u for u in missing if u.endswith("favicon.ico")] == []
    assert missing == []
