"""The loop's long lists in the browser: Cora (core team) pages through 32 customer priorities
(25 a page, ranks going on across pages), then opens a program update reaching 72 people,
reads the summary, goes to the next 50, leaves out a person there and saves; the one she left
out on the first page stays left out. The pages pass axe-core.

The flow runs once, at phone width (390 px, the stricter layout; owners act from their phones):
the steps and assertions are the same at desktop width, and tests/e2e/test_internal_pages.py
already checks that every internal page fits a phone for every role."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from traction.core import clock
from traction.core.testing.cast import build_cast
from traction.loop.models import Update
from traction.loop.services import updates as services
from traction.loop.tests import world as w
from traction.loop.tests.test_paging import add_priorities, add_voters

from .a11y import assert_accessible
from .helpers import PHONE, no_sideways_scroll, sign_in

NOW = datetime(2027, 1, 20, 9, 0, tzinfo=UTC)


@pytest.mark.e2e
@pytest.mark.parametrize("viewport", [PHONE], ids=["phone"])
def test_long_priorities_and_recipients_page(
    live_server: Any, transactional_db: Any, browser: Browser, viewport: dict[str, int]
) -> None:
    with clock.frozen(NOW):
        cast = build_cast()
        world = w.build(cast)
        add_priorities(world, 30)
        voters = add_voters(world, 70)
        update = services.compose(cast.viewer("facilitator"), cast.program, audience="program")
        update = services.edit(
            cast.viewer("facilitator"), update, left_out=[voters[0].pk], expected_version=None
        )
        base = live_server.url
        phone = viewport == PHONE
        context = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone)
        cora = context.new_page()
        sign_in(cora, base, "cora@acme.test")

        cora.goto(f"{base}/w/acme/loop/programs/{cast.program.pk}/priorities/")
        expect(cora.locator("#priority-count")).to_have_text("32 priorities, most dots first.")
        expect(cora.locator(".card.priority")).to_have_count(25)
        pages = cora.get_by_role("navigation", name="Pages")
        expect(pages).to_contain_text("Page 1 of 2 (32 in all)")
        no_sideways_scroll(cora)
        pages.get_by_role("link", name="Next →").click()
        expect(cora.locator(".card.priority")).to_have_count(7)
        expect(cora.locator(".card.priority").first).to_contain_text("#26")
        assert_accessible(cora, "the second page of priorities")
        no_sideways_scroll(cora)

        cora.goto(f"{base}/w/acme/loop/updates/{update.pk}/")
        expect(cora.locator("#recipient-count")).to_have_text(
            "72 people: 70 get it, 2 left out; 1–50 shown."
        )
        expect(cora.locator("ul.recipients > li")).to_have_count(50)
        no_sideways_scroll(cora)
        people = cora.get_by_role("navigation", name="Pages of recipients")
        people.get_by_role("link", name="Next 50 →").click()
        expect(cora.locator("#recipient-count")).to_contain_text("51–72 shown")
        expect(cora.locator("ul.recipients > li")).to_have_count(22)
        assert_accessible(cora, "the second page of an update's recipients")
        no_sideways_scroll(cora)
        cora.get_by_label("Voter 069").check()
        cora.get_by_role("button", name="Save changes").click()
        expect(cora.get_by_text("Saved.")).to_be_visible()
        found = Update.objects.get(pk=update.pk)
        assert found.sources["left_out"] == sorted([voters[0].pk, voters[69].pk])
        expect(cora.locator("#recipient-count")).to_have_text(
            "72 people: 69 get it, 3 left out; 1–50 shown."
        )
        context.close()
