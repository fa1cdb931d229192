"""The map pages: the journey grid, live capture with htmx, scenarios, steps, editing."""

from __future__ import annotations

import io
import re

import pytest
from django.test import Client
from django.urls import reverse

from traction.insights import imports, services
from traction.insights.models import Insight, Scenario
from traction.insights.tests.conftest import Room, a_card

pytestmark = pytest.mark.django_db


def url(name: str, *args: object) -> str:
    return reverse(f"insights:{name}", args=["acme", *args])


def client_for(room: Room, principal: str) -> Client:
    client = Client()
    client.force_login(room.cast.users[principal])
    return client


def html(response) -> str:
    return response.content.decode()


def test_the_board_shows_the_grid_with_steps_rows_and_cards(room: Room) -> None:
    services.capture_insight(
        room.cast.viewer("facilitator"),
        session=room.session,
        kind="moment_of_truth",
        text="The first invoice is right",
        speaker=room.speaker("gina"),
        step_id=room.steps[2].pk,
    )
    response = client_for(room, "observer").get(url("board", room.session.pk))
    assert response.status_code == 200
    page = html(response)
    for text in (
        "Sign the contract",
        "Set up billing",
        "First invoice",
        "Moments of truth",
        "Issues",
        "Ideas",
        "Customer metrics",
        "The first invoice is right",
        "Pay the first invoice within a day of signing",
    ):
        assert text in page
    assert 'class="row-moment_of_truth"' in page
    assert "capture-form" not in page  # observers read; they do not capture


def test_the_board_tells_a_newcomer_what_to_do_without_a_scenario(room: Room) -> None:
    services.remove_scenario(room.cast.viewer("facilitator"), scenario=room.scenario)
    page = html(client_for(room, "facilitator").get(url("board", room.session.pk)))
    assert "No scenario yet." in page
    assert "Create the first scenario" in page
    assert "No insights captured yet." in page


