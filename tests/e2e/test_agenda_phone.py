"""The agenda editor on a phone (newcomer walk): at 390 px the table's header is hidden, so
each field shows its own label naming its column above it ("Order", "Minutes"…) and the
checkbox reads "Remove"; on a wide screen the header names the columns and the labels stay
out of sight (still read by a screen reader)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from traction.core import clock
from traction.core.testing.cast import build_cast
from traction.sessions import services

from .helpers import DESKTOP, PHONE, no_sideways_scroll, sign_in


@pytest.mark.e2e
def test_agenda_fields_are_labelled_on_a_phone(
    live_server: Any, transactional_db: Any, browser: Browser
) -> None:
    cast = build_cast()
    with clock.frozen(datetime(2030, 5, 1, 8, tzinfo=UTC)):
        session = services.plan_session(
            cast.viewer("facilitator"),
            program=cast.program,
            title="Onboarding co-design",
            starts_at=datetime(2030, 6, 28, 9),
            ends_at=datetime(2030, 6, 28, 12),
            time_zone="Europe/Berlin",
        )
    base = live_server.url
    path = f"/w/acme/sessions/{session.pk}/agenda/"

    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    sign_in(page, base, "fran@acme.test")
    page.goto(base + path)
    expect(page.locator(".agenda-table thead")).to_be_hidden()
    row = page.locator("#row-1")
    for column in ("Order", "Title", "Minutes", "Notes"):
        label = row.locator("label", has_text=column)
        field = page.get_by_label(f"{column} of row 1")
        label_box, field_box = label.bounding_box(), field.bounding_box()
        assert label_box
        assert field_box
        assert label_box["width"] > 20, column  # legible, not a 1 px screen-reader label
        assert label_box["y"] + label_box["height"] <= field_box["y"] + 1, column  # above it
    remove = row.locator("label", has_text="Remove")
    assert (remove.bounding_box() or {"width": 0})["width"] > 20
    remove.click()  # the visible word ticks the box
    expect(page.get_by_label("Remove row 1")).to_be_checked()
    page.get_by_label("Minutes of row 2").fill("50")
    expect(page.locator("#agenda-total")).to_have_text("200")  # 210 - 15 (row 1) + 5
    no_sideways_scroll(page)
    phone.close()

    desk = browser.new_context(viewport=DESKTOP)
    page = desk.new_page()
    sign_in(page, base, "fran@acme.test")
    page.goto(base + path)
    expect(page.locator(".agenda-table thead")).to_be_visible()
    box = page.locator("#row-1 label", has_text="Minutes").bounding_box()
    assert box
    assert box["width"] <= 1  # the column header says it
    desk.close()
