"""An admin registers a webhook endpoint, copies its secret (shown once), sends a test event
to a real receiver on loopback and sees the delivery's outcome.

The flow runs once, at phone width (390 px, the stricter layout; owners act from their phones):
the steps and assertions are the same at desktop width, and tests/e2e/test_internal_pages.py
already checks that every internal page fits a phone for every role."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from traction.core.testing.cast import PASSWORD, build_cast
from traction.webhooks import delivery
from traction.webhooks.models import WebhookEndpoint
from traction.webhooks.receiver import VERIFY_SNIPPET
from traction.webhooks.tests.receivers import Receiver

from .a11y import assert_accessible


@pytest.fixture
def receiver() -> Any:
    r = Receiver()
    yield r
    r.stop()


@pytest.mark.e2e
@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}])
def test_the_admin_registers_an_endpoint_and_sees_a_test_event_delivered(
    live_server: Any,
    transactional_db: Any,
    browser: Browser,
    receiver: Receiver,
    viewport: dict[str, int],
    screenshots: Any,
    settings: Any,
) -> None:
    # The test's in-memory SQLite shares one cache between threads, and refuses a read at
    # once while another thread writes ("table is locked") where a database file or
    # PostgreSQL waits: the delivery thread would race the page the click leads to. Here
    # the delivery runs as `traction webhooks deliver` would run it, after the click
    # (tests/webhooks cover the thread that delivers after commit).
    settings.TRACTION_WEBHOOK_DELIVER_ON_COMMIT = False
    cast = build_cast()
    base = live_server.url
    page = browser.new_context(viewport=viewport).new_page()
    page.goto(base + "/login/")
    page.get_by_label("Email").fill("alice@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()

    page.goto(f"{base}/w/{cast.acme.slug}/webhooks/")
    expect(page.get_by_text("No webhook endpoints yet.")).to_be_visible()
    assert_accessible(page, "the empty webhooks list")
    page.get_by_role("link", name="Add your first endpoint").click()

    page.get_by_label("URL").fill("not an address")
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.locator(".field-invalid")).to_contain_text("starting with https://")

    page.get_by_label("URL").fill(receiver.url)
    page.get_by_label("Description").fill("Loopback receiver")
    page.get_by_role("button", name="Add endpoint").click()
    secret_box = page.locator("#webhook-secret")
    expect(secret_box).to_be_visible()
    secret = secret_box.inner_text().strip()
    assert secret.startswith("whsec_")
    expect(page.get_by_text("only this once")).to_be_visible()
    page.screenshot(path=screenshots / f"webhooks-secret-{viewport['width']}.png", full_page=True)

    # Reloading the secret's page (F5) registers nothing more and does not show it again.
    page.reload()
    expect(page.get_by_text("The secret was shown once")).to_be_visible()
    assert secret not in page.content()
    assert WebhookEndpoint.objects.count() == 1
    page.get_by_role("link", name="Back to the endpoint").click()
    expect(page.get_by_role("heading", name="Loopback receiver")).to_be_visible()
    assert secret not in page.content()
    expect(page.get_by_text("Nothing sent yet.")).to_be_visible()

    page.get_by_role("button", name="Send a test event").click()
    expect(page.get_by_text("A test event is on its way.")).to_be_visible()
    assert delivery.deliver_due().delivered == 1
    assert receiver.arrived.wait(10), "the test event never reached the receiver"
    page.reload()
    row = page.locator("#deliveries tbody tr").first
    expect(row).to_contain_text("webhook.test")
    expect(row).to_contain_text("Delivered")
    expect(row).to_contain_text("HTTP 200")
    row.get_by_text("1 attempt").click()  # the attempt log opens under the delivery
    expect(row.locator(".attempt-log li")).to_have_count(1)
    expect(row.locator(".attempt-log li")).to_contain_text(" ms")
    assert_accessible(page, "an endpoint with its deliveries")
    page.screenshot(path=screenshots / f"webhooks-endpoint-{viewport['width']}.png", full_page=True)

    namespace: dict[str, Any] = {}
    exec(VERIFY_SNIPPET, namespace)  # noqa: S102 -- the documented check
    (request,) = receiver.requests
    assert namespace["verify"](secret, request.headers["Traction-Signature"], request.body)
