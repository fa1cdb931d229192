"""Pure tests of the import parsers: no database, no Django."""

import io
import tracemalloc
from pathlib import Path

import pytest

from traction.insights.imports import parsers
from traction.insights.imports.parsers import (
    CSV_FIELDS,
    FORMATS,
    MAX_BYTES,
    CsvLayout,
    Cue,
    ParseError,
    StickyRow,
    detect_format,
    iter_csv,
    iter_cues,
    kind_from,
    sniff_csv,
    utterances,
)

SAMPLES = Path(__file__).parent / "samples"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def cues(data: bytes, fmt: str) -> list[Cue]:
    return list(iter_cues(io.BytesIO(data), fmt))


def read_all(data: bytes, fmt: str) -> list[Cue] | list[StickyRow]:
    if fmt == "csv":
        stream = io.BytesIO(data)
        return list(iter_csv(stream, sniff_csv(stream)))
    return cues(data, fmt)


def refusal(data: bytes, fmt: str) -> ParseError:
    with pytest.raises(ParseError) as info:
        read_all(data, fmt)
    return info.value


def rows(data: bytes) -> list[StickyRow]:
    stream = io.BytesIO(data)
    return list(iter_csv(stream, sniff_csv(stream)))


# --- ParseError and constants --------------------------------------------------------------------


def test_parse_error_names_line_and_reason():
    error = ParseError("Something is wrong.", 12)
    assert (error.line, error.reason, str(error)) == (
        12,
        "Something is wrong.",
        "Line 12: Something is wrong.",
    )
    assert str(ParseError("The file is empty.")) == "The file is empty."
    assert ParseError("x").line is None
    copy = type(error)(*error.args)  # how pickle rebuilds it across a task queue
    assert (copy.line, copy.reason) == (12, "Something is wrong.")


def test_constants():
    assert MAX_BYTES == 25 * 1024 * 1024
    assert set(FORMATS) == {"vtt", "srt", "text", "csv"}
    assert CSV_FIELDS == ("text", "author", "kind", "step", "tags")


# --- detect_format -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "name"),
    [
        ("meeting.txt", "zoom.vtt"),  # content beats a wrong extension
        ("teams.vtt", "teams.vtt"),  # BOM before the signature
        ("captions", "sample.srt"),
        ("notes.txt", "notes.txt"),
        ("export.txt", "miro.csv"),
        ("board", "mural.csv"),
        ("board.dat", "figjam.tsv"),
        ("board", "bom_crlf.csv"),
    ],
)
def test_detect_format_by_content(filename, name):
    expected = {"vtt": "vtt", "srt": "srt", "txt": "text", "csv": "csv", "tsv": "csv"}
    assert detect_format(filename, sample(name)[:4096]) == expected[name.rpartition(".")[2]]


@pytest.mark.parametrize(
    ("filename", "fmt"),
    [("a.VTT", "vtt"), ("a.srt", "srt"), ("a.txt", "text"), ("a.csv", "csv"), ("a.tsv", "csv")],
)
def test_detect_format_by_extension_when_content_is_unclear(filename, fmt):
    assert detect_format(filename, b"hello world\n") == fmt


def test_detect_format_plain_labels_without_extension():
    assert detect_format("transcript", b"Alice: hello\nBob: hi\n") == "text"


def test_detect_format_refuses_unknown():
    with pytest.raises(ParseError) as info:
        detect_format("slides.pptx", b"PK\x03\x04\x00\x00binary")
    assert info.value.line is None
    assert 'Cannot tell what kind of file "slides.pptx" is' in info.value.reason
    assert ".vtt" in info.value.reason
    assert ".csv" in info.value.reason


# --- Decoding, shared by every reader ------------------------------------------------------------


ALL_FORMATS = ["vtt", "srt", "text", "csv"]


@pytest.mark.parametrize("fmt", ALL_FORMATS)
@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"  \n\r\n\t\n", b"\xef\xbb\xbf\r\n \r\n"])
def test_empty_file_is_refused(fmt, data):
    error = refusal(data, fmt)
    assert (error.line, error.reason) == (None, "The file is empty.")


