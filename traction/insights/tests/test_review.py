"""The upload, preview and review pages: what a note taker sees and does in the browser."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from traction.core.errors import ValidationFailed
from traction.insights import imports
from traction.insights.models import ImportBatch, Insight, InsightStatus
from traction.insights.tests.conftest import Room
from traction.insights.tests.test_imports import STICKIES, ZOOM

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def uploads(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path / "imports"


def url(room: Room, name: str, **kw: object) -> str:
    return reverse(f"insights:{name}", kwargs={"workspace_slug": room.cast.acme.slug, **kw})


def signed_in(room: Room, principal: str = "core_team") -> Client:
    client = Client()
    client.force_login(room.cast.users[principal])
    return client


def upload(client: Client, room: Room, name: str, content: str, **extra: str):
    return client.post(
        url(room, "import", session_id=room.session.pk),
        {"file": SimpleUploadedFile(name, content.encode()), **extra},
    )


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_the_import_page_explains_and_lists_past_imports(room: Room) -> None:
    client = signed_in(room)
    page = client.get(url(room, "import", session_id=room.session.pk))
    assert page.status_code == 200
    assert "Nothing imported yet." in text(page)
    imports.import_file(
        room.cast.viewer("facilitator"),
        session=room.session,
        stream=io.BytesIO(ZOOM.encode()),
        filename="zoom.vtt",
    )
    page = client.get(url(room, "import", session_id=room.session.pk))
    assert "zoom.vtt WebVTT transcript 3 Fran Facilitator" in text(page)


def test_upload_preview_map_a_speaker_and_confirm(room: Room, uploads: Path) -> None:
    client = signed_in(room, "facilitator")
    transcript = ZOOM + "\n5\n00:02:00.000 --> 00:02:01.000\nHank Newman: I run procurement.\n"
    preview = upload(client, room, "zoom.vtt", transcript)
    assert preview.status_code == 200
    page = text(preview)
    assert "This is a WebVTT transcript with 4 rows to import." in page
    assert "1 row, first on line 19 — matches nobody taking part" in page
    assert "New contact of Globex" in page
    sha = re.search(r'name="upload" value="([0-9a-f]{64})"', preview.content.decode()).group(1)
    assert (uploads / str(room.cast.acme.pk) / sha).exists()
    assert not Insight.objects.exists()

    speakers = {
        f"speaker_{n}": value
        for n, value in enumerate(
            [
                f"c:{room.gina.pk}",
                f"u:{room.cast.users['core_team'].pk}",
                f"c:{room.ivy.pk}",
                f"new:{room.cast.customer.pk}",
            ]
        )
    }
    done = client.post(
        url(room, "import_confirm", session_id=room.session.pk),
        {"upload": sha, "filename": "zoom.vtt", "scenario": "", **speakers},
    )
    assert done.status_code == 302
    assert done["Location"] == url(room, "review", session_id=room.session.pk)
    assert not (uploads / str(room.cast.acme.pk) / sha).exists()
    queue = client.get(done["Location"])
    assert "4 transcript lines imported to the review queue from zoom.vtt." in text(queue)
    assert Insight.objects.get(source_line=19).speaker_contact.name == "Hank Newman"


def test_a_bad_file_shows_its_line_beside_the_file_field(room: Room) -> None:
    response = upload(
        signed_in(room), room, "x.vtt", "WEBVTT\n\n00:00:01.000 -> 00:00:02.000\nHi\n"
    )
    assert response.status_code == 422
    assert "Line 3: This cue timing line is malformed" in text(response)
    assert not ImportBatch.objects.exists()


def test_csv_preview_offers_the_column_mapping_and_unknown_steps(room: Room) -> None:
    client = signed_in(room, "facilitator")
    wall = STICKIES.replace("First invoice", "Pay")
    preview = upload(client, room, "wall.csv", wall, scenario=str(room.scenario.pk))
    page = text(preview)
    assert "This is a Sticky-note CSV with 5 rows to import." in page
    assert "These step names appear in the file but match no step of the scenario: Pay ." in page
    html = preview.content.decode()
    assert '<option value="3" selected>4. Frame</option>' in html
    sha = re.search(r'name="upload" value="([0-9a-f]{64})"', html).group(1)
    form = {
        "upload": sha,
        "filename": "wall.csv",
        "scenario": str(room.scenario.pk),
        "column_text": "0",
        "column_author": "1",
        "column_kind": "2",
        "column_step": "3",
        "column_tags": "4",
        "unknown_steps": "create",
        **{f"speaker_{n}": "-" for n in range(3)},
    }
    done = client.post(url(room, "import_confirm", session_id=room.session.pk), form)
    assert done.status_code == 302
    assert room.scenario.steps.filter(title="Pay").exists()
    assert Insight.objects.filter(status=InsightStatus.ACCEPTED).count() == 3


def test_the_review_queue_accepts_discards_merges_and_edits(room: Room) -> None:
    imports.import_file(
        room.cast.viewer("core_team"),
        session=room.session,
        stream=io.BytesIO(ZOOM.encode()),
        filename="zoom.vtt",
    )
    a, b, c = Insight.objects.order_by("source_line")
    client = signed_in(room)
    page = client.get(url(room, "review", session_id=room.session.pk))
    assert page.status_code == 200
    assert "Approval takes three weeks. Every single time." in text(page)

    edit = client.post(
        url(room, "review_edit", candidate_id=c.pk),
        {f"c{c.pk}-kind": "issue", f"c{c.pk}-step": str(room.steps[1].pk)},
        headers={"HX-Request": "true"},
    )
    assert edit.status_code == 200
    assert f'id="candidate-{c.pk}"' in edit.content.decode()
    assert f"Line {c.source_line} saved: Issue, step 2. {room.steps[1].title}." in text(edit)
    c.refresh_from_db()
    assert (c.kind, c.step_id, c.status) == ("issue", room.steps[1].pk, "candidate")

    decide = url(room, "review_decide", session_id=room.session.pk)
    client.post(decide, {"action": "merge", "ids": [str(a.pk), str(c.pk)]})
    client.post(decide, {"action": "accept", "ids": [str(a.pk), str(b.pk)]})
    assert dict(Insight.objects.values_list("pk", "status")) == {
        a.pk: "accepted",
        b.pk: "accepted",
        c.pk: "merged",
    }
    empty = client.get(url(room, "review", session_id=room.session.pk))
    assert "Nothing waiting for review." in text(empty)
    assert "Everything imported so far has been reviewed." in text(empty)


def _three_candidates(room: Room) -> list[Insight]:
    imports.import_file(
        room.cast.viewer("core_team"),
        session=room.session,
        stream=io.BytesIO(ZOOM.encode()),
        filename="zoom.vtt",
    )
    return list(Insight.objects.order_by("source_line"))


def test_accept_ticked_applies_the_type_and_step_shown_even_unsaved(room: Room) -> None:
    """Issue 11: a row's type and step changed on screen, then "Accept ticked" without the
    row's Save, was accepted as it was imported (a quote with no step)."""
    a, b, c = _three_candidates(room)
    assert (a.kind, a.step_id) == ("quote", None)
    client = signed_in(room)
    page = client.get(url(room, "review", session_id=room.session.pk)).content.decode()
    # Every row's fields belong to the bulk form, so they travel with its buttons.
    assert f'name="c{a.pk}-kind"' in page
    assert 'form="review-form"' in page
    response = client.post(
        url(room, "review_decide", session_id=room.session.pk),
        {
            "action": "accept",
            "ids": [str(a.pk), str(b.pk)],
            f"c{a.pk}-kind": "issue",
            f"c{a.pk}-step": str(room.steps[2].pk),
            f"c{b.pk}-kind": b.kind,
            f"c{b.pk}-step": "",
            f"c{c.pk}-kind": "idea",  # not ticked: left as it was
            f"c{c.pk}-step": str(room.steps[0].pk),
        },
        follow=True,
    )
    assert "2 candidates accepted onto the map." in text(response)
    assert list(Insight.objects.order_by("source_line").values_list("kind", "step", "status")) == [
        ("issue", room.steps[2].pk, "accepted"),
        (b.kind, None, "accepted"),
        (c.kind, None, "candidate"),
    ]


