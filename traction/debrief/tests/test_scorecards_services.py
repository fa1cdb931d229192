"""The scorecard's rules: ready metrics, direction-aware progress, ratios, measurements by
hand and by CSV (all or nothing, line numbers, corrections, encodings), checkpoints."""

from __future__ import annotations

import codecs
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from traction.core import clock, csv_reader
from traction.core.errors import Conflict, PermissionDenied, ValidationFailed
from traction.core.models import AuditEvent
from traction.core.testing.cast import Cast
from traction.debrief import measurements_csv
from traction.debrief import selectors_scorecards as sel
from traction.debrief.models import (
    Checkpoint,
    DebriefStatus,
    Measurement,
    Recommendation,
    RecommendationMetric,
    ScorecardMetric,
)
from traction.debrief.services import recommendations, scorecards
from traction.debrief.services.scorecards import Entry
from traction.programs.models import ProgramMember

from .actions_world import recommendation
from .scorecard_helpers import Sink, make_debrief, make_metric, mark_closed

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen() -> Any:
    with clock.frozen(NOW) as frozen:
        yield frozen


def fake(**values: Any) -> Any:
    base: dict[str, Any] = {
        "baseline": Decimal("10"),
        "target": Decimal("20"),
        "direction": "up",
        "baseline_on": None,
        "target_on": None,
        "forecast": [],
        "definition": "d",
        "unit": "u",
    }
    base.update(values)
    return SimpleNamespace(**base)


# --- the ready rule and progress ------------------------------------------------------------


def test_ready_needs_definition_unit_direction_baseline_and_target() -> None:
    assert sel.missing_for_ready(fake()) == []
    assert sel.missing_for_ready(fake(definition=" ", unit="", baseline=None, target=None)) == [
        "definition",
        "unit",
        "baseline",
        "target",
    ]


@pytest.mark.parametrize(
    ("direction", "baseline", "target", "latest", "percent", "status"),
    [
        ("up", "10", "20", "15", 50, "on_track"),
        ("up", "10", "20", "20", 100, "achieved"),
        ("up", "10", "20", "25", 150, "achieved"),
        ("up", "10", "20", "5", -50, "behind"),
        ("down", "14", "2", "8", 50, "on_track"),
        ("down", "14", "2", "2", 100, "achieved"),
        ("down", "14", "2", "1", 108, "achieved"),
        ("down", "14", "2", "20", -50, "behind"),
        ("down", "14", "2", "60", -100, "behind"),  # clamped for display
        ("up", "0", "1", "9", 200, "achieved"),  # clamped for display
    ],
)
def test_progress_honours_direction(
    direction: str, baseline: str, target: str, latest: str, percent: int, status: str
) -> None:
    p = sel.progress(
        fake(direction=direction, baseline=Decimal(baseline), target=Decimal(target)),
        Decimal(latest),
    )
    assert (p.percent, p.status) == (percent, status)
    assert 0 <= p.bar <= 100


def test_progress_zero_span_target_is_met_or_not() -> None:
    hold = fake(direction="down", baseline=Decimal("5"), target=Decimal("5"))
    assert sel.progress(hold, Decimal("4")).status == "achieved"
    assert sel.progress(hold, Decimal("5")).percent == 100
    missed = sel.progress(hold, Decimal("6"))
    assert (missed.status, missed.percent) == ("behind", 0)


def test_progress_without_baseline_or_measurement() -> None:
    assert sel.progress(fake(baseline=None), Decimal("3")).status == "not_ready"
    assert sel.progress(fake(target=None), Decimal("3")).status == "not_ready"
    assert sel.progress(fake(), None).status == "no_data"


def test_on_track_or_behind_against_the_forecast_path() -> None:
    m = fake(
        direction="down",
        baseline=Decimal("14"),
        baseline_on=date(2027, 1, 1),
        target=Decimal("2"),
        target_on=date(2027, 12, 31),
        forecast=[{"on": "2027-03-01", "value": "8"}, {"on": "2027-06-01", "value": "4"}],
    )
    # On 1 April the path says 8 - 4/92*31 ≈ 6.65.
    assert sel.progress(m, Decimal("6"), date(2027, 4, 1)).status == "on_track"
    assert sel.progress(m, Decimal("7"), date(2027, 4, 1)).status == "behind"
    assert sel.interpolate(sel.forecast_path(m), date(2027, 2, 1)) == Decimal("14") + (
        Decimal("8") - Decimal("14")
    ) * Decimal(31) / Decimal(59)
    assert sel.interpolate(sel.forecast_path(m), date(2026, 12, 1)) is None
    assert sel.interpolate(sel.forecast_path(m), date(2028, 1, 1)) == Decimal("4")


# --- metrics ---------------------------------------------------------------------------------


def test_create_metric_audits_and_checks_direction(cast: Cast) -> None:
    m = make_metric(cast, forecast=[{"on": "2027-03-01", "value": "9"}])
    assert m.forecast == [{"on": "2027-03-01", "value": "9"}]
    assert AuditEvent.objects.filter(action="metric.created", object_id=str(m.pk)).exists()
    with pytest.raises(ValidationFailed) as exc:
        make_metric(cast, name="Wrong way", direction="down", baseline="3", target="9")
    assert "target" in exc.value.errors
    with pytest.raises(ValidationFailed) as exc:
        make_metric(cast, name="Bad number", baseline="lots")
    assert exc.value.errors["baseline"] == ["“lots” is not a number."]


def test_only_the_program_team_defines_metrics(cast: Cast) -> None:
    for principal in ("observer", "account_owner"):
        with pytest.raises(PermissionDenied):
            scorecards.create_metric(cast.viewer(principal), program=cast.program, name="X")
    with pytest.raises(PermissionDenied):  # core team, but of another program
        scorecards.create_metric(cast.viewer("core_team"), program=cast.other_program, name="X")
    assert not ScorecardMetric.objects.exists()
    scorecards.create_metric(cast.viewer("facilitator"), program=cast.other_program, name="X")


