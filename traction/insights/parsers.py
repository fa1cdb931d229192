"""Read the files a note taker imports into a session's review queue.

Transcripts (WebVTT from Zoom and Teams, SRT, plain "Name: text" lines) become `Cue`s and
sticky-note CSV exports (Miro, Mural, FigJam...) become `StickyRow`s. Everything here is pure
Python: no Django, no database. Every reader takes a binary stream, walks it line by line (memory
stays flat as files grow) and refuses bad input with a `ParseError` naming the line and the reason.

We parse WebVTT and SRT by hand rather than with webvtt-py: it reads the whole file into memory
and several of its refusals (bad signature, undecodable bytes, empty cues) carry no line number,
while every refusal here must say which line is wrong and why.
"""

import csv
import html
import io
import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import BinaryIO

MAX_BYTES = 25 * 1024 * 1024  # larger files are refused before parsing

FORMATS = {
    "vtt": "WebVTT transcript",
    "srt": "SRT subtitles",
    "text": "Plain text transcript",
    "csv": "Sticky-note CSV",
}

CSV_FIELDS = ("text", "author", "kind", "step", "tags")

_BOM = b"\xef\xbb\xbf"
_MAX_LINE_BYTES = 1024 * 1024
_SNIFF_BYTES = 64 * 1024
_VTT_EXAMPLE = '"00:00:01.000 --> 00:00:04.000" (hours optional)'
_SRT_EXAMPLE = '"00:00:01,000 --> 00:00:04,000"'


