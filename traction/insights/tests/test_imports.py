"""Imports of transcripts and sticky-note exports: all or nothing, idempotent, attributed."""

from __future__ import annotations

import hashlib
import io
import json

import pytest
from django.utils import timezone

from traction.core.errors import NotFound, PermissionDenied, ValidationFailed
from traction.core.models import AuditEvent
from traction.customers.models import Contact
from traction.insights import imports, selectors
from traction.insights.imports import ImportOptions
from traction.insights.models import ImportBatch, Insight, Step
from traction.insights.tests.conftest import Room
from traction.sessions.models import Invitation

pytestmark = pytest.mark.django_db

ZOOM = """WEBVTT

1
00:00:01.000 --> 00:00:04.000
Globex, Gina: Approval takes three weeks.

2
00:00:04.000 --> 00:00:06.500
Globex, Gina: Every single time.

3
00:00:07.000 --> 00:00:09.000
Cora Core: Who approves it?

4
00:01:02.250 --> 00:01:05.000
Ivy: Our CFO, and she is always travelling.
"""

TEAMS = """\ufeffWEBVTT

a1/1-0
00:00:01.500 --> 00:00:04.000
<v Gina Globex (Guest)>We print every invoice twice.</v>

a1/2-0
00:00:04.000 --> 00:00:08.000
<v Ivy Initech>Same &amp; worse.</v>
"""

STICKIES = (
    "Content;Author;Type;Frame;Tags\r\n"
    "Contract is 40 pages;Gina Globex;Pain point;Sign the contract;#legal\r\n"
    '"Pre-filled\r\nbilling form";Ivy Initech;Wish;Set up billing;billing, forms\r\n'
    "Nobody reads the welcome mail;Cora Core;;;\r\n"
    "First invoice paid in a day;Gina Globex;KPI;First invoice;\r\n"
    "Sales promises too much;Gina Globex;Issue;;\r\n"
)


def run(
    room: Room,
    content: str | bytes,
    filename: str = "zoom.vtt",
    by: str = "core_team",
    **options: object,
) -> imports.ImportResult:
    data = content.encode() if isinstance(content, str) else content
    return imports.import_file(
        room.cast.viewer(by),
        session=room.session,
        stream=io.BytesIO(data),
        filename=filename,
        options=ImportOptions(**options),  # type: ignore[arg-type]
    )


def rows(room: Room) -> list[tuple[object, ...]]:
    return list(
        Insight.objects.filter(session=room.session)
        .order_by("source_line")
        .values_list(
            "source_line",
            "status",
            "kind",
            "speaker_name",
            "speaker_contact_id",
            "speaker_user_id",
            "customer_id",
            "internal",
            "text",
        )
    )


def nothing_written(room: Room) -> None:
    assert not ImportBatch.objects.filter(session=room.session).exists()
    assert not Insight.objects.filter(session=room.session).exists()
    assert not AuditEvent.objects.filter(action="insights.imported").exists()


# --- transcripts ------------------------------------------------------------------------------


def test_a_zoom_transcript_becomes_attributed_candidates_in_file_order(room: Room) -> None:
    cast = room.cast
    result = run(room, ZOOM)
    assert (result.created, result.candidates, result.accepted) == (True, 3, 0)
    assert result.summary == "3 transcript lines imported to the review queue from zoom.vtt."
    gina, ivy, cora = room.gina.pk, room.ivy.pk, cast.users["core_team"].pk
    assert rows(room) == [
        (
            3,
            "candidate",
            "quote",
            "Gina Globex",  # credited: the contact's own name, not "Globex, Gina"
            gina,
            None,
            cast.customer.pk,
            False,
            "Approval takes three weeks. Every single time.",
        ),
        (11, "candidate", "quote", "Cora Core", None, cora, None, True, "Who approves it?"),
        (
            15,
            "candidate",
            "quote",
            "Ivy Initech",
            ivy,
            None,
            cast.other_customer.pk,
            False,
            "Our CFO, and she is always travelling.",
        ),
    ]
    first = Insight.objects.get(source_line=3)
    assert (first.source, first.batch_id, first.spoken_at_ms) == (
        "import",
        result.batch.pk,
        1000,
    )
    assert first.captured_by_id == cast.users["core_team"].pk
    assert Insight.objects.get(source_line=15).spoken_at_ms == 62250
    batch = result.batch
    assert (batch.format, batch.filename, batch.rows, batch.size) == (
        "vtt",
        "zoom.vtt",
        3,
        len(ZOOM),
    )
    event = AuditEvent.objects.get(action="insights.imported")
    assert event.changes == {
        "filename": "zoom.vtt",
        "format": "vtt",
        "rows": 3,
        "sha256": batch.sha256,
        "accepted": 0,
        "candidates": 3,
        "new_contacts": [],
        "new_steps": [],
    }
    assert event.via == "web"
    assert list(selectors.review_queue(room.session).values_list("source_line", flat=True)) == [
        3,
        11,
        15,
    ]


def test_teams_voice_tags_are_speakers_and_accept_puts_them_on_the_map(room: Room) -> None:
    result = run(room, TEAMS, "meeting.vtt", accept=True)
    assert (result.candidates, result.accepted) == (0, 2)
    assert [r[1:5] for r in rows(room)] == [
        ("accepted", "quote", "Gina Globex", room.gina.pk),
        ("accepted", "quote", "Ivy Initech", room.ivy.pk),
    ]
    assert Insight.objects.get(source_line=3).text == "We print every invoice twice."
    assert Insight.objects.get(source_line=7).text == "Same & worse."