def test_a_metric_owner_must_be_able_to_see_and_measure_it(cast: Cast) -> None:
    """As action items refuse observers: the owner reports the metric, so they must see it
    and record its measurements."""
    u = cast.users
    refused = {
        "observer": "Observers change nothing, so they cannot own a metric",
        # An account owner outside the program would not even see it.
        "account_owner": "must be able to see and measure this program's metrics",
    }
    for principal, words in refused.items():
        with pytest.raises(ValidationFailed) as exc:
            make_metric(cast, name=f"Owned by {principal}", owner_id=u[principal].pk)
        assert words in exc.value.errors["owner_id"][0]
    with pytest.raises(ValidationFailed) as exc:  # another workspace's admin
        make_metric(cast, name="Owned by a stranger", owner_id=u["stranger"].pk)
    assert exc.value.errors["owner_id"] == ["The owner must be a current member of this workspace."]
    assert not ScorecardMetric.objects.exists()
    assert {u.email for u in sel.metric_owners(cast.viewer("core_team"), cast.program)} == {
        u[p].email for p in ("admin", "facilitator", "core_team", "sponsor")
    }
    # Who may: the program's team, sponsor, admins and facilitators...
    owned = [
        make_metric(cast, name=f"Owned by {p}", owner_id=u[p].pk)
        for p in ("admin", "facilitator", "core_team", "sponsor")
    ]
    # ...and an account owner once in the program (they then see it; owning it, they measure it).
    ProgramMember.objects.create(program=cast.program, user=u["account_owner"], kind="observer")
    theirs = make_metric(cast, name="Owned by Owen", owner_id=u["account_owner"].pk)
    entry = Entry(theirs, date(2027, 5, 1), Decimal("3"), "")
    assert scorecards.record_measurements(cast.viewer("account_owner"), entries=[entry]).created
    # A change of owner is checked; a metric whose owner since left the program stays
    # editable without choosing again.
    core = cast.viewer("core_team")
    with pytest.raises(ValidationFailed) as exc:
        scorecards.update_metric(
            core, metric=owned[2], changes={"owner_id": u["observer"].pk}, version=None
        )
    assert "owner_id" in exc.value.errors
    ProgramMember.objects.filter(user=u["account_owner"]).update(left_at=NOW)
    scorecards.update_metric(core, metric=theirs, changes={"unit": "hours"}, version=None)
    with pytest.raises(ValidationFailed):
        scorecards.update_metric(
            core, metric=owned[0], changes={"owner_id": u["account_owner"].pk}, version=None
        )


def test_a_stale_edit_is_refused(cast: Cast) -> None:
    m = make_metric(cast)
    core = cast.viewer("core_team")
    scorecards.update_metric(core, metric=m, changes={"unit": "working days"}, version=1)
    with pytest.raises(Conflict):
        scorecards.update_metric(core, metric=m, changes={"unit": "hours"}, version=1)
    m.refresh_from_db()
    assert (m.unit, m.version) == ("working days", 2)
    event = AuditEvent.objects.get(action="metric.changed")
    assert event.changes == {"unit": ["days", "working days"]}


def test_a_ratio_of_two_measured_metrics(cast: Cast) -> None:
    core = cast.viewer("core_team")
    paid = make_metric(cast, "Paid within a day", direction="up", baseline="0", target="50")
    signed = make_metric(cast, "Signed", direction="up", baseline="0", target="100")
    share = make_metric(
        cast,
        "Share paid within a day",
        direction="up",
        baseline="0.1",
        target="0.5",
        numerator_id=paid.pk,
        denominator_id=signed.pk,
    )
    scorecards.record_measurements(
        core,
        entries=[
            Entry(paid, date(2027, 2, 1), Decimal("5")),
            Entry(signed, date(2027, 2, 1), Decimal("20")),
            Entry(paid, date(2027, 3, 1), Decimal("12")),
            Entry(signed, date(2027, 3, 1), Decimal("30")),
            Entry(paid, date(2027, 4, 1), Decimal("99")),  # no denominator that day
        ],
    )
    rows = {r.metric.name: r for r in sel.scorecard(core, cast.program)}
    row = rows["Share paid within a day"]
    assert (row.latest, row.latest_on) == (Decimal("0.4000"), date(2027, 3, 1))
    assert row.recent == [
        (date(2027, 2, 1), Decimal("0.2500")),
        (date(2027, 3, 1), Decimal("0.4000")),
    ]
    assert row.progress.percent == 75
    assert sel.chart_points(share) == row.recent
    # No measurement of a calculated metric; no cycles; no calculated parts.
    with pytest.raises(ValidationFailed):
        scorecards.record_measurements(core, entries=[Entry(share, date(2027, 2, 1), Decimal(1))])
    with pytest.raises(ValidationFailed) as exc:
        make_metric(cast, "Ratio of ratio", numerator_id=share.pk, denominator_id=paid.pk)
    assert "itself calculated" in exc.value.errors["numerator_id"][0]
    with pytest.raises(ValidationFailed):  # paid is a part of share: it must stay measured
        scorecards.update_metric(
            core,
            metric=paid,
            changes={"numerator_id": signed.pk, "denominator_id": share.pk},
            version=None,
        )
    with pytest.raises(ValidationFailed):
        scorecards.update_metric(
            core, metric=share, changes={"numerator_id": share.pk}, version=None
        )
    with pytest.raises(ValidationFailed):
        make_metric(cast, "Half a ratio", numerator_id=paid.pk)
    with pytest.raises(ValidationFailed):  # a part of a ratio is not archived under it
        scorecards.archive_metric(core, metric=paid, version=None)