class ParseError(Exception):
    """A refusal: the line (1-based physical line in the file, or None when no line applies)
    and the reason."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason, line)
        self.reason = reason
        self.line = line

    def __str__(self) -> str:
        return self.reason if self.line is None else f"Line {self.line}: {self.reason}"


@dataclass(frozen=True)
class Cue:
    line: int  # physical line where the cue (its id or timing line) starts
    speaker: str  # as written in the file, stripped; "" when none
    text: str  # tags removed, whitespace collapsed, cue lines joined by a space
    start_ms: int | None


@dataclass(frozen=True)
class CsvLayout:
    delimiter: str  # one of ",", ";", "\t"
    headers: tuple[str, ...]
    mapping: dict[str, int | None]  # CSV_FIELDS -> column index, or None when unmapped


@dataclass(frozen=True)
class StickyRow:
    line: int  # physical line where the record starts
    text: str
    author: str
    kind: str  # the raw cell, stripped ("" when unmapped)
    step: str
    tags: tuple[str, ...]


# --- Lines -------------------------------------------------------------------------------------

_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_NOT_TEXT = "This line holds binary data, not text; import a .vtt, .srt, .txt or .csv file."


def _lines(stream: BinaryIO, *, keep_ends: bool = False) -> Iterator[str]:
    """Yield the stream's physical lines, strictly decoded as UTF-8: item N is line N.

    A leading byte-order mark is dropped; CRLF and LF both end a line. Without keep_ends the
    line end is removed, with it every line end becomes "\\n". Raises ParseError for binary or
    non-UTF-8 lines, overlong lines, files past MAX_BYTES and files holding only whitespace.
    """
    readline = stream.readline
    lineno = 0
    total = 0
    has_content = False
    while raw := readline(_MAX_LINE_BYTES):
        lineno += 1
        total += len(raw)
        if total > MAX_BYTES:
            raise ParseError(
                f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; "
                "split it into smaller files and import each."
            )
        if len(raw) == _MAX_LINE_BYTES and not raw.endswith(b"\n"):
            raise ParseError(
                "This line is longer than 1 MB; the file does not look like a transcript "
                "or a sticky-note CSV.",
                lineno,
            )
        if lineno == 1:
            if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
                raise ParseError(
                    "The file is UTF-16 text; save it as UTF-8 and import it again.", 1
                )
            if raw.startswith(_BOM):
                raw = raw[3:]
        if b"\0" in raw:
            raise ParseError(_NOT_TEXT, lineno)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            if _CONTROL_BYTES.search(raw):
                raise ParseError(_NOT_TEXT, lineno) from None
            raise ParseError(
                f"This line is not UTF-8 text (byte 0x{raw[exc.start]:02x}); "
                "save the file as UTF-8 and import it again.",
                lineno,
            ) from None
        if not has_content and text.strip():
            has_content = True
        if keep_ends:
            yield text[:-2] + "\n" if text.endswith("\r\n") else text
        else:
            yield text.rstrip("\r\n")
    if not has_content:
        raise ParseError("The file is empty.")


# --- Format detection -------------------------------------------------------------------------

_VTT_SIGNATURE = re.compile(r"WEBVTT(?:[ \t].*)?$")
_EXTENSIONS = {
    "vtt": "vtt",
    "srt": "srt",
    "txt": "text",
    "text": "text",
    "csv": "csv",
    "tsv": "csv",
}


def detect_format(filename: str, head: bytes) -> str:
    """The key in FORMATS for a file, by its content first and its extension second."""
    if head.startswith(_BOM):
        head = head[3:]
    if re.match(rb"WEBVTT(?:[ \t\r\n]|$)", head):
        return "vtt"
    if b"\0" not in head:
        lines = head.decode("utf-8", errors="replace").splitlines()
        filled = [line.strip() for line in lines[:20] if line.strip()]
        if len(filled) >= 2 and filled[0].isdigit() and "-->" in filled[1]:
            return "srt"
        if lines and _looks_like_csv_header(lines[0]):
            return "csv"
    extension = filename.rpartition(".")[2].lower() if "." in filename else ""
    if extension in _EXTENSIONS:
        return _EXTENSIONS[extension]
    if b"\0" not in head and any(
        _split_label(line.strip()) for line in head.decode("utf-8", errors="replace").splitlines()
    ):
        return "text"
    raise ParseError(
        f'Cannot tell what kind of file "{filename}" is; import a WebVTT (.vtt), SRT (.srt), '
        "plain text (.txt) or sticky-note CSV (.csv) file."
    )


def _looks_like_csv_header(line: str) -> bool:
    for delimiter in ",;\t":
        cells = next(csv.reader([line], delimiter=delimiter), [])
        if len(cells) >= 2 and _guess_mapping(cells)["text"] is not None:
            return True
    return False


# --- Transcripts ------------------------------------------------------------------------------


def iter_cues(stream: BinaryIO, fmt: str) -> Iterator[Cue]:
    """The cues of a transcript in format "vtt", "srt" or "text", streamed."""
    if fmt == "vtt":
        return _vtt_cues(_lines(stream))
    if fmt == "srt":
        return _srt_cues(_lines(stream))
    if fmt == "text":
        return _text_cues(_lines(stream))
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
_VTT_TIME = re.compile(r"(?:(\d+):)?(\d{2}):(\d{2})\.(\d{3})")
_SRT_TIME = re.compile(r"(\d+):(\d{2}):(\d{2})[,.](\d{3})")
_VTT_SKIPPED_BLOCK = re.compile(r"(?:NOTE|STYLE|REGION)(?:[ \t]|$)")
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?[ \t]+([^>]*)>")
_TAG = re.compile(r"<[^<>]*>")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200e\u200f\ufeff"))


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
            hours, minutes, seconds, millis = (int(p or 0) for p in parts.groups())
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
    return " ".join(text.translate(_INVISIBLE).split())


def _make_cue(line: int, start_ms: int | None, texts: list[str]) -> Cue | None:
    if not texts:
        return None
    raw = "\n".join(texts)
    voice = _VOICE.search(raw) if "<v" in raw else None
    if voice:
        speaker, text = _clean(voice.group(1)), _clean(raw)
    else:
        label = _split_label(_clean(texts[0]))
        if label:
            speaker, first = label
            text = _clean(" ".join([first, *texts[1:]]))
        else:
            speaker, text = "", _clean(raw)
    return Cue(line=line, speaker=speaker, text=text, start_ms=start_ms) if text else None


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
            # Nothing but whitespace is "The file is empty.", raised by _lines at the end.
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
                cue = _make_cue(cue_line, start_ms, texts)
                if cue:
                    yield cue
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
        cue = _make_cue(cue_line, start_ms, texts)
        if cue:
            yield cue
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
                cue = _make_cue(cue_line, start_ms, texts)
                if cue:
                    yield cue
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
            if line.strip().isdigit():
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
        cue = _make_cue(cue_line, start_ms, texts)
        if cue:
            yield cue
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


def _text_cues(lines: Iterator[str]) -> Iterator[Cue]:
    """Plain "Name: text" lines, taken literally (no tags or entities). An unlabelled line
    continues the text before it; a blank line ends a cue, and an unlabelled paragraph after it
    has no speaker (rather than risk quoting the wrong person)."""
    cue_line = 0
    speaker = ""
    start_ms: int | None = None
    parts: list[str] = []
    for lineno, line in enumerate(lines, 1):
        text = line.strip()
        if not text:
            if parts:
                cue = Cue(cue_line, speaker, " ".join(" ".join(parts).split()), start_ms)
                if cue.text:
                    yield cue
            parts, speaker, start_ms = [], "", None
            continue
        stamp_ms = None
        stamp = _TEXT_TIME.match(text)
        if stamp:
            stamp_ms = _stamp_ms(stamp.groups())
            if stamp_ms is not None and stamp.end() < len(text):
                text = text[stamp.end() :]
            else:
                stamp_ms = None
        label = _split_label(text)
        if label:
            if parts:
                cue = Cue(cue_line, speaker, " ".join(" ".join(parts).split()), start_ms)
                if cue.text:
                    yield cue
            speaker, rest = label
            cue_line, start_ms, parts = lineno, stamp_ms, [rest]
        else:
            if not parts:
                cue_line, start_ms = lineno, stamp_ms
            parts.append(text)
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


_LABEL = re.compile(r"([^:]{1,60}):(?:\s+|$)")
_LABEL_FORBIDDEN = frozenset('?!;"“”„«»…<>=*/\\|{}[]')
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


def _split_label(text: str) -> tuple[str, str] | None:
    """("Name", "rest") when a line starts with a speaker label "Name: rest", else None.

    A label starts with a letter, has at most 5 words, no sentence punctuation, a comma only in
    a capitalised "Last, First" form, and no lowercase word after the first but name particles
    ("de", "van"...), so ordinary sentences ("I think: ...") are not taken for speakers."""
    match = _LABEL.match(text)
    if match is None:
        return None
    label = match.group(1).strip()
    words = label.split()
    if (
        not label
        or not label[0].isalpha()
        or len(words) > 5
        or not _LABEL_FORBIDDEN.isdisjoint(label)
        or label.casefold() in _NOT_SPEAKERS
        or label.count(",") > 1
    ):
        return None
    for i, word in enumerate(words):
        if word.endswith(".") and not (
            len(word) <= 3 or word[:-1].casefold() in _ABBREVIATIONS or "." in word[:-1]
        ):
            return None
        lowered = word[0].isalpha() and word[0].islower()
        if lowered and ("," in label or (i > 0 and word.casefold() not in _NAME_PARTICLES)):
            return None
    return label, text[match.end() :].strip()


# --- Sticky-note CSV --------------------------------------------------------------------------

_CSV_ALIASES = {
    "text": (
        "text content note sticky body"
        "|sticky note|sticky text|idea text|note text|note content|sticky content"
        "|sticky note text|card text|content text"
    ),
    "author": (
        "author name speaker creator participant who"
        "|created by|author name|creator name|participant name|speaker name|person|owner"
    ),
    "kind": "type category kind|card type|note type|sticky type|insight type",
    "step": "step column frame group section stage area|frame name|section name|group name",
    "tags": "tags tag labels label|tag list",
}


def _build_aliases() -> dict[str, str]:
    aliases: dict[str, str] = {}
    for field, spec in _CSV_ALIASES.items():
        single, *phrases = spec.split("|")
        for alias in [*single.split(), *phrases]:
            aliases[alias] = field
    return aliases


_ALIAS_FIELD = _build_aliases()


def _words_key(value: str) -> str:
    """Casefolded, accent-free words of a header or kind cell, punctuation as spaces."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    plain = "".join(c if c.isalnum() else " " for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.split())