@pytest.mark.parametrize(
    ("fmt", "data"),
    [
        ("vtt", "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nAlice: café\n".encode("latin-1")),
        ("srt", "1\n00:00:01,000 --> 00:00:02,000\nAlice: café\n".encode("latin-1")),
        ("text", "Alice: hi\nBob: ok\nChloé: merci\n".encode("latin-1")),
        ("csv", "text,author\nhi,Ana\ncafé,Chloé\n".encode("latin-1")),
    ],
)
def test_latin1_is_refused_with_line_and_hint(fmt, data):
    error = refusal(data, fmt)
    line = 5 if fmt in ("vtt",) else 3
    assert error.line == line
    assert error.reason == (
        "This line is not UTF-8 text (byte 0xe9); save it as UTF-8 (in Excel: “Save as”, "
        "“CSV UTF-8 (Comma delimited)”) and import it again."
    )
    assert str(error).startswith(f"Line {line}: This line is not UTF-8 text (byte 0xe9)")


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_nul_byte_is_refused_as_binary(fmt):
    head = {
        "vtt": b"WEBVTT\n\n",
        "srt": b"1\n00:00:01,000 --> 00:00:02,000\n",
        "text": b"Alice: hi\n\n",
        "csv": b"text,author\n\n",
    }[fmt]
    error = refusal(head + b"ab\x00\x01\x02cd\n", fmt)
    assert error.line == head.count(b"\n") + 1
    assert error.reason.startswith("This line holds binary data, not text")


def test_undecodable_junk_with_control_bytes_is_binary():
    error = refusal(b"Alice: hi\n\x1f\x8b\x08\x08\xe9\xff\x03junk\n", "text")
    assert error.line == 2
    assert "binary data" in error.reason


def test_utf16_is_refused_with_hint():
    error = refusal("WEBVTT\n".encode("utf-16"), "vtt")
    assert (error.line, error.reason) == (
        1,
        "The file is UTF-16 text; save it as UTF-8 (in Excel: “Save as”, “CSV UTF-8 (Comma "
        "delimited)”) and import it again.",
    )


def test_file_over_max_bytes_is_refused(monkeypatch):
    monkeypatch.setattr(parsers.lines, "MAX_BYTES", 100)
    error = refusal(b"Alice: hello there\n" * 10, "text")
    assert error.line is None
    assert "larger than" in error.reason


def test_overlong_line_is_refused():
    error = refusal(b"Alice: hi\n" + b"a" * (1024 * 1024 + 10) + b"\n", "text")
    assert error.line == 2
    assert "longer than 1 MB" in error.reason


# --- WebVTT --------------------------------------------------------------------------------------


def test_zoom_vtt():
    assert cues(sample("zoom.vtt"), "vtt") == [
        Cue(3, "Alice Example", "Thanks everyone for joining", 0),
        Cue(7, "Alice Example", "today's co-design session.", 3120),
        Cue(11, "Globex, Gina", "The export step is where we lose most of our time.", 7000),
        Cue(16, "José Müller 🚀", "Same for us & our partners.", 11250),
        Cue(20, "Alice Example", "Can you say more?", 13500),
    ]


def test_teams_vtt_with_bom_crlf_voices_tags_and_entities():
    data = sample("teams.vtt")
    assert data.startswith(b"\xef\xbb\xbfWEBVTT\r\n")  # the sample keeps its BOM and CRLF ends
    assert cues(data, "vtt") == [
        Cue(8, "Alice Example", "We mapped the onboarding journey.", 1500),
        Cue(12, "Gina Globex (Guest)", "Approval takes two weeks, <sometimes> more.", 4000),
        Cue(17, "Bob Stone", "That is the make or break.", 3723000),
    ]


def test_vtt_blocks_ids_settings_and_short_times():
    data = (
        b"WEBVTT - a title\n"  # 1
        b"\n"
        b"STYLE\n"  # 3
        b"::cue { color: lime }\n"
        b"\n"
        b"REGION\n"  # 6
        b"id:fred width:40%\n"
        b"\n"
        b"NOTE a one-line comment\n"  # 9
        b"\n"
        b"01:02.500 --> 01:04.000 region:fred align:left\n"  # 11
        b"Bob: short form, no hours\n"
        b"\n"
        b"intro-1\n"  # 14
        b"100:00:00.000 --> 100:00:01.000\n"
        b"<b>Bold</b> &amp; <u>under</u>\n"
        b"\n\n\n"
    )
    assert cues(data, "vtt") == [
        Cue(11, "Bob", "short form, no hours", 62500),
        Cue(14, "", "Bold & under", 360000000),
    ]


def test_vtt_cue_without_label_has_no_speaker_and_ordinary_colons_stay_text():
    data = b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nI think: we should ship.\n"
    assert cues(data, "vtt") == [Cue(3, "", "I think: we should ship.", 1000)]


def test_vtt_empty_cue_in_the_middle_is_skipped():
    data = b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n\n00:00:03.000 --> 00:00:04.000\nA: hi\n"
    assert cues(data, "vtt") == [Cue(5, "A", "hi", 3000)]


def test_vtt_without_blank_line_after_signature_is_tolerated():
    data = b"WEBVTT\n00:00:01.000 --> 00:00:02.000\nA: hi\n"
    assert cues(data, "vtt") == [Cue(2, "A", "hi", 1000)]


