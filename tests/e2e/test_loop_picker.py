"""The searchable priority pickers in the browser (issue 13): with more priorities than a
picker shows, Fran finds one by typing (the options change without a reload), keeps it chosen
while she searches for another, and records a delivery linked to both; then she proposes a
status for a priority she found by its words. axe-core.

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
from traction.insights.models import Insight
from traction.loop import selectors
from traction.loop.models import Delivery, PriorityStatus
from traction.loop.tests import world as w
from traction.voting.models import Vote

from .a11y import assert_accessible
from .helpers import PHONE, no_sideways_scroll, sign_in

NOW = datetime(2027, 1, 20, 9, 0, tzinfo=UTC)


def add_cards(world: w.World, texts: list[str]) -> list[Insight]:
    cast = world.cast
    made = []
    for text in texts:
        card = Insight.objects.create(
            workspace=cast.acme,
            program=cast.program,
            session=world.session,
            kind="idea",
            text=text,
            speaker_contact=cast.contact,
            customer=cast.customer,
        )
        Vote.objects.create(
            workspace=cast.acme,
            session=world.session,
            insight=card,
            contact=cast.contact,
            dots=1,
            channel="room",
        )
        made.append(card)
    return made


@pytest.mark.e2e
@pytest.mark.parametrize("viewport", [PHONE], ids=["phone"])
def test_find_priorities_by_typing_and_link_them(
    live_server: Any, transactional_db: Any, browser: Browser, viewport: dict[str, int]
) -> None:
    with clock.frozen(NOW):
        cast = build_cast()
        world = w.build(cast)
        add_cards(world, [f"Filler idea {n}" for n in range(25)])
        [erp] = add_cards(world, ["Export invoices to the ERP"])
        # Numbered by rank on the priorities page, never by database id.
        rank = selectors.priority_ranks(cast.viewer("facilitator"), cast.program)
        base = live_server.url
        phone = viewport == PHONE
        context = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone)
        fran = context.new_page()
        sign_in(fran, base, "fran@acme.test")

        fran.goto(f"{base}/w/acme/loop/programs/{cast.program.pk}/deliveries/new/")
        options = fran.locator("#picker-options")
        expect(options.get_by_role("checkbox")).to_have_count(20)
        expect(options).to_contain_text("More priorities match: only the first 20 are shown.")
        expect(options.get_by_label("Export invoices to the ERP", exact=False)).to_have_count(0)
        assert_accessible(fran, "the delivery form with its picker")
        no_sideways_scroll(fran)

        search = fran.get_by_label("Find the customer priorities it touches")
        search.fill("erp")
        expect(options.get_by_role("checkbox")).to_have_count(1)
        options.get_by_label(f"#{rank[erp.pk]} Idea: Export invoices to the ERP").check()
        search.fill("invoice approval")
        search.press("Enter")  # searches; it does not submit the form
        expect(options.get_by_role("checkbox")).to_have_count(2)  # the chosen one stays
        expect(fran.locator(".field-invalid")).to_have_count(0)  # nothing was submitted
        expect(
            options.get_by_label(f"#{rank[erp.pk]} Idea: Export invoices to the ERP")
        ).to_be_checked()
        options.get_by_label(
            f"#{rank[world.card.pk]} Issue: Invoice approval takes three weeks"
        ).check()
        assert_accessible(fran, "the picker after a search")
        no_sideways_scroll(fran)
        fran.get_by_label("Date").fill("2027-01-15")
        fran.get_by_label("Title").fill("ERP export")
        fran.get_by_role("button", name="Record").click()
        expect(fran.get_by_text("Delivery “ERP export” recorded.")).to_be_visible()
        made = Delivery.objects.get(title="ERP export")
        linked = made.links.values_list("priority_id", flat=True)
        assert sorted(linked) == sorted([erp.pk, world.card.pk])

        fran.goto(f"{base}/w/acme/loop/programs/{cast.program.pk}/priorities/propose/")
        fran.get_by_label("Find the customer priority").fill("ERP")
        picked = fran.locator("#picker-options").get_by_role("radio")
        expect(picked).to_have_count(1)
        picked.check()
        fran.get_by_label("Customer-facing status").select_option("heard")
        fran.get_by_role("button", name="Propose").click()
        expect(fran.get_by_text("Proposed. It is published once")).to_be_visible()
        assert PriorityStatus.objects.filter(priority=erp, status="heard").exists()
        context.close()