def test_a_refused_correction_refuses_the_whole_bulk_action(room: Room) -> None:
    a, b, _ = _three_candidates(room)
    client = signed_in(room)
    response = client.post(
        url(room, "review_decide", session_id=room.session.pk),
        {"action": "accept", "ids": [str(a.pk), str(b.pk)], f"c{a.pk}-kind": "gossip"},
        follow=True,
    )
    assert "Select a valid choice. gossip is not one of the available choices." in text(response)
    assert set(Insight.objects.values_list("kind", "status")) == {("quote", "candidate")}


def test_merge_keeps_the_type_and_step_shown_on_the_first_row(room: Room) -> None:
    a, _, c = _three_candidates(room)
    client = signed_in(room)
    client.post(
        url(room, "review_decide", session_id=room.session.pk),
        {
            "action": "merge",
            "ids": [str(a.pk), str(c.pk)],
            f"c{a.pk}-kind": "moment_of_truth",
            f"c{a.pk}-step": str(room.steps[1].pk),
        },
    )
    a.refresh_from_db()
    assert (a.kind, a.step_id, a.status) == ("moment_of_truth", room.steps[1].pk, "candidate")
    assert Insight.objects.get(pk=c.pk).status == "merged"


def test_a_discard_can_be_undone(room: Room) -> None:
    a, b, c = _three_candidates(room)
    client = signed_in(room)
    response = client.post(
        url(room, "review_decide", session_id=room.session.pk),
        {"action": "discard", "ids": [str(a.pk), str(b.pk)]},
    )
    assert response.status_code == 302
    assert response["Location"] == (
        url(room, "review", session_id=room.session.pk) + f"?discarded={a.pk},{b.pk}#undo"
    )
    page = client.get(response["Location"])
    assert "2 candidates discarded. Undo" in text(page)
    assert "Discarded (2): put one back" in text(page)
    restore = url(room, "review_restore", session_id=room.session.pk)
    assert f'name="ids" value="{a.pk},{b.pk}"' in page.content.decode()
    back = client.post(restore, {"ids": f"{a.pk},{b.pk}"}, follow=True)
    assert "2 candidates back in the queue." in text(back)
    assert set(Insight.objects.values_list("status", flat=True)) == {"candidate"}
    # Only discarded rows of this session come back; a candidate is refused with a message.
    again = client.post(restore, {"ids": str(c.pk)}, follow=True)
    assert "None of these insights is discarded; nothing to put back." in text(again)
    assert set(Insight.objects.values_list("status", flat=True)) == {"candidate"}


