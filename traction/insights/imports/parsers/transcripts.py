"""Transcripts: WebVTT (Zoom's "Name: text" cues, Teams' <v Name> voice tags), SRT and plain
"Name: text" lines, read as `Cue`s; `utterances` joins one speaker's consecutive cues."""

import functools
import html
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import BinaryIO

from traction.insights.imports.speakers import display_name

from .lines import ParseError, text_lines

_VTT_SIGNATURE = re.compile(r"WEBVTT(?:[ \t].*)?$")
_VTT_EXAMPLE = '"00:00:01.000 --> 00:00:04.000" (hours optional)'
_SRT_EXAMPLE = '"00:00:01,000 --> 00:00:04,000"'


@dataclass(frozen=True)
class Cue:
    line: int  # physical line where the cue (its id or timing line) starts
    speaker: str  # as written in the file, stripped; "" when none
    text: str  # tags removed, whitespace collapsed, cue lines joined by a space
    start_ms: int | None


# --- Transcripts ------------------------------------------------------------------------------


def iter_cues(stream: BinaryIO, fmt: str) -> Iterator[Cue]:
    """The cues of a transcript in format "vtt", "srt" or "text", streamed."""
    if fmt == "vtt":
        return _vtt_cues(text_lines(stream))
    if fmt == "srt":
        return _srt_cues(text_lines(stream))
    if fmt == "text":
        return _text_cues(text_lines(stream))
    raise ValueError(f"iter_cues reads vtt, srt or text, not {fmt!r}")


def utterances(cues: Iterable[Cue], max_chars: int = 800) -> Iterator[Cue]:
    """Join consecutive cues of the same speaker into one (line and start_ms of the first),
    starting a new one when the text would grow past max_chars. A single longer cue is kept
    whole."""
    first: Cue | None = None
    parts: list[str] = []
    length = 0
    for cue in cues:
        if not cue.text:
            continue
        if (
            first is not None
            and cue.speaker == first.speaker
            and length + 1 + len(cue.text) <= max_chars
        ):
            parts.append(cue.text)
            length += 1 + len(cue.text)
            continue
        if first is not None:
            yield replace(first, text=" ".join(parts))
        first, parts, length = cue, [cue.text], len(cue.text)
    if first is not None:
        yield replace(first, text=" ".join(parts))


_TIMING = re.compile(r"\s*([\d:.,]+)[ \t]*-->[ \t]*([\d:.,]+)(.*)$")
_TIMING_LIKE = re.compile(r"\s*\d+:\d")  # a line that means to be a timing line
# WebVTT writes "00:00:01.000"; a file converted from SRT by some tools keeps SRT's comma
# ("00:00:01,000"), which reads the same.
_VTT_TIME = re.compile(r"(?:(\d+):)?(\d{2}):(\d{2})[.,](\d{3})")
_SRT_TIME = re.compile(r"(\d+):(\d{2}):(\d{2})[,.](\d{3})")
_VTT_SKIPPED_BLOCK = re.compile(r"(?:NOTE|STYLE|REGION)(?:[ \t]|$)")
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?[ \t]+([^>]*)>")
_DIALOGUE_DASH = re.compile(r"\s*[-–—][ \t]+(?=\S)")  # "- Gina: Hi", a subtitle's second speaker
_TAG = re.compile(r"<[^<>]*>")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200e\u200f\ufeff"))


# A cue time is stored in milliseconds in a 32-bit column: 596 hours at most; nobody records
# a session of more than 500 hours.
MAX_HOURS = 500


def _too_late(stamp: str, example: str) -> str:
    shown = stamp if len(stamp) <= 20 else stamp[:20] + "…"
    return f'"{shown}" is not a valid time: at most {MAX_HOURS} hours; expected the form {example}.'


def _parse_timing(line: str, lineno: int, fmt: str) -> int:
    """The start of a cue timing line in ms; ParseError naming the line when it is malformed."""
    example = _VTT_EXAMPLE if fmt == "vtt" else _SRT_EXAMPLE
    time_pattern = _VTT_TIME if fmt == "vtt" else _SRT_TIME
    match = _TIMING.match(line)
    if match and (not match.group(3) or match.group(3)[0] in " \t"):
        times = []
        for stamp in match.group(1, 2):
            parts = time_pattern.fullmatch(stamp)
            if parts is None:
                break
            if len(parts.group(1) or "") > len(str(MAX_HOURS)):  # before int(): 5,000 digits
                raise ParseError(_too_late(stamp, example), lineno)
            hours, minutes, seconds, millis = (int(p or 0) for p in parts.groups())
            if hours > MAX_HOURS:
                raise ParseError(_too_late(stamp, example), lineno)
            if minutes >= 60 or seconds >= 60:
                raise ParseError(
                    f'"{stamp}" is not a valid time: minutes and seconds must be below 60; '
                    f"expected the form {example}.",
                    lineno,
                )
            times.append(((hours * 60 + minutes) * 60 + seconds) * 1000 + millis)
        else:
            start, end = times
            if end < start:
                raise ParseError(
                    f"The cue ends ({match.group(2)}) before it starts ({match.group(1)}); "
                    f"expected the form {example} with the end after the start.",
                    lineno,
                )
            return start
    raise ParseError(
        f'This cue timing line is malformed ("{line.strip()[:60]}"); expected the form {example}.',
        lineno,
    )


