"""Transcripts exactly as meeting tools save them (samples/): Otter.ai's and Zoom's text
exports (a heading line of a name and a time, the words under it), Google Meet's text (a time
alone on its line every few minutes), a Teams cue holding two voices and a subtitle holding
two speakers after dashes. Each speaker keeps their own words and time."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from traction.core import csv_reader
from traction.insights.imports.parsers import Cue, ParseError, detect_format, iter_cues, utterances

SAMPLES = Path(__file__).parent / "samples"


def read(name: str) -> list[tuple[int, str, str, int | None]]:
    data = (SAMPLES / name).read_bytes()
    fmt = detect_format(name, data[:65536])
    return [
        (c.line, c.speaker, c.text, c.start_ms)
        for c in utterances(iter_cues(io.BytesIO(data), fmt))
    ]


def test_otter_headings_give_the_speaker_and_time_of_the_lines_under_them() -> None:
    assert read("otter.txt") == [
        (1, "Gina Globex", "Approval takes three weeks. Sometimes four.", 3_000),
        (5, "Ivy Initech", "Every single time, honestly.", 10_000),
        (8, "Speaker 3", "Right.", 3_723_000),
    ]


def test_zoom_saved_transcript_headings_in_brackets() -> None:
    assert read("zoom_saved.txt") == [
        (1, "Gina Globex", "Approval takes three weeks.", (14 * 3600 + 3 * 60 + 12) * 1000),
        (4, "Ivy Initech", "Every time.", (14 * 3600 + 3 * 60 + 20) * 1000),
    ]


def test_google_meet_times_alone_on_a_line_are_times_not_words() -> None:
    assert read("meet.txt") == [
        (1, "", "Onboarding kickoff (2027-03-01 10:00 GMT+1) - Transcript", None),
        (4, "Gina Globex", "Approval takes three weeks.", 0),
        (5, "Ivy Initech", "Every single time.", None),
        (8, "Gina Globex", "Right, José agrees.", 300_000),
    ]


def test_a_teams_cue_with_two_voices_credits_each_with_their_words() -> None:
    assert read("teams_two_voices.vtt") == [
        (3, "Gina Globex", "Hi, shall we start?", 1_000),
        (3, "Ivy Initech", "Yes, please.", 1_000),
    ]


def test_subtitle_dialogue_dashes_split_speakers_but_a_dash_in_a_sentence_does_not() -> None:
    assert read("two_speakers.srt") == [
        (1, "Gina Globex", "Shall we start?", 1_000),
        (1, "Ivy Initech", "Yes.", 1_000),
        (6, "Gina Globex", "Approval takes - well - three weeks.", 5_000),
    ]


def test_a_line_with_a_time_that_is_not_a_heading_stays_text() -> None:
    data = b"Standup 10:30\nWe meet at  10:30 tomorrow.\nGina Globex: 10:30 works\n"
    assert list(iter_cues(io.BytesIO(data), "text")) == [
        Cue(1, "", "Standup 10:30 We meet at 10:30 tomorrow.", None),
        Cue(3, "Gina Globex", "10:30 works", None),
    ]


def read_as_excel_or_word_saves(name: str) -> list[tuple[int, str, str, int | None]]:
    """Word's "Plain Text" on a Western European Windows: Windows-1252, CRLF."""
    data = (SAMPLES / name).read_bytes()
    encoding = csv_reader.encoding_of(io.BytesIO(data))
    assert encoding == "cp1252"
    text = csv_reader.as_utf8(io.BytesIO(data), encoding)
    return [
        (c.line, c.speaker, c.text, c.start_ms)
        for c in utterances(iter_cues(text, detect_format(name, data[:65536])))  # type: ignore[arg-type]
    ]


def test_a_teams_word_transcript_saved_as_text_older_form() -> None:
    assert read_as_excel_or_word_saves("teams_word_old.txt") == [
        (2, "Gina Globex", "Approval takes three weeks.", 0),
        (6, "José Müller", "Every time – really.", 3_460),
    ]


def test_a_teams_word_transcript_saved_as_text_newer_form() -> None:
    assert read_as_excel_or_word_saves("teams_word_new.txt") == [
        (
            1,
            "",
            "Onboarding co-design-20270301_100312-Meeting Recording March 1, 2027, 9:03AM 1h 2m 3s",
            None,
        ),
        (5, "Gina Globex", "Approval takes three weeks.", 3_000),
        (8, "José Müller", "Every time – really.", 3_723_000),
    ]


def test_a_picture_renamed_vtt_is_refused_as_binary_not_as_a_bad_encoding() -> None:
    """Before: "Line 1: This line is not UTF-8 text (byte 0x89); save it as UTF-8 (in Excel…".
    Its first NUL byte is on line 3 (after the CR and the LF in PNG's signature)."""
    head = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x02\x00"
    with pytest.raises(ParseError) as refused:
        detect_format("call.vtt", head)
    assert str(refused.value) == (
        "Line 3: This line holds binary data, not text; import a .vtt, .srt, .txt or .csv file."
    )


def test_a_title_alone_among_labelled_lines_stays_text_not_a_speaker() -> None:
    """Otter's export without timestamps heads a paragraph with the name alone; in a file of
    "Name: text" lines, a title alone ("Next Steps") is no speaker's name."""
    data = b"Gina Globex: Approval takes three weeks.\n\nNext Steps\nCora Core: Send the form.\n"
    assert [(c.line, c.speaker, c.text) for c in iter_cues(io.BytesIO(data), "text")] == [
        (1, "Gina Globex", "Approval takes three weeks."),
        (3, "", "Next Steps"),
        (4, "Cora Core", "Send the form."),
    ]
