"""Reading an imported file line by line: strict UTF-8 (files in UTF-16 or Windows-1252 come
here re-encoded: ``core.csv_reader.as_utf8``), a BOM dropped, CRLF, LF or a lone CR
(old Mac exports) ending a line, a size limit, and a `ParseError` naming the line for anything
that is not text, and for a bidirectional control character (``core.text.BIDI_CONTROLS``:
refused in every input, so a file holding one is refused at its line, not imported with it)."""

import re
from collections.abc import Iterator
from typing import BinaryIO

from traction.core.csv_reader import SAVE_AS_UTF8, cut_short
from traction.core.text import bidi_control, bidi_message

MAX_BYTES = 25 * 1024 * 1024  # larger files are refused before parsing

_BOM = b"\xef\xbb\xbf"
_MAX_LINE_BYTES = 1024 * 1024


class ParseError(Exception):
    """A refusal: the line (1-based physical line in the file, or None when no line applies)
    and the reason."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason, line)
        self.reason = reason
        self.line = line

    def __str__(self) -> str:
        return self.reason if self.line is None else f"Line {self.line}: {self.reason}"


# --- Lines -------------------------------------------------------------------------------------

_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")
NOT_TEXT = "This line holds binary data, not text; import a .vtt, .srt, .txt or .csv file."


_BLOCK = 256 * 1024


def _raw_lines(stream: BinaryIO) -> Iterator[bytes]:
    """The stream's physical lines as bytes with their ends: CRLF, LF or a lone CR each end a
    line (``bytes.splitlines`` knows exactly these three). A line longer than
    ``_MAX_LINE_BYTES`` comes out as soon as it is that long, without its end (the caller
    refuses it), so memory stays bounded."""
    pending = b""
    while block := stream.read(_BLOCK):
        parts = (pending + block).splitlines(keepends=True)
        last = parts.pop()
        yield from parts
        # The last piece may be cut short by the block: no end yet, or a CR whose LF is next.
        if last.endswith(b"\n"):
            yield last
            pending = b""
        else:
            pending = last
            if len(pending) > _MAX_LINE_BYTES:
                yield pending
                return
    if pending:
        yield pending


def text_lines(stream: BinaryIO, *, keep_ends: bool = False) -> Iterator[str]:
    """Yield the stream's physical lines, strictly decoded as UTF-8: item N is line N.

    A leading byte-order mark is dropped; CRLF, LF and a lone CR all end a line. Without
    keep_ends the line end is removed, with it every line end becomes "\\n". Raises ParseError
    for binary or non-UTF-8 lines, overlong lines, files past MAX_BYTES and files holding only
    whitespace.
    """
    total = 0
    has_content = False
    for lineno, raw in enumerate(_raw_lines(stream), start=1):
        total += len(raw)
        if total > MAX_BYTES:
            raise ParseError(
                f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; "
                "split it into smaller files and import each."
            )
        if len(raw) > _MAX_LINE_BYTES:
            raise ParseError(
                "This line is longer than 1 MB; the file does not look like a transcript "
                "or a sticky-note CSV.",
                lineno,
            )
        if lineno == 1:
            if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
                raise ParseError(f"The file is UTF-16 text; {SAVE_AS_UTF8} and import it again.", 1)
            if raw.startswith(_BOM):
                raw = raw[3:]
        if b"\0" in raw:
            raise ParseError(NOT_TEXT, lineno)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            if _CONTROL_BYTES.search(raw):
                raise ParseError(NOT_TEXT, lineno) from None
            if exc.reason == "unexpected end of data":  # the file's last character, cut
                raise ParseError(cut_short(lineno).partition(": ")[2], lineno) from None
            raise ParseError(
                f"This line is not UTF-8 text (byte 0x{raw[exc.start]:02x}); "
                f"{SAVE_AS_UTF8} and import it again.",
                lineno,
            ) from None
        if (ch := bidi_control(text)) is not None:
            raise ParseError(bidi_message(ch, "This line"), lineno)
        if not has_content and text.strip():
            has_content = True
        if keep_ends:
            body = text.rstrip("\r\n")
            yield body + "\n" if len(body) < len(text) else text
        else:
            yield text.rstrip("\r\n")
    if not has_content:
        raise ParseError("The file is empty.")
