"""The shared reader with Excel workbooks (.xlsx): told by content whatever the name, the
first sheet with data, cells as the sheet shows them (dates, numbers without float noise,
percentages, formulas and their saved values), rows named by the sheet's row numbers, and
every file that is not a workbook Traction reads refused, saying what to do."""

from __future__ import annotations

import io
import os
from datetime import date, datetime, time

import openpyxl
import pytest

from traction.core import csv_reader, workbook
from traction.core.csv_reader import CsvRefused, TooManyRows

from .xlsx_files import as_excel_saves, bomb, with_saved_values, xlsx, zip_of

ALIASES = {"date": "date", "title": "title", "value": "value", "external id": "external_id"}
REQUIRED = ("date", "title")
REFUSAL = "The first line must name the columns date and title;"


def rows(data: bytes, max_rows: int = 10) -> list[tuple[int, str, str, str]]:
    table = csv_reader.read(data, limit=max_rows)
    return [
        (line, cell("date"), cell("title"), cell("value"))
        for line, cell in csv_reader.rows(
            table,
            aliases=ALIASES,
            required=REQUIRED,
            refusal=REFUSAL,
            cap=csv_reader.RowCap(max_rows, "dates.xlsx"),
        )
    ]


def test_cells_read_as_the_sheet_shows_them_with_the_sheets_row_numbers() -> None:
    data = xlsx(
        [
            [None],
            ["Date", "Title", "Value"],
            [date(2027, 1, 31), "Approval in one page", 12],
            [],  # a blank row is skipped, and the next keeps its own number
            [datetime(2027, 2, 1, 0, 0), " Spaces kept off ", 0.1 + 0.2],
            [datetime(2027, 2, 2, 9, 30), True, 0.3],
            ["2027-02-03", 12345, 0.42],
            [date(2027, 2, 4), "Two thirds", 2 / 3],
            [date(2027, 2, 5), "Big", 1e15],
            [date(2027, 2, 6), "Minus", -12.5],
        ],
        formats={"C7": "0%", "C8": "#,##0.00", "A6": "yyyy-mm-dd hh:mm"},
    )
    table = csv_reader.read(data)
    assert (table.encoding, table.place, table.header_at) == ("xlsx", "Row", 2)
    assert rows(data) == [
        (3, "2027-01-31", "Approval in one page", "12"),
        (5, "2027-02-01", "Spaces kept off", "0.3"),
        (6, "2027-02-02 09:30:00", "TRUE", "0.3"),
        (7, "2027-02-03", "12345", "42%"),
        (8, "2027-02-04", "Two thirds", "0.67"),
        (9, "2027-02-05", "Big", "1000000000000000"),
        (10, "2027-02-06", "Minus", "-12.5"),
    ]


def test_text_in_shared_strings_and_a_wrong_stated_extent_as_other_programs_save() -> None:
    data = xlsx(
        [
            ["Date", "Title", "Value"],
            [date(2027, 1, 31), "Caf\u00e9 & <b>", 12],
            [date(2027, 2, 1), "Second", 0.5],
        ]
    )
    saved = as_excel_saves(data, dimension="A1")
    assert b"xl/sharedStrings.xml" in saved
    assert rows(saved) == [
        (2, "2027-01-31", "Caf\u00e9 & <b>", "12"),
        (3, "2027-02-01", "Second", "0.5"),
    ]


def test_a_workbook_dated_from_1904_as_old_mac_excel_saves_it() -> None:
    book = openpyxl.Workbook()
    book.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    sheet = book.active
    assert sheet is not None
    sheet.append(["date", "title"])
    sheet.append([date(2027, 1, 31), "Mac"])
    out = io.BytesIO()
    book.save(out)
    assert rows(out.getvalue()) == [(2, "2027-01-31", "Mac", "")]


@pytest.mark.parametrize(
    ("value", "number_format", "text"),
    [
        (0.1 + 0.2, "General", "0.3"),
        (3.0, "General", "3"),
        (0.425, "0.0%", "42.5%"),
        (0.5, "0%", "50%"),
        (1234.5678, "#,##0", "1235"),
        (2.5, '"€"#,##0.00;[Red]-"€"#,##0.00', "2.50"),
        (1e-7, "General", "0.0000001"),
        (12.5, "0.00E+00", "12.5"),
        (datetime(2027, 3, 1, 14, 0), "dd/mm/yyyy", "2027-03-01"),
        (time(9, 30), "hh:mm", "09:30:00"),
        (False, "General", "FALSE"),
        (None, "General", ""),
        ("#N/A", "General", "#N/A"),
    ],
)
def test_a_cell_as_shown(value: object, number_format: str, text: str) -> None:
    assert workbook.shown(value, number_format) == text