def _field_for_header(header: str) -> str | None:
    key = _words_key(header)
    if key in _ALIAS_FIELD:
        return _ALIAS_FIELD[key]
    singular = " ".join(w[:-1] if w.endswith("s") else w for w in key.split())
    return _ALIAS_FIELD.get(singular)


def _guess_mapping(headers: Iterable[str]) -> dict[str, int | None]:
    mapping: dict[str, int | None] = dict.fromkeys(CSV_FIELDS)
    for index, header in enumerate(headers):
        field = _field_for_header(header)
        if field is not None and mapping[field] is None:
            mapping[field] = index
    return mapping


def sniff_csv(stream: BinaryIO) -> CsvLayout:
    """Delimiter, headers and a guessed field mapping, from the first 64 KB of a CSV.

    The stream is left where it was when it can seek, so iter_csv can read it next."""
    start = stream.tell() if stream.seekable() else None
    head = stream.read(_SNIFF_BYTES)
    if start is not None:
        stream.seek(start)
    if len(head) == _SNIFF_BYTES:
        cut = head.rfind(b"\n")
        if cut < 0:
            raise ParseError(
                "The first line is longer than 64 KB; it does not look like a CSV header.", 1
            )
        head = head[: cut + 1]
    lines = list(_lines(io.BytesIO(head), keep_ends=True))
    if lines[0].isspace():
        raise ParseError(
            "The first line is blank; it must be the header row naming the columns, "
            'e.g. "text,author,type".',
            1,
        )
    best: tuple[tuple[bool, float, int], str, list[str]] | None = None
    for delimiter in (",", ";", "\t"):
        try:
            rows = list(itertools.islice(csv.reader(lines, delimiter=delimiter), 50))
        except csv.Error:
            continue
        header, data = rows[0], [row for row in rows[1:] if row]
        if len(header) < 2:
            continue
        agreeing = sum(len(row) == len(header) for row in data) / len(data) if data else 1.0
        mapped = any(v is not None for v in _guess_mapping(header).values())
        score = (mapped, agreeing, len(header))
        if best is None or score > best[0]:
            best = (score, delimiter, header)
    if best is None:
        header = next(csv.reader(lines[:1]), [""])
        name = header[0].strip() if header else ""
        if _field_for_header(name) != "text":
            raise ParseError(
                f'The file has a single column headed "{name[:60]}", which does not name '
                'sticky-note text; the first line must name the columns, e.g. "text,author,type".',
                1,
            )
        return CsvLayout(",", (name,), {**dict.fromkeys(CSV_FIELDS), "text": 0})
    _, delimiter, header = best
    headers = tuple(cell.strip() for cell in header)
    mapping = _guess_mapping(headers)
    if all(v is None for v in mapping.values()) and any(
        not cell or len(cell) > 60 or not _LABEL_FORBIDDEN.isdisjoint(cell) or "." in cell
        for cell in headers
    ):
        raise ParseError(
            "The first line does not look like a header row; it must name the columns, "
            'e.g. "text,author,type".',
            1,
        )
    return CsvLayout(delimiter, headers, mapping)


