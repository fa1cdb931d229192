"""At 375 px, a page whose drop-downs hold long option texts (a practice session, a search
filter's session or customer named at length) is no wider than the screen: a select is
never wider than its container, however long its longest option (review: the session
page's "Practice session" select made /sessions/N/ 506 px wide)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import Browser

from traction.core import clock
from traction.core.testing.cast import build_cast
from traction.customers import services as customers
from traction.sessions import services

from .helpers import WIDEST, sign_in

PHONE_375 = {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True}
LONG = "Quarterly onboarding rehearsal with the finance, procurement and support leads"


@pytest.mark.e2e
def test_main_pages_fit_375_px_with_long_options(
    live_server: Any, transactional_db: Any, browser: Browser
) -> None:
    cast = build_cast()
    fran = cast.viewer("facilitator")
    with clock.frozen(datetime(2030, 5, 1, 8, tzinfo=UTC)):
        session = services.plan_session(
            fran,
            program=cast.program,
            title="Onboarding co-design",
            starts_at=datetime(2030, 6, 28, 9),
            ends_at=datetime(2030, 6, 28, 12),
            time_zone="Europe/Berlin",
        )
        for day in (20, 21, 22):
            services.plan_session(
                fran,
                program=cast.program,
                title=f"{LONG} {day}",
                kind="practice",
                starts_at=datetime(2030, 6, day, 9),
                ends_at=datetime(2030, 6, day, 10),
                time_zone="Europe/Berlin",
            )
    customers.create_customer(
        cast.viewer("admin"),
        name="Internationale Versicherungs- und Rückversicherungsgesellschaft Aktiengesellschaft",
        segment="enterprise",
    )
    context = browser.new_context(**PHONE_375)
    page = context.new_page()
    base = live_server.url
    sign_in(page, base, "fran@acme.test")
    too_wide = []
    for path in (
        f"/w/acme/sessions/{session.pk}/",
        "/w/acme/sessions/",
        f"/w/acme/programs/{cast.program.pk}/",
        "/w/acme/programs/",
        "/w/acme/search/",
        "/w/acme/customers/",
        "/w/acme/",
    ):
        page.goto(base + path)
        width = page.evaluate("document.scrollingElement.scrollWidth")
        if width > 375:
            too_wide.append((path, width, page.evaluate(WIDEST)))
    page.goto(f"{base}/w/acme/sessions/{session.pk}/")
    assert page.locator("select[name=practice] option").count() == 4
    assert too_wide == []