def test_a_ratio_whose_parts_last_met_before_their_recent_values(cast: Cast) -> None:
    """The scorecard reads a calculated metric's latest value from its parts' recent values;
    when the parts last shared a day before those, it is still found (and a zero denominator
    on the latest shared day gives no value, as on the metric's page)."""
    core = cast.viewer("core_team")
    paid = make_metric(cast, "Paid", direction="up", baseline="0", target="50")
    signed = make_metric(cast, "Signed", direction="up", baseline="0", target="100")
    share = make_metric(
        cast, "Share paid", direction="up", baseline="0.1", target="0.5",
        numerator_id=paid.pk, denominator_id=signed.pk,
    )  # fmt: skip
    zero = make_metric(
        cast, "Share paid (zero)", direction="up", baseline="0.1", target="0.5",
        numerator_id=signed.pk, denominator_id=paid.pk,
    )  # fmt: skip
    first = date(2027, 1, 1)
    entries = [Entry(paid, first, Decimal("0")), Entry(signed, first, Decimal("10"))]
    # Paid then measured daily for more days than a sparkline shows, signed never again.
    entries += [
        Entry(paid, date.fromordinal(first.toordinal() + d), Decimal(d))
        for d in range(1, sel.SPARK_POINTS + 10)
    ]
    scorecards.record_measurements(core, entries=entries)
    rows = {r.metric.name: r for r in sel.scorecard(core, cast.program)}
    assert (rows["Share paid"].latest, rows["Share paid"].latest_on) == (Decimal("0"), first)
    assert rows["Share paid"].recent == []
    assert (rows["Share paid (zero)"].latest, rows["Share paid (zero)"].latest_on) == (None, first)
    last = date.fromordinal(first.toordinal() + sel.SPARK_POINTS + 9)
    assert (rows["Paid"].latest, rows["Paid"].latest_on) == (Decimal(sel.SPARK_POINTS + 9), last)
    assert (rows["Signed"].latest, rows["Signed"].latest_on) == (Decimal("10"), first)
    for name, metric in (("Share paid", share), ("Share paid (zero)", zero), ("Paid", paid)):
        assert (rows[name].latest, rows[name].latest_on) == sel.latest_of(
            sel.with_latest(core, metric.pk)
        )


def test_each_row_has_its_own_recent_values_whoever_shares_their_first_day(cast: Cast) -> None:
    """Metrics whose recent values start on the same day are read in one range, the others
    in their own: each row still has exactly its last ``SPARK_POINTS`` values (or all)."""
    core = cast.viewer("core_team")
    daily = [make_metric(cast, f"Daily {n}") for n in range(2)]
    weekly, few = make_metric(cast, "Weekly"), make_metric(cast, "Few")
    first = date(2026, 1, 1)
    entries = [
        Entry(m, date.fromordinal(first.toordinal() + d), Decimal(d))
        for m in daily
        for d in range(40)
    ]
    entries += [
        Entry(weekly, date.fromordinal(first.toordinal() + 7 * w), Decimal(w)) for w in range(30)
    ]
    entries += [Entry(few, first, Decimal(1)), Entry(few, date(2026, 1, 8), Decimal(2))]
    scorecards.record_measurements(core, entries=entries)
    rows = {r.metric.name: r for r in sel.scorecard(core, cast.program)}
    for m in daily:
        assert rows[m.name].recent == [
            (date.fromordinal(first.toordinal() + d), Decimal(d)) for d in range(16, 40)
        ]
    assert rows["Weekly"].recent == [
        (date.fromordinal(first.toordinal() + 7 * w), Decimal(w)) for w in range(6, 30)
    ]
    assert rows["Few"].recent == [(first, Decimal(1)), (date(2026, 1, 8), Decimal(2))]


# --- measurements ----------------------------------------------------------------------------


def test_a_correction_replaces_the_value_and_is_audited_and_announced(cast: Cast) -> None:
    m = make_metric(cast)
    core = cast.viewer("core_team")
    with clock.frozen(NOW), Sink() as sink:
        scorecards.record_measurement(core, metric=m, on=date(2027, 5, 1), value="9")
        scorecards.record_measurement(
            core, metric=m, on=date(2027, 5, 1), value="7.5", note="Billing fix shipped"
        )
        scorecards.record_measurement(
            core, metric=m, on=date(2027, 5, 1), value="7.5", note="Billing fix shipped"
        )
    assert list(Measurement.objects.values_list("on", "value", "note")) == [
        (date(2027, 5, 1), Decimal("7.5000"), "Billing fix shipped")
    ]
    corrected = AuditEvent.objects.get(action="measurement.corrected")
    assert corrected.changes == {
        "on": "2027-05-01",
        "value": ["9", "7.5"],
        "note": ["", "Billing fix shipped"],
    }
    assert [e["event"] for e in sink.events] == ["metric.measured", "metric.measured"]
    assert sink.events[1]["data"]["measurements"] == [
        {
            "id": Measurement.objects.get().pk,
            "on": "2027-05-01",
            "value": "7.5",
            "note": "Billing fix shipped",
            "source": "manual",
            "corrected_from": "9",
        }
    ]
    assert sink.events[1]["data"]["metric"]["name"] == "Days to first invoice"


def test_measurements_in_the_future_or_by_others_are_refused(cast: Cast) -> None:
    m = make_metric(cast)
    with clock.frozen(NOW):
        with pytest.raises(ValidationFailed):
            scorecards.record_measurement(
                cast.viewer("core_team"), metric=m, on=date(2027, 6, 9), value="3"
            )
        with pytest.raises(PermissionDenied):
            scorecards.record_measurement(
                cast.viewer("observer"), metric=m, on=date(2027, 6, 1), value="3"
            )
    assert not Measurement.objects.exists()


def test_a_measurement_dated_before_2000_is_refused_by_hand_and_in_a_file(cast: Cast) -> None:
    m = make_metric(cast)
    core = cast.viewer("core_team")
    with clock.frozen(NOW):
        with pytest.raises(ValidationFailed) as exc:
            scorecards.record_measurement(core, metric=m, on=date(1, 1, 1), value="3")
        assert exc.value.errors["measurements"] == [
            "0001-01-01 is before 1 January 2000, the earliest date a measurement may have."
        ]
        scorecards.record_measurement(core, metric=m, on=date(2000, 1, 1), value="3")
        data = b"metric,date,value\nDays to first invoice,1999-12-31,3\n"
        with pytest.raises(ValidationFailed) as exc:
            scorecards.import_measurements(core, program=cast.program, data=data)
        assert "1999-12-31 is before 1 January 2000" in str(exc.value.errors)
    assert list(Measurement.objects.values_list("on", flat=True)) == [date(2000, 1, 1)]