def test_an_observer_cannot_put_a_discarded_row_back(room: Room) -> None:
    a, _, _ = _three_candidates(room)
    client = signed_in(room)
    client.post(
        url(room, "review_decide", session_id=room.session.pk),
        {"action": "discard", "ids": [str(a.pk)]},
    )
    response = signed_in(room, "observer").post(
        url(room, "review_restore", session_id=room.session.pk), {"ids": str(a.pk)}
    )
    assert response.status_code == 403
    assert Insight.objects.get(pk=a.pk).status == "discarded"


def test_a_rows_save_without_javascript_says_what_was_saved(room: Room) -> None:
    a, _, _ = _three_candidates(room)
    client = signed_in(room)
    response = client.post(
        url(room, "review_edit", candidate_id=a.pk),
        {f"c{a.pk}-kind": "idea", f"c{a.pk}-step": str(room.steps[0].pk)},
        follow=True,
    )
    assert f"Line {a.source_line} saved: Idea, step 1. Sign the contract." in text(response)
    a.refresh_from_db()
    assert (a.kind, a.step_id, a.status) == ("idea", room.steps[0].pk, "candidate")


def test_deciding_nothing_says_why_for_each_action(room: Room) -> None:
    a, _, _ = _three_candidates(room)
    client = signed_in(room)
    decide = url(room, "review_decide", session_id=room.session.pk)
    said = {
        action: text(client.post(decide, {"action": action}, follow=True))
        for action in ("accept", "discard", "merge")
    }
    assert "Tick at least one candidate to accept." in said["accept"]
    assert "Tick at least one candidate to discard." in said["discard"]
    assert "Tick at least two candidates to merge" in said["merge"]
    # Merging one row into nothing says the same, and changes nothing.
    one = client.post(decide, {"action": "merge", "ids": [str(a.pk)]}, follow=True)
    assert "Tick at least two candidates to merge" in text(one)
    assert set(Insight.objects.values_list("status", flat=True)) == {"candidate"}


