"""Sticky-note CSV exports (Miro, Mural, FigJam...): the layout sniffed from the header
(delimiter, column mapping by header name), the rows as `StickyRow`s, and `kind_from` for a
free-text type column."""

import csv
import io
import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from traction.core.csv_reader import sep_line

from .lines import ParseError, text_lines
from .transcripts import LABEL_FORBIDDEN

CSV_FIELDS = ("text", "author", "kind", "step", "tags")

_SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class CsvLayout:
    delimiter: str  # one of ",", ";", "\t"
    headers: tuple[str, ...]
    mapping: dict[str, int | None]  # CSV_FIELDS -> column index, or None when unmapped
    sep_line: bool = False  # the file starts with Excel's "sep=;" line, before the header


@dataclass(frozen=True)
class StickyRow:
    line: int  # physical line where the record starts
    text: str
    author: str
    kind: str  # the raw cell, stripped ("" when unmapped)
    step: str
    tags: tuple[str, ...]


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


def guess_mapping(headers: Iterable[str]) -> dict[str, int | None]:
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
        cut = max(head.rfind(b"\n"), head.rfind(b"\r"))  # a lone CR ends a line too
        if cut < 0:
            raise ParseError(
                "The first line is longer than 64 KB; it does not look like a CSV header.", 1
            )
        head = head[: cut + 1]
    lines = list(text_lines(io.BytesIO(head), keep_ends=True))
    sep = sep_line(lines[0])
    first = 1  # the header's line
    if sep is not None:  # Excel's "sep=;": the header is the next line
        lines, first = lines[1:], 2
        if not lines:
            raise ParseError("The file has no header row after its “sep=” line.", 2)
    if lines[0].isspace():
        raise ParseError(
            f"{'The first line' if first == 1 else 'The line after “sep=”'} is blank; "
            'it must be the header row naming the columns, e.g. "text,author,type".',
            first,
        )
    best: tuple[tuple[bool, float, int], str, list[str]] | None = None
    for delimiter in (sep,) if sep is not None else (",", ";", "\t"):
        try:
            rows = list(itertools.islice(csv.reader(lines, delimiter=delimiter), 50))
        except csv.Error:
            continue
        header, data = rows[0], [row for row in rows[1:] if row]
        if len(header) < 2:
            continue
        agreeing = sum(len(row) == len(header) for row in data) / len(data) if data else 1.0
        mapped = any(v is not None for v in guess_mapping(header).values())
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
                first,
            )
        return CsvLayout(
            sep or ",", (name,), {**dict.fromkeys(CSV_FIELDS), "text": 0}, sep is not None
        )
    _, delimiter, header = best
    headers = tuple(cell.strip() for cell in header)
    mapping = guess_mapping(headers)
    if all(v is None for v in mapping.values()) and any(
        not cell or len(cell) > 60 or not LABEL_FORBIDDEN.isdisjoint(cell) or "." in cell
        for cell in headers
    ):
        raise ParseError(
            "The first line does not look like a header row; it must name the columns, "
            'e.g. "text,author,type".',
            first,
        )
    return CsvLayout(delimiter, headers, mapping, sep is not None)


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
    reader = csv.reader(text_lines(stream, keep_ends=True), delimiter=layout.delimiter, strict=True)
    done = 0  # physical lines read by the records so far
    try:
        if layout.sep_line:
            next(reader)
        header = next(reader)
        done = reader.line_num
        if len(header) != width:
            raise ParseError(
                f"The header row has {len(header)} columns, but the column mapping was made for "
                f"{width}; check the file and the column choices.",
                done,
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