CSV = (
    b"metric,date,value,note\n"
    b"Days to first invoice,2027-01-31,12,\n"
    b"Days to first invoice,2027-02-28,10,Invoices sent on day one\n"
)


def test_csv_import_and_reimport_corrects_without_duplicating(cast: Cast) -> None:
    make_metric(cast)
    core = cast.viewer("core_team")
    with clock.frozen(NOW):
        first = scorecards.import_measurements(core, program=cast.program, data=CSV)
        assert (first.created, first.corrected, first.unchanged) == (2, 0, 0)
        corrected = CSV.replace(b"2027-02-28,10,", b"2027-02-28,9.5,")
        preview = scorecards.import_measurements(
            core, program=cast.program, data=corrected, dry_run=True
        )
        assert (preview.created, preview.corrected, preview.unchanged) == (0, 1, 1)
        assert Measurement.objects.get(on=date(2027, 2, 28)).value == Decimal("10")
        again = scorecards.import_measurements(core, program=cast.program, data=corrected)
    assert (again.created, again.corrected, again.unchanged) == (0, 1, 1)
    assert list(Measurement.objects.order_by("on").values_list("value", "source")) == [
        (Decimal("12"), "csv"),
        (Decimal("9.5"), "csv"),
    ]
    assert AuditEvent.objects.get(action="measurement.corrected").changes["value"] == ["10", "9.5"]


def test_csv_is_all_or_nothing_with_a_line_for_every_bad_row(cast: Cast) -> None:
    paid = make_metric(cast, "Paid", direction="up", baseline="0", target="5")
    signed = make_metric(cast, "Signed", direction="up", baseline="0", target="5")
    make_metric(cast, "Share", numerator_id=paid.pk, denominator_id=signed.pk)
    data = (
        b"metric,date,value,note\n"
        b"Paid,2027-01-31,3,\n"  # fine
        b"Nope,2027-01-31,3,\n"  # unknown metric
        b"Paid,03/04/2027,3,\n"  # which is the day?
        b"Paid,2027-02-30,3,\n"  # not in the calendar
        b"Paid,2027-02-01,three,\n"  # bad number
        b"paid,2027-01-31,4,\n"  # duplicate key (names match whatever the case)
        b"Share,2027-01-31,0.5,\n"  # calculated
        b"\n"
        b"Signed,2027-01-31,10,\n"  # fine
    )
    with clock.frozen(NOW), pytest.raises(ValidationFailed) as exc:
        scorecards.import_measurements(cast.viewer("core_team"), program=cast.program, data=data)
    assert exc.value.errors["file"] == [
        "Line 3: no metric named “Nope” in this program.",
        "Line 4: “03/04/2027” could be 3 April or 4 March, and no other date in the file "
        "tells which; write it as YYYY-MM-DD.",
        "Line 5: “2027-02-30” is not a date in the calendar.",
        "Line 6: “three” is not a number.",
        "Line 7: “paid” on 2027-01-31 is already on line 2.",
        "Line 8: “Share” is calculated from two other metrics; record those.",
    ]
    assert not Measurement.objects.exists()


def test_csv_lists_the_date_problems_with_every_other_problem_at_once(cast: Cast) -> None:
    make_metric(cast)
    data = (
        b"metric,date,value\n"
        b"Days to first invoice,2027-07-01,3\n"  # in the future
        b"Days to first invoice,2027-02-30,3\n"  # not in the calendar
        b"Nope,1999-01-01,3\n"  # unknown metric and too early
    )
    with clock.frozen(NOW), pytest.raises(ValidationFailed) as exc:
        scorecards.import_measurements(cast.viewer("core_team"), program=cast.program, data=data)
    assert exc.value.errors["file"] == [
        "Line 2: 2027-07-01 is in the future.",
        "Line 3: “2027-02-30” is not a date in the calendar.",
        "Line 4: 1999-01-01 is before 1 January 2000, the earliest date a measurement may have.",
        "Line 4: no metric named “Nope” in this program.",
    ]


@pytest.mark.parametrize(
    ("dates", "expected"),
    [
        # Google Sheets and LibreOffice in the US, and the UK/Europe: the file tells the order.
        (["1/31/2027", "2/28/2027", "3/1/2027"], ["2027-01-31", "2027-02-28", "2027-03-01"]),
        (["31/01/2027", "28/02/2027", "01/03/2027"], ["2027-01-31", "2027-02-28", "2027-03-01"]),
        # A database or BI export: ISO with a time; Excel in Germany: day.month.year.
        (["2027-01-31 00:00:00", "2027-02-28T09:30:00Z", "2027/03/01"], None),
        (["31.01.2027", "28.2.2027", "1.3.2027"], None),
        (["31 Jan 2027", "February 28, 2027", "1-Mar-2027"], None),
    ],
)
def test_csv_dates_as_spreadsheets_export_them(
    cast: Cast, dates: list[str], expected: list[str] | None
) -> None:
    make_metric(cast, "NPS", direction="up", baseline="0", target="50")
    rows = "".join(f'NPS,"{d}",{n}\n' for n, d in enumerate(dates, start=1))
    with clock.frozen(NOW):
        scorecards.import_measurements(
            cast.viewer("core_team"),
            program=cast.program,
            data=f"metric,date,value\n{rows}".encode(),
        )
    got = [d.isoformat() for d in Measurement.objects.order_by("on").values_list("on", flat=True)]
    assert got == (expected or ["2027-01-31", "2027-02-28", "2027-03-01"])