_TAG_SPLIT = re.compile(r"[,;|]")


def _tags(cell: str) -> tuple[str, ...]:
    tags: dict[str, None] = {}
    for piece in _TAG_SPLIT.split(cell):
        words = piece.split()
        names = words if len(words) > 1 and all(w.startswith("#") for w in words) else [piece]
        for name in names:
            tag = name.strip().lstrip("#").strip().lower()
            if tag:
                tags[tag] = None
    return tuple(tags)


def _check_layout(layout: CsvLayout) -> None:
    if layout.delimiter not in (",", ";", "\t"):
        raise ParseError(f"The delimiter {layout.delimiter!r} is not a comma, semicolon or tab.")
    unknown = set(layout.mapping) - set(CSV_FIELDS)
    if unknown:
        raise ParseError(f"Unknown fields in the column mapping: {', '.join(sorted(unknown))}.")
    if layout.mapping.get("text") is None:
        raise ParseError("Choose the column that holds the sticky-note text.")
    for field, index in layout.mapping.items():
        if index is not None and not 0 <= index < len(layout.headers):
            raise ParseError(
                f'The column chosen for "{field}" ({index + 1}) is not in the file, '
                f"which has {len(layout.headers)} columns."
            )


def iter_csv(stream: BinaryIO, layout: CsvLayout) -> Iterator[StickyRow]:
    """The sticky notes of a CSV read from its start, streamed; the header row is skipped and
    rows with a blank text cell are left out."""
    _check_layout(layout)
    return _csv_rows(stream, layout)


