"""Internal pages on a phone (issue 11: owners approve from email on their phones), and the
navigation's menu there.

Every internal page of the demo, as each role reaches it by following links from the
workspace home, fits a 390 px wide screen: nothing is wider than the screen (tables scroll
in their own box or reflow). The navigation folds behind a "Menu" button; Escape and a tap
elsewhere close it; without JavaScript the links are simply there.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from traction.demo.build import DEMO_PASSWORD, DEMO_SLUG, PEOPLE, build_demo

from .a11y import assert_accessible
from .helpers import PHONE, sign_in

ROLES = ["admin", "facilitator", "product", "sponsor", "owner", "observer"]
EMAILS = {p.key: p.email for p in PEOPLE}
# Links that are no page to look at: downloads, exports, calendar files, signing out.
SKIP = re.compile(r"/(export|download|logout)|\.ics$|/open/$")
PAGES_PER_ROLE = 120


def pattern_of(path: str) -> str:
    return re.sub(r"/\d+(?=/)", "/N", path)


def internal_pages(page: Page, base: str, failures: list[str], role: str) -> list[str]:
    """Every page of the demo workspace this member reaches by links from its home, one per
    route (ids folded), each visited and measured as it loads (a page wider than the phone
    is added to ``failures``): the addresses of those that answered 200."""
    prefix = f"/w/{DEMO_SLUG}/"
    queue = [base + prefix]
    patterns: set[str] = set()
    visited: list[str] = []
    while queue and len(visited) < PAGES_PER_ROLE:
        url = queue.pop(0)
        path = urlsplit(url).path
        if pattern_of(path) in patterns:
            continue
        patterns.add(pattern_of(path))
        response = page.goto(url)
        if response is None or response.status != 200:
            continue
        if "text/html" not in (response.headers.get("content-type") or ""):
            continue
        visited.append(url)
        found = page.evaluate(WIDER_THAN_SCREEN)
        if found["scrollWidth"] > PHONE["width"]:
            failures.append(f"{role} {url}: {found['scrollWidth']} px wide {found['wide']}")
        hrefs = page.eval_on_selector_all(
            "a[href]:not([download])", "links => links.map((a) => a.href)"
        )
        for href in hrefs:
            parts = urlsplit(href)
            if parts.netloc != urlsplit(base).netloc or not parts.path.startswith(prefix):
                continue
            if SKIP.search(parts.path) or pattern_of(parts.path) in patterns:
                continue
            target = base + parts.path + (f"?{parts.query}" if parts.query else "")
            queue.append(target)
    return visited


# The page fails when the document scrolls sideways; only then are the elements that stick out
# looked for (every element's box: the costly part), to say which.
WIDER_THAN_SCREEN = """() => {
  const width = document.documentElement.clientWidth;
  const scrollWidth = document.documentElement.scrollWidth;
  const wide = [];
  if (scrollWidth <= width) return {scrollWidth, wide};
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (box.width && box.right > width + 1 && !el.closest(".grid-scroll, .table-scroll")) {
      const name = el.className ? "." + String(el.className).split(" ").join(".") : "";
      wide.push(el.tagName.toLowerCase() + name + " " + Math.round(box.right));
    }
  }
  return {scrollWidth, wide: wide.slice(0, 5)};
}"""


# One test per role: the crawl of six roles was one test of a minute and more, which kept
# one xdist worker busy while the other ran out of tests.
@pytest.mark.e2e
@pytest.mark.parametrize("role", ROLES)
def test_every_internal_page_fits_a_phone_for_every_role(
    live_server: Any, transactional_db: Any, browser: Browser, role: str
) -> None:
    build_demo()
    base = live_server.url
    failures: list[str] = []
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    sign_in(page, base, EMAILS[role], DEMO_PASSWORD)
    # Each page is measured once, as the crawl loads it.
    counted = len(internal_pages(page, base, failures, role))
    context.close()
    # The crawl reached the pages the role has (not only the home): a real sweep.
    assert counted >= (25 if role == "facilitator" else 5), (role, counted)
    assert not failures, "Wider than a 390 px screen:\n" + "\n".join(failures)


@pytest.mark.e2e
def test_the_navigation_folds_behind_a_menu_on_a_phone(
    live_server: Any, transactional_db: Any, browser: Browser
) -> None:
    build_demo()
    base = live_server.url
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    sign_in(page, base, EMAILS["owner"], DEMO_PASSWORD)
    nav = page.get_by_role("navigation", name="Main")
    sessions = nav.get_by_role("link", name="Sessions")
    menu = nav.locator("summary", has_text="Menu")
    expect(menu).to_be_visible()
    expect(sessions).to_be_hidden()
    menu.click()
    expect(sessions).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_accessible(page, "the workspace home on a phone, menu open")
    page.keyboard.press("Escape")
    expect(sessions).to_be_hidden()
    expect(menu).to_be_focused()
    menu.click()
    page.get_by_role("heading", level=1).click()  # a tap elsewhere closes it
    expect(sessions).to_be_hidden()
    menu.click()
    sessions.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sessions")
    context.close()

    # On a wide screen there is no menu button: the links are in the bar.
    context = browser.new_context(viewport={"width": 1366, "height": 800})
    page = context.new_page()
    sign_in(page, base, EMAILS["owner"], DEMO_PASSWORD)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.locator("summary", has_text="Menu")).to_be_hidden()
    expect(nav.get_by_role("link", name="Sessions")).to_be_visible()
    context.close()

    # Without JavaScript the links are there, on a phone too (the menu is rendered open).
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, base, EMAILS["owner"], DEMO_PASSWORD)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Sessions")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    context.close()
