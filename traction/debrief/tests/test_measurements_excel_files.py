"""Measurement files as spreadsheets write them, through the API: a German Excel's "CSV"
(Windows-1252, semicolons, day.month.year, "1.234,5" and a lone "1.234" that is a
thousand), a US export ("1,234" with "12.5" elsewhere), accounting negatives and the minus
sign, and a value that reads two ways with nothing in the file to tell, refused by its line
with nothing written."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from traction.core import clock
from traction.core.testing.cast import Cast
from traction.debrief import measurements_csv
from traction.debrief.models import Measurement

from .scorecard_helpers import make_metric

pytestmark = pytest.mark.django_db
NOW = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen() -> Any:
    with clock.frozen(NOW) as frozen:
        yield frozen


def upload(cast: Cast, client: Client, data: bytes) -> Any:
    return client.post(
        f"/api/v1/programs/{cast.program.pk}/measurements/import",
        {"file": SimpleUploadedFile("kpis.csv", data)},
    )


def values() -> list[tuple[str, Decimal]]:
    return [(m.on.isoformat(), m.value) for m in Measurement.objects.order_by("on")]


def test_a_german_excel_csv(cast: Cast, api_client_for: Callable[[str], Client]) -> None:
    make_metric(cast, "Umsatz pro Woche", direction="up", baseline="0", target="5000")
    data = (
        "sep=;\r\nMetric;Date;Value;Note\r\n"
        "Umsatz pro Woche;31.01.2027;1.234;Ä erste Woche\r\n"
        "Umsatz pro Woche;07.02.2027;1.234,5;„gut“\r\n"
        "Umsatz pro Woche;14.02.2027;(12,5);Rückbuchung\r\n"
        ";;;\r\n"
    ).encode("cp1252")
    answer = upload(cast, api_client_for("core_team"), data)
    assert answer.status_code == 200, answer.content
    assert values() == [
        ("2027-01-31", Decimal("1234")),
        ("2027-02-07", Decimal("1234.5")),
        ("2027-02-14", Decimal("-12.5")),
    ]


def test_a_us_export_groups_thousands_with_commas(
    cast: Cast, api_client_for: Callable[[str], Client]
) -> None:
    make_metric(cast, "Weekly revenue", direction="up", baseline="0", target="5000")
    data = (
        'metric,date,value\nWeekly revenue,1/31/2027,"1,234"\n'
        "Weekly revenue,2/7/2027,12.5\nWeekly revenue,2/14/2027,\u22123\n"
    ).encode()
    answer = upload(cast, api_client_for("core_team"), data)
    assert answer.status_code == 200, answer.content
    assert values() == [
        ("2027-01-31", Decimal("1234")),
        ("2027-02-07", Decimal("12.5")),
        ("2027-02-14", Decimal("-3")),
    ]


def test_a_value_that_reads_two_ways_is_refused_by_its_line(
    cast: Cast, api_client_for: Callable[[str], Client]
) -> None:
    make_metric(cast, "Weekly revenue", direction="up", baseline="0", target="5000")
    data = b'metric,date,value\nWeekly revenue,2027-01-31,"1,234"\nWeekly revenue,2027-02-07,7\n'
    answer = upload(cast, api_client_for("core_team"), data)
    assert answer.status_code == 422
    assert (
        "Line 2: “1,234” could be 1234 or 1.234, and the file's other values do not tell "
        "which; write it without grouping the thousands, or with a decimal mark other "
        "values share." in answer.content.decode()
    )
    assert values() == []


@pytest.mark.parametrize(
    ("cells", "mark"),
    [
        (["12,5", "1.234"], ","),
        (["1.234.567", "1,234"], ","),
        (["12.5", "1,234"], "."),
        (["1,234,567", "7"], "."),
        (["1,234", "1.250", "7", "0,125"], ","),
        (["1,234", "7"], None),
        (["12,5", "12.5"], None),
    ],
)
def test_the_decimal_mark_is_the_one_unambiguous_values_show(
    cells: list[str], mark: str | None
) -> None:
    assert measurements_csv.decimal_mark(cells) == mark


def test_a_decimal_comma_without_quotes_is_refused_not_cut_to_its_whole_part(
    cast: Cast, api_client_for: Callable[[str], Client]
) -> None:
    """Before, "1,5" unquoted in a comma-separated file was read as 1 (the "5" a fourth
    cell, dropped)."""
    make_metric(cast, "Weekly revenue", direction="up", baseline="0", target="5000")
    data = b"metric,date,value\nWeekly revenue,2027-01-31,7,\nWeekly revenue,2027-02-07,1,5\n"
    answer = upload(cast, api_client_for("core_team"), data)
    assert answer.status_code == 422
    assert (
        "Line 3: This row has 4 cells but the header has 3; put a cell that contains a “,” in "
        'double quotes (a decimal comma in a comma-separated file too: \\"1,5\\").'
    ) in answer.content.decode()
    assert values() == []


def test_two_digit_years_as_excel_on_a_mac_writes_them(
    cast: Cast, api_client_for: Callable[[str], Client]
) -> None:
    """Before, "1/31/27" and "14-Feb-27" were "not a date"."""
    make_metric(cast, "Weekly revenue", direction="up", baseline="0", target="5000")
    data = (
        b"metric,date,value\nWeekly revenue,1/31/27,7\nWeekly revenue,2/7/27 9:30 AM,8\n"
        b"Weekly revenue,14-Feb-27,9\nWeekly revenue,21.02.27,10\n"
    )
    answer = upload(cast, api_client_for("core_team"), data)
    assert answer.status_code == 200, answer.content
    assert [on for on, _ in values()] == ["2027-01-31", "2027-02-07", "2027-02-14", "2027-02-21"]