def test_capture_with_htmx_returns_the_form_and_the_grid_out_of_band(room: Room) -> None:
    client = client_for(room, "core_team")
    response = client.post(
        url("capture", room.session.pk),
        {
            "text": "/m @gina >3 #billing The first invoice is right",
            "kind": "issue",
            "speaker": "",
            "step": "",
            "tags": "",
            "scenario": room.scenario.pk,
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    page = html(response)
    insight = Insight.objects.get()
    assert (insight.kind, insight.speaker_name, insight.step_id, insight.tags) == (
        "moment_of_truth",
        "Gina Globex",
        room.steps[2].pk,
        "billing",
    )
    assert insight.text == "The first invoice is right"
    assert 'id="capture-panel"' in page
    assert 'id="grid-wrap" hx-swap-oob="true"' in page
    assert f'id="insight-{insight.pk}"' in page
    assert "Saved: Moment of truth from Gina Globex on “First invoice”" in page
    # Sticky: the next line keeps the type, speaker and step just used.
    assert '<option value="moment_of_truth" selected>' in page
    assert f'<option value="c:{room.gina.pk}" selected>' in page
    assert f'<option value="{room.steps[2].pk}" selected>' in page


def test_the_capture_hint_says_shortcuts_go_before_the_words(room: Room) -> None:
    """Newcomer walk: "/i Approvals take three days @Dana #approval" saved "@Dana #approval"
    as words, unattributed; the hint did not say the shortcuts must come first. Shortcuts
    stay leading-only (a "#1" or "@ 9am" in what was said is never parsed), so the hint says
    so, with an example."""
    page = html(client_for(room, "core_team").get(url("board", room.session.pk)))
    found = re.search(r'<p id="capture-help"[^>]*>(.*?)</p>', page, re.S)
    assert found is not None
    hint = re.sub(r"<[^>]+>", "", found.group(1))
    assert "Shortcuts go at the start of the line, before the words:" in hint
    assert "/i @dana &gt;2 #approval Approvals take three days" in hint
    assert "Typed after the words, they stay part of the text." in hint
    # What the hint promises: the example attributes; the same tokens after the words do not.
    client = client_for(room, "core_team")
    for line in ("/i @gina #approval Approvals take days", "/i Approvals take days @gina #x"):
        response = client.post(
            url("capture", room.session.pk),
            {"text": line, "kind": "issue", "scenario": room.scenario.pk},
        )
        assert response.status_code in (200, 302), line
    first, second = Insight.objects.order_by("pk")
    assert (first.text, first.speaker_name, first.tags) == (
        "Approvals take days",
        "Gina Globex",
        "approval",
    )
    assert (second.text, second.speaker_name, second.tags) == (
        "Approvals take days @gina #x",
        "",
        "",
    )


def test_a_quick_syntax_typo_is_shown_beside_the_line_and_nothing_is_saved(room: Room) -> None:
    client = client_for(room, "core_team")
    response = client.post(
        url("capture", room.session.pk),
        {"text": "@zed Something", "kind": "issue", "scenario": room.scenario.pk},
    )
    assert response.status_code == 422
    assert "“@zed” matches nobody in this session." in html(response)
    assert Insight.objects.count() == 0


def test_capture_is_refused_to_those_who_only_read(room: Room) -> None:
    for principal in ("sponsor", "observer"):
        response = client_for(room, principal).post(
            url("capture", room.session.pk), {"text": "x", "kind": "issue"}
        )
        assert response.status_code == 403
    assert Insight.objects.count() == 0


def test_creating_a_scenario_with_its_first_steps(room: Room) -> None:
    client = client_for(room, "facilitator")
    response = client.post(
        url("scenario_create", room.session.pk),
        {
            "title": "Team Red",
            "outcome": "Less paperwork",
            "team": [str(room.ivy.pk)],
            "steps": "Order\n\nDeliver\n",
        },
    )
    scenario = Scenario.objects.get(title="Team Red")
    assert response.status_code == 302
    assert response["Location"].endswith(f"?scenario={scenario.pk}")
    assert list(scenario.steps.values_list("title", flat=True)) == ["Order", "Deliver"]
    assert list(scenario.team.all()) == [room.ivy]


def test_a_scenario_form_error_shows_beside_the_field(room: Room) -> None:
    response = client_for(room, "facilitator").post(
        url("scenario_create", room.session.pk), {"title": ""}
    )
    assert response.status_code == 200
    assert 'id="id_title_error"' in html(response)


def test_the_steps_page_adds_moves_merges_and_removes(room: Room) -> None:
    client = client_for(room, "facilitator")
    sign, billing, invoice = room.steps
    page = url("steps", room.scenario.pk)
    assert (
        client.post(page, {"action": "add", "title": "Kick-off", "position": "2"}).status_code
        == 302
    )
    assert client.post(page, {"action": "down", "step": sign.pk}).status_code == 302
    assert list(room.scenario.steps.values_list("title", flat=True)) == [
        "Kick-off",
        "Sign the contract",
        "Set up billing",
        "First invoice",
    ]
    assert (
        client.post(page, {"action": "merge", "step": billing.pk, "absorb": invoice.pk}).status_code
        == 302
    )
    assert client.post(page, {"action": "remove", "step": sign.pk}).status_code == 302
    assert list(room.scenario.steps.values_list("title", flat=True)) == [
        "Kick-off",
        "Set up billing",
    ]
    bad = client.post(page, {"action": "merge", "step": billing.pk, "absorb": 0})
    assert bad.status_code == 422
    assert "Pick the step to merge into this one." in html(bad)
    listing = client.get(page)
    assert "Kick-off" in html(listing)


def test_removing_a_step_with_insights_asks_once_more(room: Room) -> None:
    """A newcomer removed a step and five insights left it at once, with no undo: a step
    with insights is removed only once confirmed; one without is removed at once."""
    client = client_for(room, "facilitator")
    sign, billing, _ = room.steps
    card = a_card(room)  # on the first step
    page = url("steps", room.scenario.pk)
    asked = client.post(page, {"action": "remove", "step": sign.pk})
    assert asked.status_code == 200
    assert "Remove the step “Sign the contract”?" in html(asked)
    assert "Its 1 insight stays in the scenario but on no step" in html(asked)
    assert room.scenario.steps.filter(pk=sign.pk).exists()
    card.refresh_from_db()
    assert card.step_id == sign.pk
    done = client.post(page, {"action": "remove", "step": sign.pk, "confirmed": "1"})
    assert done.status_code == 302
    assert not room.scenario.steps.filter(pk=sign.pk).exists()
    card.refresh_from_db()
    assert card.step_id is None
    # The steps left are numbered again from 1 (they kept a gap, and removing the next one
    # then failed with a server error).
    assert list(room.scenario.steps.order_by("position").values_list("position", flat=True)) == [
        1,
        2,
    ]
    # A step with nothing on it goes at once.
    assert client.post(page, {"action": "remove", "step": billing.pk}).status_code == 302
    assert not room.scenario.steps.filter(pk=billing.pk).exists()


def test_the_steps_page_lists_an_inserted_step_in_its_place(room: Room) -> None:
    """Issue 11: the page's list (with an aggregate) ignored the model's ordering, so a step
    inserted at 2 was listed last and the arrows seemed to act on the wrong neighbours."""
    client = client_for(room, "facilitator")
    steps = url("steps", room.scenario.pk)
    client.post(steps, {"action": "add", "title": "Kick-off call", "position": "2"})
    page = html(client.get(steps))
    titles = re.findall(r'name="title" value="([^"]*)"', page)
    assert titles == ["Sign the contract", "Kick-off call", "Set up billing", "First invoice"]
    assert re.findall(r'<td class="num">(\d+)</td>\s*<td>\s*<form', page) == ["1", "2", "3", "4"]


def test_editing_an_insight_moves_it_and_changes_its_speaker(room: Room) -> None:
    insight = services.capture_insight(
        room.cast.viewer("facilitator"),
        session=room.session,
        kind="issue",
        text="Slow",
        speaker=room.speaker("gina"),
    )
    client = client_for(room, "facilitator")
    response = client.post(
        url("insight_edit", insight.pk),
        {
            "kind": "idea",
            "text": "Faster please",
            "speaker": room.speaker("core_team"),
            "step": room.steps[0].pk,
            "tags": "speed",
            "version": insight.version,
        },
    )
    assert response.status_code == 302
    insight.refresh_from_db()
    assert (insight.kind, insight.text, insight.internal, insight.step_id, insight.tags) == (
        "idea",
        "Faster please",
        True,
        room.steps[0].pk,
        "speed",
    )
    stale = client.post(
        url("insight_edit", insight.pk),
        {"kind": "issue", "text": "Again", "speaker": "", "step": "", "tags": "", "version": 1},
    )
    assert stale.status_code == 200
    assert "changed by someone else" in html(stale)


def test_editing_a_line_credited_on_import_to_the_facilitator_keeps_her(room: Room) -> None:
    """An import credits Fran (who planned the session, not a participant) with her line:
    its card's edit page offers her, selected, and saving keeps her an internal speaker."""
    fran = room.cast.users["facilitator"]
    imports.import_file(
        room.cast.viewer("facilitator"),
        session=room.session,
        stream=io.BytesIO(b"Fran Facilitator: Let me share my screen.\n"),
        filename="notes.txt",
        options=imports.ImportOptions(accept=True),
    )
    insight = Insight.objects.get()
    client = client_for(room, "facilitator")
    page = html(client.get(url("insight_edit", insight.pk)))
    assert f'<option value="u:{fran.pk}" selected>Fran Facilitator (internal)</option>' in page
    response = client.post(
        url("insight_edit", insight.pk),
        {
            "kind": "quote",
            "text": "Let me share my screen now.",
            "speaker": f"u:{fran.pk}",
            "step": "",
            "tags": "",
            "version": insight.version,
        },
    )
    assert response.status_code == 302
    insight.refresh_from_db()
    assert (insight.text, insight.speaker_user_id, insight.internal) == (
        "Let me share my screen now.",
        fran.pk,
        True,
    )


def test_the_session_page_links_to_the_map(room: Room) -> None:
    page = html(
        client_for(room, "core_team").get(
            reverse("sessions:detail", args=["acme", room.session.pk])
        )
    )
    assert "Scenario map and insights" in page
    assert url("board", room.session.pk) in page
    assert "Open the map and capture" in page


def test_an_account_owner_sees_only_their_customers_cards_on_the_board(room: Room) -> None:
    fran = room.cast.viewer("facilitator")
    for who, text in (("gina", "Globex says"), ("ivy", "Initech says")):
        services.capture_insight(
            fran,
            session=room.session,
            kind="issue",
            text=text,
            speaker=room.speaker(who),
            step_id=room.steps[0].pk,
        )
    page = html(client_for(room, "account_owner").get(url("board", room.session.pk)))
    assert "Globex says" in page
    assert "Initech says" not in page
