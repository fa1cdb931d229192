"""Who customer mail is from, and the bounce URL, on the workspace settings page in a real
browser: a bad reply-to address is refused beside its field, the sender
is saved, the bounce URL is shown once and afterwards only its end; a provider's key is
refused beside its field when it is not one, then listed by its end only, and the running
server refuses unsigned posts.

The flows run once, at phone width (390 px, the stricter layout; owners act from their phones):
the steps and assertions are the same at desktop width, and tests/e2e/test_internal_pages.py
already checks that every internal page fits a phone for every role."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from traction.accounts.models import Workspace
from traction.core.testing.cast import PASSWORD, build_cast
from traction.loop.models import BounceInbox
from traction.loop.services import bounces

from .a11y import assert_accessible

SIZES: dict[str, dict[str, Any]] = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1366, "height": 900}},
}


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(base + "/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


@pytest.mark.e2e
@pytest.mark.parametrize("size", ["phone"])
def test_the_admin_sets_the_sender_and_makes_the_bounce_url(
    live_server: Any, transactional_db: None, browser: Browser, size: str
) -> None:
    cast = build_cast()
    context = browser.new_context(**SIZES[size])
    page = context.new_page()
    sign_in(page, live_server.url, "alice@acme.test")
    page.goto(f"{live_server.url}/w/acme/workspace-settings/")
    page.get_by_label("Sender name").fill("Acme Customer Team")
    page.get_by_label("Reply-to address").fill("team@")
    page.get_by_role("button", name="Save settings").click()
    error = page.locator("#id_reply_to_error")
    expect(error).to_contain_text("Enter an email address like replies@example.com.")
    expect(page.get_by_label("Reply-to address")).to_have_attribute(
        "aria-describedby", re.compile("id_reply_to_error")
    )
    assert_accessible(page, f"workspace settings with an error ({size})")
    page.get_by_label("Reply-to address").fill("team@acme.test")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("The workspace settings are saved.")).to_be_visible()
    workspace = Workspace.objects.get(pk=cast.acme.pk)
    assert (workspace.sender_name, workspace.reply_to) == ("Acme Customer Team", "team@acme.test")

    section = page.locator("#bounces")
    expect(section).to_contain_text("No bounce URL yet")
    expect(section).to_contain_text("No bounce or complaint reported yet.")
    section.get_by_role("button", name="Make a bounce URL").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bounce URL made")
    url = page.locator("#bounce-url-sendgrid").inner_text()
    assert re.search(r"/hooks/mail/sendgrid/bnc_[\w-]+/$", url)
    secret = url.rstrip("/").rsplit("/", 1)[1]
    assert BounceInbox.objects.get(workspace=cast.acme).secret_hash == bounces.digest(secret)
    assert_accessible(page, f"bounce URL shown once ({size})")
    width = SIZES[size]["viewport"]["width"]
    box = page.locator("#bounce-url-sendgrid").bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= width  # a long URL wraps on a phone
    page.get_by_role("link", name="I have copied it").click()
    expect(page.locator("#bounces")).to_contain_text(f"…{secret[-4:]}/")
    expect(page.locator("#bounces")).not_to_contain_text(secret)
    context.close()


@pytest.mark.e2e
@pytest.mark.parametrize("size", ["phone"])
def test_the_admin_sets_the_sendgrid_key_and_unsigned_posts_are_refused(
    live_server: Any, transactional_db: None, browser: Browser, size: str
) -> None:
    import json
    import urllib.error
    import urllib.request

    from traction.loop.tests.signing import SendGridKey

    cast = build_cast()
    _, secret = bounces.rotate(cast.viewer("admin"))
    key = SendGridKey()
    context = browser.new_context(**SIZES[size])
    page = context.new_page()
    sign_in(page, live_server.url, "alice@acme.test")
    page.goto(f"{live_server.url}/w/acme/workspace-settings/")
    keys = page.locator("#bounce-keys")
    expect(keys).to_contain_text("Nothing yet: the URL alone lets its posts in.")
    keys.get_by_role("link", name="Set the SendGrid verification key").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("SendGrid verification key")
    page.get_by_label("SendGrid verification key").fill("not a key")
    page.get_by_role("button", name="Save").click()
    error = page.locator("#id_public_key_error")
    expect(error).to_contain_text("This is not a public key")
    expect(page.get_by_label("SendGrid verification key")).to_have_attribute(
        "aria-describedby", re.compile("id_public_key_error")
    )
    assert_accessible(page, f"SendGrid key refused ({size})")
    page.get_by_label("SendGrid verification key").fill(key.public)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("SendGrid verification key set")).to_be_visible()
    hint = key.public.rstrip("=")[-4:]
    expect(page.locator("#bounce-keys")).to_contain_text(f"ending in …{hint}")
    expect(page.locator("#bounces")).not_to_contain_text(key.public)
    assert_accessible(page, f"bounce keys listed ({size})")
    width = SIZES[size]["viewport"]["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    # A real post to the running server: unsigned is refused, signed is taken.
    body = json.dumps([{"email": "x@y.test", "event": "delivered", "sg_event_id": "e1"}]).encode()
    hook = f"{live_server.url}/hooks/mail/sendgrid/{secret}/"

    def post(headers: dict[str, str]) -> int:
        request = urllib.request.Request(  # noqa: S310 -- the test server's http URL
            hook, data=body, method="POST", headers={"Content-Type": "application/json", **headers}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
                return int(answer.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)

    assert post({}) == 403
    signed = {
        k.removeprefix("HTTP_").replace("_", "-"): v
        for k, v in key.headers(body, 1800435605).items()  # SendGrid sets no time limit
    }
    assert post(signed) == 200
    context.close()