def test_srt_and_plain_text_transcripts(room: Room) -> None:
    srt = "1\n00:00:01,000 --> 00:00:02,000\nGina Globex: Too many forms.\n"
    text = "Ivy Initech: We would pay for speed.\nCora Core: Noted.\n"
    assert run(room, srt, "call.srt").batch.format == "srt"
    assert run(room, text, "notes.txt").batch.format == "text"
    assert sorted(Insight.objects.values_list("text", "internal")) == [
        ("Noted.", True),
        ("Too many forms.", False),
        ("We would pay for speed.", False),
    ]


def test_the_same_file_again_adds_nothing_and_says_so(room: Room) -> None:
    first = run(room, ZOOM)
    again = run(room, ZOOM, "renamed.vtt", by="facilitator")
    assert (again.created, again.batch.pk) == (False, first.batch.pk)
    assert again.summary.startswith("zoom.vtt was already imported into this session (")
    assert again.summary.endswith(", 3 rows); nothing was added.")
    # When it was imported, as pages write dates ("7 Dec 2026, 18:32 Europe/Berlin"), not ISO.
    local = timezone.localtime(first.batch.created_at)
    assert f"({local.day} {local:%b %Y}, {local:%H:%M} " in again.summary
    assert Insight.objects.filter(session=room.session).count() == 3
    assert ImportBatch.objects.count() == 1
    assert AuditEvent.objects.filter(action="insights.imported").count() == 1


# --- refusals: nothing written ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (
            "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nGina Globex: ok\n\n"
            "00:00:0x.000 --> 00:00:03.000\nGina Globex: broken\n",
            "broken.vtt",
            "Line 6: This cue timing line is malformed",
        ),
        # Neither UTF-8 nor Windows-1252 (0x81 and 0x8d are undefined there).
        (b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nGina: \x81\x8d\n", "bad.vtt", "Line 4: "),
        (b"", "empty.vtt", "The file is empty."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "photo.png", "Cannot tell what kind of file"),
        ('text,author\n"never closed,Gina\n', "stickies.csv", "Line 2: A quoted field"),
        ("WEBVTT\n\nNOTE just a note\n", "nothing.vtt", "no notes or cues"),
    ],
)
def test_a_bad_file_is_refused_with_its_line_and_nothing_is_written(
    room: Room, content: str | bytes, filename: str, message: str
) -> None:
    with pytest.raises(ValidationFailed) as err:
        run(room, content, filename)
    assert list(err.value.errors) == ["file"]
    assert message in err.value.errors["file"][0]
    nothing_written(room)


def test_a_file_over_the_limit_is_refused_before_reading(room: Room, monkeypatch) -> None:
    monkeypatch.setattr(imports.parsers, "MAX_BYTES", 1024 * 1024)
    with pytest.raises(ValidationFailed) as err:
        run(room, "WEBVTT\n\n" + "x" * (1024 * 1024), "huge.vtt")
    assert err.value.errors == {
        "file": ["The file is larger than 1 MB; split it into smaller files and import each."]
    }
    nothing_written(room)


