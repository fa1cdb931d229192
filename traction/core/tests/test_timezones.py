"""The time zones people may choose: current IANA names only, and the picker field."""

from __future__ import annotations

import zoneinfo

import pytest
from django.core.exceptions import ValidationError

from traction.core import timezones
from traction.core.forms import TimeZoneField

BACKWARD_LINKS = [
    "US/Pacific",
    "US/Eastern",
    "Asia/Calcutta",
    "Asia/Saigon",
    "Europe/Kiev",
    "America/Buenos_Aires",
    "Australia/ACT",
    "GB",
    "Japan",
    "Zulu",
    "Universal",
]
LEGACY = ["Etc/GMT+5", "Etc/GMT-14", "Etc/UTC", "EST5EDT", "CET", "EST", "Factory", "GMT"]
CURRENT = [
    "UTC",
    "Europe/Berlin",
    "Europe/Kyiv",
    "Europe/Amsterdam",  # a link to Brussels in the tz database, but a country's own zone
    "Asia/Kolkata",
    "America/Argentina/Buenos_Aires",
    "America/New_York",
    "Australia/Sydney",
    "Pacific/Auckland",
]


@pytest.mark.parametrize("name", BACKWARD_LINKS + LEGACY)
def test_backward_links_and_legacy_names_are_not_offered(name: str) -> None:
    assert name in zoneinfo.available_timezones()  # Python knows it...
    assert not timezones.is_current(name)  # ...but nobody is offered it


@pytest.mark.parametrize("name", CURRENT)
def test_current_names_are_offered(name: str) -> None:
    assert timezones.is_current(name)


def test_the_list_starts_with_utc_then_sorted_names_that_all_load() -> None:
    names = timezones.current_names()
    assert names[0] == "UTC"
    assert list(names[1:]) == sorted(names[1:])
    assert len(names) == len(set(names))
    assert 350 < len(names) < 500  # every populated place, not the ~600 names with aliases
    for name in names:
        zoneinfo.ZoneInfo(name)
    assert all("/" in n for n in names[1:])


def test_the_table_reader_takes_the_third_column_and_skips_comments() -> None:
    text = (
        "# comment\nDE\t+5230+01322\tEurope/Berlin\n"
        "US\t+404251-0740023\tAmerica/New_York\tEastern\n"
    )
    assert timezones.names_in_table(text) == {"Europe/Berlin", "America/New_York"}


def test_the_field_refuses_an_alias_with_a_message_and_keeps_a_stored_old_name() -> None:
    field = TimeZoneField()
    assert field.clean("Europe/Berlin") == "Europe/Berlin"
    with pytest.raises(ValidationError, match="Choose a time zone from the list"):
        field.clean("US/Pacific")
    field.keep("Europe/Kiev")  # a session planned before the rename keeps its zone
    assert field.clean("Europe/Kiev") == "Europe/Kiev"
    assert ("Europe/Kiev", "Europe/Kiev (old name)") in field.choices


def test_the_widget_loads_the_picker_script_and_marks_the_select() -> None:
    html = TimeZoneField().widget.render("time_zone", "Europe/Berlin", {"id": "id_time_zone"})
    assert "data-tz-picker" in html
    assert '<option value="Europe/Berlin" selected>Europe/Berlin</option>' in html
    assert 'src="/static/tz_picker.js"' in html
    assert '<option value="US/Pacific"' not in html
