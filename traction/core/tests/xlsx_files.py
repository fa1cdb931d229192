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


def as_excel_saves(data: bytes, *, dimension: str | None = None) -> bytes:
    """The workbook with its text in a shared-strings part, as Excel, LibreOffice and Google
    Sheets save it (openpyxl writes each text in its cell); ``dimension`` replaces the
    sheet's stated extent (some programs state "A1" for a whole table)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    strings: list[str] = []

    def shared(found: re.Match[str]) -> str:
        strings.append(found.group(2))
        return f'<c r="{found.group(1)}" t="s"><v>{len(strings) - 1}</v></c>'

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            text = source.read(item.filename).decode()
            if item.filename == "xl/worksheets/sheet1.xml":
                text = re.sub(
                    r'<c r="([A-Z]+\d+)" t="inlineStr"><is><t[^>]*>(.*?)</t></is></c>',
                    shared,
                    text,
                )
                if dimension:
                    text = re.sub(r'<dimension ref="[^"]*"', f'<dimension ref="{dimension}"', text)
            elif item.filename == "[Content_Types].xml":
                text = text.replace(
                    "</Types>",
                    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                    'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
                )
            elif item.filename == "xl/_rels/workbook.xml.rels":
                text = text.replace(
                    "</Relationships>",
                    '<Relationship Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    'relationships/sharedStrings" Target="sharedStrings.xml" Id="rId99"/>'
                    "</Relationships>",
                )
            target.writestr(item, text.encode())
        items = "".join(f"<si><t>{s}</t></si>" for s in strings)
        target.writestr(
            "xl/sharedStrings.xml",
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            f'count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>',
        )
    return out.getvalue()