def test_a_real_50_mb_file_is_refused_with_the_limit_and_nothing_is_written(room: Room) -> None:
    cue = b"\n1\n00:00:01.000 --> 00:00:02.000\nGina Globex: words words words words\n"
    data = b"WEBVTT\n" + cue * (50 * 1024 * 1024 // len(cue) + 1)
    assert len(data) > 50 * 1024 * 1024
    with pytest.raises(ValidationFailed) as err:
        run(room, data, "all-day.vtt")
    assert err.value.errors == {
        "file": ["The file is larger than 25 MB; split it into smaller files and import each."]
    }
    nothing_written(room)


def test_unmatched_speakers_are_listed_never_dropped(room: Room) -> None:
    transcript = ZOOM + "\n5\n00:02:00.000 --> 00:02:01.000\nHank Newman: I run procurement.\n"
    transcript += "\n6\n00:02:02.000 --> 00:02:03.000\nSomeone Else: Me too.\n"
    with pytest.raises(ValidationFailed) as err:
        run(room, transcript)
    assert err.value.errors == {
        "speakers": [
            "These names match nobody taking part in the session: “Hank Newman” (line 19); "
            "“Someone Else” (line 23). Map each to a participant or a new contact, or keep "
            "them unattributed."
        ]
    }
    nothing_written(room)

    cast = room.cast
    result = run(
        room,
        transcript,
        by="facilitator",
        speakers={"Hank Newman": f"new:{cast.customer.pk}", "Someone Else": "-"},
    )
    assert result.new_contacts == ("Hank Newman",)
    hank = Contact.objects.get(name="Hank Newman")
    assert (hank.customer_id, hank.email, hank.consent_to_contact) == (
        cast.customer.pk,
        "hank.newman@unknown.invalid",
        False,
    )
    assert not Invitation.objects.filter(contact=hank).exists()  # a contact, not invited
    assert rows(room)[-2:] == [
        (
            19,
            "candidate",
            "quote",
            "Hank Newman",
            hank.pk,
            None,
            cast.customer.pk,
            False,
            "I run procurement.",
        ),
        (23, "candidate", "quote", "Someone Else", None, None, None, False, "Me too."),
    ]
    assert AuditEvent.objects.get(action="insights.imported").changes["new_contacts"] == [
        "Hank Newman"
    ]


def test_zoom_and_teams_role_labels_stay_out_of_new_contacts_and_cards(room: Room) -> None:
    """Issue 11: "(Guest)" ended up in new contacts' names and on cards; the file's line
    number and words are kept as they were."""
    transcript = ZOOM + (
        "\n5\n00:02:00.000 --> 00:02:01.000\nHank Newman (Guest): I run procurement.\n"
        "\n6\n00:02:02.000 --> 00:02:03.000\nNewman, Hedy (External): I sign.\n"
        "\n7\n00:02:04.000 --> 00:02:05.000\nSomeone Else (Host, me): Me too.\n"
        "\n8\n00:02:06.000 --> 00:02:07.000\nGina Globex (Guest): Twice a year.\n"
    )
    cast = room.cast
    result = run(
        room,
        transcript,
        by="facilitator",
        speakers={
            "Hank Newman (Guest)": f"new:{cast.customer.pk}",
            "Newman, Hedy (External)": f"new:{cast.customer.pk}",
            "Someone Else (Host, me)": "-",
        },
    )
    assert result.new_contacts == ("Hank Newman", "Hedy Newman")
    assert sorted(Contact.objects.filter(name__contains="Newman").values_list("name", "email")) == [
        ("Hank Newman", "hank.newman@unknown.invalid"),
        ("Hedy Newman", "hedy.newman@unknown.invalid"),
    ]
    assert [r[0:1] + r[3:5] + r[-1:] for r in rows(room)[-4:]] == [
        (19, "Hank Newman", Contact.objects.get(name="Hank Newman").pk, "I run procurement."),
        (23, "Hedy Newman", Contact.objects.get(name="Hedy Newman").pk, "I sign."),
        (27, "Someone Else", None, "Me too."),
        (31, "Gina Globex", room.gina.pk, "Twice a year."),
    ]


def test_keep_unmatched_keeps_names_as_written(room: Room) -> None:
    run(room, "Zed Unknown: Hello.\n", "notes.txt", unmatched="keep")
    assert rows(room) == [
        (1, "candidate", "quote", "Zed Unknown", None, None, None, False, "Hello.")
    ]


def test_a_speaker_can_be_mapped_to_a_participant_by_hand(room: Room) -> None:
    run(room, "The CFO: Send it to me.\n", "notes.txt", speakers={"The CFO": f"c:{room.ivy.pk}"})
    assert rows(room)[0][3:7] == ("Ivy Initech", room.ivy.pk, None, room.cast.other_customer.pk)


def test_a_mapping_to_someone_outside_the_session_is_refused(room: Room) -> None:
    with pytest.raises(ValidationFailed) as err:
        run(room, ZOOM, speakers={"Ivy": f"c:{room.cast.other_contact.pk}"})
    assert list(err.value.errors) == ["speakers"]
    nothing_written(room)


def test_a_new_contact_needs_the_right_to_add_contacts(room: Room) -> None:
    with pytest.raises(PermissionDenied):
        run(
            room,
            "Zed Unknown: Hello.\n",
            "notes.txt",
            speakers={"Zed Unknown": f"new:{room.cast.customer.pk}"},
        )
    nothing_written(room)
    assert not Contact.objects.filter(name="Zed Unknown").exists()


def test_the_facilitator_and_the_importer_are_credited_as_internal_never_as_customers(
    room: Room,
) -> None:
    """Fran planned the session and Alice imports the file; neither is listed as a
    participant. Their lines are matched to them and kept as internal remarks, never as a
    customer's quote waiting for the map."""
    fran, alice = room.cast.users["facilitator"], room.cast.users["admin"]
    transcript = (
        "Fran Facilitator: Let me share my screen.\n"
        "Gina Globex: Approval takes three weeks.\n"
        "Alice Admin: I will note that.\n"
    )
    preview = imports.preview_import(
        room.cast.viewer("admin"),
        session=room.session,
        stream=io.BytesIO(transcript.encode()),
        filename="notes.txt",
    )
    assert {s.name: s.match.key if s.match else None for s in preview.speakers} == {
        "Fran Facilitator": f"u:{fran.pk}",
        "Gina Globex": f"c:{room.gina.pk}",
        "Alice Admin": f"u:{alice.pk}",
    }
    run(room, transcript, "notes.txt", by="admin")
    assert [(r[3], r[5], r[6], r[7]) for r in rows(room)] == [
        ("Fran Facilitator", fran.pk, None, True),
        ("Gina Globex", None, room.cast.customer.pk, False),
        ("Alice Admin", alice.pk, None, True),
    ]
    # Someone else importing: Alice is then no one this session may credit.
    assert f"u:{alice.pk}" not in {
        p.key for p in imports.import_speakers(room.session, room.cast.users["core_team"].pk)
    }


# --- sticky notes -----------------------------------------------------------------------------


def test_a_csv_with_no_text_column_is_refused_naming_its_columns(room: Room) -> None:
    """CLI and API (no column choosers): the refusal lists the columns found and says how
    to choose the text column."""
    with pytest.raises(ValidationFailed) as refused:
        run(room, "Post-it;Colour\r\nContract is 40 pages;yellow\r\n", "wall.csv")
    assert refused.value.errors == {
        "columns": [
            "Choose the column that holds the note text: none of the file's columns looks "
            "like it. Its columns are 1. “Post-it”, 2. “Colour”; choose the one that holds "
            "the text (the preview's “Note text”, the CLI's --column text=HEADER, the API's "
            'columns {"text": "HEADER"}).'
        ]
    }
    nothing_written(room)


def test_the_summary_is_a_sentence_counting_sticky_notes_or_lines(room: Room) -> None:
    one = run(room, "Content;Type\r\nWho signs the contract?;Question\r\n", "one.csv")
    assert one.summary == "1 sticky note imported onto the map from one.csv."
    two = run(room, "Content\r\nA\r\nB\r\n", "two.csv")
    assert two.summary == "2 sticky notes imported to the review queue from two.csv."
    line = run(room, "Gina Globex: Hello.\n", "notes.txt")
    assert line.summary == "1 transcript line imported to the review queue from notes.txt."


def test_sticky_notes_with_type_and_step_go_onto_the_map(room: Room) -> None:
    sign, billing, invoice = room.steps
    result = run(room, STICKIES, "wall.csv", scenario_id=room.scenario.pk)
    assert (result.accepted, result.candidates) == (3, 2)
    assert (
        result.summary
        == "3 sticky notes imported onto the map and 2 to the review queue from wall.csv."
    )
    found = list(
        Insight.objects.order_by("source_line").values_list(
            "source_line", "status", "kind", "step_id", "scenario_id", "tags", "text"
        )
    )
    assert found == [
        (2, "accepted", "issue", sign.pk, room.scenario.pk, "legal", "Contract is 40 pages"),
        (
            3,
            "accepted",
            "idea",
            billing.pk,
            room.scenario.pk,
            "billing forms",
            "Pre-filled\nbilling form",
        ),
        (5, "candidate", "idea", None, room.scenario.pk, "", "Nobody reads the welcome mail"),
        (
            6,
            "accepted",
            "customer_metric",
            invoice.pk,
            room.scenario.pk,
            "",
            "First invoice paid in a day",
        ),
        (7, "candidate", "issue", None, room.scenario.pk, "", "Sales promises too much"),
    ]
    assert result.batch.mapping["columns"] == {
        "text": "Content",
        "author": "Author",
        "kind": "Type",
        "step": "Frame",
        "tags": "Tags",
    }
    assert result.batch.mapping["delimiter"] == ";"


def test_imported_rows_hold_what_the_orm_writes_and_search_finds_them(room: Room) -> None:
    # The rows go in through one executemany on Django's cursor, not through model instances:
    # every column must hold what the ORM itself writes for the same card (the time as the
    # backend stores it, booleans, the defaults), and the full-text index must follow them.
    from datetime import UTC, datetime

    from django.db import connection

    from traction.core import clock
    from traction.insights import search

    at = datetime(2026, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)
    with clock.frozen(at):
        run(room, STICKIES, "wall.csv", scenario_id=room.scenario.pk)
    fields = [f for f in Insight._meta.concrete_fields if not f.primary_key]
    imported = list(Insight.objects.filter(session=room.session).order_by("pk"))
    assert len(imported) == 5
    assert {(i.created_at, i.version, i.merged_into_id) for i in imported} == {(at, 1, None)}
    assert {i.speaker_name: i.internal for i in imported}["Cora Core"] is True
    with clock.frozen(at):  # updated_at is stamped on save (auto_now), by the clock
        twins = [
            Insight.objects.create(**{f.attname: getattr(i, f.attname) for f in fields})
            for i in imported
        ]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)

    def stored(pk: int) -> tuple[object, ...]:
        with connection.cursor() as cursor:
            sql = f"SELECT {columns} FROM insights_insight WHERE id = %s"  # noqa: S608
            cursor.execute(sql, [pk])
            return tuple(cursor.fetchone())

    for row, twin in zip(imported, twins, strict=True):
        assert stored(row.pk) == stored(twin.pk)
    hits = search.search(room.cast.viewer("admin"), "contract pages", page_size=50).hits
    assert imported[0].pk in {h.insight.pk for h in hits}