def test_a_formula_reads_its_saved_value_and_one_without_refuses_naming_its_cell() -> None:
    written = xlsx(
        [
            ["date", "title", "value", "check"],
            [date(2027, 1, 31), "Sum", "=1+2", "=C2*2"],
            [date(2027, 2, 1), "Text", '=IF(1,"ok","")'],
            [date(2027, 2, 2), "Empty text", '=IF(1,"","x")'],
        ]
    )
    saved = with_saved_values(written, {"C2": "3", "D2": "6", "C3": "ok", "C4": ""})
    assert rows(saved) == [
        (2, "2027-01-31", "Sum", "3"),
        (3, "2027-02-01", "Text", "ok"),
        (4, "2027-02-02", "Empty text", ""),  # a formula whose saved value is "" (typed text)
    ]
    # As the program that wrote it left it: no value beside the formula.
    with pytest.raises(CsvRefused) as refused:
        rows(written)
    assert refused.value.message == (
        "Row 2: the cell C2 holds a formula with no saved value (the program that wrote the "
        "workbook never calculated it); open the file in Excel or LibreOffice, save it again "
        "and import it."
    )
    # A formula in a column the import does not read is not its business.
    only_d = with_saved_values(written, {"C2": "3", "C3": "ok", "C4": ""})
    assert rows(only_d)[0] == (2, "2027-01-31", "Sum", "3")


def test_the_first_sheet_with_data_is_read_and_a_header_refusal_names_it() -> None:
    data = xlsx(
        [],
        first="Notes",
        sheets={"Data": [["date", "title"], [date(2027, 1, 31), "First"]]},
    )
    assert rows(data) == [(2, "2027-01-31", "First", "")]
    hidden = xlsx(
        [["secret"]],
        first="Old",
        hidden_first=True,
        sheets={"Data": [["date", "title"], [date(2027, 1, 31), "First"]]},
    )
    assert rows(hidden) == [(2, "2027-01-31", "First", "")]
    cover = xlsx([["Quarterly KPIs"]], first="Cover", sheets={"Data": [["date", "title"]]})
    with pytest.raises(CsvRefused) as refused:
        rows(cover)
    assert refused.value.message == (
        "Traction reads the workbook's first sheet with data, “Cover” (it also has “Data”; "
        "put the sheet to import first): The first row must name the columns date and title; "
        "missing: date, title."
    )
    with pytest.raises(CsvRefused, match="none of its sheets holds a cell"):
        rows(xlsx([]))


def test_the_name_does_not_matter_and_extra_cells_past_the_header_are_ignored() -> None:
    data = xlsx([["date", "title"], [date(2027, 1, 31), "First", "no header", 4]])
    assert rows(data) == [(2, "2027-01-31", "First", "")]


def test_the_row_cap_refuses_at_the_sheets_row_of_the_first_row_too_many() -> None:
    data = xlsx([["date", "title"]] + [[date(2027, 1, d), f"Row {d}"] for d in range(1, 30)])
    with pytest.raises(TooManyRows) as refused:
        rows(data, max_rows=3)
    assert refused.value.message == (
        "“dates.xlsx” has more than 3 rows, the most one import takes (row 4 is the sheet's "
        "row 5); split it into files of at most 3 rows and import each."
    )
    # Only the header and one row past the cap were read.
    assert len(workbook.read(data, 3).records) == 5


def test_a_bidirectional_control_in_a_cell_is_refused_naming_it() -> None:
    data = xlsx([["date", "title"], [date(2027, 1, 31), "evil\u202etxt.exe"]])
    with pytest.raises(CsvRefused, match=r"^Row 2, column B: This cell contains .*U\+202E"):
        rows(data)


def _ole(extra: bytes = b"") -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + extra + b"\0" * 512


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (xlsx([["date", "title"]])[:1500], "damaged or cut short"),
        (_ole(), "old Excel 97-2003 workbook (.xls)"),
        (_ole("EncryptionInfo".encode("utf-16-le")), "protected by a password"),
        (zip_of({"word/document.xml": b"<w/>"}), "a Word document"),
        (zip_of({"notes.txt": b"hello"}), "a zip archive but not an Excel workbook"),
        (zip_of({"xl/workbook.bin": b"\0"}), "binary workbook (.xlsb)"),
        (zip_of({"mimetype": b"x", "content.xml": b"<x/>"}), "OpenDocument spreadsheet"),
        (zip_of({"xl/workbook.xml": b"<not xml"}), "damaged and cannot be read"),
    ],
)
def test_what_is_not_a_readable_workbook_is_refused_saying_what_to_do(
    data: bytes, says: str
) -> None:
    with pytest.raises(CsvRefused) as refused:
        csv_reader.read(data)
    assert says in refused.value.message
    assert "save" in refused.value.message or "import a" in refused.value.message


def test_a_workbook_that_unpacks_to_too_much_is_refused_before_it_is_parsed() -> None:
    data = bomb(xlsx([["date", "title"], [date(2027, 1, 31), "First"]]), 65 * 1024 * 1024)
    assert len(data) < csv_reader.MAX_BYTES
    with pytest.raises(CsvRefused) as refused:
        csv_reader.read(data)
    assert refused.value.message.startswith(
        "The workbook unpacks to 65 MB, more than the 64 MB an import reads"
    )


def test_the_size_limit_applies_to_the_file_as_uploaded() -> None:
    big = openpyxl.Workbook()
    sheet = big.active
    assert sheet is not None
    # Text that does not compress: a workbook over 2 MB as uploaded.
    for _ in range(600):
        sheet.append([os.urandom(4000).hex()])
    out = io.BytesIO()
    big.save(out)
    assert len(out.getvalue()) > csv_reader.MAX_BYTES
    with pytest.raises(CsvRefused, match="larger than 2 MB"):
        csv_reader.read(out.getvalue())