def test_csv_a_file_that_mixes_day_first_and_month_first_is_refused_by_line() -> None:
    parsed = measurements_csv.parse(
        b"metric,date,value\nNPS,31/01/2027,1\nNPS,01/31/2027,2\nNPS,02/03/2027,3\n"
    )
    assert [line for line, _ in parsed.errors] == [4]
    assert "could be 2 March or 3 February" in parsed.errors[0][1]
    assert [r.on.isoformat() for r in parsed.rows] == ["2027-01-31", "2027-01-31"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1,234.5", "1234.5"),
        ("1.234,5", "1234.5"),
        ("1 234,5", "1234.5"),
        ("1\u202f234.5", "1234.5"),
        ("1'234.5", "1234.5"),
        ("1,234,567", "1234567"),
        ("1.234.567", "1234567"),
        ("12,5", "12.5"),
        ("-0.25", "-0.25"),
        ("42%", "42"),
    ],
)
def test_csv_numbers_as_spreadsheets_write_them(raw: str, expected: str) -> None:
    assert measurements_csv.parse_value(raw) == Decimal(expected)


@pytest.mark.parametrize("raw", ["1,2.3", "1.2.3,4", "12,34,5", "1,234.5.6", "abc", "NaN", "1e400"])
def test_csv_numbers_that_are_not_numbers_are_refused(raw: str) -> None:
    with pytest.raises(ValueError, match=r"not a number|too large"):
        measurements_csv.parse_value(raw)


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (codecs.BOM_UTF8 + "metric,date,value,note\nNPS é,2027-01-31,12,café\n".encode(), "utf-8"),
        (
            codecs.BOM_UTF16_LE
            + "metric\tdate\tvalue\tnote\nNPS é\t2027-01-31\t12\tcafé\n".encode("utf-16-le"),
            "utf-16",
        ),
        ("metric;date;value;note\r\nNPS é;2027-01-31;12,0;café\r\n".encode("cp1252"), "cp1252"),
    ],
)
def test_csv_encodings_excel_saves(cast: Cast, data: bytes, encoding: str) -> None:
    assert measurements_csv.parse(data).encoding == encoding
    make_metric(cast, "NPS é", direction="up", baseline="0", target="50")
    with clock.frozen(NOW):
        scorecards.import_measurements(cast.viewer("core_team"), program=cast.program, data=data)
    assert list(Measurement.objects.values_list("value", "note")) == [(Decimal("12"), "café")]


def test_csv_refusals_of_the_whole_file(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    core = cast.viewer("core_team")
    for data, words in [
        (b"", "empty"),
        (b"when,how much\n2027-01-01,3\n", "missing: metric, date, value"),
        (b"metric,date,value\n", "no rows"),
        (b"\x00\x01binary", "binary"),
    ]:
        with pytest.raises(ValidationFailed) as exc:
            scorecards.import_measurements(core, program=cast.program, data=data)
        assert words in exc.value.errors["file"][0]
    # The limit is the shared reader's (core.csv_reader), which every import uses.
    monkeypatch.setattr(csv_reader, "MAX_BYTES", 10)
    with pytest.raises(ValidationFailed) as exc:
        scorecards.import_measurements(core, program=cast.program, data=CSV)
    assert "larger than" in exc.value.errors["file"][0]


# --- checkpoints -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2027, 1, 31), 1, date(2027, 2, 28)),
        (date(2027, 11, 30), 3, date(2028, 2, 29)),  # leap year
        (date(2027, 1, 31), 3, date(2027, 4, 30)),
        (date(2027, 8, 31), 6, date(2028, 2, 29)),
        (date(2027, 1, 15), 12, date(2028, 1, 15)),
        (date(2027, 10, 31), 12, date(2028, 10, 31)),
    ],
)
def test_add_months_clamps_to_the_month_end(day: date, months: int, expected: date) -> None:
    assert sel.add_months(day, months) == expected


@pytest.mark.parametrize(
    ("ends_at", "tz", "days"),
    [
        # 31 Jan in UTC: 30 Apr, 31 Jul, 31 Jan.
        (datetime(2027, 1, 31, 17, tzinfo=UTC), "UTC", ["2027-04-30", "2027-07-31", "2028-01-31"]),
        # Already 1 Feb in Tokyo.
        (
            datetime(2027, 1, 31, 23, 30, tzinfo=UTC),
            "Asia/Tokyo",
            ["2027-05-01", "2027-08-01", "2028-02-01"],
        ),
        # Still 30 Nov in Los Angeles: 29 Feb 2028 (leap year).
        (
            datetime(2027, 12, 1, 6, tzinfo=UTC),
            "America/Los_Angeles",
            ["2028-02-29", "2028-05-30", "2028-11-30"],
        ),
    ],
)
def test_checkpoints_fall_on_the_same_day_in_the_sessions_zone(
    cast: Cast, ends_at: datetime, tz: str, days: list[str]
) -> None:
    debrief = make_debrief(cast, ends_at=ends_at, time_zone=tz, closed=True)
    with clock.frozen(max(NOW, ends_at + timedelta(hours=1))):  # once the session is over
        made = scorecards.ensure_checkpoints(debrief)
        assert [(cp.months, cp.on.isoformat()) for cp in made] == list(
            zip((3, 6, 12), days, strict=True)
        )
        assert len(scorecards.ensure_checkpoints(debrief)) == 3  # idempotent