@pytest.mark.parametrize(
    ("data", "line", "reason"),
    [
        (
            b"WEBVTT\n\n1\n00:00:01 -> 00:00:04\nA: hi\n",
            4,
            'This cue timing line is malformed ("00:00:01 -> 00:00:04"); expected the form '
            '"00:00:01.000 --> 00:00:04.000" (hours optional).',
        ),
        (
            b"WEBVTT\n\n00:00:01;000 --> 00:00:04;000\nA: hi\n",
            3,
            'This cue timing line is malformed ("00:00:01;000 --> 00:00:04;000"); expected the '
            'form "00:00:01.000 --> 00:00:04.000" (hours optional).',
        ),
        (
            b"WEBVTT\n\n1\n00:00:05.000 --> 00:00:04.000\nA: hi\n",
            4,
            "The cue ends (00:00:04.000) before it starts (00:00:05.000); expected the form "
            '"00:00:01.000 --> 00:00:04.000" (hours optional) with the end after the start.',
        ),
        (
            b"WEBVTT\n\n1\n00:00:01.000 --> 00:60:04.000\nA: hi\n",
            4,
            '"00:60:04.000" is not a valid time: minutes and seconds must be below 60; '
            'expected the form "00:00:01.000 --> 00:00:04.000" (hours optional).',
        ),
        (
            b"WEBVTT\n\n00:00:01.000 --> 00:00:04.000x\nA: hi\n",
            3,
            'This cue timing line is malformed ("00:00:01.000 --> 00:00:04.000x"); expected the '
            'form "00:00:01.000 --> 00:00:04.000" (hours optional).',
        ),
    ],
)
def test_vtt_malformed_timing_is_refused_with_expected_form(data, line, reason):
    error = refusal(data, "vtt")
    assert (error.line, error.reason) == (line, reason)


def test_vtt_truncated_after_timing_line():
    data = sample("zoom.vtt") + b"\n6\n00:00:15.000 --> 00:00:17.000\n"
    error = refusal(data, "vtt")
    assert error.line == 24
    assert error.reason == (
        "The cue starting on this line has a timing line but no text; the file may be cut short."
    )


def test_vtt_truncated_mid_timing_line():
    error = refusal(b"WEBVTT\n\n1\n00:00:01.000 --> 00:0", "vtt")
    assert error.line == 4
    assert "malformed" in error.reason


def test_vtt_truncated_after_cue_id():
    error = refusal(b"WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nA: hi\n\n2\n", "vtt")
    assert (error.line, error.reason) == (
        7,
        "The cue id on this line has no timing line or text; the file may be cut short.",
    )


def test_vtt_missing_signature():
    error = refusal(b"1\n00:00:01.000 --> 00:00:02.000\nA: hi\n", "vtt")
    assert error.line == 1
    assert error.reason.startswith('A WebVTT file must start with "WEBVTT" on its first line')


def test_vtt_blank_first_line_then_content_is_missing_signature():
    error = refusal(b"\nWEBVTT\n", "vtt")
    assert error.line == 1
    assert "WEBVTT" in error.reason


def test_vtt_text_where_timing_belongs():
    error = refusal(b"WEBVTT\n\nhello\nworld\n", "vtt")
    assert (error.line, error.reason) == (
        4,
        'Expected a cue timing line like "00:00:01.000 --> 00:00:04.000" (hours optional) '
        "after the cue id on line 3.",
    )


def test_vtt_cue_id_then_blank_line():
    error = refusal(b"WEBVTT\n\nstray words\n\n", "vtt")
    assert error.line == 3
    assert "not followed by a timing line" in error.reason


def test_vtt_timing_inside_cue_text():
    error = refusal(
        b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nA: hi\n00:00:02.000 --> 00:00:03.000\n", "vtt"
    )
    assert (error.line, error.reason) == (
        5,
        "A cue timing line must follow a blank line; add one before this line.",
    )


def test_vtt_large_file_is_read_completely():
    # (How fast: bench/imports.py, import-vtt-1mb; tests assert behaviour, not time.)
    blocks = [b"WEBVTT\n"]
    for i in range(3500):
        seconds = i * 3
        stamp = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
        who = "Alice Example" if i % 3 else "Globex, Gina"
        blocks.append(
            f"\n{i + 1}\n{stamp}.000 --> {stamp}.900\n{who}: sentence number {i} "
            f"{'with some more words ' * 11}\n".encode()
        )
    data = b"".join(blocks)
    assert 900_000 < len(data) < 1_200_000
    result = cues(data, "vtt")
    assert len(result) == 3500
    assert result[-1].line == 3 + 4 * 3499
    assert result[-1].start_ms == 3499 * 3000
    assert result[-1].speaker == "Alice Example"


