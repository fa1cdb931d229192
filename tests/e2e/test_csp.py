"""Every kind of page works under the Content-Security-Policy, with nothing from elsewhere.

The conftest fails any test during which the browser refused something under the policy;
these tests open one page of each kind, use what each page's scripts do (htmx requests,
the Print button, the ballot's steppers, Swagger UI's operation list), and check that every
request the browser made stayed on the server: the pages need no internet access.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, Page, Request, expect

from tests.e2e.conftest import BrowserWatch
from traction.api.api import api
from traction.core.testing.cast import PASSWORD, build_cast
from traction.voting import links
from traction.voting import services as voting
from traction.voting.tests.test_voting import build_room

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def _requests_elsewhere(page: Page, base: str) -> list[str]:
    """A list that fills with every URL the page asks for outside the live server."""
    elsewhere: list[str] = []

    def seen(request: Request) -> None:
        if not request.url.startswith((base + "/", "data:")):
            elsewhere.append(request.url)

    page.on("request", seen)
    return elsewhere


def _htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


@pytest.mark.e2e
def test_each_kind_of_page_works_under_the_policy_with_local_assets_only(
    live_server: Any,
    transactional_db: None,
    browser: Browser,
    page: Page,
    browser_watch: BrowserWatch,
) -> None:
    cast = build_cast()
    room = build_room(cast)
    voting.open_voting(cast.viewer("facilitator"), session=room.session, budget=3)
    base = live_server.url
    slug = cast.acme.slug
    elsewhere = _requests_elsewhere(page, base)

    def heading(h1: str) -> None:
        expect(page.get_by_role("heading", level=1)).to_have_text(h1)

    # Sign-in page, then the workspace home.
    page.goto(base + reverse("accounts:login"))
    heading("Sign in to Traction")
    page.get_by_label("Email").fill("fran@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(base + reverse("accounts:workspace_home", args=[slug]))
    heading("Acme")

    # The navigation's menus run from menus.js: Escape closes an open one.
    menu = page.locator("details.usermenu")
    menu.locator("summary").click()
    expect(menu).to_have_attribute("open", "")
    page.keyboard.press("Escape")
    expect(menu).not_to_have_attribute("open", "")

    assert cast.program is not None
    page.goto(base + reverse("programs:detail", args=[slug, cast.program.pk]))
    heading(cast.program.name)
    page.goto(base + reverse("sessions:detail", args=[slug, room.session.pk]))
    heading("Voting session")

    # The agenda form counts its minutes as they are typed.
    page.goto(base + reverse("sessions:agenda", args=[slug, room.session.pk]))
    heading("Agenda of Voting session")
    total = page.locator("#agenda-total")
    expect(total).to_have_text(re.compile(r"^\d+$"))
    before = int(total.inner_text())
    page.get_by_label("Title of row 1").fill("Welcome")
    page.get_by_label("Minutes of row 1").fill(
        str(int(page.get_by_label("Minutes of row 1").input_value() or 0) + 15)
    )
    expect(total).to_have_text(str(before + 15))

    # The scenario map: the Print button (print.js) and live capture (htmx, capture.js).
    page.goto(base + reverse("insights:board", args=[slug, room.session.pk]))
    heading("Scenario map: Team Blue")
    page.evaluate("window.print = () => { window.printedByButton = true; }")
    page.get_by_role("button", name="Print").click()
    assert page.evaluate("window.printedByButton") is True
    page.evaluate("window.stillThisPage = true")  # a full page load would wipe it out
    said = "Invoices arrive in the wrong currency"
    with page.expect_request(lambda r: r.method == "POST" and _htmx(r)):
        page.locator("#id_text").fill(f"/i {said}")
        page.keyboard.press("Enter")
    expect(page.locator("#capture-status")).to_contain_text("Saved: Issue")
    expect(page.locator(".note-text", has_text=said)).not_to_have_count(0)
    assert page.evaluate("window.stillThisPage") is True

    # htmx runs without eval and adds no inline <style> of its own (base.html's htmx-config).
    assert page.evaluate("[htmx.config.allowEval, htmx.config.includeIndicatorStyles]") == [
        False,
        False,
    ]

    page.goto(base + reverse("voting:manage", args=[slug, room.session.pk]))
    heading("Customer voting")
    expect(page.get_by_role("heading", name="Voting is open")).to_be_visible()

    # The room screen: its styles come from traction.css; a dot is an htmx request.
    page.goto(base + reverse("voting:room", args=[slug, room.session.pk]))
    heading("Vote in the room")
    expect(page.locator(".room-cards").first).to_have_css("display", "grid")
    page.get_by_role("link", name=re.compile(r"^Ian ")).click()
    with page.expect_request(lambda r: r.method == "POST" and _htmx(r)):
        page.get_by_role(
            "button", name=f"Add a dot from {room.ian.name} to: Let us pay by card"
        ).click()
    expect(page.locator("#dots-left")).to_have_text("2")

    # Search: results follow the typing through an htmx request.
    page.goto(base + reverse("insights:search", args=[slug]))
    heading("Search insights")
    with page.expect_request(_htmx):
        page.get_by_role("searchbox").first.type("currency")
    expect(page.locator("#results")).to_contain_text(said)

    # The customer's ballot, on a phone: the steppers are ballot.js.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    ballot = phone.new_page()
    ballot_elsewhere = _requests_elsewhere(ballot, base)
    token = links.make_token(room.invitations["ian"].pk, room.ian.pk)
    ballot.goto(f"{base}/vote/{token}/")
    expect(ballot.get_by_role("heading", level=1)).to_have_text("Voting session")
    expect(ballot.locator(".stepper").first).to_have_css("display", "flex")  # traction.css
    ballot.get_by_role("button", name="One dot more on: Approval takes three weeks").click()
    expect(ballot.locator("#dots-left")).to_have_text("1")  # one dot given in the room
    phone.close()

    # The API docs: Swagger UI from /static/, one block per operation of the document.
    operations = sum(
        method in HTTP_METHODS
        for item in api.get_openapi_schema()["paths"].values()
        for method in item
    )
    page.goto(base + "/api/v1/docs")
    # Swagger UI draws once it has fetched and parsed the whole document (~200 operations):
    # seconds on a busy two-core machine.
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Traction API", timeout=30_000)
    expect(page.locator(".opblock")).to_have_count(operations)

    assert elsewhere == []
    assert ballot_elsewhere == []
    assert browser_watch.violations == []


@pytest.mark.e2e
def test_capture_stays_within_the_policy_when_an_extension_styled_the_inputs(
    live_server: Any,
    transactional_db: None,
    page: Page,
    browser_watch: BrowserWatch,
) -> None:
    """Password managers and other extensions put a style on inputs (through the CSSOM, which
    the policy allows). A capture swaps the form in: htmx must not copy that style attribute
    onto the new inputs with setAttribute, which the policy refuses (base.html's
    htmx-config settles class, width and height only)."""
    cast = build_cast()
    room = build_room(cast)
    base, slug = live_server.url, cast.acme.slug
    page.goto(base + reverse("accounts:login"))
    page.get_by_label("Email").fill("fran@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(base + reverse("insights:board", args=[slug, room.session.pk]))
    expect(page.get_by_role("heading", level=1)).to_have_text("Scenario map: Team Blue")
    assert "style" not in page.evaluate("htmx.config.attributesToSettle")
    # No settle delay: the swapped-in form is live when the status says "Saved", so the next
    # Enter (typed at once below) is sent by htmx, not as a whole-page post.
    assert page.evaluate("htmx.config.defaultSettleDelay") == 0
    for said in ("Invoices arrive in the wrong currency", "The VAT number is checked too late"):
        page.evaluate(
            "for (const el of document.querySelectorAll('#capture-form input, #id_text'))"
            " el.style.backgroundImage = 'none';"
        )
        with page.expect_request(lambda r: r.method == "POST" and _htmx(r)):
            page.locator("#id_text").fill(f"/i {said}")
            page.keyboard.press("Enter")
        expect(page.locator(".note-text", has_text=said)).not_to_have_count(0)
        expect(page.locator("#capture-status")).to_contain_text("Saved: Issue")
    assert browser_watch.violations == []


@pytest.mark.e2e
def test_the_watch_catches_an_inline_script_the_policy_refuses(
    live_server: Any, transactional_db: None, page: Page, browser_watch: BrowserWatch
) -> None:
    """The guard finds what it guards: a page with an inline script and an inline handler,
    served under the site's own policy, is reported twice over (event and console)."""
    from django.test import Client

    policy = Client().get(reverse("accounts:login")).headers["Content-Security-Policy"]
    url = live_server.url + "/an-inline-script/"
    page.route(
        url,
        lambda route: route.fulfill(
            status=200,
            headers={"Content-Type": "text/html", "Content-Security-Policy": policy},
            body="<!doctype html><title>x</title><script>document.title = 'ran'</script>"
            "<button onclick=\"document.title = 'clicked'\">Go</button>",
        ),
    )
    page.goto(url)
    page.get_by_role("button", name="Go").click()
    expect(page).to_have_title("x")  # neither the script nor the handler ran
    directives = " ".join(browser_watch.violations)
    assert "securitypolicyviolation: script-src-elem refused inline" in directives
    assert "securitypolicyviolation: script-src-attr refused inline" in directives
    assert any(v.startswith("console: [error] ") for v in browser_watch.violations)
    browser_watch.violations.clear()  # expected here: the teardown check must not fail
