"""The shared CSV reader: encodings, delimiters, the header, blank rows, short rows, limits."""

from __future__ import annotations

import codecs
import io

import pytest

from traction.core import csv_reader
from traction.core.csv_reader import CsvRefused

ALIASES = {"date": "date", "on": "date", "title": "title", "external id": "external_id"}
REQUIRED = ("date", "title")
REFUSAL = "The first line must name the columns date and title;"


def rows(data: bytes, max_rows: int = 10) -> list[tuple[int, str, str, str]]:
    table = csv_reader.read(data)
    return [
        (line, cell("date"), cell("title"), cell("external_id"))
        for line, cell in csv_reader.rows(
            table,
            aliases=ALIASES,
            required=REQUIRED,
            refusal=REFUSAL,
            cap=csv_reader.RowCap(max_rows, "dates.csv"),
        )
    ]


def test_reads_rows_with_their_lines_skipping_blank_lines_and_short_rows() -> None:
    data = b"\n On ;Title;External_ID\n2027-01-02; First ;A-1\n\n;;\n2027-01-03;Second\n"
    assert rows(data) == [(3, "2027-01-02", "First", "A-1"), (6, "2027-01-03", "Second", "")]


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("date,title\n2027-01-02,Café\n".encode(), "utf-8"),
        (codecs.BOM_UTF8 + "date,title\n2027-01-02,Café\n".encode(), "utf-8"),
        ("date\ttitle\n2027-01-02\tCafé\n".encode("utf-16"), "utf-16"),
        ("date;title\n2027-01-02;Café\n".encode("cp1252"), "cp1252"),
    ],
)
def test_encodings_and_delimiters(data: bytes, encoding: str) -> None:
    assert csv_reader.read(data).encoding == encoding
    assert rows(data) == [(2, "2027-01-02", "Café", "")]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"  \n\n", "The file is empty."),
        (b"date,title\x00", "binary data"),
        (b"date,name\n2027-01-02,x\n", "date and title; missing: title."),
        (b"x" * (csv_reader.MAX_BYTES + 1), "larger than 2 MB"),
        (codecs.BOM_UTF16_LE + b"\x00\xd8", "not readable as such"),
    ],
)
def test_refuses_what_cannot_be_read(data: bytes, message: str) -> None:
    with pytest.raises(CsvRefused) as refused:
        rows(data)
    assert message in refused.value.message


def test_more_rows_than_allowed_refuse_the_file() -> None:
    data = b"date,title\n" + b"2027-01-02,x\n" * 3
    assert len(rows(data, max_rows=3)) == 3
    with pytest.raises(csv_reader.TooManyRows) as refused:
        rows(data, max_rows=2)
    assert refused.value.message == (
        "“dates.csv” has more than 2 rows, the most one import takes (row 3 is on line 4); "
        "split it into files of at most 2 rows and import each."
    )
    assert refused.value.line == 4


def test_the_row_limit_is_met_while_reading_so_the_rest_is_never_read() -> None:
    """A file far over the limit is refused at its first row too many: the rows after it are
    not read (a broken row further on does not matter)."""
    data = b"date,title\n" + b"2027-01-02,x\n" * 5 + b'"never closed\n' + b"2027-01-02,x\n" * 5
    read: list[int] = []
    table = csv_reader.read(data)

    def take() -> None:
        for line, _cell in csv_reader.rows(
            table, aliases=ALIASES, required=REQUIRED, refusal=REFUSAL, cap=csv_reader.RowCap(3)
        ):
            read.append(line)

    with pytest.raises(csv_reader.TooManyRows, match="line 5"):
        take()
    assert read == [2, 3, 4]


def test_row_caps_come_from_the_setting(settings) -> None:
    assert csv_reader.row_cap("insights") == 100_000
    assert csv_reader.row_cap("deliveries") == 5_000
    assert csv_reader.row_cap("measurements") == 20_000
    settings.TRACTION_IMPORT_MAX_ROWS = {**settings.TRACTION_IMPORT_MAX_ROWS, "insights": 7}
    assert csv_reader.row_cap("insights") == 7


def test_the_first_alias_of_a_column_wins() -> None:
    data = b"date,on,title\n2027-01-02,2027-05-05,x\n"
    assert rows(data) == [(2, "2027-01-02", "x", "")]


CUT = "date,title\n2027-01-01,Café crème for José\n".encode()[:-2]  # "é" cut in two


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (CUT, "utf-8"),  # before: "cp1252", every "é" read as "Ã©"
        ("date,title\n2027-01-01,Café".encode("cp1252"), "cp1252"),  # only its end is not ASCII
        ("date,title\n2027-01-01,Café\n".encode("cp1252"), "cp1252"),
        ("date,title\n2027-01-01,Café".encode(), "utf-8"),
    ],
)
def test_a_utf8_file_cut_mid_character_stays_utf8(data: bytes, encoding: str) -> None:
    assert csv_reader.encoding_of(io.BytesIO(data)) == encoding


def test_a_utf8_file_cut_mid_character_is_refused_at_its_last_line() -> None:
    with pytest.raises(CsvRefused) as refused:
        rows(CUT)
    assert refused.value.message == (
        "Line 2: The file ends in the middle of a character; it was probably cut short "
        "while it was copied or downloaded: export or download it again."
    )


def test_a_row_with_more_filled_cells_than_the_header_is_refused_at_its_line() -> None:
    data = b'date;title\n2027-01-01;"two\nlines";\n2027-01-02;One;12;13\n'
    with pytest.raises(CsvRefused) as refused:
        rows(data)
    assert refused.value.message == (
        "Line 4: This row has 4 cells but the header has 2; put a cell that contains a “;” "
        "in double quotes."
    )
    assert rows(data.replace(b";12;13", b";;")) == [
        (2, "2027-01-01", "two\nlines", ""),
        (4, "2027-01-02", "One", ""),
    ]