# --- SRT -----------------------------------------------------------------------------------------


def test_srt_sample():
    data = sample("sample.srt")
    assert b"\r\n" in data
    assert cues(data, "srt") == [
        Cue(1, "Alice Example", "Welcome back.", 1000),
        Cue(5, "Bob Stone", "The dashboard is slow every Monday.", 4500),
        Cue(10, "", "No speaker on this one.", 60000),
    ]


@pytest.mark.parametrize(
    ("data", "line", "reason"),
    [
        (
            b"1\n00:00:01 --> 00:00:04\nA: hi\n",
            2,
            'This cue timing line is malformed ("00:00:01 --> 00:00:04"); expected the form '
            '"00:00:01,000 --> 00:00:04,000".',
        ),
        (
            b"1\n00:00:09,000 --> 00:00:04,000\nA: hi\n",
            2,
            "The cue ends (00:00:04,000) before it starts (00:00:09,000); expected the form "
            '"00:00:01,000 --> 00:00:04,000" with the end after the start.',
        ),
        (
            b"1\nhello\n",
            2,
            'Expected a timing line like "00:00:01,000 --> 00:00:04,000" after the subtitle '
            "number on line 1.",
        ),
        (
            b"hello\n",
            1,
            'Expected a subtitle number (like "1") followed by a timing line like '
            '"00:00:01,000 --> 00:00:04,000".',
        ),
        (
            b"1\n00:00:01,000 --> 00:00:02,000\nA: hi\n\n2\n00:00:03,000 --> 00:00:04,000\n",
            5,
            "The cue starting on this line has a timing line but no text; "
            "the file may be cut short.",
        ),
        (
            b"1\n00:00:01,000 --> 00:00:02,000\nA: hi\n\n2\n",
            5,
            "The subtitle number on this line has no timing line or text; "
            "the file may be cut short.",
        ),
    ],
)
def test_srt_refusals(data, line, reason):
    error = refusal(data, "srt")
    assert (error.line, error.reason) == (line, reason)


def test_srt_accepts_period_millis_and_missing_number():
    data = b"00:00:01.250 --> 00:00:02.000\nA: hi\n"
    assert cues(data, "srt") == [Cue(1, "A", "hi", 1250)]


# --- Plain text ----------------------------------------------------------------------------------


def test_notes_txt():
    assert cues(sample("notes.txt"), "text") == [
        Cue(
            1,
            "Alice Example",
            "Let's start with the export. It takes too long: about ten minutes.",
            62000,
        ),
        Cue(3, "Globex, Gina", "Agreed.", None),
        Cue(5, "Bob Stone", "My wish is a one-click export. I think: maybe an API too.", 310000),
        Cue(8, "", "Note: follow up on pricing.", None),
        Cue(9, "Chloé Dubois 🌻", "Merci !", None),
    ]


def test_text_crlf_and_timestamp_forms():
    data = (
        b"(01:02) Ana: one\r\n\r\n00:00:03.5 - Bo: two\r\n[1:00:00] Cy: three\r\n10:30 stand-up\r\n"
    )
    assert cues(data, "text") == [
        Cue(1, "Ana", "one", 62000),
        Cue(3, "Bo", "two", 3500),
        Cue(4, "Cy", "three 10:30 stand-up", 3600000),
    ]


def test_text_unlabelled_lines_before_any_speaker():
    assert cues(b"Just some notes.\nMore notes.\n", "text") == [
        Cue(1, "", "Just some notes. More notes.", None)
    ]


@pytest.mark.parametrize(
    ("line", "speaker"),
    [
        ("Alice Example: hi", "Alice Example"),
        ("Globex, Gina: hi", "Globex, Gina"),
        ("José Müller 🚀: hi", "José Müller 🚀"),
        ("Maria de la Cruz: hi", "Maria de la Cruz"),
        ("Dr. Jane Smith: hi", "Dr. Jane Smith"),
        ("jdoe: hi", "jdoe"),
        ("Speaker 1: hi", "Speaker 1"),
        ("Alice (Guest): hi", "Alice (Guest)"),  # kept as written; the label goes later
        ("Gina Globex (Host, me): hi", "Gina Globex (Host, me)"),
        ("Globex, Gina (External): hi", "Globex, Gina (External)"),
        ("Bob Builder [Organizer]: hi", "Bob Builder [Organizer]"),
        ("Well, the thing (Guest): this", None),  # a sentence with a label is still one
        ("Q: what now?", "Q"),
        ("I think: we should", None),
        ("So basically what I mean is: this", None),
        ("The problem: export", None),
        ("Note: remember", None),
        ("Why? Because: reasons", None),
        ("Well, the thing is: this", None),
        ("One, two, three: go", None),
        ("See https://example.com now", None),
        ("At 10:30: meet", None),
        ("12 people: too many", None),
        ("Yesterday we met. Then Alice: hi", None),
        ("A very long label that has far too many words: text", None),
        ("x" * 61 + ": text", None),
    ],
)
def test_speaker_label_detection(line, speaker):
    result = cues(line.encode(), "text")
    assert len(result) == 1
    if speaker is None:
        assert (result[0].speaker, result[0].text) == ("", line)
    else:
        assert result[0].speaker == speaker