def test_unknown_steps_are_listed_then_created_in_order_or_ignored(room: Room) -> None:
    wall = (
        "text,author,step,type\nA,Gina Globex,Renewal,issue\n"
        "B,Gina Globex,Support,idea\nC,Ivy Initech,renewal,idea\n"
    )
    with pytest.raises(ValidationFailed) as err:
        run(room, wall, "wall.csv", scenario_id=room.scenario.pk)
    assert err.value.errors == {
        "steps": [
            "These steps are not in the scenario “Team Blue”: “Renewal” (line 2); “Support” "
            "(line 3). Create them as new steps, or import those rows without a step."
        ]
    }
    nothing_written(room)
    assert Step.objects.filter(scenario=room.scenario).count() == 3

    ignored = run(room, wall, "wall.csv", scenario_id=room.scenario.pk, unknown_steps="ignore")
    assert ignored.candidates == 3
    assert set(Insight.objects.values_list("step_id", flat=True)) == {None}
    Insight.objects.all().delete()
    ImportBatch.objects.all().delete()

    created = run(room, wall, "wall.csv", scenario_id=room.scenario.pk, unknown_steps="create")
    assert created.new_steps == ("Renewal", "Support")
    assert list(room.scenario.steps.values_list("title", "position")) == [
        ("Sign the contract", 1),
        ("Set up billing", 2),
        ("First invoice", 3),
        ("Renewal", 4),
        ("Support", 5),
    ]
    renewal = Step.objects.get(title="Renewal")
    assert list(Insight.objects.order_by("source_line").values_list("step_id", "status")) == [
        (renewal.pk, "accepted"),
        (Step.objects.get(title="Support").pk, "accepted"),
        (renewal.pk, "accepted"),
    ]


def test_steps_without_a_scenario_are_refused(room: Room) -> None:
    with pytest.raises(ValidationFailed) as err:
        run(room, "text,step\nA,Sign the contract\n", "wall.csv")
    assert "pick the scenario the notes belong to" in err.value.errors["steps"][0]
    nothing_written(room)


def test_columns_can_be_remapped_and_any_delimiter_bom_and_order_work(room: Room) -> None:
    tsv = "\ufeffWho\tNote\tSticky\r\nGina Globex\tfirst\tsecond\r\n"
    run(room, tsv.encode(), "board.tsv", columns={"text": 2, "author": 0})
    assert rows(room) == [
        (
            2,
            "candidate",
            "idea",
            "Gina Globex",
            room.gina.pk,
            None,
            room.cast.customer.pk,
            False,
            "second",
        )
    ]