def _clean(text: str) -> str:
    """Cue text without tags, with entities decoded and whitespace collapsed."""
    if "<" in text:
        text = _TAG.sub("", text)
    if "&" in text:
        text = html.unescape(text)
    if any(c in text for c in "\u200b\u200e\u200f\ufeff"):  # rare: translate only then
        text = text.translate(_INVISIBLE)
    return " ".join(text.split())


def _make_cues(line: int, start_ms: int | None, texts: list[str]) -> Iterator[Cue]:
    """The cue's words, by speaker: a cue may hold several voices (``<v Gina>Hi</v> <v
    Ivy>Hello</v>``) or several lines of dialogue, each a name after a dash (``- Gina: Hi``
    / ``- Ivy: Hello``, as subtitles write two speakers); each becomes its own cue (same
    line and time), so nobody is credited with another's words."""
    if not texts:
        return
    raw = "\n".join(texts)
    voices = list(_VOICE.finditer(raw)) if "<v" in raw else []
    if voices:
        before = raw[: voices[0].start()]
        for at, voice in enumerate(voices):
            end = voices[at + 1].start() if at + 1 < len(voices) else len(raw)
            text = _clean((before if at == 0 else "") + " " + raw[voice.end() : end])
            if text:
                yield Cue(line=line, speaker=_clean(voice.group(1)), text=text, start_ms=start_ms)
        return
    turns: list[list[str]] = []
    for at, text in enumerate(texts):
        dash = _DIALOGUE_DASH.match(text)
        said = text[dash.end() :] if dash else text
        if at == 0 or (dash and split_label(_clean(said))):
            turns.append([said])
        else:  # a line that goes on (even "— and then", without a name after the dash)
            turns[-1].append(text)
    for turn in turns:
        label = split_label(_clean(turn[0]))
        if label:
            speaker, first = label
            text = _clean(" ".join([first, *turn[1:]]))
        else:
            speaker, text = "", _clean("\n".join(turn))
        if text:
            yield Cue(line=line, speaker=speaker, text=text, start_ms=start_ms)


def _cut_short(line: int) -> ParseError:
    return ParseError(
        "The cue starting on this line has a timing line but no text; the file may be cut short.",
        line,
    )


def _vtt_cues(lines: Iterator[str]) -> Iterator[Cue]:
    numbered = enumerate(lines, 1)
    _, first = next(numbered)
    if not _VTT_SIGNATURE.match(first):
        if not first.strip():
            # Nothing but whitespace is "The file is empty.", raised by text_lines at the end.
            any(line.strip() for _, line in numbered)
        raise ParseError(
            'A WebVTT file must start with "WEBVTT" on its first line; '
            "export the transcript again as .vtt.",
            1,
        )
    state = "header"  # header | between | skip | after_id | text
    cue_line = 0
    start_ms = 0
    texts: list[str] = []
    for lineno, line in numbered:
        if state == "text":
            if not line or line.isspace():
                yield from _make_cues(cue_line, start_ms, texts)
                state = "between"
            elif "-->" in line:
                raise ParseError(
                    "A cue timing line must follow a blank line; add one before this line.",
                    lineno,
                )
            else:
                texts.append(line)
        elif not line or line.isspace():
            if state == "after_id":
                raise ParseError(
                    "The cue id on this line is not followed by a timing line like "
                    f"{_VTT_EXAMPLE}.",
                    cue_line,
                )
            state = "between"
        elif state == "header":
            if "-->" in line:  # tolerate a missing blank line after the signature
                start_ms = _parse_timing(line, lineno, "vtt")
                cue_line, texts, state = lineno, [], "text"
        elif state == "between":
            if "-->" in line or _TIMING_LIKE.match(line):
                start_ms = _parse_timing(line, lineno, "vtt")
                cue_line, texts, state = lineno, [], "text"
            elif _VTT_SKIPPED_BLOCK.match(line):
                state = "skip"
            else:
                cue_line, state = lineno, "after_id"
        elif state == "after_id":
            if "-->" not in line and not _TIMING_LIKE.match(line):
                raise ParseError(
                    f"Expected a cue timing line like {_VTT_EXAMPLE} after the cue id "
                    f"on line {cue_line}.",
                    lineno,
                )
            start_ms, texts, state = _parse_timing(line, lineno, "vtt"), [], "text"
    if state == "text":
        if not texts:
            raise _cut_short(cue_line)
        yield from _make_cues(cue_line, start_ms, texts)
    elif state == "after_id":
        raise ParseError(
            "The cue id on this line has no timing line or text; the file may be cut short.",
            cue_line,
        )