def test_text_is_literal_no_tags_or_entities():
    data = b"Ana: if a < b and c > d then &amp; stays\n"
    assert cues(data, "text") == [Cue(1, "Ana", "if a < b and c > d then &amp; stays", None)]


def test_iter_cues_rejects_unknown_format():
    with pytest.raises(ValueError, match="csv"):
        iter_cues(io.BytesIO(b"x"), "csv")


# --- utterances ----------------------------------------------------------------------------------


def test_utterances_join_consecutive_cues_of_one_speaker():
    joined = list(utterances(cues(sample("zoom.vtt"), "vtt")))
    assert joined == [
        Cue(3, "Alice Example", "Thanks everyone for joining today's co-design session.", 0),
        Cue(11, "Globex, Gina", "The export step is where we lose most of our time.", 7000),
        Cue(16, "José Müller 🚀", "Same for us & our partners.", 11250),
        Cue(20, "Alice Example", "Can you say more?", 13500),
    ]


def test_utterances_start_anew_past_max_chars():
    parts = [Cue(i, "A", "x" * 9, i * 1000) for i in range(1, 6)]  # 9 chars each
    assert list(utterances(parts, max_chars=20)) == [
        Cue(1, "A", "xxxxxxxxx xxxxxxxxx", 1000),
        Cue(3, "A", "xxxxxxxxx xxxxxxxxx", 3000),
        Cue(5, "A", "xxxxxxxxx", 5000),
    ]


def test_utterances_keep_a_long_cue_whole_and_skip_empty_ones():
    parts = [Cue(1, "A", "y" * 30, None), Cue(2, "A", "", None), Cue(3, "B", "b", None)]
    assert list(utterances(parts, max_chars=10)) == [
        Cue(1, "A", "y" * 30, None),
        Cue(3, "B", "b", None),
    ]
    assert list(utterances([])) == []


# --- CSV -----------------------------------------------------------------------------------------


def test_miro_like_csv():
    stream = io.BytesIO(sample("miro.csv"))
    layout = sniff_csv(stream)
    assert layout == CsvLayout(
        ",",
        ("Content", "Tags", "Author", "Frame", "Type"),
        {"text": 0, "author": 2, "kind": 4, "step": 3, "tags": 1},
    )
    assert stream.tell() == 0
    assert list(iter_csv(stream, layout)) == [
        StickyRow(
            2,
            "Export takes ten minutes",
            "Gina Globex",
            "Pain point",
            "Discover",
            ("pain", "export"),
        ),
        StickyRow(3, "One-click export, please", "Bob Stone", "Wish", "Ideate", ("idea",)),
        StickyRow(
            5, 'Dashboard is "slow" on Mondays', "Alice Example", "Issue", "Discover", ("perf",)
        ),
    ]


def test_mural_like_semicolon_csv():
    stream = io.BytesIO(sample("mural.csv"))
    layout = sniff_csv(stream)
    assert layout.delimiter == ";"
    assert layout.headers[2] == "Sticky text"
    assert layout.mapping == {"text": 2, "author": 5, "kind": 1, "step": 3, "tags": 4}
    assert list(iter_csv(stream, layout)) == [
        StickyRow(
            2,
            "Approval takes two weeks",
            "Gina Globex",
            "sticky note",
            "Onboarding",
            ("approval", "delay"),
        ),
        StickyRow(
            3,
            "Nobody reads the welcome email, really",
            "Bob Stone",
            "sticky note",
            "Onboarding",
            (),
        ),
    ]


def test_figjam_like_tab_csv_in_another_order():
    stream = io.BytesIO(sample("figjam.tsv"))
    layout = sniff_csv(stream)
    assert layout.delimiter == "\t"
    assert layout.mapping == {"text": 2, "author": 1, "kind": 3, "step": 0, "tags": 4}
    assert list(iter_csv(stream, layout)) == [
        StickyRow(
            2,
            "Which report do you open first?",
            "Alice Example",
            "Questions",
            "Use",
            ("reports", "habits"),
        ),
        StickyRow(3, "Monthly active accounts", "Bob Stone", "KPIs", "Use", ()),
    ]