def test_only_a_closed_debrief_has_checkpoints(cast: Cast) -> None:
    """A debrief booked, late or missed (its session long over, the room never opened), or
    open, gets none: neither from ``ensure_checkpoints`` nor from the periodic job. Closing
    makes them; the job catches up a closed one that lacks them."""
    missed = make_debrief(cast, ends_at=datetime(2026, 12, 1, 17, tzinfo=UTC))  # NOW: 1 June
    upcoming = make_debrief(cast, ends_at=datetime(2027, 9, 1, 17, tzinfo=UTC))
    with clock.frozen(NOW):
        assert scorecards.ensure_checkpoints(missed) == []
        assert scorecards.ensure_checkpoints(upcoming) == []
        assert scorecards.reach_checkpoints() == {
            "checkpoints_made": 0,
            "checkpoints_moved": 0,
            "checkpoints_reached": 0,
        }
        assert not Checkpoint.objects.exists()
        missed.status, missed.opened_at = DebriefStatus.OPEN, NOW
        missed.save(update_fields=["status", "opened_at"])
        assert scorecards.reach_checkpoints()["checkpoints_made"] == 0
        mark_closed(missed)  # closed without its checkpoints (data from before): caught up
        assert scorecards.reach_checkpoints()["checkpoints_made"] == 3
        assert scorecards.reach_checkpoints()["checkpoints_made"] == 0
    assert [cp.months for cp in Checkpoint.objects.filter(debrief=missed)] == [3, 6, 12]
    assert not Checkpoint.objects.filter(debrief=upcoming).exists()


def test_the_periodic_job_costs_the_same_queries_whatever_the_number_of_debriefs(
    cast: Cast, django_assert_max_num_queries: Any
) -> None:
    """It reads the closed debriefs lacking checkpoints and the unreached checkpoints of
    closed debriefs, each in one query: no query per debrief that needs nothing."""
    for k in range(6):
        make_debrief(cast, ends_at=datetime(2026, 11, 1 + k, 17, tzinfo=UTC), closed=k % 2 == 0)
    with clock.frozen(NOW):
        scorecards.reach_checkpoints()  # makes the closed ones' (and reaches their 3 months)
        with django_assert_max_num_queries(2):  # lacking; unreached (none due: no more)
            scorecards.reach_checkpoints()
    assert Checkpoint.objects.count() == 9


def test_a_checkpoint_is_reached_at_local_midnight_across_dst_and_announced_once(
    cast: Cast,
) -> None:
    # Berlin: the session ended on 28 Dec 2026; 3 months on is 28 Mar 2027, the night
    # the clocks go forward. Local midnight is still CET: 27 Mar 23:00 UTC.
    debrief = make_debrief(
        cast, ends_at=datetime(2026, 12, 28, 15, tzinfo=UTC), time_zone="Europe/Berlin"
    )
    mark_closed(debrief)
    with Sink() as sink, clock.frozen(datetime(2027, 3, 27, 22, 59, tzinfo=UTC)) as frozen:
        assert scorecards.reach_checkpoints() == {
            "checkpoints_made": 3,
            "checkpoints_moved": 0,
            "checkpoints_reached": 0,
        }
        frozen.advance(minutes=1)
        assert scorecards.reach_checkpoints()["checkpoints_reached"] == 1
        assert scorecards.reach_checkpoints()["checkpoints_reached"] == 0
    cp = Checkpoint.objects.get(debrief=debrief, months=3)
    assert cp.on == date(2027, 3, 28)
    assert cp.reached_at == datetime(2027, 3, 27, 23, 0, tzinfo=UTC)
    assert [e["event"] for e in sink.events] == ["checkpoint.reached"]
    assert sink.events[0]["data"]["checkpoint"] == {
        "id": cp.pk,
        "debrief_id": debrief.pk,
        "session_id": debrief.session_id,
        "program_id": cast.program.pk,
        "months": 3,
        "on": "2027-03-28",
        "reached_at": "2027-03-27T23:00:00.000Z",
    }


def test_checkpoint_report_reads_actual_against_forecast_and_target(cast: Cast) -> None:
    debrief = make_debrief(cast, ends_at=datetime(2027, 1, 31, 17, tzinfo=UTC), closed=True)
    m = make_metric(
        cast,
        baseline_on=date(2027, 1, 31),
        target_on=date(2028, 1, 31),
        forecast=[{"on": "2027-04-30", "value": "10"}],
    )
    core = cast.viewer("core_team")
    with clock.frozen(NOW):
        scorecards.record_measurements(
            core,
            entries=[
                Entry(m, date(2027, 4, 20), Decimal("11")),
                Entry(m, date(2027, 5, 20), Decimal("6")),  # after the checkpoint
            ],
        )
    cp = next(c for c in scorecards.ensure_checkpoints(debrief) if c.months == 3)
    [row] = sel.checkpoint_report(core, sel.checkpoint(core, cp.pk))
    assert (row.actual, row.actual_on, row.forecast, row.target) == (
        Decimal("11"),
        date(2027, 4, 20),
        Decimal("10"),
        Decimal("1"),
    )
    assert row.progress.status == "behind"


def test_a_checkpoint_credits_the_recommendations_decided_by_its_day_as_decided_then(
    cast: Cast,
) -> None:
    # A session in New York ending 31 January: its 3-month checkpoint is 30 April there.
    ny = ZoneInfo("America/New_York")
    debrief = make_debrief(
        cast, ends_at=datetime(2027, 1, 31, 12, tzinfo=ny), time_zone="America/New_York",
        closed=True,
    )  # fmt: skip
    m = make_metric(cast)
    recs = {}
    for title in ("Last evening", "Next morning", "Revisited later"):
        recs[title] = rec = recommendation(cast, debrief, title=title)
        RecommendationMetric.objects.create(recommendation=rec, metric=m, direction="down")
    sam = cast.viewer("sponsor")

    def decide_at(when: datetime, title: str, outcome: str, **kw: Any) -> None:
        with clock.frozen(when):
            rec = Recommendation.objects.get(pk=recs[title].pk)
            recommendations.decide(sam, rec, outcome, f"{outcome} then.", **kw)

    decide_at(datetime(2027, 2, 10, 9, tzinfo=ny), "Revisited later", "approved")
    decide_at(datetime(2027, 4, 30, 23, 30, tzinfo=ny), "Last evening", "approved")  # 03:30 UTC
    decide_at(datetime(2027, 5, 1, 0, 30, tzinfo=ny), "Next morning", "approved")
    decide_at(
        datetime(2027, 5, 15, 9, tzinfo=ny), "Revisited later", "deferred",
        revisit_on=date(2027, 9, 1),
    )  # fmt: skip
    cp = next(c for c in scorecards.ensure_checkpoints(debrief) if c.months == 3)
    assert cp.on == date(2027, 4, 30)
    core = cast.viewer("core_team")
    [row] = sel.checkpoint_report(core, sel.checkpoint(core, cp.pk))
    assert [(r.rec.title, r.decision.outcome, r.decision.reason) for r in row.recommendations] == [
        ("Last evening", "approved", "approved then."),
        ("Revisited later", "approved", "approved then."),  # deferred only afterwards
    ]
    six = next(c for c in Checkpoint.objects.filter(debrief=debrief) if c.months == 6)
    [row] = sel.checkpoint_report(core, sel.checkpoint(core, six.pk))
    assert {r.rec.title: r.decision.outcome for r in row.recommendations} == {
        "Last evening": "approved",
        "Next morning": "approved",
        "Revisited later": "deferred",
    }


