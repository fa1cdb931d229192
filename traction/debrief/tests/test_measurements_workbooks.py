"""Measurements kept in an Excel workbook (.xlsx), imported as the same rows in CSV are: by
the service (the same results, a re-import corrects and never duplicates, every bad row named
by the sheet's row, all or nothing), through the web form (preview, then import) and through
the API; and the workbooks that cannot be read refused beside the file, nothing written."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from traction.core import clock
from traction.core.errors import ValidationFailed
from traction.core.models import AuditEvent
from traction.core.testing.cast import Cast
from traction.core.tests.xlsx_files import bomb, with_saved_values, xlsx
from traction.debrief.models import Measurement
from traction.debrief.services import scorecards

from .scorecard_helpers import make_metric

pytestmark = pytest.mark.django_db
NOW = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)
METRIC = "Days to first invoice"
CSV = (
    b"metric,date,value,note\n"
    b"Days to first invoice,2027-01-31,12,\n"
    b"Days to first invoice,2027-02-28,10.25,Invoices sent on day one\n"
    b"Days to first invoice,2027-03-31,0.3,\n"
)


@pytest.fixture(autouse=True)
def _frozen() -> Any:
    with clock.frozen(NOW) as frozen:
        yield frozen


def sheet(*rows: list[Any], **kw: Any) -> bytes:
    """The measurements as a workbook: dates typed as dates, values as numbers."""
    return xlsx([["Metric", "Date", "Value", "Note"], *rows], **kw)


WORKBOOK = sheet(
    [METRIC, date(2027, 1, 31), 12, None],
    [METRIC, datetime(2027, 2, 28), 10.25, "Invoices sent on day one"],
    [METRIC, date(2027, 3, 31), 0.1 + 0.2, None],  # 0.30000000000000004, shown 0.3
)


def measured() -> list[tuple[date, Decimal, str, str]]:
    return list(Measurement.objects.order_by("on").values_list("on", "value", "note", "source"))


def test_a_workbook_imports_as_the_same_rows_in_csv_do(cast: Cast) -> None:
    make_metric(cast)
    core = cast.viewer("core_team")
    from_csv = scorecards.import_measurements(core, program=cast.program, data=CSV)
    as_csv = measured()
    Measurement.objects.all().delete()
    from_xlsx = scorecards.import_measurements(
        core, program=cast.program, data=WORKBOOK, filename="kpis.xlsx"
    )
    assert (from_xlsx.created, from_xlsx.place) == (3, "Row")
    assert (from_csv.created, from_csv.place) == (3, "Line")
    assert as_csv == [
        (date(2027, 1, 31), Decimal("12"), "", "csv"),
        (date(2027, 2, 28), Decimal("10.25"), "Invoices sent on day one", "csv"),
        (date(2027, 3, 31), Decimal("0.3"), "", "csv"),
    ]
    # The same rows, recorded as coming from a workbook.
    assert measured() == [(on, value, note, "xlsx") for on, value, note, _ in as_csv]


def test_reimporting_a_corrected_workbook_corrects_and_never_duplicates(cast: Cast) -> None:
    make_metric(cast)
    core = cast.viewer("core_team")
    scorecards.import_measurements(core, program=cast.program, data=WORKBOOK)
    corrected = sheet(
        [METRIC, date(2027, 1, 31), 12, None],
        [METRIC, datetime(2027, 2, 28), 9.5, "Invoices sent on day one"],
        [METRIC, date(2027, 3, 31), 0.3, None],
    )
    preview = scorecards.import_measurements(
        core, program=cast.program, data=corrected, dry_run=True
    )
    assert (preview.created, preview.corrected, preview.unchanged) == (0, 1, 2)
    again = scorecards.import_measurements(core, program=cast.program, data=corrected)
    assert (again.created, again.corrected, again.unchanged) == (0, 1, 2)
    assert Measurement.objects.count() == 3
    assert AuditEvent.objects.get(action="measurement.corrected").changes["value"] == [
        "10.25",
        "9.5",
    ]


def test_every_bad_row_is_named_by_the_sheets_row_and_nothing_is_written(cast: Cast) -> None:
    make_metric(cast)
    data = sheet(
        [METRIC, date(2027, 1, 31), 12],
        [],  # a blank row: the rows after it keep their numbers in the sheet
        ["Nope", date(2027, 1, 31), 3],
        [METRIC, "2027-02-30", 3],
        [METRIC, date(2027, 2, 1), "three"],
        [METRIC, date(2027, 1, 31), 4],
        [METRIC, date(2028, 1, 1), 1],
        [METRIC, 46082, 2],  # a date cell formatted as General: the sheet shows its day number
    )
    with pytest.raises(ValidationFailed) as refused:
        scorecards.import_measurements(cast.viewer("core_team"), program=cast.program, data=data)
    assert refused.value.errors["file"] == [
        "Row 4: no metric named “Nope” in this program.",
        "Row 5: “2027-02-30” is not a date in the calendar.",
        "Row 6: “three” is not a number.",
        "Row 7: “Days to first invoice” on 2027-01-31 is already on row 2.",
        "Row 8: 2028-01-01 is in the future.",
        "Row 9: “46082” is not a date: it looks like a spreadsheet's day number, shown when "
        "the cell is formatted as General or Number; format the column as a date (or write "
        "dates as YYYY-MM-DD) and import the file again.",
    ]
    assert not Measurement.objects.exists()


def test_a_percentage_cell_reads_as_its_percentage_with_the_warning(cast: Cast) -> None:
    make_metric(cast)
    data = sheet([METRIC, date(2027, 1, 31), 0.425], formats={"C2": "0.0%"})
    outcome = scorecards.import_measurements(
        cast.viewer("core_team"), program=cast.program, data=data, dry_run=True
    )
    assert outcome.rows[0][0].value == Decimal("42.5")
    assert outcome.warnings == [
        "Row 2: the value has a “%” and is read as 42.5, but “Days to first invoice” is "
        "measured in days."
    ]


def test_a_formula_gives_its_saved_value_and_one_never_calculated_is_refused(
    cast: Cast,
) -> None:
    make_metric(cast)
    written = sheet([METRIC, date(2027, 1, 31), "=10+2"], [METRIC, date(2027, 2, 28), "=20/2"])
    saved = with_saved_values(written, {"C2": "12", "C3": "10"})
    core = cast.viewer("core_team")
    assert scorecards.import_measurements(core, program=cast.program, data=saved).created == 2
    Measurement.objects.all().delete()
    with pytest.raises(ValidationFailed) as refused:
        scorecards.import_measurements(core, program=cast.program, data=written)
    assert refused.value.errors["file"] == [
        "Row 2: the cell C2 holds a formula with no saved value (the program that wrote the "
        "workbook never calculated it); open the file in Excel or LibreOffice, save it again "
        "and import it."
    ]
    assert not Measurement.objects.exists()


def test_the_row_cap_and_unreadable_workbooks_refuse_the_whole_file(
    cast: Cast, settings: Any
) -> None:
    make_metric(cast)
    settings.TRACTION_IMPORT_MAX_ROWS = {**settings.TRACTION_IMPORT_MAX_ROWS, "measurements": 2}
    core = cast.viewer("core_team")
    over = sheet(*[[METRIC, date(2027, 1, d), d] for d in range(1, 6)])
    with pytest.raises(ValidationFailed) as refused:
        scorecards.import_measurements(core, program=cast.program, data=over, filename="k.xlsx")
    assert refused.value.errors["file"] == [
        "“k.xlsx” has more than 2 rows, the most one import takes (row 3 is the sheet's row 4); "
        "split it into files of at most 2 rows and import each."
    ]
    for data, says in [
        (WORKBOOK[: len(WORKBOOK) // 2], "damaged or cut short"),
        (bomb(WORKBOOK, 65 * 1024 * 1024), "unpacks to 65 MB"),
    ]:
        with pytest.raises(ValidationFailed) as refused:
            scorecards.import_measurements(core, program=cast.program, data=data)
        assert says in refused.value.errors["file"][0]
    assert not Measurement.objects.exists()


def test_the_web_form_previews_and_imports_a_workbook(
    cast: Cast, client_for: Callable[[str], Client]
) -> None:
    make_metric(cast)
    client = client_for("core_team")
    target = f"/w/{cast.acme.slug}/debriefs/programs/{cast.program.pk}/scorecard/import/"
    form = client.get(target).content.decode()
    assert 'accept=".csv,.tsv,.txt,.xlsx,' in form
    assert "Excel workbook (.xlsx)" in form
    preview = client.post(target, {"file": SimpleUploadedFile("kpis.xlsx", WORKBOOK)})
    page = preview.content.decode()
    assert preview.status_code == 200
    assert "3</strong> new" in page
    assert '<th scope="col">Row</th>' in page
    # Dates as pages write them, and the note each row carries.
    assert "<td>28 Feb 2027</td>" in page
    assert "<td>Invoices sent on day one</td>" in page
    assert not Measurement.objects.exists()
    done = client.post(target, {"confirm": "1", "digest": preview.context["digest"]})
    assert done.status_code == 302
    assert [m[1] for m in measured()] == [Decimal("12"), Decimal("10.25"), Decimal("0.3")]
    # The same file with one note changed: the preview says which row changes and how.
    Measurement.objects.filter(on=date(2027, 2, 28)).update(note="Old note")
    again = client.post(target, {"file": SimpleUploadedFile("kpis.xlsx", WORKBOOK)})
    assert "Changes its note" in again.content.decode()
    # A workbook that cannot be read: refused beside the file field, nothing written.
    old = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1024
    refused = client.post(target, {"file": SimpleUploadedFile("kpis.xls", old)})
    assert refused.status_code == 422
    assert "old Excel 97-2003 workbook (.xls)" in refused.context["form"].errors["file"][0]


def test_the_api_imports_a_workbook_whatever_its_name(
    cast: Cast, api_client_for: Callable[[str], Client]
) -> None:
    make_metric(cast)
    answer = api_client_for("core_team").post(
        f"/api/v1/programs/{cast.program.pk}/measurements/import",
        {"file": SimpleUploadedFile("export.csv", WORKBOOK)},
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["created"] == 3
    bad = api_client_for("core_team").post(
        f"/api/v1/programs/{cast.program.pk}/measurements/import",
        {"file": SimpleUploadedFile("k.xlsx", sheet(["Nope", date(2027, 1, 31), 1]))},
    )
    assert bad.status_code == 422
    assert "Row 2: no metric named “Nope” in this program." in bad.content.decode()
