"""The instants page-time tests show in two zones, either side of the autumn clock change:
(zone, the instant in UTC, the wall clock there, written out by hand: not computed)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

AUTUMN_CHANGE = [
    pytest.param(
        "Europe/Berlin",
        datetime(2026, 10, 24, 14, 0, tzinfo=UTC),
        datetime(2026, 10, 24, 16, 0),
        id="berlin-summer-time",
    ),
    pytest.param(
        "Europe/Berlin",
        datetime(2026, 10, 26, 14, 0, tzinfo=UTC),
        datetime(2026, 10, 26, 15, 0),
        id="berlin-winter-time",
    ),
    pytest.param(
        "America/New_York",
        datetime(2026, 10, 31, 14, 0, tzinfo=UTC),
        datetime(2026, 10, 31, 10, 0),
        id="new-york-daylight-time",
    ),
    pytest.param(
        "America/New_York",
        datetime(2026, 11, 2, 14, 0, tzinfo=UTC),
        datetime(2026, 11, 2, 9, 0),
        id="new-york-standard-time",
    ),
]
