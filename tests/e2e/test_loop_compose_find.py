"""The compose form's "Find a session" / "Find a delivery" boxes in the browser: the selects
list the latest few; typing part of a title and pressing Enter (or Find) reloads the form with
the select narrowed and what was already chosen kept, and drafts nothing. The page passes
axe-core."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from traction.core import clock
from traction.core.testing.cast import build_cast
from traction.loop.models import Delivery, Update
from traction.loop.tests import world as w
from traction.sessions.models import Session

from .a11y import assert_accessible
from .helpers import sign_in

NOW = datetime(2027, 1, 20, 9, 0, tzinfo=UTC)


@pytest.mark.e2e
def test_find_narrows_the_sessions_and_keeps_the_answers(
    live_server: Any, transactional_db: Any, browser: Browser
) -> None:
    with clock.frozen(NOW):
        cast = build_cast()
        w.build(cast)
        for i in range(35):
            Session.objects.create(
                workspace=cast.acme,
                program=cast.program,
                title=f"Roundtable {i:02d}",
                starts_at=datetime(2026, 1, 1, 9, 0, tzinfo=UTC) + timedelta(days=i),
                ends_at=datetime(2026, 1, 1, 11, 0, tzinfo=UTC) + timedelta(days=i),
                hear_back_by=date(2026, 1, 10) + timedelta(days=i),
            )
        oldest = Session.objects.get(title="Roundtable 00")
        Delivery.objects.create(
            workspace=cast.acme, program=cast.program, on=date(2026, 12, 1), title="Invoice export"
        )
        page = browser.new_context().new_page()
        sign_in(page, live_server.url, "fran@acme.test")
        page.goto(f"{live_server.url}/w/acme/loop/programs/{cast.program.pk}/updates/new/")
        session = page.get_by_label("Session:", exact=True)
        expect(session.locator("option")).to_have_count(31)  # "—" and the latest 30
        expect(session.locator("option", has_text="Roundtable 00")).to_have_count(0)
        expect(page.locator("#find-session-note")).to_contain_text("Only the latest 30")
        assert_accessible(page, "the compose form with its Find boxes")
        page.get_by_label("One session's customer participants").check()
        page.get_by_label("Kind of update").select_option("delivery")
        page.get_by_label("Find a session").fill("roundtable 00")
        page.get_by_label("Find a session").press("Enter")  # finds, never drafts
        expect(page.get_by_label("Find a session")).to_have_value("roundtable 00")
        expect(session.locator("option")).to_have_count(2)  # "—" and the one found
        expect(page.get_by_label("One session's customer participants")).to_be_checked()
        expect(page.get_by_label("Kind of update")).to_have_value("delivery")
        session.select_option(str(oldest.pk))
        page.get_by_label("Delivery (for").select_option(label="1 Dec 2026 Invoice export")
        assert not Update.objects.exists()
        page.get_by_role("button", name="Draft it").click()
        expect(page.get_by_text("Drafted from the data.")).to_be_visible()
        assert Update.objects.get().session_id == oldest.pk