@pytest.mark.parametrize(
    ("columns", "named"),
    [
        ({"colour": 1}, "Unknown field colour; "),
        ({"colour": 1, "size": 0}, "Unknown fields colour, size; "),
    ],
)
def test_an_unknown_field_in_a_column_mapping_is_named(
    room: Room, columns: dict[str, int], named: str
) -> None:
    with pytest.raises(ValidationFailed) as err:
        run(room, "text,author\nA,B\n", "wall.csv", columns={"text": 0, **columns})
    [message] = err.value.errors["columns"]
    assert message.startswith(named), message
    nothing_written(room)


def test_a_column_mapping_outside_the_file_is_refused(room: Room) -> None:
    with pytest.raises(ValidationFailed) as err:
        run(room, "text,author\nA,B\n", "wall.csv", columns={"text": 5})
    assert err.value.errors == {
        "columns": ["The column chosen for “text” (6) is not in the file, which has 2 columns."]
    }
    nothing_written(room)


# --- preview and permissions --------------------------------------------------------------------


def test_the_preview_reads_everything_and_writes_nothing(room: Room) -> None:
    transcript = ZOOM + "\n5\n00:02:00.000 --> 00:02:01.000\nHank Newman: I run procurement.\n"
    preview = imports.preview_import(
        room.cast.viewer("core_team"),
        session=room.session,
        stream=io.BytesIO(transcript.encode()),
        filename="zoom.vtt",
    )
    assert (preview.format, preview.format_label, preview.rows) == ("vtt", "WebVTT transcript", 4)
    assert [(s.name, s.rows, s.first_line, s.match and s.match.key) for s in preview.speakers] == [
        ("Globex, Gina", 1, 3, f"c:{room.gina.pk}"),
        ("Cora Core", 1, 11, f"u:{room.cast.users['core_team'].pk}"),
        ("Ivy", 1, 15, f"c:{room.ivy.pk}"),
        ("Hank Newman", 1, 19, None),
    ]
    assert [s.name for s in preview.unmatched] == ["Hank Newman"]
    assert preview.sample[0] == {
        "line": 3,
        "speaker": "Globex, Gina",
        "written": "Globex, Gina",
        "text": "Approval takes three weeks. Every single time.",
        "kind": "Quote",
        "step": "",
        "tags": "",
        "at": "0:00:01",
        "onto_map": False,
        "new_step": False,
        "onto_map_if_created": False,
    }
    assert preview.already is None
    nothing_written(room)


def test_the_preview_lists_unknown_steps_and_the_column_mapping(room: Room) -> None:
    preview = imports.preview_import(
        room.cast.viewer("facilitator"),
        session=room.session,
        stream=io.BytesIO(STICKIES.replace("First invoice", "Pay").encode()),
        filename="wall.csv",
        options=ImportOptions(scenario_id=room.scenario.pk),
    )
    assert preview.unknown_steps == ["Pay"]
    assert preview.layout is not None
    assert preview.layout.headers == ("Content", "Author", "Type", "Frame", "Tags")
    assert [row["onto_map"] for row in preview.sample] == [True, True, False, False, False]
    # The row naming "Pay" goes onto the map only if the new step is created: the preview
    # says so, and importing with "create" does exactly that.
    assert [row["new_step"] for row in preview.sample] == [False, False, False, True, False]
    assert [row["onto_map_if_created"] for row in preview.sample] == [
        False,
        False,
        False,
        True,
        False,
    ]
    wall = STICKIES.replace("First invoice", "Pay")
    run(
        room,
        wall,
        "wall.csv",
        by="facilitator",
        scenario_id=room.scenario.pk,
        unknown_steps="create",
    )
    paid = Insight.objects.get(text="Pay paid in a day")
    assert (paid.step and paid.step.title, paid.status) == ("Pay", "accepted")


@pytest.mark.parametrize("principal", ["sponsor", "account_owner", "observer"])
def test_only_those_running_the_session_import(room: Room, principal: str) -> None:
    with pytest.raises(PermissionDenied):
        run(room, ZOOM, by=principal)
    nothing_written(room)


def test_a_stranger_does_not_find_the_session(room: Room) -> None:
    with pytest.raises(NotFound):
        selectors.session_for(room.cast.viewer("stranger"), room.session.pk, "insight.import")


# --- the API ----------------------------------------------------------------------------------


def api_url(room: Room, suffix: str = "imports") -> str:
    return f"/api/v1/sessions/{room.session.pk}/{suffix}"


def test_the_api_imports_in_one_call_and_is_idempotent(room: Room, api_client_for) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = api_client_for("facilitator")
    transcript = ZOOM + "\n5\n00:02:00.000 --> 00:02:01.000\nHank Newman: I run procurement.\n"

    def post(**fields: object):
        return client.post(
            api_url(room),
            {"file": SimpleUploadedFile("call.vtt", transcript.encode()), **fields},
        )

    refused = post()
    assert refused.status_code == 422
    assert refused.json()["message"].startswith(
        "speakers: These names match nobody taking part in the session: “Hank Newman” (line 19)."
    )
    created = post(speakers=json.dumps({"Hank Newman": "-"}), accept="true")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["created"], body["accepted"], body["candidates"]) == (True, 4, 0)
    assert body["message"] == "4 transcript lines imported onto the map from call.vtt."
    assert (body["batch"]["format"], body["batch"]["rows"], body["batch"]["in_progress"]) == (
        "vtt",
        4,
        False,
    )
    again = post(speakers=json.dumps({"Hank Newman": "-"}))
    assert (again.status_code, again.json()["created"]) == (200, False)
    listed = client.get(api_url(room)).json()
    assert (listed["count"], listed["items"][0]["filename"]) == (1, "call.vtt")


