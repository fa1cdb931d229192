"""Real Excel workbooks for the import tests, written by openpyxl, and the two it cannot write:
a formula with the value Excel saves beside it (openpyxl writes formulas with no value, as
a program that never calculates does), made by writing that value into the sheet's XML."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Mapping
from typing import Any

import openpyxl


def xlsx(
    rows: Iterable[Iterable[Any]],
    *,
    formats: Mapping[str, str] | None = None,
    sheets: Mapping[str, Iterable[Iterable[Any]]] | None = None,
    first: str = "Sheet1",
    hidden_first: bool = False,
) -> bytes:
    """A workbook whose first sheet (``first``) holds ``rows`` (cells formatted per
    ``formats``, {"C3": "0%"}), followed by the ``sheets`` named."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = first
    for row in rows:
        sheet.append(list(row))
    for ref, number_format in (formats or {}).items():
        sheet[ref].number_format = number_format
    if hidden_first:
        sheet.sheet_state = "hidden"
    for name, more in (sheets or {}).items():
        other = book.create_sheet(name)
        for row in more:
            other.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def with_saved_values(data: bytes, values: Mapping[str, str]) -> bytes:
    """The workbook with the value Excel would have saved with each formula cell
    ({"C3": "12.5"}), as ``<v>`` beside its ``<f>``."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            body = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = body.decode()
                for ref, value in values.items():
                    # A text result is typed "str", as Excel saves it (a number is not).
                    typed = "" if re.fullmatch(r"-?[\d.]+(E[-+]?\d+)?", value) else ' t="str"'
                    text, found = re.subn(
                        rf'<c r="{ref}"([^>]*)>\s*(<f>[^<]*</f>)\s*<v\s*/>',
                        rf'<c r="{ref}"\g<1>{typed}>\g<2><v>{value}</v>',
                        text,
                    )
                    assert found == 1, ref
                body = text.encode()
            target.writestr(item, body)
    return out.getvalue()


def zip_of(members: Mapping[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, body in members.items():
            target.writestr(name, body)
    return out.getvalue()


def bomb(data: bytes, unpacked: int) -> bytes:
    """The workbook with one more part: ``unpacked`` bytes of blanks that deflate to a few
    kilobytes (a "zip bomb")."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        with target.open("xl/worksheets/sheet9.xml", "w") as part:
            block = b" " * (1024 * 1024)
            for _ in range(unpacked // len(block)):
                part.write(block)
    return out.getvalue()