def test_bom_crlf_quoted_newlines_last_first_emoji_accents():
    data = sample("bom_crlf.csv")
    assert data.startswith(b"\xef\xbb\xbfSticky note,")
    assert b"\r\n" in data
    stream = io.BytesIO(data)
    layout = sniff_csv(stream)
    assert layout.headers == ("Sticky note", "Created by", "Card type", "Stage", "Tags")
    assert layout.mapping == {"text": 0, "author": 1, "kind": 2, "step": 3, "tags": 4}
    result = list(iter_csv(stream, layout))
    assert result == [
        StickyRow(
            2,
            "Les délais d'approbation 😩\nsont trop longs",
            "Globex, Gina",
            "Moments of truth",
            "Décision",
            ("délai", "approval"),
        ),
        StickyRow(4, 'Second "quoted" note', "José Müller 🚀", "KPI", "Décision", ()),
    ]
    assert [kind_from(row.kind) for row in result] == ["moment_of_truth", "customer_metric"]


def test_sniff_headers_are_case_accent_and_order_insensitive():
    data = "ÉTIQUETTES,WHO,Idea Text,card_type,Stage\nx,y,z,w,v\n".encode()
    layout = sniff_csv(io.BytesIO(data))
    assert layout.mapping == {"text": 2, "author": 1, "kind": 3, "step": 4, "tags": None}


@pytest.mark.parametrize(
    ("header", "field"),
    [
        *[
            (h, "text")
            for h in [
                "text",
                "Content",
                "NOTE",
                "sticky",
                "Sticky Note",
                "sticky text",
                "body",
                "Idea text",
                "Notes",
            ]
        ],
        *[
            (h, "author")
            for h in ["author", "Name", "speaker", "Created By", "creator", "participant", "who"]
        ],
        *[(h, "kind") for h in ["type", "Category", "kind", "Card type"]],
        *[(h, "step") for h in ["step", "column", "frame", "group", "section", "stage", "area"]],
        *[(h, "tags") for h in ["tags", "tag", "labels", "label"]],
    ],
)
def test_header_aliases(header, field):
    layout = sniff_csv(io.BytesIO(f"{header},unrelated column\n".encode()))
    assert layout.mapping[field] == 0


def test_sniff_single_text_column():
    stream = io.BytesIO(b"Sticky note\nfirst idea\nsecond, with a comma\n")
    layout = sniff_csv(stream)
    assert layout == CsvLayout(
        ",", ("Sticky note",), {"text": 0, "author": None, "kind": None, "step": None, "tags": None}
    )
    assert [row.text for row in iter_csv(stream, layout)] == ["first idea", "second, with a comma"]


def test_sniff_refuses_single_column_that_is_not_text():
    error = refusal(b"Author\nAna\n", "csv")
    assert error.line == 1
    assert error.reason.startswith(
        'The file has a single column headed "Author", which does not name'
    )


def test_sniff_refuses_a_file_without_header():
    error = refusal(b"The export is slow.,Ana,Issue\nAnother note.,Bob,Idea\n", "csv")
    assert error.line == 1
    assert error.reason.startswith("The first line does not look like a header row")


def test_sniff_refuses_blank_first_line():
    error = refusal(b"\ntext,author\nhi,Ana\n", "csv")
    assert error.line == 1
    assert "blank" in error.reason


def test_sniff_unknown_headers_leave_mapping_to_the_user():
    layout = sniff_csv(io.BytesIO(b"Foo,Bar\n1,2\n"))
    assert layout.mapping == dict.fromkeys(CSV_FIELDS)
    with pytest.raises(ParseError) as info:
        list(iter_csv(io.BytesIO(b"Foo,Bar\n1,2\n"), layout))
    assert (info.value.line, info.value.reason) == (
        None,
        "Choose the column that holds the sticky-note text.",
    )


def test_sniff_prefers_consistent_delimiter():
    data = b"text;author\nhello, world;Ana\nmore, words, here;Bob\n"
    assert sniff_csv(io.BytesIO(data)).delimiter == ";"


def test_sniff_reads_only_the_head_of_a_big_file():
    data = b"text,author\n" + b"a note,Ana\n" * 20_000
    stream = io.BytesIO(data)
    stream.seek(0)
    layout = sniff_csv(stream)
    assert layout.headers == ("text", "author")
    assert stream.tell() == 0