def test_the_api_names_the_bad_line(room: Room, api_client_for) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = api_client_for("core_team").post(
        api_url(room),
        {"file": SimpleUploadedFile("wall.csv", b'text,author\n"open,Gina\n')},
    )
    assert response.status_code == 422
    assert response.json()["message"].startswith("file: Line 2: A quoted field opened on line 2")
    nothing_written(room)


def test_the_api_review_queue_accepts_and_merges(room: Room, api_client_for) -> None:
    run(room, ZOOM)
    a, b, c = Insight.objects.order_by("source_line")
    client = api_client_for("core_team")
    queue = client.get(api_url(room, "review")).json()
    assert [i["source_line"] for i in queue["items"]] == [3, 11, 15]
    # Cora's question is an internal remark: it never merges into Gina's words.
    refused = client.post(
        api_url(room, "review/merge"),
        {"into_id": a.pk, "others": [b.pk]},
        content_type="application/json",
    )
    assert refused.status_code == 422
    merged = client.post(
        api_url(room, "review/merge"),
        {"into_id": a.pk, "others": [c.pk]},
        content_type="application/json",
    )
    assert merged.status_code == 200, merged.content
    # Gina's words are not rewritten; Ivy's stay hers, credited to Initech.
    assert merged.json()["text"] == "Approval takes three weeks. Every single time."
    decided = client.post(
        api_url(room, "review"),
        {"decision": "accept", "insight_ids": [a.pk, b.pk]},
        content_type="application/json",
    )
    assert decided.json() == {"changed": 2}
    assert dict(Insight.objects.values_list("pk", "status")) == {
        a.pk: "accepted",
        b.pk: "accepted",
        c.pk: "merged",
    }
    foreign = client.post(
        api_url(room, "review"),
        {"decision": "discard", "insight_ids": [999999]},
        content_type="application/json",
    )
    assert foreign.status_code == 422


# --- large imports: checked before the first write, then written in committed chunks --------


def inserts(queries: list[dict[str, str]]) -> list[str]:
    # executemany is captured as "N times: INSERT INTO …"
    return [q["sql"] for q in queries if 'INSERT INTO "insights_insight" ' in q["sql"]]


def test_a_refused_import_inserts_no_row_at_all(room: Room) -> None:
    # Before: every row was inserted, then the refusal rolled them back, holding the write
    # lock all along; the API's documented flow (422, then unmatched=keep) did it twice.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    transcript = ZOOM + "\n5\n00:02:00.000 --> 00:02:01.000\nHank Newman: I run procurement.\n"
    with CaptureQueriesContext(connection) as seen, pytest.raises(ValidationFailed):
        run(room, transcript)
    assert inserts(seen.captured_queries) == []
    assert [q["sql"] for q in seen.captured_queries if "INSERT" in q["sql"]] == []
    nothing_written(room)


def writes_to_insights(queries: list[dict[str, str]]) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        and ('"insights_' in q["sql"] or '"core_auditevent"' in q["sql"])
    ]


def test_the_documented_api_flow_writes_nothing_on_the_422_and_every_row_once(
    room: Room, api_client_for
) -> None:
    # docs/imports.md: send the file; a 422 lists the unmatched names; send it again with
    # unmatched=keep. Before, the 422 came after every row was inserted (and rolled back).
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api_client_for("facilitator")
    transcript = ZOOM + "\n5\n00:02:00.000 --> 00:02:01.000\nHank Newman: I run procurement.\n"

    def post(**fields: object):
        return client.post(
            api_url(room),
            {"file": SimpleUploadedFile("call.vtt", transcript.encode()), **fields},
        )

    with CaptureQueriesContext(connection) as first:
        refused = post()
    assert refused.status_code == 422
    assert refused.json()["message"].startswith(
        "speakers: These names match nobody taking part in the session: “Hank Newman” (line 19)."
    )
    assert writes_to_insights(first.captured_queries) == []
    nothing_written(room)
    with CaptureQueriesContext(connection) as second:
        kept = post(unmatched="keep")
    assert kept.status_code == 201, kept.content
    assert (kept.json()["candidates"], kept.json()["batch"]["rows"]) == (4, 4)
    assert len(inserts(second.captured_queries)) == 1  # one bulk_create for the one chunk
    assert [(r[0], r[3], r[4]) for r in rows(room)] == [
        (3, "Gina Globex", room.gina.pk),
        (11, "Cora Core", None),
        (15, "Ivy Initech", room.ivy.pk),
        (19, "Hank Newman", None),
    ]
    assert Insight.objects.count() == 4


def test_rows_are_committed_chunk_by_chunk_and_hidden_until_the_import_completes(
    room: Room, monkeypatch
) -> None:
    from traction.insights.imports import services as writing

    monkeypatch.setattr(writing, "CHUNK_ROWS", 2)
    seen: list[tuple[bool, int, int]] = []
    commit = writing._commit_chunk

    def commit_and_look(*args: object) -> None:
        commit(*args)  # type: ignore[arg-type]
        batch = ImportBatch.objects.get(session=room.session)
        visible = Insight.objects.filter(session=room.session).filter(
            ImportBatch.visible_insights()
        )
        seen.append((batch.in_progress, batch.rows, visible.count()))

    monkeypatch.setattr(writing, "_commit_chunk", commit_and_look)
    # Alternating speakers: one utterance per line.
    transcript = "".join(f"{('Gina Globex', 'Ivy')[n % 2]}: Point {n}.\n" for n in range(1, 6))
    result = run(room, transcript, "notes.txt")
    # While writing, the batch was in progress with its rows counted and none of them visible.
    assert seen == [(True, 2, 0), (True, 4, 0), (True, 5, 0)]
    assert result.batch.in_progress is False
    batch = ImportBatch.objects.get()
    assert (batch.in_progress, batch.rows) == (False, 5)
    assert Insight.objects.filter(ImportBatch.visible_insights()).count() == 5