def _srt_cues(lines: Iterator[str]) -> Iterator[Cue]:
    state = "between"  # between | after_index | text
    cue_line = 0
    start_ms = 0
    texts: list[str] = []
    for lineno, line in enumerate(lines, 1):
        blank = not line or line.isspace()
        if state == "text":
            if blank:
                yield from _make_cues(cue_line, start_ms, texts)
                state = "between"
            elif "-->" in line:
                raise ParseError(
                    "A timing line must follow a blank line and a subtitle number; "
                    "add them before this line.",
                    lineno,
                )
            else:
                texts.append(line)
        elif blank:
            if state == "after_index":
                raise ParseError(
                    f"The subtitle number on this line is not followed by a timing line like "
                    f"{_SRT_EXAMPLE}.",
                    cue_line,
                )
        elif state == "between":
            if line.strip().isdigit() and line.isascii():  # not "²"
                cue_line, state = lineno, "after_index"
            elif "-->" in line or _TIMING_LIKE.match(line):
                start_ms = _parse_timing(line, lineno, "srt")
                cue_line, texts, state = lineno, [], "text"
            else:
                raise ParseError(
                    f'Expected a subtitle number (like "1") followed by a timing line like '
                    f"{_SRT_EXAMPLE}.",
                    lineno,
                )
        elif "-->" in line or _TIMING_LIKE.match(line):  # after_index
            start_ms, texts, state = _parse_timing(line, lineno, "srt"), [], "text"
        else:
            raise ParseError(
                f"Expected a timing line like {_SRT_EXAMPLE} after the subtitle number "
                f"on line {cue_line}.",
                lineno,
            )
    if state == "text":
        if not texts:
            raise _cut_short(cue_line)
        yield from _make_cues(cue_line, start_ms, texts)
    elif state == "after_index":
        raise ParseError(
            "The subtitle number on this line has no timing line or text; "
            "the file may be cut short.",
            cue_line,
        )


# "[00:01:02]", "(01:02)" or a bare "00:01:02" (a bare "10:30" may be part of the text).
_STAMP = r"(?:(\d{1,2}):)?(\d{1,2}):(\d{2})(?:[.,](\d{1,3}))?"
_BARE_STAMP = r"(\d{1,2}):(\d{2}):(\d{2})(?:[.,](\d{1,3}))?"
_TEXT_TIME = re.compile(rf"\s*(?:\[{_STAMP}\]|\({_STAMP}\)|{_BARE_STAMP}(?=\s))\s*(?:[-–—]\s+)?")


# Teams' older transcripts write times loosely: "0:0:3.460 --> 0:1:7.12".
_LOOSE_TIME = r"\d{1,3}:\d{1,2}:\d{1,2}(?:[.,]\d{1,3})?"
_LOOSE_SPAN = re.compile(rf"({_LOOSE_TIME})[ \t]*-->[ \t]*{_LOOSE_TIME}")


def _loose_ms(stamp: str) -> int | None:
    clock, _, fraction = stamp.replace(",", ".").partition(".")
    hours, minutes, seconds = (int(part) for part in clock.split(":"))
    if minutes >= 60 or seconds >= 60 or hours > MAX_HOURS:
        return None
    return ((hours * 60 + minutes) * 60 + seconds) * 1000 + int(fraction.ljust(3, "0") or 0)


# Otter.ai's name for a voice nobody named: "Speaker 3" (a name alone holds no other digit).
_UNNAMED = re.compile(r"Speaker \d{1,3}")
_STAMP_ALONE = re.compile(rf"\[{_STAMP}\]|\({_STAMP}\)|{_STAMP}")
# A speaker's heading, the words on the lines after it: "Gina Globex  0:03" (Otter.ai: two
# spaces or a tab before the time) or "[Gina Globex] 14:03:12" (Zoom's saved transcript).
_HEADING = re.compile(
    rf"(?:\[([^\[\]]{{1,60}})\][ \t]+|([^\t]{{1,60}}?)(?:[ ]{{2,}}|\t)[ \t]*){_STAMP}"
)