# --- the scorecard's cost --------------------------------------------------------------------


def _metrics_with_measurements(cast: Cast, n: int) -> None:
    core = cast.viewer("core_team")
    entries = []
    for i in range(n):
        m = make_metric(cast, f"Metric {i:02d}")
        entries += [Entry(m, date(2027, 1, d), Decimal(d)) for d in range(1, 29)]
    with clock.frozen(NOW):
        scorecards.record_measurements(core, entries=entries)


@pytest.mark.parametrize("n", [2, 20])
def test_the_scorecard_costs_the_same_queries_whatever_its_size(
    cast: Cast, n: int, django_assert_num_queries: Any
) -> None:
    _metrics_with_measurements(cast, n)
    core = cast.viewer("core_team")
    program = sel.scorecard_program(core, cast.program.pk)
    with django_assert_num_queries(3):  # metrics with latest values; recent values; checkpoints
        rows = sel.scorecard(core, program)
        list(sel.checkpoints(core, program))
    assert len(rows) == n
    assert rows[0].latest == Decimal(28)
    assert len(rows[0].recent) == sel.SPARK_POINTS


def test_checkpoints_follow_a_moved_session_end_and_skip_cancelled_debriefs(cast: Cast) -> None:
    from traction.sessions.models import Session

    debrief = make_debrief(cast, ends_at=datetime(2027, 1, 31, 17, tzinfo=UTC), closed=True)
    scorecards.ensure_checkpoints(debrief)
    # The facilitator confirms the session actually ran past midnight: 1 February.
    Session.objects.filter(pk=debrief.session_id).update(
        actual_ends_at=datetime(2027, 2, 1, 0, 30, tzinfo=UTC)
    )
    with clock.frozen(datetime(2027, 2, 2, tzinfo=UTC)):
        scorecards.reach_checkpoints()
    assert [cp.on for cp in Checkpoint.objects.filter(debrief=debrief)] == [
        date(2027, 5, 1),
        date(2027, 8, 1),
        date(2028, 2, 1),
    ]
    debrief.status = DebriefStatus.CANCELLED
    debrief.save(update_fields=["status"])
    with clock.frozen(datetime(2028, 3, 1, tzinfo=UTC)), Sink() as sink:
        assert scorecards.reach_checkpoints()["checkpoints_reached"] == 0
    assert sink.events == []


def test_checkpoints_not_reached_follow_the_sessions_end_after_an_earlier_one_was_reached(
    cast: Cast,
) -> None:
    from traction.sessions.models import Session

    debrief = make_debrief(cast, ends_at=datetime(2027, 1, 31, 17, tzinfo=UTC), closed=True)
    scorecards.ensure_checkpoints(debrief)
    with clock.frozen(datetime(2027, 5, 1, tzinfo=UTC)):
        assert scorecards.reach_checkpoints()["checkpoints_reached"] == 1  # 30 April
        # Its actual end is confirmed later: past midnight, 1 February.
        Session.objects.filter(pk=debrief.session_id).update(
            actual_ends_at=datetime(2027, 2, 1, 0, 30, tzinfo=UTC)
        )
        assert scorecards.reach_checkpoints()["checkpoints_moved"] == 2
        assert scorecards.reach_checkpoints()["checkpoints_moved"] == 0
    assert [(cp.on, cp.reached_at is not None) for cp in debrief.checkpoints.order_by("on")] == [
        (date(2027, 4, 30), True),  # reached: announced, it stays
        (date(2027, 8, 1), False),
        (date(2028, 2, 1), False),
    ]


# --- metric names: unique in the program whatever their case and spacing --------------------


@pytest.mark.parametrize(
    "typed",
    [
        "days to first invoice",
        "DAYS TO FIRST INVOICE",
        "Days  to first invoice",
        "Days to first invoice\u00a0",  # a no-break space, pasted from a web page
        "Days\u2007to\u202ffirst invoice",
        " Days\tto first invoice ",
        "Days to first invoice\u200b",  # a zero-width space, unseen
        "\ufeffDays to first\u00ad invoice\u2060",  # a byte order mark, a soft hyphen
    ],
)
def test_a_metric_name_differing_only_in_case_or_spacing_is_refused(cast: Cast, typed: str) -> None:
    first = make_metric(cast)
    with pytest.raises(ValidationFailed) as exc:
        make_metric(cast, name=typed)
    assert exc.value.errors["name"] == [
        "A metric named “Days to first invoice” already exists in this program."
    ]
    other = make_metric(cast, name="Tickets per account")
    with pytest.raises(ValidationFailed) as exc:
        scorecards.update_metric(
            cast.viewer("core_team"), metric=other, changes={"name": typed}, version=None
        )
    assert exc.value.errors["name"] == [
        "A metric named “Days to first invoice” already exists in this program."
    ]
    # Archived, its name is free again; another program may use it too.
    scorecards.archive_metric(cast.viewer("core_team"), metric=first, version=None)
    unseen = dict.fromkeys([0x200B, 0xFEFF, 0x00AD, 0x2060])  # dropped as it is stored
    assert make_metric(cast, name=typed).name == " ".join(typed.translate(unseen).split())


