"""The .ics files of session invitations, parsed back with icalendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, Event

from traction.core.testing.cast import Cast
from traction.sessions.calendar import PRODID, build_ics
from traction.sessions.models import AgendaItem, Session, SessionStatus

# Rendering a session's .ics is Python over the row's values, whatever the database.
pytestmark = pytest.mark.sqlite_only

BERLIN = ZoneInfo("Europe/Berlin")


@dataclass
class Person:
    name: str
    email: str


def make_session(
    cast: Cast,
    *,
    start: datetime,
    minutes: int = 180,
    time_zone: str = "Europe/Berlin",
    location: str = "Globex HQ, Room 4",
    video_link: str = "https://meet.example.test/abc-defg",
) -> Session:
    session = Session.objects.create(
        workspace=cast.acme,
        program=cast.program,
        title="Onboarding co-design, Berlin",
        starts_at=start,
        ends_at=start + timedelta(minutes=minutes),
        time_zone=time_zone,
        location=location,
        video_link=video_link,
        created_by=cast.users["facilitator"],
    )
    AgendaItem.objects.create(session=session, position=1, title="Welcome", minutes=15)
    AgendaItem.objects.create(
        session=session, position=2, title="Issues & vision discussion", minutes=45
    )
    return session


def ics_for(
    session: Session, method: str = "REQUEST", attendees: list[Person] | None = None
) -> bytes:
    return build_ics(
        session,
        method=method,  # type: ignore[arg-type]
        attendees=attendees
        if attendees is not None
        else [Person("Gina Globex", "gina@globex.test")],
        organizer_email="fran@acme.test",
        organizer_name="Fran Facilitator",
    )


def the_event(calendar: Calendar) -> Event:
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return events[0]


@pytest.fixture
def session(cast: Cast) -> Session:
    return make_session(cast, start=datetime(2027, 1, 12, 9, 0, tzinfo=BERLIN))


def test_request_has_the_calendar_headers_and_one_event(session: Session) -> None:
    calendar = Calendar.from_ical(ics_for(session))

    assert calendar["PRODID"] == PRODID
    assert calendar["VERSION"] == "2.0"
    assert calendar["METHOD"] == "REQUEST"
    event = the_event(calendar)
    assert str(event["UID"]) == f"{session.calendar_uid}@traction"
    assert event["SEQUENCE"] == 0
    assert event["SUMMARY"] == "Onboarding co-design, Berlin"
    assert event["STATUS"] == "CONFIRMED"
    assert event["DTSTAMP"].dt.utcoffset() == timedelta(0)


def test_times_are_local_with_a_tzid_and_a_vtimezone(session: Session) -> None:
    calendar = Calendar.from_ical(ics_for(session))
    event = the_event(calendar)

    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert event["DTEND"].params["TZID"] == "Europe/Berlin"
    assert event.start.replace(tzinfo=None) == datetime(2027, 1, 12, 9, 0)
    assert event.end.replace(tzinfo=None) == datetime(2027, 1, 12, 12, 0)
    assert event.start == session.starts_at  # the same instant
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]
    raw = ics_for(session)
    assert b"DTSTART;TZID=Europe/Berlin:20270112T090000\r\n" in raw
    # The VTIMEZONE comes before the event that uses it.
    assert raw.index(b"BEGIN:VTIMEZONE") < raw.index(b"BEGIN:VEVENT")


@pytest.mark.parametrize(
    "local_start",
    [
        datetime(2027, 3, 27, 9, 0),  # the Saturday before clocks go forward (CET, +01:00)
        datetime(2027, 3, 28, 9, 0),  # the day they go forward, 02:00 -> 03:00 (CEST, +02:00)
        datetime(2027, 3, 29, 9, 0),
        datetime(2027, 10, 31, 9, 0),  # the day they go back
    ],
)
def test_nine_in_berlin_stays_nine_across_daylight_saving_changes(
    cast: Cast, local_start: datetime
) -> None:
    session = make_session(cast, start=local_start.replace(tzinfo=BERLIN))
    event = the_event(Calendar.from_ical(ics_for(session)))

    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert (event.start.hour, event.start.minute) == (9, 0)
    assert event.start.date() == local_start.date()
    assert event.start.astimezone(ZoneInfo("UTC")) == session.starts_at
    vtimezone = Calendar.from_ical(ics_for(session)).walk("VTIMEZONE")[0]
    # Both the standard and the daylight rules are described for the clients.
    assert {c.name for c in vtimezone.subcomponents} >= {"STANDARD", "DAYLIGHT"}


def test_the_same_wall_time_in_winter_and_summer_is_different_utc(cast: Cast) -> None:
    winter = make_session(cast, start=datetime(2027, 2, 2, 9, 0, tzinfo=BERLIN))
    summer = make_session(cast, start=datetime(2027, 7, 6, 9, 0, tzinfo=BERLIN))
    w = the_event(Calendar.from_ical(ics_for(winter)))
    s = the_event(Calendar.from_ical(ics_for(summer)))

    assert w.start.hour == s.start.hour == 9
    assert w.start.utcoffset() == timedelta(hours=1)
    assert s.start.utcoffset() == timedelta(hours=2)


def test_attendees_organizer_and_their_parameters(session: Session) -> None:
    people = [Person("Gina Globex", "gina@globex.test"), Person("Ian Initech", "ian@initech.test")]
    event = the_event(Calendar.from_ical(ics_for(session, attendees=people)))

    attendees = event.attendees
    assert [str(a) for a in attendees] == ["mailto:gina@globex.test", "mailto:ian@initech.test"]
    assert [a.params["CN"] for a in attendees] == ["Gina Globex", "Ian Initech"]
    for attendee in attendees:
        assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
        assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"
        # no calendar reply is asked for: Traction reads none (the RSVP link answers)
        assert attendee.params["RSVP"] == "FALSE"
    assert str(event["ORGANIZER"]) == "mailto:fran@acme.test"
    assert event["ORGANIZER"].params["CN"] == "Fran Facilitator"


def test_description_location_and_url(cast: Cast, session: Session) -> None:
    event = the_event(Calendar.from_ical(ics_for(session)))

    description = str(event["DESCRIPTION"])
    assert "Effortless onboarding" in description
    assert "Welcome (15 min)" in description
    assert "Issues & vision discussion (45 min)" in description
    assert "https://meet.example.test/abc-defg" in description
    assert event["LOCATION"] == "Globex HQ, Room 4"
    assert str(event["URL"]) == "https://meet.example.test/abc-defg"


def test_an_online_session_is_located_at_its_link(cast: Cast) -> None:
    session = make_session(cast, start=datetime(2027, 1, 12, 9, tzinfo=BERLIN), location="")
    event = the_event(Calendar.from_ical(ics_for(session)))

    assert event["LOCATION"] == "https://meet.example.test/abc-defg"


def test_an_in_person_session_has_no_url(cast: Cast) -> None:
    session = make_session(cast, start=datetime(2027, 1, 12, 9, tzinfo=BERLIN), video_link="")
    event = the_event(Calendar.from_ical(ics_for(session)))

    assert event["LOCATION"] == "Globex HQ, Room 4"
    assert "URL" not in event
    assert "Join online" not in str(event["DESCRIPTION"])


def test_cancel_keeps_the_uid_and_says_cancelled(session: Session) -> None:
    request = the_event(Calendar.from_ical(ics_for(session)))
    session.status = SessionStatus.CANCELLED
    session.calendar_sequence += 1
    session.save()
    calendar = Calendar.from_ical(ics_for(session, method="CANCEL"))
    event = the_event(calendar)

    assert calendar["METHOD"] == "CANCEL"
    assert event["STATUS"] == "CANCELLED"
    assert event["UID"] == request["UID"]
    assert event["SEQUENCE"] == request["SEQUENCE"] + 1


def test_an_update_keeps_the_uid_and_raises_the_sequence(session: Session) -> None:
    first = the_event(Calendar.from_ical(ics_for(session)))
    session.starts_at += timedelta(hours=1)
    session.ends_at += timedelta(hours=1)
    session.calendar_sequence += 1
    session.save()
    second = the_event(Calendar.from_ical(ics_for(session)))

    assert second["UID"] == first["UID"]
    assert second["SEQUENCE"] == first["SEQUENCE"] + 1
    assert second.start.hour == 10


def test_lines_end_in_crlf_and_are_folded(cast: Cast) -> None:
    session = make_session(
        cast,
        start=datetime(2027, 1, 12, 9, tzinfo=BERLIN),
        location="A very long address " * 8,
    )
    raw = ics_for(session)

    assert raw.endswith(b"\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    assert b"\r\n " in raw  # at least one folded line
    assert Calendar.from_ical(raw)["METHOD"] == "REQUEST"


def test_a_utc_session_needs_no_vtimezone(cast: Cast) -> None:
    session = make_session(
        cast, start=datetime(2027, 1, 12, 9, tzinfo=ZoneInfo("UTC")), time_zone="UTC"
    )
    raw = ics_for(session)

    assert b"BEGIN:VTIMEZONE" not in raw
    assert b"DTSTART:20270112T090000Z\r\n" in raw


def test_other_zones_get_their_own_vtimezone(cast: Cast) -> None:
    start = datetime(2027, 1, 12, 9, tzinfo=ZoneInfo("America/New_York"))
    session = make_session(cast, start=start, time_zone="America/New_York")
    calendar = Calendar.from_ical(ics_for(session))

    assert the_event(calendar)["DTSTART"].params["TZID"] == "America/New_York"
    assert the_event(calendar).start.hour == 9
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["America/New_York"]


def test_unknown_methods_are_refused(session: Session) -> None:
    with pytest.raises(ValueError, match="REQUEST or CANCEL"):
        ics_for(session, method="PUBLISH")


def test_a_time_in_the_repeated_hour_of_a_change_to_winter_time_keeps_its_instant(
    cast: Cast,
) -> None:
    # Berlin's clocks go back at 03:00 CEST on 25 October 2026, to 02:00 CET: 02:00-03:00
    # happens twice. A session from 02:00 CEST (00:00 UTC) to 02:45 CET (01:45 UTC) lasts
    # 105 minutes; written as "02:45 Europe/Berlin" its end would read as the first 02:45
    # (00:45 UTC), a 45-minute session.
    start = datetime(2026, 10, 25, 0, 0, tzinfo=ZoneInfo("UTC"))
    session = make_session(cast, start=start, minutes=105)
    event = the_event(Calendar.from_ical(ics_for(session)))

    utc = ZoneInfo("UTC")
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert event.start.astimezone(utc) == session.starts_at
    assert event.end.astimezone(utc) == session.ends_at  # written in UTC: 20261025T014500Z
    assert event.end.timestamp() - event.start.timestamp() == 105 * 60


def test_control_characters_are_left_out_of_the_file(cast: Cast) -> None:
    # A title or name typed in through the API may hold an escape or a bell; RFC 5545 allows
    # no control character but a tab in a value, and calendar programs may refuse the file.
    session = make_session(cast, start=datetime(2027, 1, 12, 9, 0, tzinfo=BERLIN))
    session.title = "Onboarding \x1b[1mco-design\x1b[0m\x7f"
    session.location = "Room\x07 4"
    ics = ics_for(session, attendees=[Person("Gina\x08 Globex", "gina@globex.test")])

    assert not any((byte < 32 and byte not in b"\t\r\n") or byte == 127 for byte in ics)
    event = the_event(Calendar.from_ical(ics))
    assert event["SUMMARY"] == "Onboarding [1mco-design[0m"
    assert event["LOCATION"] == "Room 4"
    assert event["ATTENDEE"].params["CN"] == "Gina Globex"