def test_an_import_still_running_refuses_a_second_one_of_the_same_file(room: Room) -> None:
    from django.utils import timezone

    from traction.core.errors import Conflict

    ImportBatch.objects.create(
        workspace_id=room.session.workspace_id,
        session=room.session,
        format="text",
        filename="notes.txt",
        sha256=hashlib.sha256(b"Gina Globex: Hello.\n").hexdigest(),
        rows=2000,
        in_progress=True,
        progress_at=timezone.now(),
    )
    with pytest.raises(Conflict) as err:
        run(room, "Gina Globex: Hello.\n", "notes.txt")
    assert err.value.message.startswith(
        "notes.txt is being imported into this session right now (2,000 rows so far, last "
    )
    assert not Insight.objects.exists()


def test_an_abandoned_import_is_cleaned_up_by_the_next_import_of_the_file(room: Room) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from traction.insights.imports import services as writing

    data = b"Gina Globex: Hello.\nIvy: Again.\n"
    dead = ImportBatch.objects.create(
        workspace_id=room.session.workspace_id,
        session=room.session,
        format="text",
        filename="notes.txt",
        sha256=hashlib.sha256(data).hexdigest(),
        rows=1,
        in_progress=True,
        progress_at=timezone.now() - writing.STALE_AFTER - timedelta(seconds=1),
    )
    Insight.objects.create(
        workspace_id=room.session.workspace_id,
        program_id=room.session.program_id,
        session=room.session,
        batch=dead,
        kind="quote",
        text="Hello.",
        status="candidate",
        source="import",
    )
    result = run(room, data, "notes.txt")
    assert result.created is True
    assert not ImportBatch.objects.filter(pk=dead.pk).exists()
    assert [(r[0], r[8]) for r in rows(room)] == [(1, "Hello."), (2, "Again.")]
    assert ImportBatch.objects.get().rows == 2


def test_an_import_given_its_preview_parses_nothing_again(room: Room, monkeypatch) -> None:
    # The preview parsed and checked the file; the import decides from it and writes its rows.
    from traction.insights.imports import preview as preview_module
    from traction.insights.imports import services as writing

    reads: list[str] = []
    real = preview_module.read_file

    def counted(*args: object, **kwargs: object) -> object:
        reads.append("read")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(preview_module, "read_file", counted)
    monkeypatch.setattr(writing, "read_file", counted)
    viewer = room.cast.viewer("core_team")
    data = b"Gina Globex: Hello.\n"
    shown = imports.preview_import(
        viewer, session=room.session, stream=io.BytesIO(data), filename="notes.txt"
    )
    imports.import_file(
        viewer,
        session=room.session,
        stream=io.BytesIO(data),
        filename="notes.txt",
        options=ImportOptions(),
        preview=shown,
    )
    assert reads == ["read"]
    assert len(rows(room)) == 1


@pytest.mark.parametrize(("keep", "in_memory"), [(5_000, 0), (2, 1024 * 1024), (2, 10)])
def test_the_rows_parsed_once_are_kept_in_memory_or_on_disk_and_all_written(
    room: Room, monkeypatch, keep: int, in_memory: int
) -> None:
    # Rows past KEEP_ROWS wait as JSON lines in a temporary file, on disk past
    # SPOOL_IN_MEMORY bytes: memory stays flat, and the file is still parsed only once.
    from traction.insights.imports import preview as preview_module
    from traction.insights.imports import services as writing
    from traction.insights.imports import shapes

    monkeypatch.setattr(shapes, "KEEP_ROWS", keep)
    monkeypatch.setattr(shapes, "SPOOL_IN_MEMORY", in_memory)
    reads: list[str] = []
    real = preview_module.read_file

    def counted(*args: object, **kwargs: object) -> object:
        reads.append("read")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(writing, "read_file", counted)
    transcript = "".join(f"{('Gina Globex', 'Ivy')[n % 2]}: Point {n}.\n" for n in range(1, 6))
    seen: list[tuple[int, int]] = []
    imports.import_file(
        room.cast.viewer("core_team"),
        session=room.session,
        stream=io.BytesIO(transcript.encode()),
        filename="notes.txt",
        options=ImportOptions(),
        progress=lambda done, total: seen.append((done, total)),
    )
    assert [(r[0], r[8]) for r in rows(room)] == [(n, f"Point {n}.") for n in range(1, 6)]
    assert reads == ["read"]
    size = len(transcript.encode())
    assert seen[-1] == (size, size)
    assert seen == sorted(seen)  # the bar only moves forward, over the parse and the writing


def test_the_review_queue_hides_the_rows_of_an_import_still_being_written(
    room: Room, api_client_for, client_for
) -> None:
    from django.utils import timezone

    done = run(room, "Gina Globex: Finished.\n", "done.txt")
    writing = ImportBatch.objects.create(
        workspace_id=room.session.workspace_id,
        session=room.session,
        format="text",
        filename="big.txt",
        sha256="0" * 64,
        rows=1,
        in_progress=True,
        progress_at=timezone.now(),
    )
    half = Insight.objects.create(
        workspace_id=room.session.workspace_id,
        program_id=room.session.program_id,
        session=room.session,
        batch=writing,
        kind="quote",
        text="Half a file.",
        status="candidate",
        source="import",
    )
    shown = Insight.objects.get(batch=done.batch)
    api = api_client_for("facilitator").get(api_url(room, "review")).json()
    assert [i["id"] for i in api["items"]] == [shown.pk]
    web = client_for("facilitator")
    page = web.get(f"/w/acme/insights/sessions/{room.session.pk}/review/")
    assert [row["insight"].pk for row in page.context["rows"]] == [shown.pk]
    web.post(
        f"/w/acme/insights/sessions/{room.session.pk}/review/decide/",
        {"action": "accept", "ids": [str(half.pk)]},
    )
    half.refresh_from_db()
    assert half.status == "candidate"  # not in the queue, so not accepted
    captured = Insight.objects.create(
        workspace_id=room.session.workspace_id,
        program_id=room.session.program_id,
        session=room.session,
        kind="issue",
        text="Typed in the room.",
        status="accepted",
    )
    visible = Insight.objects.filter(ImportBatch.visible_insights()).order_by("pk")
    assert list(visible.values_list("pk", flat=True)) == [shown.pk, captured.pk]