@pytest.mark.parametrize(
    ("mapping", "reason"),
    [
        ({"text": None}, "Choose the column that holds the sticky-note text."),
        ({"text": 2}, 'The column chosen for "text" (3) is not in the file, which has 2 columns.'),
        (
            {"text": 0, "tags": -1},
            'The column chosen for "tags" (0) is not in the file, which has 2 columns.',
        ),
        ({"text": 0, "colour": 1}, "Unknown fields in the column mapping: colour."),
    ],
)
def test_iter_csv_validates_the_mapping(mapping, reason):
    layout = CsvLayout(",", ("a", "b"), mapping)
    with pytest.raises(ParseError) as info:
        iter_csv(io.BytesIO(b"a,b\nx,y\n"), layout)
    assert (info.value.line, info.value.reason) == (None, reason)


def test_iter_csv_partial_mapping_and_short_rows():
    layout = CsvLayout(",", ("note", "who", "extra"), {"text": 0, "author": None})
    assert list(iter_csv(io.BytesIO(b"note,who,extra\n  padded  \n"), layout)) == [
        StickyRow(2, "padded", "", "", "", ())
    ]


def test_iter_csv_header_width_must_match_layout():
    layout = CsvLayout(",", ("text", "author"), {"text": 0})
    with pytest.raises(ParseError) as info:
        list(iter_csv(io.BytesIO(b"text,author,type\nx,y,z\n"), layout))
    assert info.value.line == 1
    assert "3 columns" in info.value.reason


def test_csv_too_many_cells():
    data = b'text,author\r\n"multi\r\nline",Ana\r\nok,Bob\r\ntoo,many,cells\r\n'
    error = refusal(data, "csv")
    assert (error.line, error.reason) == (
        5,
        'This row has 3 cells but the header has 2; put cells that contain "," in double quotes.',
    )


def test_csv_blank_extra_cells_are_tolerated():
    assert rows(b"text,author\nhello,Ana,,\n") == [StickyRow(2, "hello", "Ana", "", "", ())]


def test_csv_unterminated_quote():
    data = b'text,author\nfine,Ana\n"never closed,Bob\nand more\nlines\n'
    error = refusal(data, "csv")
    assert (error.line, error.reason) == (
        3,
        "A quoted field opened on line 3 is never closed; the file may be cut short.",
    )


def test_csv_unterminated_quote_in_a_big_file_hits_the_field_limit():
    data = b'text,author\n"never closed,Bob\n' + b"a line of text\n" * 20_000
    error = refusal(data, "csv")
    assert error.line == 2
    assert "probably never closed" in error.reason


def test_csv_text_after_closing_quote():
    error = refusal(b'text,author\nok,Ana\n"quoted"tail,Bob\n', "csv")
    assert error.line == 3
    assert error.reason.startswith('A quoted cell must end at a ","')


def test_csv_tags_split_lowercased_deduplicated():
    data = b'text,tags\nx,"#UX, ux ; Pain|#pain point| ,#Onboarding #Export"\n'
    assert rows(data)[0].tags == ("ux", "pain", "pain point", "onboarding", "export")


def test_csv_large_file_streams_fast_with_flat_memory(tmp_path):
    def write(count: int) -> Path:
        path = tmp_path / f"{count}.csv"
        with path.open("wb") as out:
            out.write(b"text,author,type,step,tags\n")
            line = b'"A sticky note, with a comma",Ana Example,Pain point,Discover,"ux, export"\n'
            for _ in range(count):
                out.write(line)
        return path

    def measure(path: Path) -> tuple[int, int]:
        with path.open("rb") as stream:
            layout = sniff_csv(stream)
            tracemalloc.start()
            try:
                count = sum(1 for _ in iter_csv(stream, layout))
                peak = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
        return count, peak

    small, big = write(10_000), write(100_000)
    assert measure(small)[0] == 10_000
    count, peak_big = measure(big)
    peak_small = measure(small)[1]
    assert count == 100_000
    assert peak_big <= 2 * peak_small  # (how fast: bench/imports.py, import-stickies-100k)


# --- kind_from -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ("Outcome", "outcome"),
        ("outcomes", "outcome"),
        ("CONTEXT", "context"),
        ("Step", "step"),
        ("steps", "step"),
        ("moment_of_truth", "moment_of_truth"),
        ("Moment of truth", "moment_of_truth"),
        ("Moments of Truth", "moment_of_truth"),
        ("MoT", "moment_of_truth"),
        ("make-or-break", "moment_of_truth"),
        ("Issue", "issue"),
        ("issues", "issue"),
        ("Pain", "issue"),
        ("Pain points", "issue"),
        ("problem", "issue"),
        ("Roadblocks", "issue"),
        ("dissatisfier", "issue"),
        ("💡 Idea", "idea"),
        ("Wishes", "idea"),
        ("suggestion", "idea"),
        ("customer_metric", "customer_metric"),
        ("Metric", "customer_metric"),
        ("KPIs", "customer_metric"),
        ("measure", "customer_metric"),
        ("Quote", "quote"),
        ("Questions", "question"),
        ("  Quéstion ", "question"),
        ("sticky note", None),
        ("", None),
        ("yellow", None),
    ],
)
def test_kind_from(raw, kind):
    assert kind_from(raw) == kind