def _csv_rows(stream: BinaryIO, layout: CsvLayout) -> Iterator[StickyRow]:
    width = len(layout.headers)
    columns = [layout.mapping.get(field) for field in CSV_FIELDS]
    text_at = columns[0]
    assert text_at is not None  # checked by _check_layout
    author_at, kind_at, step_at, tags_at = (width if c is None else c for c in columns[1:])
    reader = csv.reader(_lines(stream, keep_ends=True), delimiter=layout.delimiter, strict=True)
    done = 0  # physical lines read by the records so far
    try:
        header = next(reader)
        done = reader.line_num
        if len(header) != width:
            raise ParseError(
                f"The header row has {len(header)} columns, but the column mapping was made for "
                f"{width}; check the file and the column choices.",
                1,
            )
        for row in reader:
            start, done = done + 1, reader.line_num
            count = len(row)
            if width == 1 and count > 1:  # one column: a delimiter in a cell is just text
                row, count = [layout.delimiter.join(row)], 1
            if count > width and any(cell.strip() for cell in row[width:]):
                raise ParseError(
                    f"This row has {count} cells but the header has {width}; "
                    f'put cells that contain "{layout.delimiter}" in double quotes.',
                    start,
                )
            if count < width:
                row += [""] * (width - count)
            row.append("")  # the cell for unmapped fields
            text = row[text_at].strip()
            if not text:
                continue
            yield StickyRow(
                line=start,
                text=text,
                author=" ".join(row[author_at].split()),
                kind=row[kind_at].strip(),
                step=row[step_at].strip(),
                tags=_tags(row[tags_at]) if row[tags_at] else (),
            )
    except csv.Error as exc:
        start = done + 1
        message = str(exc)
        if "unexpected end of data" in message:
            raise ParseError(
                f"A quoted field opened on line {start} is never closed; "
                "the file may be cut short.",
                start,
            ) from None
        if "field larger than field limit" in message:
            raise ParseError(
                f"A cell starting on line {start} is longer than {csv.field_size_limit()} "
                "characters; a quoted field opened there is probably never closed.",
                start,
            ) from None
        if "expected after" in message:
            raise ParseError(
                f'A quoted cell must end at a "{layout.delimiter}" or at the end of the line; '
                'write a double quote inside a quoted cell as "".',
                reader.line_num,
            ) from None
        raise ParseError(f"This row cannot be read as CSV ({message}).", start) from None


# --- Kinds ------------------------------------------------------------------------------------

_KIND_ALIASES = {
    "outcome": ("outcome",),
    "context": ("context",),
    "step": ("step",),
    "moment_of_truth": ("moment of truth", "mot", "make or break"),
    "issue": ("issue", "pain", "pain point", "problem", "roadblock", "dissatisfier"),
    "idea": ("idea", "wish", "suggestion"),
    "customer_metric": ("customer metric", "metric", "kpi", "measure"),
    "quote": ("quote",),
    "question": ("question",),
}
_KIND_BY_ALIAS = {alias: kind for kind, aliases in _KIND_ALIASES.items() for alias in aliases}


def kind_from(raw: str) -> str | None:
    """The insight kind a free-text type or category names (case, accent and plural
    insensitive), or None."""
    key = _words_key(raw)
    if key in _KIND_BY_ALIAS:
        return _KIND_BY_ALIAS[key]
    words = key.split()
    for strip in ("s", "es"):
        singular = " ".join(w[: -len(strip)] if w.endswith(strip) else w for w in words)
        if singular in _KIND_BY_ALIAS:
            return _KIND_BY_ALIAS[singular]
    return None