def test_on_sqlite_the_import_leaves_the_lock_free_after_each_second_of_writing(
    monkeypatch,
) -> None:
    # A writer waiting for SQLite's lock polls every 100 ms: after each WRITE_FOR of writing
    # the import leaves the lock free for PAUSE_FOR before taking it again. Building the next
    # chunk happens while it is free and counts; only the rest is slept. (A fake clock: the
    # test says what is slept, not how long anything takes.)
    from traction.insights.imports import services as writing

    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(round(seconds, 3))
        now[0] += seconds

    monkeypatch.setattr(writing.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(writing.time, "sleep", sleep)
    turns = writing._TakeTurns()
    turns.active = True  # as on SQLite outside the test's transaction

    def chunk(building: float, writing_for: float) -> None:
        now[0] += building  # the next chunk is built, the lock free
        turns()
        now[0] += writing_for  # the chunk is written and committed
        turns.released()

    chunk(0.01, 0.5)
    chunk(0.01, 0.5)
    assert slept == []  # not a second of writing yet
    chunk(0.03, 0.5)  # due: 30 ms of the pause were spent building
    assert slept == [0.08]
    chunk(0.01, 0.4)
    chunk(0.2, 0.7)  # due, and building took longer than a pause: no sleep
    assert slept == [0.08, 0.0]


def test_an_import_failing_midway_removes_what_it_wrote(room: Room, monkeypatch) -> None:
    from traction.insights.imports import services as writing

    monkeypatch.setattr(writing, "CHUNK_ROWS", 2)
    commit = writing._commit_chunk
    calls: list[int] = []

    def fail_on_the_second(*args: object) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        commit(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(writing, "_commit_chunk", fail_on_the_second)
    transcript = "".join(f"{('Gina Globex', 'Ivy')[n % 2]}: Point {n}.\n" for n in range(1, 6))
    with pytest.raises(RuntimeError, match="disk full"):
        run(room, transcript, "notes.txt")
    nothing_written(room)


@pytest.mark.parametrize("keep", [5_000, 2])  # rows kept as they are, or as JSON lines
def test_the_web_flow_parses_a_csv_once_and_imports_what_it_read(
    room: Room, client_for, monkeypatch, keep: int
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from traction.insights.imports import shapes

    monkeypatch.setattr(shapes, "KEEP_ROWS", keep)

    from traction.insights.imports import preview as preview_module
    from traction.insights.imports import services as writing

    reads: list[str] = []
    real = preview_module.read_file

    def counted(*args: object, **kwargs: object) -> object:
        reads.append("read")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(preview_module, "read_file", counted)
    monkeypatch.setattr(writing, "read_file", counted)
    web = client_for("facilitator")
    url = f"/w/acme/insights/sessions/{room.session.pk}/import/"
    shown = web.post(
        url,
        {"file": SimpleUploadedFile("wall.csv", STICKIES.encode()), "scenario": room.scenario.pk},
    )
    assert shown.status_code == 200
    form = shown.context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update({f.html_name: f.value() or "" for f in form})
    data["unknown_steps"] = "ignore"
    assert reads == ["read"]  # the upload's preview
    nothing_written(room)  # a preview writes nothing
    reads.clear()
    done = web.post(url + "confirm/", data)
    assert done.status_code == 302, done.content[:500]
    assert reads == []  # the confirm imports the parse the upload kept
    assert sorted(Insight.objects.filter(session=room.session).values_list("text", flat=True)) == [
        "Contract is 40 pages",
        "First invoice paid in a day",
        "Nobody reads the welcome mail",
        "Pre-filled\nbilling form",
        "Sales promises too much",
    ]


def test_an_import_of_another_file_cleans_up_an_abandoned_one(room: Room) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from traction.insights.imports import services as writing

    dead = ImportBatch.objects.create(
        workspace_id=room.session.workspace_id,
        session=room.session,
        format="text",
        filename="part-1.txt",
        sha256="1" * 64,
        rows=1,
        in_progress=True,
        progress_at=timezone.now() - writing.STALE_AFTER - timedelta(seconds=1),
    )
    Insight.objects.create(
        workspace_id=room.session.workspace_id,
        program_id=room.session.program_id,
        session=room.session,
        batch=dead,
        kind="quote",
        text="Left behind.",
        status="candidate",
        source="import",
    )
    running = ImportBatch.objects.create(
        workspace_id=room.session.workspace_id,
        session=room.session,
        format="text",
        filename="part-2.txt",
        sha256="2" * 64,
        in_progress=True,
        progress_at=timezone.now(),
    )
    run(room, "Gina Globex: Part three.\n", "part-3.txt")
    assert list(ImportBatch.objects.order_by("pk").values_list("pk", "in_progress")) == [
        (running.pk, True),  # still running elsewhere: left alone
        (ImportBatch.objects.get(filename="part-3.txt").pk, False),
    ]
    assert [r[8] for r in rows(room)] == ["Part three."]
