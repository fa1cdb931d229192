"""The metric chart's value axis (review 20 finding 17): round levels, one format."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from traction.debrief import charts


def labels(low: float, high: float) -> list[str]:
    return [label for _, label in charts.axis_levels(low, high)]


def test_levels_are_round_and_labelled_alike() -> None:
    assert labels(6.3, 96.2) == ["20", "40", "60", "80"]  # was "6.30, 28.8, 51.2, 73.7, 96.2"
    assert labels(0, 110) == ["0", "25", "50", "75", "100"]
    assert labels(7, 7.9) == ["7.0", "7.2", "7.4", "7.6", "7.8"]
    assert labels(0.1, 0.13) == ["0.10", "0.11", "0.12", "0.13"]
    assert labels(1000, 250000) == ["50,000", "100,000", "150,000", "200,000", "250,000"]
    assert labels(5, 5) == ["5.00"]


def test_the_chart_draws_those_labels() -> None:
    svg = charts.trend_svg(
        chart_id="m",
        name="Paid within a day",
        unit="%",
        actual=[
            charts.Point(date(2027, 1, 1), Decimal("10")),
            charts.Point(date(2027, 2, 1), Decimal("90")),
        ],
        baseline=None,
        target=None,
        forecast=[],
        description="",
    )
    for label in ("20", "40", "60", "80"):
        assert f">{label}</text>" in svg
    # Its time axis and each point's tooltip write dates as the page does, not ISO.
    assert ">1 Jan 2027</text>" in svg
    assert ">1 Feb 2027</text>" in svg
    assert "<title>1 Feb 2027: 90</title>" in svg
    assert "2027-02-01" not in svg
