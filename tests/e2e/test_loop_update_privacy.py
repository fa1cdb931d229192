"""A program update in the browser quotes no customer (issue 13: customers never read other
customers' words): Fran drafts an update to every customer of the program; the text says
what was heard in numbers, and "Notes on the draft" beside it (never sent) says what was
left out: a decision with no summary for customers. The page passes
axe-core.

The flow runs once, at phone width (390 px, the stricter layout; owners act from their phones):
the steps and assertions are the same at desktop width, and tests/e2e/test_internal_pages.py
already checks that every internal page fits a phone for every role."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from traction.core import clock
from traction.core.testing.cast import build_cast
from traction.loop.tests import world as w

from .a11y import assert_accessible
from .helpers import PHONE, no_sideways_scroll, sign_in

NOW = datetime(2027, 1, 20, 9, 0, tzinfo=UTC)


@pytest.mark.e2e
@pytest.mark.parametrize("viewport", [PHONE], ids=["phone"])
def test_a_program_update_quotes_nobody_and_notes_what_it_left_out(
    live_server: Any, transactional_db: Any, browser: Browser, viewport: dict[str, int]
) -> None:
    with clock.frozen(NOW):
        cast = build_cast()
        world = w.build(cast)
        w.approved(world)  # "One-page approval", with no summary for customers
        base = live_server.url
        phone = viewport == PHONE
        context = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone)
        fran = context.new_page()
        sign_in(fran, base, "fran@acme.test")
        fran.goto(f"{base}/w/acme/programs/{cast.program.pk}/")
        fran.get_by_role("link", name="Updates to customers").click()
        fran.get_by_role("link", name="Write an update").click()
        fran.get_by_label("Every customer of the program").check()
        fran.get_by_role("button", name="Draft it").click()
        expect(fran.get_by_text("Drafted from the data.")).to_be_visible()
        text = fran.get_by_label("Text:", exact=True)
        expect(text).to_have_value(
            re.compile(r"2 people from 2 organisations raised 2 points; you put your dots on 2")
        )
        drafted = text.input_value()
        assert "Invoice approval takes three weeks" not in drafted
        assert "approve invoices from the phone" not in drafted
        assert "One-page approval" not in drafted
        expect(fran.locator("#checker")).to_contain_text("Nothing to flag")
        notes = fran.get_by_role("region", name="Notes on the draft")
        expect(notes).to_contain_text(
            "the recommendation “One-page approval” (approved) has no summary for customers"
        )
        assert_accessible(fran, "a program update with notes on the draft")
        no_sideways_scroll(fran)
        context.close()
