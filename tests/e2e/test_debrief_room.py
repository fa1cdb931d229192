"""The debrief room in a browser: the facilitator opens it and sets the phase, the core team
drafts recommendations with evidence, two people edit the same one (the second is shown a
merge prompt and loses nothing), the sponsor approves one and defers another with a date,
and the coverage meter moves; the room passes axe on a desktop and on a phone."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.a11y import assert_accessible
from traction.core import clock
from traction.core.testing.cast import PASSWORD, build_cast
from traction.debrief.models import Decision, Recommendation
from traction.debrief.tests.room_world import build_world, session_over

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def signed_in(
    browser: Browser, base: str, email: str, viewport: dict[str, int]
) -> tuple[BrowserContext, Page]:
    context = browser.new_context(viewport=viewport)  # type: ignore[arg-type]
    page = context.new_page()
    page.goto(base + "/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign in")).to_have_count(0)
    return context, page


def draft(page: Page, title: str, evidence: str) -> None:
    page.get_by_role("link", name="Draft a recommendation", exact=True).click()
    page.get_by_label("Title").fill(title)
    page.get_by_label(evidence).check()
    page.get_by_role("button", name="Draft it").click()
    expect(page.get_by_role("heading", name=title)).to_be_visible()


@pytest.mark.e2e
def test_a_debrief_room_is_run(
    live_server, transactional_db, browser: Browser, screenshots: Path
) -> None:
    cast = build_cast()
    world = build_world(cast)
    session_over(world)  # the room opens once the session is over
    base = live_server.url
    room_url = f"{base}/w/{cast.acme.slug}/debriefs/{world.debrief.pk}/"

    # The facilitator opens the room and sets the phase; the countdown runs.
    fran_ctx, fran = signed_in(browser, base, "fran@acme.test", DESKTOP)
    fran.goto(room_url)
    expect(fran.get_by_role("heading", level=1)).to_have_text("Debrief of Voting session")
    expect(fran.locator("#coverage-text")).to_have_text(
        "0 of 4 top priorities have a decision or a dated deferral"
    )
    fran.get_by_role("button", name="Open the debrief").click()
    expect(fran.locator("#current-phase")).to_have_text("Review open actions from earlier debriefs")
    fran.get_by_label("Set the phase").select_option(label="Draft recommendations")
    fran.get_by_role("button", name="Start this phase").click()
    expect(fran.locator("#current-phase")).to_have_text("Draft recommendations")
    first = fran.locator("#time-left").inner_text()
    expect(fran.locator("#time-left")).not_to_have_text(first, timeout=4000)  # counts down
    assert_accessible(fran, "the debrief room (desktop)")
    fran.screenshot(path=str(screenshots / "debrief-room-desktop.png"), full_page=True)

    # The core team drafts two recommendations with evidence.
    cora_ctx, cora = signed_in(browser, base, "cora@acme.test", DESKTOP)
    cora.goto(room_url)
    draft(cora, "Invoice on day one", "Moment of truth: The first invoice arrives — Gina Globex")
    draft(cora, "Faster approvals", "Issue: Approval takes three weeks — Ian Initech")
    rec = Recommendation.objects.get(title="Invoice on day one")
    # A priority of the brief opens the form with its card ticked, listed first with its rank.
    cora.goto(room_url)
    cora.get_by_role("link", name="Draft a recommendation from it (priority #1)").click()
    ticked = cora.locator("input[name=evidence]:checked")
    expect(ticked).to_have_count(1)
    expect(cora.locator("input[name=evidence]").first).to_be_checked()
    expect(cora.locator("label[for=id_evidence_0]")).to_contain_text("Priority #1 (")
    cora.goto(room_url)

    # Two people edit the same recommendation from the same version.
    sam_ctx, sam = signed_in(browser, base, "sam@acme.test", DESKTOP)
    edit_url = f"{room_url}recommendations/{rec.pk}/"
    cora.goto(edit_url)
    sam.goto(edit_url)
    sam.get_by_label("Title").fill("Invoice from day one")
    sam.get_by_label("Rationale").fill("Customers print every invoice.")
    sam.get_by_role("button", name="Save changes").click()
    expect(sam.get_by_text("was saved")).to_be_visible()
    cora.get_by_label("Title").fill("Invoice on the first day")
    cora.get_by_role("button", name="Save changes").click()
    prompt = cora.locator("#merge-prompt")
    expect(prompt).to_be_visible()
    # Only the field both changed is offered; the rationale only Sam changed is taken.
    expect(prompt.locator("#merge-title .theirs")).to_have_text("Invoice from day one")
    expect(prompt.locator("#merge-rationale")).to_have_count(0)
    expect(cora.get_by_label("Rationale")).to_have_value("Customers print every invoice.")
    expect(cora.get_by_label("Title")).to_have_value("Invoice on the first day")  # mine kept
    assert_accessible(cora, "the merge prompt")
    prompt.locator("#merge-title").get_by_label("Mine").check()
    cora.get_by_role("button", name="Save changes").click()
    expect(cora.get_by_text("was saved")).to_be_visible()
    rec.refresh_from_db()
    assert (rec.title, rec.rationale) == (
        "Invoice on the first day",
        "Customers print every invoice.",
    )

    # The sponsor approves one and defers the other with a date; coverage follows.
    sam.goto(room_url)
    article = sam.locator(f"#rec-{rec.pk}")
    expect(article).to_contain_text("could be published as “Under consideration”")
    article.get_by_role("link", name="Approve “Invoice on the first day”").click()
    sam.get_by_label("Reason").fill("Customers asked for it twice")
    sam.get_by_role("button", name="Record the decision").click()
    expect(sam.locator("#coverage-text")).to_have_text(
        "1 of 4 top priorities have a decision or a dated deferral"
    )
    other = Recommendation.objects.get(title="Faster approvals")
    sam.locator(f"#rec-{other.pk}").get_by_role("link", name="Defer “Faster approvals”").click()
    sam.get_by_label("Reason").fill("After the billing migration")
    sam.get_by_role("button", name="Record the decision").click()
    expect(sam.get_by_text("A deferral needs a date to revisit it.")).to_be_visible()
    sam.get_by_label("Revisit on").fill((clock.today() + timedelta(days=45)).isoformat())
    sam.get_by_role("button", name="Record the decision").click()
    expect(sam.locator("#coverage-text")).to_have_text(
        "2 of 4 top priorities have a decision or a dated deferral"
    )
    expect(sam.locator("#uncovered")).to_contain_text("Nobody answers the phone")
    expect(sam.locator(f"#hears-{other.pk}")).to_contain_text(
        "could be published as “Under consideration”"
    )
    assert list(Decision.objects.order_by("id").values_list("outcome", "decided_as")) == [
        ("approved", "Executive sponsor"),
        ("deferred", "Executive sponsor"),
    ]
    assert_accessible(sam, "the debrief room with decisions")

    # On a phone: usable, no sideways scrolling, accessible.
    phone_ctx, phone = signed_in(browser, base, "sam@acme.test", PHONE)
    phone.goto(room_url)
    expect(phone.locator("#current-phase")).to_have_text("Draft recommendations")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(phone, "the debrief room (phone)")
    phone.screenshot(path=str(screenshots / "debrief-room-phone.png"), full_page=True)
    for ctx in (fran_ctx, cora_ctx, sam_ctx, phone_ctx):
        ctx.close()
