"""What the browser tests share: the two viewports, signing in through the login page, and
the check that a page does not scroll sideways, and a port nothing listens on."""

from __future__ import annotations

import socket

from playwright.sync_api import Page, expect

from traction.core.testing.cast import PASSWORD

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}

# The elements wider than the viewport (for the message of a failed check).
WIDEST = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
  .slice(0, 5)
  .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""


def sign_in(
    page: Page, base: str, email: str, password: str = PASSWORD, *, lands_on: str | None = None
) -> None:
    """Signs in through the login page and waits for the page it lands on: ``lands_on``
    (a path) if given, else any page with the main navigation."""
    page.goto(base + "/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    if lands_on is not None:
        expect(page).to_have_url(base + lands_on)
    else:
        expect(page.get_by_role("navigation", name="Main")).to_be_visible()


def no_sideways_scroll(page: Page) -> None:
    """The page is no wider than the viewport (a phone never scrolls sideways)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], (width, page.evaluate(WIDEST))  # type: ignore[index]


def closed_port() -> int:
    """A loopback port nothing listens on (a mail server that is down)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
