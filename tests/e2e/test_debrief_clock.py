"""The debrief clock end to end (issue 12): a facilitator plans a co-design session and its
debrief is booked at once (the core team, the sponsor and the policy makers invited); she
moves the slot; a policy maker accepts from the link in the email, on a phone; the sponsor
accepts from the session's page; the session's readiness shows "Debrief booked, at least
one policy maker accepted". Pages checked with axe-core."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Browser, expect

from traction.core.testing.cast import build_cast
from traction.debrief.models import Attendee, Debrief
from traction.programs.models import PolicyMaker

from .a11y import assert_accessible
from .helpers import DESKTOP, PHONE, no_sideways_scroll, sign_in


@pytest.mark.e2e
def test_a_planned_session_gets_its_debrief_booked_and_a_policy_maker_accepts(
    live_server: Any, transactional_db: Any, browser: Browser
) -> None:
    cast = build_cast()
    PolicyMaker.objects.create(
        program=cast.program, user=cast.users["account_owner"], responsibility="Support budget"
    )
    base = live_server.url
    day = (timezone.now() + timedelta(days=30)).date()
    mail.outbox.clear()

    # --- The facilitator plans a co-design session: the debrief is booked with it. ----------
    fran = browser.new_context(viewport=DESKTOP).new_page()
    sign_in(fran, base, "fran@acme.test", lands_on="/w/acme/")
    fran.goto(base + "/w/acme/sessions/new/")
    fran.get_by_role("combobox", name="Program").select_option(label="Effortless onboarding")
    fran.get_by_label("Kind").select_option(label="Co-design session")
    fran.get_by_label("Title").fill("Onboarding co-design, Berlin")
    fran.get_by_label("Date").fill(day.isoformat())
    fran.get_by_label("Starts at").fill("09:00")
    fran.get_by_label("Ends at").fill("12:30")
    fran.get_by_label("Time zone").select_option("Europe/Berlin")
    fran.get_by_role("button", name="Plan session").click()
    expect(fran.get_by_role("heading", level=1)).to_have_text("Onboarding co-design, Berlin")
    debrief = Debrief.objects.get()
    section = fran.get_by_role("region", name="Debrief")
    expect(section).to_contain_text("13:30–16:30 (Europe/Berlin)")
    expect(section).to_contain_text("0 of 3 accepted")
    expect(fran.get_by_text("Booked; no policy maker has accepted yet")).to_be_visible()
    invited = sorted(m.to[0] for m in mail.outbox if m.subject.startswith("Debrief invitation"))
    assert invited == [
        "Cora Core <cora@acme.test>",
        "Owen Owner <owen@acme.test>",
        "Sam Sponsor <sam@acme.test>",
    ]

    # The Debriefs tab lists it.
    fran.get_by_role("navigation", name="Main").get_by_role("link", name="Debriefs").click()
    row = fran.get_by_role("row", name="Onboarding co-design, Berlin")
    expect(row).to_contain_text("Due in")
    expect(row).to_contain_text("0 of 3")
    assert_accessible(fran, "the debrief list")
    # The list links to the debrief's room; its booking page moves the slot.
    expect(row.get_by_role("link", name="Onboarding co-design, Berlin")).to_have_attribute(
        "href", f"/w/acme/debriefs/{debrief.pk}/"
    )
    fran.goto(base + f"/w/acme/debriefs/{debrief.pk}/booking/")
    expect(fran.get_by_role("heading", level=1)).to_have_text(
        "Debrief of Onboarding co-design, Berlin"
    )
    assert_accessible(fran, "the booking page")
    fran.get_by_label("Starts at").fill("14:00")
    fran.get_by_label("Length (minutes)").fill("150")
    fran.get_by_label("Location").fill("Berlin office, room Havel")
    fran.get_by_role("button", name="Save the slot").click()
    expect(fran.get_by_role("status")).to_contain_text("The debrief's slot was saved")
    expect(fran.get_by_text("14:00–16:30")).to_be_visible()
    expect(fran.get_by_role("region", name="The clock's record")).to_contain_text("Slot booked")
    moved = [m for m in mail.outbox if m.subject.startswith("Debrief moved")]
    assert len(moved) == 3

    # --- A policy maker accepts from the email's link, on a phone. -------------------------
    owen = browser.new_context(viewport=PHONE).new_page()
    sign_in(owen, base, "owen@acme.test", lands_on="/w/acme/")
    link = f"/w/acme/debriefs/{debrief.pk}/respond/"
    assert any(link in m.body for m in mail.outbox if "owen@acme.test" in m.to[0])
    owen.goto(base + link)
    expect(owen.get_by_text("You are invited as one of the people who decide")).to_be_visible()
    assert_accessible(owen, "the answer page on a phone")
    no_sideways_scroll(owen)
    owen.get_by_role("button", name="Accept").click()
    expect(owen.get_by_role("status")).to_contain_text("You accepted the debrief.")
    assert Attendee.objects.get(user=cast.users["account_owner"]).response == "accepted"
    owen.goto(base + "/w/acme/debriefs/")  # a policy maker sees the program's debriefs
    expect(owen.get_by_role("row", name="Onboarding co-design, Berlin")).to_contain_text("1 of 3")
    assert_accessible(owen, "the debrief list on a phone")
    no_sideways_scroll(owen)

    # --- The sponsor answers maybe on the session's page. -----------------------------------
    sam = browser.new_context(viewport=DESKTOP).new_page()
    sign_in(sam, base, "sam@acme.test", lands_on="/w/acme/")
    sam.goto(base + f"/w/acme/sessions/{debrief.session_id}/")
    sam.get_by_role("region", name="Debrief").get_by_role("button", name="Maybe").click()
    expect(sam.get_by_role("status")).to_contain_text("You answered maybe.")
    expect(sam).to_have_url(base + f"/w/acme/sessions/{debrief.session_id}/")

    # --- The facilitator sees the session's readiness count it. -----------------------------
    fran.goto(base + f"/w/acme/sessions/{debrief.session_id}/")
    expect(fran.get_by_text("Booked; a policy maker accepted")).to_be_visible()
    expect(fran.get_by_role("region", name="Debrief")).to_contain_text(
        "1 of 3 accepted, a policy maker among them"
    )
    assert_accessible(fran, "the session page with its debrief")