def _text_cues(lines: Iterator[str]) -> Iterator[Cue]:
    """Plain "Name: text" lines, taken literally (no tags or entities). An unlabelled line
        continues the text before it; a blank line ends a cue, and an unlabelled paragraph after it
        has no speaker (rather than risk quoting the wrong person).

        What meeting tools save as text is read too: a heading line of a name and a time
        ("Gina Globex  0:03", Otter.ai; "[Gina Globex] 14:03:12", Zoom) gives the speaker and
        time of the lines under it, and a time alone on its line ("00:05:00", Google Meet) is
        the time of the next line, not words anyone said; so is a time span ("0:0:0.0 -->
        0:0:3.460", Teams' older transcripts), and a name alone right after it is a heading.
        Google Meet's "Attendees" block at the top (the word, the names, then "Transcript") is the
        list of who joined, not words: skipped. Otter.ai's export without timestamps heads each
        paragraph with the name alone on its line: a name alone first in a paragraph, with the
        words on the next line, is a heading too (alone in its paragraph, it stays text; in a file
    of "Name: text" lines, from the first of them on, it is a line of text: a section title)."""
    cue_line = 0
    speaker = ""
    start_ms: int | None = None
    parts: list[str] = []
    pending_ms: int | None = None  # a time alone on its line, for the next cue
    headed = False  # a heading gave the speaker and time; its words are on the next lines
    timed = False  # this line is a time alone (the next may be a name alone: a heading)
    bare = False  # the heading is a name alone (Otter without times): words must follow it
    top = True  # no words read yet: Meet's "Attendees" block may come
    attendees = False  # inside that block
    labelled = False  # a "Name: text" line was read: a name alone is then no Otter heading
    for lineno, line in enumerate(lines, 1):
        text = line.strip()
        if attendees:
            if text.casefold() == "transcript":
                attendees = False
                continue
            if not text or not _STAMP_ALONE.fullmatch(text):
                continue
            attendees = False
        elif top and text.casefold() == "attendees":
            attendees = True
            if bare:  # the title above it ("Weekly sync") is no speaker's name
                parts, speaker, headed, bare = [speaker], "", False, False
            continue
        if bare and not text:
            # A name alone in its paragraph: not a heading after all, but a line of text.
            parts, speaker, headed, bare = [speaker], "", False, False
        elif bare:
            bare = False
        if not text:
            timed = False
            if parts or not headed:
                if parts:
                    cue = Cue(cue_line, speaker, " ".join(" ".join(parts).split()), start_ms)
                    if cue.text:
                        yield cue
                parts, speaker, start_ms, headed = [], "", None, False
            continue
        after_time, timed = timed, False
        # A time alone, a span or a heading ends with its time (most lines end otherwise).
        ends_in_time = text[-1] in "0123456789])"
        alone = _STAMP_ALONE.fullmatch(text) if ends_in_time else None
        span = _LOOSE_SPAN.fullmatch(text) if ends_in_time and "-->" in text else None
        alone_ms = _stamp_ms(alone.groups()) if alone else _loose_ms(span[1]) if span else None
        if alone_ms is not None:
            if parts:
                cue = Cue(cue_line, speaker, " ".join(" ".join(parts).split()), start_ms)
                if cue.text:
                    yield cue
            parts, speaker, start_ms, headed = [], "", None, False
            pending_ms, timed, top = alone_ms, True, False
            continue
        if after_time and ":" not in text and _is_name(text):
            # Teams' older transcript saved from Word as text: a time span, the speaker's
            # name alone on the next line, then the words.
            speaker, cue_line, start_ms, parts = text, lineno, pending_ms, []
            headed, pending_ms, top = True, None, False
            continue
        if (
            not parts
            and not headed
            and not labelled
            and ":" not in text
            and text[-1] not in ".?!,;…"
            and (not any(c.isdigit() for c in text) or _UNNAMED.fullmatch(text))
            and _is_name(text)
        ):
            # Otter.ai without timestamps: the speaker's name alone, the words under it.
            speaker, cue_line, start_ms, parts = text, lineno, pending_ms, []
            headed, bare, pending_ms = True, True, None
            continue
        heading = _HEADING.fullmatch(text) if ends_in_time else None
        if heading:
            name = (heading[1] or heading[2] or "").strip()
            heading_ms = _stamp_ms(heading.groups()[2:])
            if heading_ms is not None and _is_name(name):
                if parts:
                    cue = Cue(cue_line, speaker, " ".join(" ".join(parts).split()), start_ms)
                    if cue.text:
                        yield cue
                speaker, cue_line, start_ms, parts = name, lineno, heading_ms, []
                headed, pending_ms, top = True, None, False
                continue
        stamp_ms = None
        stamp = _TEXT_TIME.match(text)
        if stamp:
            stamp_ms = _stamp_ms(stamp.groups())
            if stamp_ms is not None and stamp.end() < len(text):
                text = text[stamp.end() :]
            else:
                stamp_ms = None
        if stamp_ms is None:
            stamp_ms = pending_ms
        label = split_label(text)
        if label:
            if parts:
                cue = Cue(cue_line, speaker, " ".join(" ".join(parts).split()), start_ms)
                if cue.text:
                    yield cue
            speaker, rest = label
            cue_line, start_ms, parts = lineno, stamp_ms, [rest]
            headed, pending_ms, top, labelled = False, None, False, True
        else:
            if not parts and not headed:
                cue_line, start_ms, pending_ms = lineno, stamp_ms, None
            parts.append(text)
    if bare:  # the file ends on a name alone: a line of text
        parts, speaker = [speaker], ""
    if parts:
        cue = Cue(cue_line, speaker, " ".join(" ".join(parts).split()), start_ms)
        if cue.text:
            yield cue