def test_a_metric_name_is_stored_with_single_spaces_and_must_be_given(cast: Cast) -> None:
    m = make_metric(cast, name="\u00a0Days  to\u202ffirst invoice ")
    assert m.name == "Days to first invoice"
    with pytest.raises(ValidationFailed) as exc:
        make_metric(cast, name=" \u00a0 ")
    assert exc.value.errors["name"] == ["Name the metric."]
    with pytest.raises(ValidationFailed) as exc:
        make_metric(cast, name="Days to\nfirst invoice")  # refused, not joined
    assert list(exc.value.errors) == ["name"]


def test_the_database_refuses_two_current_metrics_named_alike_in_one_program(cast: Cast) -> None:
    """The constraint behind the service's check (on SQLite and PostgreSQL): the same name
    in another letter case is refused, an archived one is not."""
    from django.db import IntegrityError, transaction

    m = make_metric(cast)
    fields = {"workspace_id": cast.acme.pk, "program": cast.program}
    with pytest.raises(IntegrityError), transaction.atomic():
        ScorecardMetric.objects.create(name="DAYS TO FIRST INVOICE", **fields)
    ScorecardMetric.objects.filter(pk=m.pk).update(archived_at=NOW)
    ScorecardMetric.objects.create(name="DAYS TO FIRST INVOICE", **fields)


def test_csv_import_finds_a_metric_whatever_the_case_and_spacing_of_its_name(cast: Cast) -> None:
    make_metric(cast, "First invoices paid within a day", direction="up", baseline="0", target="9")
    data = (
        "metric,date,value\n"
        "First invoices paid within a day,2027-01-29,1\n"
        "first invoices paid within\u00a0a day,2027-01-30,2\n"
        "FIRST  INVOICES PAID WITHIN A DAY\u202f,2027-01-31,3\n"
    ).encode()
    outcome = scorecards.import_measurements(
        cast.viewer("core_team"), program=cast.program, data=data
    )
    assert outcome.created == 3


def test_csv_import_refuses_a_name_that_matches_two_metrics_from_before_the_rule(
    cast: Cast,
) -> None:
    """Metrics named before names had to differ in more than case and spacing (the
    migration renames them; rows written around the service here): the file's name could
    be either, so its line is refused and nothing is recorded in either."""
    make_metric(cast, "Credit notes issued the same day")
    ScorecardMetric.objects.create(
        workspace_id=cast.acme.pk, program=cast.program, name="Credit  notes issued the same day"
    )
    data = b"metric,date,value\nCredit notes issued the same day,2027-01-31,15\n"
    with pytest.raises(ValidationFailed) as exc:
        scorecards.import_measurements(cast.viewer("core_team"), program=cast.program, data=data)
    assert exc.value.errors["file"] == [
        "Line 2: “Credit notes issued the same day” could be “Credit  notes issued the same day” "
        "and “Credit notes issued the same day”; rename one of them first."
    ]
    assert not Measurement.objects.exists()


def test_metric_refusals_come_all_at_once(cast: Cast) -> None:
    """The name, the forecast's lines (as typed in the form) and the rules across fields, in
    one answer."""
    make_metric(cast)
    with pytest.raises(ValidationFailed) as exc:
        make_metric(
            cast,
            name="days to first invoice",
            baseline_on=date(2026, 11, 1),
            target_on=date(2026, 10, 1),
            forecast="2027-03-31 40\n31/06/2027 60",
            target="20",
        )
    assert exc.value.errors == {
        "name": ["A metric named “Days to first invoice” already exists in this program."],
        "forecast": ["Line 2: “31/06/2027” is not a date in the calendar."],
        "target": ["Lower is better for this metric: the target cannot be above the baseline."],
        "target_on": ["The target date must be after the baseline date."],
    }


def test_baseline_and_target_dates_stay_within_the_window(cast: Cast) -> None:
    """Review 20 finding 12: no baseline on 0001-01-01, no target on 9999-12-31 (a chart and
    forecast spanning millennia); checked when the date changes."""
    with pytest.raises(ValidationFailed) as exc:
        make_metric(cast, baseline_on=date(1, 1, 1), target_on=date(9999, 12, 31))
    assert exc.value.errors == {
        "baseline_on": ["0001-01-01 is before 1 January 2000: check the year."],
        "target_on": ["9999-12-31 is more than 10 years ahead: choose a date up to 1 June 2037."],
    }
    m = make_metric(cast, baseline_on=date(2000, 1, 1), target_on=date(2037, 6, 1))
    ScorecardMetric.objects.filter(pk=m.pk).update(target_on=date(2040, 1, 1))
    m.refresh_from_db()
    scorecards.update_metric(  # a stored date stays while something else changes
        cast.viewer("core_team"), metric=m, changes={"unit": "hours"}, version=m.version
    )
    with pytest.raises(ValidationFailed) as exc:
        scorecards.update_metric(
            cast.viewer("core_team"),
            metric=m,
            changes={"target_on": date(2041, 1, 1)},
            version=m.version + 1,
        )
    assert list(exc.value.errors) == ["target_on"]


def test_expected_by_now_is_rounded_like_the_values_it_is_read_between() -> None:
    m = fake(
        baseline=Decimal("12.5000"),
        baseline_on=date(2026, 11, 1),
        target=Decimal("80.0000"),
        target_on=date(2027, 11, 1),
    )
    p = sel.progress(m, Decimal("13.25"), date(2026, 12, 1))
    assert p.expected is not None
    assert p.expected != p.expected_shown
    assert p.expected_shown == Decimal("18.05")  # 12.5 + 67.5 × 30/365 = 18.0479…
    whole = fake(baseline=Decimal("0"), target=Decimal("90"), baseline_on=date(2027, 1, 1),
                 target_on=date(2027, 4, 1))  # fmt: skip
    assert sel.progress(whole, Decimal("5"), date(2027, 1, 15)).expected_shown == Decimal("14")