def test_counts_in_messages_are_proper_plurals(room: Room) -> None:
    a, b, c = _three_candidates(room)
    client = signed_in(room)
    decide = url(room, "review_decide", session_id=room.session.pk)
    one = client.post(decide, {"action": "accept", "ids": [str(b.pk)]}, follow=True)
    assert "1 candidate accepted onto the map." in text(one)
    merged = client.post(decide, {"action": "merge", "ids": [str(a.pk), str(c.pk)]}, follow=True)
    assert "Merged 1 candidate into the first one ticked." in text(merged)
    assert "candidate(s)" not in text(one) + text(merged)


def test_previews_nobody_confirmed_are_forgotten_after_a_day(room: Room, uploads: Path) -> None:
    import os
    import time

    client = signed_in(room, "facilitator")
    folder = uploads / str(room.cast.acme.pk)
    folder.mkdir(parents=True)
    stale, fresh = folder / ("a" * 64), folder / ("b" * 64)
    stale.write_text("old")
    fresh.write_text("new")
    day_ago = time.time() - 25 * 3600
    os.utime(stale, (day_ago, day_ago))
    assert upload(client, room, "zoom.vtt", ZOOM).status_code == 200
    assert not stale.exists()
    assert fresh.exists()


def test_the_review_queue_pages_its_candidates(room: Room) -> None:
    """A long transcript's candidates come a page at a time, each row with its own pickers."""
    from traction.insights.imports.views import REVIEW_PAGE

    cues = "".join(
        f"\n{n}\n00:{n // 60:02d}:{n % 60:02d}.000 --> 00:{n // 60:02d}:{n % 60:02d}.500\n"
        f"{('Gina Globex', 'Ivy Initech')[n % 2]}: Remark number {n} about billing.\n"
        for n in range(1, REVIEW_PAGE + 12)
    )
    imports.import_file(
        room.cast.viewer("core_team"),
        session=room.session,
        stream=io.BytesIO(f"WEBVTT\n{cues}".encode()),
        filename="long.vtt",
    )
    client = signed_in(room)
    first = text(client.get(url(room, "review", session_id=room.session.pk)))
    second = text(client.get(url(room, "review", session_id=room.session.pk) + "?page=2"))
    assert "Remark number 1 about billing." in first
    assert f"Remark number {REVIEW_PAGE} about billing." in first
    assert f"Remark number {REVIEW_PAGE + 1} about billing." not in first
    assert f"Remark number {REVIEW_PAGE + 1} about billing." in second
    assert f"Remark number {REVIEW_PAGE + 11} about billing." in second


def test_a_candidate_without_a_line_is_named_by_its_words_for_screen_readers(
    room: Room,
) -> None:
    """A customer's reply from the portal waits in the queue with no line of a file: its
    controls are named by its words, never "Type of line None"."""
    Insight.objects.create(
        workspace=room.session.workspace,
        program=room.session.program,
        session=room.session,
        kind="quote",
        text="We would pay for a faster approval, honestly, every single month",
        speaker_contact=room.gina,
        speaker_name=room.gina.name,
        customer_id=room.gina.customer_id,
        status=InsightStatus.CANDIDATE,
        source="portal",
    )
    html = signed_in(room).get(url(room, "review", session_id=room.session.pk)).content.decode()
    assert "None" not in html
    assert 'aria-label="Tick “We would pay for a faster approval…”"' in html
    assert ">Type of “We would pay for a faster approval…”</label>" in html


def test_a_sticky_note_preview_says_which_notes_go_onto_the_map_unticked(room: Room) -> None:
    """Sticky notes with a known type (and step) go onto the map by design, "Accept every
    row" ticked or not: the preview says so, and its checkbox promises no more than it does."""
    client = signed_in(room, "facilitator")
    preview = upload(client, room, "wall.csv", STICKIES, scenario=str(room.scenario.pk))
    page = text(preview)
    assert "Accept every row onto the map now" not in page
    assert "3 of the 5 notes go straight onto the map by their type and step" in page
    assert "Also accept the other notes onto the map now (skip the review queue)" in page
    assert "still go straight onto the map" in page
    html = preview.content.decode()
    sha = re.search(r'name="upload" value="([0-9a-f]{64})"', html).group(1)
    form = {
        "upload": sha,
        "filename": "wall.csv",
        "scenario": str(room.scenario.pk),
        **{f"column_{f}": str(n) for n, f in enumerate(["text", "author", "kind", "step", "tags"])},
        **{f"speaker_{n}": "-" for n in range(3)},
    }
    done = client.post(url(room, "import_confirm", session_id=room.session.pk), form)
    assert done.status_code == 302
    assert Insight.objects.filter(status=InsightStatus.ACCEPTED).count() == 3  # as it said
    assert Insight.objects.filter(status=InsightStatus.CANDIDATE).count() == 2