def _stamp_ms(groups: tuple[str | None, ...]) -> int | None:
    """Milliseconds of the one filled (hours, minutes, seconds, fraction) group of _TEXT_TIME."""
    for i in range(0, len(groups), 4):
        hours, minutes, seconds, fraction = groups[i : i + 4]
        if minutes is None or seconds is None:
            continue
        if (hours is not None and int(minutes) >= 60) or int(seconds) >= 60:
            return None
        millis = int((fraction or "0").ljust(3, "0"))
        return ((int(hours or 0) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + millis
    return None


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_DIAL_IN = re.compile(r"\+\d[\d *()-]{5,30}")  # "+44 20 7946 0958", "+1 ***-***-0958"
_LABEL = re.compile(r"([^:]{1,60}):(?:\s+|$)")
LABEL_FORBIDDEN = frozenset('?!;"“”„«»…<>=*/\\|{}[]')
_NAME_PARTICLES = _word_set(
    "a al bin da das de del della den der di do dos du el la le van von y zu"
)
_ABBREVIATIONS = _word_set("mrs prof mme mlle")
# Words that start a note ("Note: ...", "Also: ...") rather than name a speaker.
_NOT_SPEAKERS = _word_set(
    """action actions agenda also and answer but context date decision example fyi goal idea
    important issue location nb next steps note notes now ok okay outcome problem ps question
    quote re reminder so subject summary then time tip todo topic update warning well why yes no"""
)


@functools.lru_cache(maxsize=1024)  # a transcript repeats a few labels thousands of times
def _is_name(label: str) -> bool:
    # The rules apply to the name without a meeting tool's role label ("Gina (Host, me)");
    # the label is returned as written.
    name = display_name(label)
    if _DIAL_IN.fullmatch(name):  # a participant who dialled in by phone
        return True
    words = name.split()
    if (
        not name
        or not name[0].isalpha()
        or len(words) > 5
        or not LABEL_FORBIDDEN.isdisjoint(name)
        or name.casefold() in _NOT_SPEAKERS
        or name.count(",") > 1
    ):
        return False
    for i, word in enumerate(words):
        if word.endswith(".") and not (
            len(word) <= 3 or word[:-1].casefold() in _ABBREVIATIONS or "." in word[:-1]
        ):
            return False
        # "iPhone" in "Gina’s iPhone" (a device's name) is not a word of a sentence.
        lowered = word[0].isalpha() and word[0].islower() and word.islower()
        if lowered and ("," in name or (i > 0 and word.casefold() not in _NAME_PARTICLES)):
            return False
    return True


def split_label(text: str) -> tuple[str, str] | None:
    """("Name", "rest") when a line starts with a speaker label "Name: rest", else None.

    A label starts with a letter, has at most 5 words, no sentence punctuation, a comma only in
    a capitalised "Last, First" form, and no lowercase word after the first but name particles
    ("de", "van"...), so ordinary sentences ("I think: ...") are not taken for speakers."""
    match = _LABEL.match(text)
    if match is None:
        return None
    label = match.group(1).strip()
    if not _is_name(label):
        return None
    return label, text[match.end() :].strip()
