"""Deliveries kept in an Excel workbook (.xlsx), imported as the same rows in CSV are: by the
service (the same deliveries, a second import changes nothing, every bad row named by the
sheet's row, all or nothing, the row cap, damaged workbooks), through the web form and
through the API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from traction.core.errors import ValidationFailed
from traction.core.tests.xlsx_files import bomb, with_saved_values, xlsx
from traction.loop.models import Delivery
from traction.loop.services import deliveries

from . import world as w
from .test_pages_and_api import url

HEADER = ["Date", "Title", "Link", "External ID", "Priorities"]


def delivered() -> list[tuple[str, str, str, str, list[int]]]:
    return [
        (
            d.on.isoformat(),
            d.title,
            d.link,
            d.external_id,
            sorted(d.priorities.values_list("pk", flat=True)),
        )
        for d in Delivery.objects.order_by("on", "title")
    ]


def workbook(world: w.World) -> bytes:
    # Dates typed as dates, the id a number (no "1234.0"), the priority ids a number or text.
    return xlsx(
        [
            HEADER,
            [date(2027, 1, 10), "One-page approval", "https://example.com/notes/1", 1234],
            [None],
            [
                datetime(2027, 1, 12),
                "Phone approvals",
                "https://example.com/notes/2",
                None,
                f"{world.card.pk} {world.quiet.pk}",
            ],
            [date(2027, 1, 12), "Priority by number", None, None, world.card.pk],
        ]
    )


def csv_of(world: w.World) -> bytes:
    return (
        "date,title,link,external_id,priorities\n"
        "2027-01-10,One-page approval,https://example.com/notes/1,1234,\n"
        f"2027-01-12,Phone approvals,https://example.com/notes/2,,{world.card.pk} "
        f"{world.quiet.pk}\n"
        f"2027-01-12,Priority by number,,,{world.card.pk}\n"
    ).encode()


def test_a_workbook_imports_the_same_deliveries_as_the_csv_and_again_changes_nothing(
    world: w.World,
) -> None:
    facilitator = world.cast.viewer("facilitator")
    program = world.cast.program
    outcome = deliveries.import_deliveries(facilitator, program, workbook(world), "d.xlsx")
    assert (outcome.created, outcome.linked) == (3, 3)
    assert set(Delivery.objects.values_list("source", flat=True)) == {"xlsx"}
    assert delivered() == [
        ("2027-01-10", "One-page approval", "https://example.com/notes/1", "1234", []),
        (
            "2027-01-12",
            "Phone approvals",
            "https://example.com/notes/2",
            "",
            sorted([world.card.pk, world.quiet.pk]),
        ),
        ("2027-01-12", "Priority by number", "", "", [world.card.pk]),
    ]
    again = deliveries.import_deliveries(facilitator, program, workbook(world), "d.xlsx")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    # The same rows as CSV are the same deliveries: found again, nothing changed.
    as_csv = deliveries.import_deliveries(facilitator, program, csv_of(world), "d.csv")
    assert (as_csv.created, as_csv.updated, as_csv.unchanged) == (0, 0, 3)
    assert Delivery.objects.count() == 3


def test_bad_rows_are_named_by_the_sheets_row_and_nothing_is_written(world: w.World) -> None:
    data = xlsx(
        [
            [None],
            HEADER,
            [date(2027, 1, 10), "Good row"],
            ["2027-13-01", None, "notaurl", None, "99999 abc"],
            [date(2027, 1, 10), "Good row"],
            [date(2027, 1, 11), "Unknown priority", None, None, 424242],
        ]
    )
    with pytest.raises(ValidationFailed) as refused:
        deliveries.import_deliveries(world.cast.viewer("facilitator"), world.cast.program, data)
    assert refused.value.errors["file"] == [
        "Row 4: “2027-13-01” is not a date in the calendar; the title is missing; “notaurl” "
        "is not a web address (http or https); “abc” is not a priority id.",
        "Row 5: the same delivery as row 3.",
    ]
    fine = xlsx([HEADER, [date(2027, 1, 11), "Unknown priority", None, None, 424242]])
    with pytest.raises(ValidationFailed) as refused:
        deliveries.import_deliveries(world.cast.viewer("facilitator"), world.cast.program, fine)
    assert refused.value.errors["file"] == [
        "Row 2: No customer priority of this program with the id 424242."
    ]
    assert not Delivery.objects.exists()


def test_formulas_the_row_cap_and_damaged_workbooks(world: w.World, settings: Any) -> None:
    facilitator, program = world.cast.viewer("facilitator"), world.cast.program
    written = xlsx([HEADER, [date(2027, 1, 10), '="Release "&"42"']])
    with pytest.raises(ValidationFailed) as refused:
        deliveries.import_deliveries(facilitator, program, written)
    assert refused.value.errors["file"][0].startswith(
        "Row 2: the cell B2 holds a formula with no saved value"
    )
    saved = with_saved_values(written, {"B2": "Release 42"})
    assert deliveries.import_deliveries(facilitator, program, saved).created == 1
    assert Delivery.objects.get().title == "Release 42"
    settings.TRACTION_IMPORT_MAX_ROWS = {**settings.TRACTION_IMPORT_MAX_ROWS, "deliveries": 2}
    over = xlsx([HEADER] + [[date(2027, 1, d), f"Release {d}"] for d in range(1, 9)])
    with pytest.raises(ValidationFailed) as refused:
        deliveries.import_deliveries(facilitator, program, over, "d.xlsx")
    assert refused.value.errors["file"] == [
        "“d.xlsx” has more than 2 rows, the most one import takes (row 3 is the sheet's row 4); "
        "split it into files of at most 2 rows and import each."
    ]
    for data, says in [
        (over[:700], "damaged or cut short"),
        (bomb(over, 65 * 1024 * 1024), "unpacks to 65 MB"),
    ]:
        with pytest.raises(ValidationFailed) as refused:
            deliveries.import_deliveries(facilitator, program, data)
        assert says in refused.value.errors["file"][0]
    assert Delivery.objects.count() == 1


def test_the_web_form_imports_a_workbook(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    client = client_for("facilitator")
    target = url(world.cast, "deliveries_import", program_id=world.cast.program.pk)
    form = client.get(target).content.decode()
    assert 'accept=".csv,.tsv,.txt,.xlsx,' in form
    assert "Excel workbook (.xlsx)" in form
    answer = client.post(target, {"file": SimpleUploadedFile("d.xlsx", workbook(world))})
    assert answer.status_code == 302
    assert Delivery.objects.count() == 3
    bad = xlsx([HEADER, [date(2027, 1, 10), None]])
    refused = client.post(target, {"file": SimpleUploadedFile("d.xlsx", bad)})
    assert refused.status_code == 422
    assert refused.context["errors"] == ["Row 2: the title is missing."]


def test_the_api_imports_a_workbook(
    world: w.World, api_client_for: Callable[[str], Client]
) -> None:
    answer = api_client_for("facilitator").post(
        f"/api/v1/programs/{world.cast.program.pk}/deliveries/import",
        {"file": SimpleUploadedFile("release-notes", workbook(world))},
    )
    assert answer.status_code == 200, answer.content
    assert answer.json() == {"created": 3, "updated": 0, "unchanged": 0, "linked": 3}
