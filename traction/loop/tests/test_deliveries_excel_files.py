"""Deliveries CSV files as Excel writes them, imported through the page and the API: a
Western European Excel's "CSV" (Windows-1252, semicolons, day-first dates) and "Unicode
text" (UTF-16, tabs). A slashed date that could be either order is read in the order another
date of the same file shows, as the measurements import does."""

from __future__ import annotations

import codecs
from collections.abc import Callable

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from traction.loop.models import Delivery

from . import world as w
from .test_pages_and_api import url

EUROPEAN_EXCEL = (
    "Date;Title;Description\r\n"
    "25/12/2026;Approval in one page;Café – “no more” 40 pages\r\n"
    "03/01/2027 14:30;Pre-filled billing form;\r\n"
    ";;\r\n"
)


def delivered(program_id: int) -> list[tuple[str, str, str]]:
    return [
        (d.on.isoformat(), d.title, d.description)
        for d in Delivery.objects.filter(program_id=program_id).order_by("on")
    ]


def test_a_european_excel_csv_reads_day_first_dates_by_the_file(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    target = url(cast, "deliveries_import", program_id=cast.program.pk)
    data = EUROPEAN_EXCEL.encode("cp1252")
    answer = client_for("facilitator").post(
        target, {"file": SimpleUploadedFile("deliveries.csv", data)}
    )
    assert answer.status_code == 302, answer.context and answer.context.get("errors")
    assert delivered(cast.program.pk) == [
        ("2026-12-25", "Approval in one page", "Café – “no more” 40 pages"),
        ("2027-01-03", "Pre-filled billing form", ""),
    ]


def test_a_date_no_other_date_orders_is_refused_by_its_line_and_nothing_is_written(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    target = url(cast, "deliveries_import", program_id=cast.program.pk)
    data = "Date;Title\r\n03/04/2027;Pre-filled billing form\r\n".encode("cp1252")
    answer = client_for("facilitator").post(target, {"file": SimpleUploadedFile("d.csv", data)})
    assert answer.context["errors"] == [
        "Line 2: “03/04/2027” could be 3 April or 4 March, and no other date in the file "
        "tells which; write it as YYYY-MM-DD."
    ]
    assert delivered(cast.program.pk) == []


def test_unicode_text_from_excel_through_the_api(
    world: w.World, api_client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    text = EUROPEAN_EXCEL.replace(";", "\t").replace("Café – “no more” 40 pages", '"two\r\nlines"')
    data = codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    answer = api_client_for("facilitator").post(
        f"/api/v1/programs/{cast.program.pk}/deliveries/import",
        {"file": SimpleUploadedFile("deliveries.txt", data)},
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["created"] == 2
    assert delivered(cast.program.pk) == [
        # Lines as "\n" (the file's CRLF inside a quoted cell, before, was kept as "\r\n").
        ("2026-12-25", "Approval in one page", "two\nlines"),
        ("2027-01-03", "Pre-filled billing form", ""),
    ]


def test_a_bad_row_after_a_note_on_two_lines_is_named_by_the_line_it_starts_on(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    target = url(cast, "deliveries_import", program_id=cast.program.pk)
    data = (
        b'date,title,description\r\n2027-13-01,Two lines,"first\r\nsecond"\r\n'
        b"2027-01-05,Fine,\r\n2027-01-06,Ids in cells,12;13,14\r\n"
    )
    answer = client_for("facilitator").post(target, {"file": SimpleUploadedFile("d.csv", data)})
    assert answer.status_code == 422  # refused: the form and its errors (as the insight import)
    # Before: "Line 3" (where the row ended), and the last row's "14" dropped unseen.
    assert answer.context["form"].errors["file"] == [
        "Line 5: This row has 4 cells but the header has 3; put a cell that contains a “,” in "
        'double quotes (a decimal comma in a comma-separated file too: "1,5").'
    ]
    answer = client_for("facilitator").post(
        target,
        {"file": SimpleUploadedFile("d.csv", data.replace(b"12;13,14", b'"12;13,14"'))},
    )
    assert answer.context["errors"][0].startswith("Line 2: “2027-13-01” is not a date")
    assert delivered(cast.program.pk) == []
