"""The room's pages: the room with its panels, opening it, the plan and phase, drafting,
the merge prompt when two people edit the same recommendation, and deciding."""

from __future__ import annotations

import re
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import Client

from traction.core import clock
from traction.core.testing.cast import Cast
from traction.core.testing.snapshot import built_on
from traction.debrief.models import Debrief, Decision, Recommendation
from traction.debrief.services import recommendations as recs
from traction.debrief.tests.room_world import World, build_world
from traction.sessions.models import Session
from traction.voting.tests.test_voting import web

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast: Cast) -> World:
    return built_on(cast, build_world)


def url(cast: Cast, world: World, rest: str = "") -> str:
    return f"/w/{cast.acme.slug}/debriefs/{world.debrief.pk}/{rest}"


def html(client: Client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_the_room_shows_its_header_plan_brief_and_recommendations(cast: Cast, world: World) -> None:
    fran = web(cast, "facilitator")
    page = html(fran, url(cast, world))
    assert "Debrief of Voting session" in page
    assert "Open the debrief" not in page  # the session has not taken place yet
    assert "The session has not taken place yet" in page
    assert "Read the prioritised map" in page
    assert "0 of 4 top priorities have a decision or a dated deferral" in page
    assert "We print every invoice" in page  # the quote near the top card
    assert "No recommendations yet." in page
    refused = fran.post(url(cast, world, "open/"), follow=True).content.decode()
    assert "a debrief opens once its session is held or over" in refused
    with clock.frozen(world.debrief.session.ends_at + timedelta(hours=1)):
        _the_room_opened(cast, world, fran)


def _the_room_opened(cast: Cast, world: World, fran: Client) -> None:
    page = html(fran, url(cast, world))
    assert "Open the debrief" in page
    response = fran.post(url(cast, world, "open/"))
    assert response.status_code == 302
    page = html(fran, url(cast, world))
    assert "Open the debrief" not in page
    assert 'id="current-phase">Review open actions from earlier debriefs' in page
    world.debrief.refresh_from_db()
    fran.post(url(cast, world, "phase/"), {"phase": "decide", "version": world.debrief.version})
    assert 'id="current-phase">Decide<' in html(fran, url(cast, world))
    # The clock panel alone, for htmx's refresh.
    part = fran.get(url(cast, world), HTTP_HX_REQUEST="true").content.decode()
    assert part.lstrip().startswith('<section class="card room-clock"')
    # The observer reads the room; no running it.
    page = html(web(cast, "observer"), url(cast, world))
    assert "Set the phase" not in page
    assert "Draft a recommendation" not in page
    assert (
        web(cast, "observer").post(url(cast, world, "phase/"), {"phase": "map"}).status_code == 403
    )


def test_a_priority_of_the_brief_drafts_a_recommendation_citing_it(
    cast: Cast, world: World
) -> None:
    # Each top priority links to the draft form with its card ticked; the form lists the
    # top priorities first, by rank, saying their rank and dots, then the other insights.
    cora = web(cast, "core_team")
    page = html(cora, url(cast, world))
    links = re.findall(r'href="([^"]+/recommendations/new/\?evidence=(\d+))"', page)
    assert len(links) == 4  # one per top priority
    first_link, first_card = links[0]
    form = html(cora, first_link)
    boxes = re.findall(r'<input type="checkbox" name="evidence" value="(\d+)"([^>]*)>', form)
    ticked = [pk for pk, attrs in boxes if "checked" in attrs]
    assert ticked == [first_card]
    labels = re.findall(r'<label for="id_evidence_\d+">.*?</label>', form, re.S)
    ranked = [label for label in labels if "Priority #" in label]
    assert len(ranked) == 4
    assert labels[:4] == ranked  # the priorities first
    assert [re.search(r"Priority #(\d+)", label)[1] for label in ranked] == ["1", "2", "3", "4"]
    assert re.search(r"Priority #1 \(\d+ dots?\) · ", ranked[0])
    assert len(labels) > 4  # and every other insight after them
    # Whoever may not draft sees no such link (an observer reads the room).
    assert "recommendations/new/?evidence=" not in html(web(cast, "observer"), url(cast, world))


def test_the_plan_page_edits_titles_minutes_and_order(cast: Cast, world: World) -> None:
    fran = web(cast, "facilitator")
    page = html(fran, url(cast, world, "plan/"))
    assert "Save the plan" in page
    data = {
        "phases-TOTAL_FORMS": "3",
        "phases-INITIAL_FORMS": "2",
        "version": "1",
        "phases-0-key": "review",
        "phases-0-title": "Review",
        "phases-0-minutes": "10",
        "phases-0-order": "2",
        "phases-1-key": "map",
        "phases-1-title": "Map",
        "phases-1-minutes": "20",
        "phases-1-order": "1",
        "phases-2-title": "Wrap up",
        "phases-2-minutes": "5",
        "phases-2-order": "3",
    }
    assert fran.post(url(cast, world, "plan/"), data).status_code == 302
    world.debrief.refresh_from_db()
    assert [(p["key"], p["minutes"]) for p in world.debrief.plan] == [
        ("map", 20),
        ("review", 10),
        ("wrap-up", 5),
    ]
    data["phases-2-minutes"] = "0"
    data["version"] = str(world.debrief.version)
    response = fran.post(url(cast, world, "plan/"), data)
    assert response.status_code == 200
    assert "Ensure this value is greater than or equal to 1." in response.content.decode()


def test_drafting_editing_with_a_merge_prompt_and_deciding(cast: Cast, world: World) -> None:
    cora = web(cast, "core_team")
    mot = world.card("mot").pk
    response = cora.post(url(cast, world, "recommendations/new/"), {"title": "Nothing"})
    assert "Link at least one insight of the session as evidence." in response.content.decode()
    response = cora.post(
        url(cast, world, "recommendations/new/"),
        {
            "title": "Invoice on day one",
            "evidence": [mot],
            "kind": "tactical",
            "horizon": "quick_win",
            "impact": "high",
            "effort": "low",
        },
    )
    assert response.status_code == 302
    rec = Recommendation.objects.get()
    form = {
        "title": "Cora's title",
        "evidence": [mot],
        "kind": "tactical",
        "horizon": "quick_win",
        "impact": "high",
        "effort": "low",
        "version": rec.version,
    }
    # Sam saves first from the same version.
    recs.update_recommendation(
        cast.viewer("sponsor"),
        rec,
        changes={"title": "Sam's title", "rationale": "Sam's why"},
        version=rec.version,
    )
    response = cora.post(url(cast, world, f"recommendations/{rec.pk}/"), form)
    page = response.content.decode()
    assert response.status_code == 409
    assert 'id="merge-prompt"' in page
    # The lead names their saved title without reading as a confirmation of mine.
    assert "Your changes are not saved yet: someone else saved it meanwhile" in page
    assert "Saved as" not in page
    assert "Sam&#x27;s title" in page  # theirs, beside
    assert 'value="Cora&#x27;s title"' in page  # mine, kept in the form
    # Keep mine for the title, theirs for the rationale: both kept.
    form.update({"version": rec.version + 1, "keep_title": "mine", "keep_rationale": "theirs"})
    assert cora.post(url(cast, world, f"recommendations/{rec.pk}/"), form).status_code == 302
    rec.refresh_from_db()
    assert (rec.title, rec.rationale) == ("Cora's title", "Sam's why")
    # Deciding: the page says what customers would hear; errors beside the field.
    assert cora.get(url(cast, world, f"recommendations/{rec.pk}/decide/")).status_code == 403
    sam = web(cast, "sponsor")
    page = html(sam, url(cast, world, f"recommendations/{rec.pk}/decide/"))
    assert "approve → “Under consideration”" in page
    assert "Nothing is told to customers until it is decided" in page
    # Every rule of the decision in one pass: the reason and the deferral's date together.
    response = sam.post(
        url(cast, world, f"recommendations/{rec.pk}/decide/"), {"outcome": "deferred"}
    )
    assert response.context["form"].errors == {
        "reason": ["Say why: every decision has a reason."],
        "revisit_on": ["A deferral needs a date to revisit it."],
    }
    response = sam.post(
        url(cast, world, f"recommendations/{rec.pk}/decide/"),
        {"outcome": "deferred", "reason": "Later"},
    )
    assert "A deferral needs a date to revisit it." in response.content.decode()
    revisit = (clock.today() + timedelta(days=14)).isoformat()
    response = sam.post(
        url(cast, world, f"recommendations/{rec.pk}/decide/"),
        {"outcome": "approved", "reason": "Yes", "revisit_on": revisit},
    )
    assert response.context["form"].errors == {
        "revisit_on": ["Only a deferral has a date to revisit: leave it empty to approve."]
    }
    response = sam.post(
        url(cast, world, f"recommendations/{rec.pk}/decide/"),
        {"outcome": "deferred", "reason": "Later", "revisit_on": revisit},
    )
    assert response.status_code == 302
    assert Decision.objects.get().decided_as == "Executive sponsor"
    page = html(sam, url(cast, world))
    assert "1 of 4 top priorities have a decision or a dated deferral" in page
    # What customers hear is the status published for its customer priorities (none yet);
    # the status its decision's facts allow is labelled as what could be published.
    hears = page.split(f'id="hears-{rec.pk}"')[1].split("</div>")[0]
    assert "not told yet" in hears
    assert "could be published as “Under consideration”" in hears
    assert "Decision history (1)" in page


def _opened_form(client: Client, path: str) -> dict[str, Any]:
    """The edit form as the browser would post it back untouched (with its hidden fields)."""
    form = client.get(path).context["form"]
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None or value is False:
            continue
        data[name] = value
    return data


def test_the_merge_prompt_compares_with_what_was_opened(cast: Cast, world: World) -> None:
    cora = web(cast, "core_team")
    mot, quote = world.card("mot").pk, world.card("quote").pk
    rec = recs.draft_recommendation(
        cast.viewer("core_team"),
        world.debrief,
        title="Invoice on day one",
        rationale="First why",
        evidence=[mot, quote],
    )
    path = url(cast, world, f"recommendations/{rec.pk}/")
    form = _opened_form(cora, path)
    assert sorted(form["evidence"]) == sorted([mot, quote])
    # Sam saves first: the title and the rationale.
    recs.update_recommendation(
        cast.viewer("sponsor"),
        rec,
        changes={"title": "Sam's title", "rationale": "Sam's why"},
        version=rec.version,
    )
    # Cora, from the same version: the title and what customers would be told.
    form.update({"title": "Cora's title", "customer_summary": "Cora's summary"})
    response = cora.post(path, form)
    page = response.content.decode()
    assert response.status_code == 409
    merge = response.context["merge"]
    assert [m["name"] for m in merge] == ["title"]  # only the field both changed
    assert "For each field you both changed" in page
    assert "They also changed rationale, which you had not touched" in page
    assert "<h1>Edit recommendation</h1>" in page
    assert "Sam&#x27;s why" in page  # the form now shows their rationale
    # Saving with the defaults: my title, their rationale, my summary, the evidence kept.
    again = {
        k: v for k, v in response.context["form"].data.lists() if k not in ("csrfmiddlewaretoken",)
    }
    again["keep_title"] = ["mine"]
    assert cora.post(path, again).status_code == 302
    rec.refresh_from_db()
    assert (rec.title, rec.rationale, rec.customer_summary) == (
        "Cora's title",
        "Sam's why",
        "Cora's summary",
    )
    assert sorted(rec.evidence_links.values_list("insight_id", flat=True)) == sorted([mot, quote])


def test_changes_to_different_fields_are_saved_together(cast: Cast, world: World) -> None:
    cora = web(cast, "core_team")
    rec = recs.draft_recommendation(
        cast.viewer("core_team"),
        world.debrief,
        title="Invoice on day one",
        evidence=[world.card("mot").pk],
    )
    path = url(cast, world, f"recommendations/{rec.pk}/")
    form = _opened_form(cora, path)
    recs.update_recommendation(
        cast.viewer("sponsor"), rec, changes={"rationale": "Sam's why"}, version=rec.version
    )
    form["title"] = "Cora's title"
    response = cora.post(path, form, follow=True)
    assert response.redirect_chain  # saved: nobody changed the same field
    assert "their changes to rationale were kept with yours" in response.content.decode()
    rec.refresh_from_db()
    assert (rec.title, rec.rationale) == ("Cora's title", "Sam's why")


def test_a_stale_decision_says_so_once_and_keeps_the_choice(cast: Cast, world: World) -> None:
    rec = recs.draft_recommendation(
        cast.viewer("core_team"),
        world.debrief,
        title="Invoice on day one",
        evidence=[world.card("mot").pk],
    )
    opened = rec.version
    recs.decide(cast.viewer("admin"), rec, "approved", "Ship it", version=opened)
    sam = web(cast, "sponsor")
    path = url(cast, world, f"recommendations/{rec.pk}/decide/")
    response = sam.post(path, {"outcome": "rejected", "reason": "Too dear", "version": opened})
    page = response.content.decode()
    form = response.context["form"]
    assert form.non_field_errors() == [
        "Someone else changed this recommendation since you opened this page (it is now "
        "approved): check it and its history below, then record your decision again — your "
        "choice and reason are kept."
    ]
    assert page.count("Reload") == 0
    assert (form.data["outcome"], form.data["reason"]) == ("rejected", "Too dear")
    # Recording it again (the page now carries the current version) replaces theirs.
    again = sam.post(path, dict(form.data.items()))
    assert again.status_code == 302
    rec.refresh_from_db()
    assert rec.outcome == "rejected"


def test_the_room_costs_the_same_queries_whatever_its_recommendations(
    cast: Cast, world: World
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    sam = web(cast, "sponsor")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert sam.get(url(cast, world)).status_code == 200
        return len(captured.captured_queries)

    def add(n: int) -> None:
        for i in range(n):
            rec = recs.draft_recommendation(
                cast.viewer("core_team"),
                world.debrief,
                title=f"R{i}",
                evidence=[world.card("mot").pk, world.card("quote").pk],
            )
            recs.decide(cast.viewer("sponsor"), rec, "approved", "Yes")

    add(1)
    one = queries()
    add(6)
    assert queries() == one


def test_a_closed_debrief_offers_no_editing_and_no_clock(cast: Cast, world: World) -> None:
    fran = web(cast, "facilitator")
    rec = recs.draft_recommendation(
        cast.viewer("core_team"),
        world.debrief,
        title="Invoice on day one",
        evidence=[world.card("mot").pk],
    )
    ended = world.debrief.session.ends_at
    Debrief.objects.filter(pk=world.debrief.pk).update(  # closed weeks ago, its phase left on
        status="closed",
        opened_at=ended,
        phase="review",
        phase_started_at=ended,
        closed_at=ended + timedelta(hours=3),
        closed_by=cast.users["facilitator"],
    )
    with clock.frozen(ended + timedelta(days=30)):
        page = html(fran, url(cast, world))
        assert 'id="closed-on">Closed on' in page
        assert "by Fran Facilitator." in page
        assert "Now:" not in page
        assert "time is up" not in page
        assert "Edit the plan" not in page
        assert f'{rec.pk}/">Edit' not in page
        assert "Archive draft" not in page
        for rest in ("plan/", "recommendations/new/", f"recommendations/{rec.pk}/"):
            refused = fran.get(url(cast, world, rest))
            assert refused.status_code == 302, rest
            assert refused.url == url(cast, world), rest
        shown = fran.get(url(cast, world, "plan/"), follow=True).content.decode()
        assert "This debrief is closed: its plan can no longer be edited." in shown


def test_the_room_books_its_slot_in_the_sessions_time_zone(cast: Cast, world: World) -> None:
    """The room writes the booked slot as the clock pages do: in the session's time zone, named
    (it wrote the viewer's UTC without a label)."""
    from zoneinfo import ZoneInfo

    session = world.debrief.session
    Session.objects.filter(pk=session.pk).update(time_zone="America/New_York")
    start = world.debrief.starts_at.astimezone(ZoneInfo("America/New_York"))
    page = html(web(cast, "facilitator"), url(cast, world))
    booked = page.split("<dt>Booked</dt>", 1)[1].split("</dd>", 1)[0]
    assert f"{start:%H:%M}–" in booked
    assert "(America/New_York)" in booked


def test_long_texts_are_refused_beside_their_fields(cast: Cast, world: World) -> None:
    cora = web(cast, "core_team")
    too_long = "x" * (recs.LONG_TEXT_MAX + 1)
    response = cora.post(
        url(cast, world, "recommendations/new/"),
        {
            "title": "Long",
            "evidence": [world.card("mot").pk],
            "rationale": too_long,
            "customer_summary": too_long,
            "kind": "tactical",
            "horizon": "quick_win",
            "impact": "high",
            "effort": "low",
        },
    )
    errors = response.context["form"].errors
    assert set(errors) == {"rationale", "customer_summary"}
    assert (
        f"Keep it to {recs.LONG_TEXT_MAX:,} characters or fewer (this has" in errors["rationale"][0]
    )
    assert f'maxlength="{recs.LONG_TEXT_MAX}"' in response.content.decode()
    assert not Recommendation.objects.exists()
    rec = recs.draft_recommendation(
        cast.viewer("core_team"), world.debrief, title="Short", evidence=[world.card("mot").pk]
    )
    response = web(cast, "sponsor").post(
        url(cast, world, f"recommendations/{rec.pk}/decide/"),
        {"outcome": "approved", "reason": "z" * (recs.REASON_MAX + 1)},
    )
    assert set(response.context["form"].errors) == {"reason"}


def test_a_priority_names_its_map_step_as_a_step() -> None:
    """A card's step of the scenario map is named as such: "· Send the first invoice" beside
    a card read as one more unexplained label."""
    card = SimpleNamespace(
        rank=1,
        text="The first invoice is wrong",
        kind_label="Issue",
        dots=3,
        voters=2,
        step_title="Send the first invoice",
        contributors=[],
        segment_cells=[],
    )
    brief = {
        "voting": "closed",
        "coverage": {"top": 0},
        "priorities": [{"card": card, "covered": "", "quotes": [], "earlier": []}],
        "segments": [],
    }
    section = {"brief": brief, "debrief": SimpleNamespace(session=SimpleNamespace(time_zone="UTC"))}
    page = render_to_string("debrief/room/brief.html", {"section": section})
    assert "3 dots from 2 customers · on the map's step “Send the first invoice”" in page


def test_drafting_without_any_evidence_to_cite_says_so_instead_of_a_form(
    cast: Cast, world: World
) -> None:
    """A session with no customer card or quote yet (not held, nothing captured) leaves a
    recommendation nothing to rest on: the page says so and leads back to the room, rather
    than a form that can only be refused ("Link at least one insight")."""
    from traction.insights.models import Insight

    cora = web(cast, "core_team")
    before = cora.get(url(cast, world, "recommendations/new/")).content.decode()
    assert "Nothing to draft from yet" not in before
    assert "Draft it</button>" in before
    Insight.objects.filter(session_id=world.debrief.session_id).update(internal=True)
    page = cora.get(url(cast, world, "recommendations/new/")).content.decode()
    assert "Nothing to draft from yet." in page
    assert "Draft it</button>" not in page
    assert f'href="{url(cast, world, "")}#recommendations">Back to the room</a>' in page