# --- lone CR line ends, absurd hours ------------------------------------------------------------


def test_cr_only_line_ends_are_read_line_by_line_in_every_format():
    # Old Mac exports end lines with a lone CR; before, the whole file was one line. Read
    # with lone CRs, every file gives exactly what it gives with LFs.
    files = {
        "vtt": b"WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nAna: one\n\n"
        b"00:00:03.000 --> 00:00:04.000\nBo: two\n",
        "srt": b"1\n00:00:01,000 --> 00:00:02,000\nAna: one\n\n"
        b"2\n00:00:03,000 --> 00:00:04,000\nBo: two\n",
        "text": b"Ana: one\nBo: two\n\nCy: three",
        "csv": b'text,author\n"two\nlines",Ana\nplain,Bo\n',
    }
    for fmt, lf in files.items():
        cr = lf.replace(b"\n", b"\r")
        assert read_all(cr, fmt) == read_all(lf, fmt), fmt
        assert len(read_all(cr, fmt)) == (3 if fmt == "text" else 2), fmt
        assert detect_format("upload", cr) == detect_format("upload", lf) == fmt
    assert [(c.line, c.text) for c in cues(files["text"].replace(b"\n", b"\r"), "text")] == [
        (1, "one"),
        (2, "two"),
        (4, "three"),
    ]
    found = rows(files["csv"].replace(b"\n", b"\r"))
    assert [(r.line, r.author, r.text) for r in found] == [
        (2, "Ana", "two\nlines"),
        (4, "Bo", "plain"),
    ]


def test_line_ends_are_found_across_read_blocks_and_mixed():
    # A CR at the end of one block and its LF at the start of the next are one line end.
    filler = b"Ana: " + b"x" * (256 * 1024 - 6) + b"\r"
    data = filler + b"\nBo: two\rCy: three\n"
    assert [(c.line, c.speaker) for c in cues(data, "text")] == [(1, "Ana"), (2, "Bo"), (3, "Cy")]


def test_a_long_cr_only_file_is_not_one_overlong_line():
    data = b"WEBVTT\r\r" + b"".join(
        b"00:00:%02d.000 --> 00:00:%02d.500\rSpeaker %d: words words words\r\r"
        % (n % 60, n % 60, n)
        for n in range(40_000)
    )
    assert len(data) > 2 * 1024 * 1024
    assert len(cues(data, "vtt")) == 40_000


@pytest.mark.parametrize(
    ("hours", "fmt"),
    [
        ("9" * 25, "vtt"),
        ("9" * 5000, "vtt"),
        ("501", "vtt"),
        ("9" * 25, "srt"),
        ("9" * 5000, "srt"),
    ],
)
def test_absurd_cue_hours_are_refused_with_the_line(hours, fmt):
    sep = "." if fmt == "vtt" else ","
    head = "WEBVTT\n\n" if fmt == "vtt" else "1\n"
    data = f"{head}{hours}:00:01{sep}000 --> {hours}:00:02{sep}000\nAna: one\n".encode()
    error = refusal(data, fmt)
    assert error.line == (3 if fmt == "vtt" else 2)
    assert error.reason.startswith(f'"{hours[:20]}')
    assert "is not a valid time: at most 500 hours; expected the form" in error.reason


def test_500_hours_is_still_a_time():
    data = b"WEBVTT\n\n500:00:01.000 --> 500:00:02.000\nAna: one\n"
    assert cues(data, "vtt") == [Cue(3, "Ana", "one", 500 * 3600 * 1000 + 1000)]


def test_a_vtt_written_with_srt_commas_reads_the_same() -> None:
    # Some converters from SRT keep its comma before the milliseconds in a .vtt file.
    data = (
        b"WEBVTT\n\n1\n00:00:01,500 --> 00:00:04,000\nGina: Approval takes weeks.\n\n"
        b"2\n01:02:03,004 --> 01:02:05.000\nHank: Same here.\n"
    )
    cues = list(iter_cues(io.BytesIO(data), "vtt"))
    assert [(c.speaker, c.text, c.start_ms) for c in cues] == [
        ("Gina", "Approval takes weeks.", 1500),
        ("Hank", "Same here.", 3_723_004),
    ]
