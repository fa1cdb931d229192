"""Updates in the customer portal, in a real browser: on a phone (390 px) Gina opens her
portal, sees the update sent to her (new), opens it, answers "did it work for you?", replies,
and follows a priority from "Your priorities"; at desktop width, the email's unsubscribe and
"did it work for you?" links open their pages (nothing recorded until she confirms). axe
finds nothing serious on any of them.

The new wording's check runs once, at phone width (390 px, the stricter layout; customers
read from their phones): the steps and assertions are the same at desktop width, and this
run checks that these customer-facing pages fit the narrower screen."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, expect

from traction.core.testing.cast import build_cast
from traction.insights.models import Insight
from traction.loop import mail_links
from traction.loop.models import Feedback, Follow, Reply, Unsubscribe
from traction.loop.tests import mail_world as mw

from .a11y import assert_accessible

pytestmark = pytest.mark.e2e

PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
}


def _world() -> mw.MailWorld:
    world = mw.build(build_cast())
    mw.publish(world.base, world.base.card, "planned", "We are working it out with you.")
    mw.publish(world.base, world.base.card, "delivered")
    return world


def test_a_contact_reads_answers_and_replies_to_an_update_on_a_phone(
    live_server: Any, transactional_db: None, browser: Browser, screenshots: Path
) -> None:
    world = _world()
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}/{mw.portal_client_token(world.cast.contact)}")
    updates = page.get_by_role("region", name="Updates to you")
    expect(updates).to_contain_text("New")
    priorities = page.get_by_role("region", name="Your priorities")
    expect(priorities).to_contain_text("Invoice approval takes three weeks")
    expect(priorities).to_contain_text("Delivered")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the portal is {width}px wide on a 390px phone"
    assert_accessible(page, "the portal's home with updates on a phone")

    # She raised it: she hears about it already, no Follow button.
    expect(priorities).to_contain_text("You hear about this: you raised it.")
    expect(priorities.get_by_role("button", name="Follow")).to_have_count(0)
    assert not Follow.objects.filter(contact=world.cast.contact).exists()

    page.get_by_role("region", name="Updates to you").get_by_role(
        "link", name="What came of your input"
    ).click()
    expect(page.get_by_role("heading", name="What came of your input", level=1)).to_be_visible()
    expect(page.locator("main")).to_contain_text("We built a one-page approval <fast> & simple.")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the update page is {width}px wide on a 390px phone"
    assert_accessible(page, "an update in the portal on a phone")
    page.screenshot(path=str(screenshots / "portal-update-phone.png"), full_page=True)

    asked = page.get_by_role("region", name="Did it work for you?")
    asked.get_by_role("button", name="Send my answer").click()  # no answer: told beside it
    asked = page.get_by_role("region", name="Did it work for you?")
    expect(asked.locator(".field-invalid")).to_contain_text("Pick yes, partly or no.")
    expect(page.locator("main")).not_to_contain_text("This field is required")
    asked.get_by_label("Partly").check()
    asked.get_by_label("Anything to add? (optional)").fill("Faster, but still four days")
    asked.get_by_role("button", name="Send my answer").click()
    expect(page.get_by_role("status")).to_contain_text("your answer is recorded")
    assert Feedback.objects.get().answer == "partly"

    page.get_by_role("button", name="Send reply").click()  # empty: told beside the field
    expect(page.locator(".field-invalid")).to_contain_text("Write your reply first.")
    page.get_by_label("Your reply").fill("Can the phone app do this too?")
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_role("status")).to_contain_text("your reply went to the team")
    expect(page.get_by_role("region", name="Reply")).to_contain_text(
        "Can the phone app do this too?"
    )
    reply = Reply.objects.get()
    assert Insight.objects.get(pk=reply.insight_id).status == "candidate"
    context.close()


def test_the_email_links_open_their_pages_at_desktop_width(
    live_server: Any, transactional_db: None, browser: Browser
) -> None:
    world = _world()
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    token = mail_links.unsubscribe_token(world.gina.pk, "program", (world.cast.program.pk,))
    page.goto(f"{live_server.url}/mail/unsubscribe/{token}/")
    expect(page.get_by_role("heading", name="Unsubscribe")).to_be_visible()
    expect(page.locator("main")).to_contain_text(f"updates about {world.cast.program.name}")
    expect(page.locator("main")).to_contain_text("Nothing has changed yet.")
    expect(page.locator("main")).not_to_contain_text("You will no longer receive")
    assert_accessible(page, "the unsubscribe page")
    assert not Unsubscribe.objects.exists()
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("heading", name="You are unsubscribed")).to_be_visible()
    assert Unsubscribe.objects.get().scope == "program"

    feedback = mail_links.feedback_url(
        mail_links.feedback_token(world.gina.pk, world.base.card.pk), "yes"
    )
    parts = urlsplit(feedback)
    page.goto(f"{live_server.url}{parts.path}?{parts.query}")
    expect(page.get_by_label("Yes")).to_be_checked()
    assert_accessible(page, "the feedback page")
    assert not Feedback.objects.exists()
    page.get_by_role("button", name="Send my answer").click()
    expect(page.get_by_role("status")).to_contain_text("your answer is recorded")
    assert Feedback.objects.get().answer == "yes"

    page.goto(f"{live_server.url}/mail/unsubscribe/{token[:-4]}xxxx/")
    expect(page.get_by_role("heading", name="This link is not valid")).to_be_visible()
    context.close()


def test_an_account_owner_sees_and_changes_what_a_contact_hears(
    live_server: Any, transactional_db: None, browser: Browser
) -> None:
    from playwright.sync_api import Page

    from traction.core.testing.cast import PASSWORD

    world = _world()
    cast = world.cast
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page: Page = context.new_page()
    page.goto(live_server.url + "/login/")
    page.get_by_label("Email").fill(cast.users["account_owner"].email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/w/{cast.acme.slug}/customers/contacts/{cast.contact.pk}/edit/")
    hears = page.get_by_role("region", name="What they hear")
    expect(hears).to_contain_text("Invoice approval takes three weeks")
    expect(hears).to_contain_text("Their words are in it")
    assert_accessible(page, "a contact's page with what they hear")
    hears.get_by_text("Record an unsubscribe on their behalf").click()
    hears.get_by_label("Stop").select_option("all")
    hears.get_by_label("Why").first.fill("Asked on the phone")
    hears.get_by_role("button", name="Record unsubscribe").click()
    expect(page.get_by_role("region", name="What they hear")).to_contain_text("All mail —")
    assert Unsubscribe.objects.get().scope == "all"
    context.close()


@pytest.mark.parametrize("size", ["phone"])
def test_new_wording_fits_a_phone(
    live_server: Any, transactional_db: None, browser: Browser, screenshots: Path, size: str
) -> None:
    """ "You raised it" in the portal and the unsubscribe page's "Nothing has changed yet",
    on a 390 px phone: readable, no sideways scrolling, accessible."""
    world = _world()
    options: dict[str, Any] = (
        PHONE if size == "phone" else {"viewport": {"width": 1366, "height": 900}}
    )
    width_limit = options["viewport"]["width"]
    context = browser.new_context(**options)
    page = context.new_page()
    page.goto(f"{live_server.url}/{mw.portal_client_token(world.cast.contact)}")
    priorities = page.get_by_role("region", name="Your priorities")
    expect(priorities.get_by_text("You hear about this: you raised it.")).to_be_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width_limit
    assert_accessible(page, f"the portal's priorities ({size})")
    page.screenshot(path=str(screenshots / f"portal-raised-{size}.png"), full_page=True)
    token = mail_links.unsubscribe_token(world.gina.pk, "all")
    page.goto(f"{live_server.url}/mail/unsubscribe/{token}/")
    expect(page.get_by_text("Nothing has changed yet.")).to_be_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width_limit
    assert_accessible(page, f"the unsubscribe page ({size})")
    page.screenshot(path=str(screenshots / f"unsubscribe-{size}.png"), full_page=True)
    assert not Unsubscribe.objects.exists()
    context.close()
