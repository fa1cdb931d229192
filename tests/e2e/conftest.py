"""Headless Chromium (Debian's, never a downloaded one) against pytest-django's live server.

The live server serves static files itself, since django.contrib.staticfiles is installed.

The Content-Security-Policy is on, as in production, and every browser context a test opens
(the ``page`` fixture's and those from ``browser.new_context()``) is watched: its console
messages and its ``securitypolicyviolation`` events are recorded, and a test during which
the browser refused anything under the policy fails at teardown, listing what was refused.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls from that
# thread (building the test data) are still synchronous and safe here.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": {"width": 1280, "height": 860}}


@pytest.fixture
def screenshots() -> Path:
    folder = Path(settings.VAR_DIR) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# Runs in every document before its own scripts (Playwright's init scripts are not subject
# to the page's policy): each violation is handed to the test through an exposed binding.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__tractionCspViolation({
    directive: event.effectiveDirective,
    blocked: event.blockedURI,
    source: event.sourceFile,
    line: event.lineNumber,
    sample: event.sample,
    page: document.location.href,
  });
}, true);
"""


@dataclass
class BrowserWatch:
    """What the browser said while a test ran: every console message, every CSP violation."""

    console: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)

    def watch(self, context: BrowserContext) -> None:
        context.on("console", self._console)
        context.expose_binding("__tractionCspViolation", self._violation)
        context.add_init_script(script=REPORT_VIOLATIONS)

    def _console(self, message: ConsoleMessage) -> None:
        text = f"[{message.type}] {message.text} ({message.page.url if message.page else '?'})"
        self.console.append(text)
        # Chromium also reports each refusal on the console ("Refused to execute inline
        # script because it violates the following Content Security Policy directive ...").
        if message.type == "error" and "Content Security Policy" in message.text:
            self.violations.append(f"console: {text}")

    def _violation(self, _source: Any, report: dict[str, Any]) -> None:
        self.violations.append(
            "securitypolicyviolation: {directive} refused {blocked} at {source}:{line} "
            "on {page} {sample!r}".format(**report)
        )


@pytest.fixture(autouse=True)
def browser_watch(request: pytest.FixtureRequest) -> Iterator[BrowserWatch]:
    """Watches every browser context the test opens; fails the test on any CSP violation."""
    watch = BrowserWatch()
    if "browser" not in request.fixturenames:
        yield watch
        return
    browser: Browser = request.getfixturevalue("browser")
    open_context = browser.new_context

    def new_context(*args: Any, **kwargs: Any) -> BrowserContext:
        context = open_context(*args, **kwargs)
        watch.watch(context)
        return context

    request.getfixturevalue("monkeypatch").setattr(browser, "new_context", new_context)
    yield watch
    if watch.violations:
        pytest.fail(
            "The browser refused content under the Content-Security-Policy:\n  "
            + "\n  ".join(watch.violations),
            pytrace=False,
        )