def test_the_facilitator_importing_a_transcript_can_credit_their_own_line(room: Room) -> None:
    """Fran planned the session but is not listed as a participant: the preview matches her
    line to her, under "Our team", and it is imported as an internal remark."""
    client = signed_in(room, "facilitator")
    fran = room.cast.users["facilitator"]
    preview = upload(client, room, "notes.txt", "Fran Facilitator: Let me share my screen.\n")
    html = preview.content.decode()
    assert '<optgroup label="Our team: internal remarks, never counted as customer input">' in html
    assert f'<option value="u:{fran.pk}" selected>Fran Facilitator (internal)</option>' in html
    assert "matches nobody taking part" not in text(preview)
    sha = re.search(r'name="upload" value="([0-9a-f]{64})"', html).group(1)
    done = client.post(
        url(room, "import_confirm", session_id=room.session.pk),
        {"upload": sha, "filename": "notes.txt", "scenario": "", "speaker_0": f"u:{fran.pk}"},
    )
    assert done.status_code == 302
    line = Insight.objects.get()
    assert (line.speaker_user_id, line.internal, line.customer_id) == (fran.pk, True, None)


def test_a_csv_with_no_text_column_keeps_the_upload_and_asks_for_its_columns(
    room: Room, uploads: Path
) -> None:
    """No header looks like the text: the preview lists the file's columns and offers the
    column choosers, the upload kept; choosing the text column previews and imports it."""
    client = signed_in(room, "facilitator")
    wall = "Post-it;Colour\r\nContract is 40 pages;yellow\r\nBilling form is long;pink\r\n"
    preview = upload(client, room, "wall.csv", wall)
    assert preview.status_code == 200
    page = text(preview)
    assert "none of its columns looks like the text of the notes" in page
    assert "The file's columns are 1. Post-it , 2. Colour ." in page
    assert "Import 0 rows" not in page
    html = preview.content.decode()
    assert '<select name="column_text"' in html
    sha = re.search(r'name="upload" value="([0-9a-f]{64})"', html).group(1)
    assert (uploads / str(room.cast.acme.pk) / sha).exists()
    form = {"upload": sha, "filename": "wall.csv", "scenario": "", "column_text": ""}
    confirm = url(room, "import_confirm", session_id=room.session.pk)
    refused = client.post(confirm, form)  # "Import" posted without a text column
    assert refused.status_code == 422
    assert "Please correct the 1 field marked below." in text(refused)
    assert "Note text: This field is required." in text(refused)
    assert not ImportBatch.objects.exists()
    shown = client.post(confirm, {**form, "column_text": "0", "refresh": "1"})
    assert shown.status_code == 200
    assert "This is a Sticky-note CSV with 2 rows to import." in text(shown)
    done = client.post(confirm, {**form, "column_text": "0"})
    assert done.status_code == 302
    assert sorted(Insight.objects.values_list("text", flat=True)) == [
        "Billing form is long",
        "Contract is 40 pages",
    ]


def test_an_import_refuses_a_preview_without_a_text_column(room: Room) -> None:
    """The columns-only preview has no rows: importing it is refused, writing nothing."""
    wall = b"Post-it;Colour\r\nContract is 40 pages;yellow\r\n"
    viewer = room.cast.viewer("facilitator")
    preview = imports.preview_import(
        viewer, session=room.session, stream=io.BytesIO(wall), filename="w.csv", ask_columns=True
    )
    assert preview.needs_text_column
    assert preview.rows == 0
    with pytest.raises(ValidationFailed, match=r"Its columns are 1\. “Post-it”, 2\. “Colour”"):
        imports.import_file(
            viewer, session=room.session, stream=io.BytesIO(wall), filename="w.csv", preview=preview
        )
    assert not ImportBatch.objects.exists()
