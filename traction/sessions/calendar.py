"""iCalendar (.ics) files for session invitations, updates and cancellations (RFC 5545/5546).

One event keeps one UID for its whole life (``Session.calendar_uid``); each change raises
SEQUENCE, so calendar programs replace the event they already hold instead of adding a
second one. Times are written in the session's own time zone with a VTIMEZONE, so a
09:00 Berlin session stays at 09:00 Berlin on either side of a daylight-saving change;
a time in the second pass of the hour a change to winter time repeats (02:30 CET on
25 October 2026 in Berlin) is written in UTC (``calendar_time``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Literal, Protocol

from icalendar import Calendar, Event, vCalAddress

from traction.core import clock
from traction.core.text import without_bidi_controls_in

from .models import Session

PRODID = "-//Traction//Sessions//EN"
# The control characters RFC 5545 allows in no value (all below U+0020 but tab, and DEL);
# line ends in a text are escaped by icalendar (`\n`), so every CR and LF left is the file's.
CONTROLS = re.compile(b"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# REQUEST invites (or updates) the attendees listed, CANCEL takes the event out of their
# calendars; PUBLISH (RFC 5546) shows an event to whoever opens the file, naming no attendee:
# a debrief's file downloaded by someone it does not invite.
Method = Literal["REQUEST", "CANCEL", "PUBLISH"]


class Attendee(Protocol):
    """Anything with a name and an email address (a customer ``Contact``, for one)."""

    @property
    def name(self) -> str: ...

    @property
    def email(self) -> str: ...


def event_uid(session: Session) -> str:
    return f"{session.calendar_uid}@traction"


def calendar_time(moment: datetime) -> datetime:
    """``moment`` (aware, in the event's zone) as the file writes it: local, with its TZID,
    except in the second pass of the hour a change to winter time repeats, which a local
    time cannot name (RFC 5545 reads it as the first pass, an hour earlier): that one is
    written in UTC."""
    if moment.fold and moment.replace(fold=0).utcoffset() != moment.utcoffset():
        return moment.astimezone(UTC)
    return moment


def ics_bytes(calendar: Calendar) -> bytes:
    """The calendar as its file, without bidirectional controls (``core.text``) or
    ``CONTROLS`` (which a title or name typed before input refused them, or sent through
    the API, may hold): calendar programs may refuse a file holding one. Each is one byte
    (or, for the bidirectional ones, three) that never occurs inside another character."""
    ics: bytes = calendar.to_ical()  # untyped in icalendar
    return CONTROLS.sub(b"", without_bidi_controls_in(ics))


def describe(session: Session) -> str:
    """The event's DESCRIPTION: what the session is for, its agenda and how to join."""
    lines = [f"{session.get_kind_display()} of the program “{session.program.name}”."]
    if session.program.goal:
        lines += ["", f"Goal: {session.program.goal}"]
    items = list(session.agenda.all())
    if items:
        lines += ["", "Agenda:"]
        lines += [f"- {item.title} ({item.minutes} min)" for item in items]
    if session.video_link:
        lines += ["", f"Join online: {session.video_link}"]
    if session.location:
        lines += ["", f"Where: {session.location}"]
    return "\n".join(lines)


def build_ics(
    session: Session,
    *,
    method: Method,
    attendees: Iterable[Attendee],
    organizer_email: str,
    organizer_name: str,
    answered: str = "NEEDS-ACTION",
) -> bytes:
    """The calendar file for ``session``: METHOD REQUEST (invite or update) or CANCEL.

    ``attendees`` are the people this file is sent to. A customer's invitation lists that
    customer only, so no customer learns who else was invited. ``answered`` is their
    participation as the file says it (``PARTSTAT``): NEEDS-ACTION in an invitation, or what
    they answered (ACCEPTED, DECLINED) in the file they download afterwards.
    """
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"Unsupported calendar method {method!r}; use REQUEST or CANCEL.")

    event = Event()
    event.add("uid", event_uid(session))
    event.add("sequence", session.calendar_sequence)
    event.add("dtstamp", clock.now().astimezone(UTC))
    event.add("dtstart", calendar_time(session.local_start))
    event.add("dtend", calendar_time(session.local_end))
    event.add("summary", session.title)
    event.add("description", describe(session))
    where = session.location or session.video_link
    if where:
        event.add("location", where)
    if session.video_link:
        event.add("url", session.video_link)
    event.add("organizer", vCalAddress.new(organizer_email, cn=organizer_name or None))
    for attendee in attendees:
        event.add(
            "attendee",
            vCalAddress.new(
                attendee.email,
                cn=attendee.name or None,
                role="REQ-PARTICIPANT",
                partstat=answered,
                # No reply is asked for: a calendar's Accept would go to the organiser's
                # inbox, which Traction never reads; the RSVP link is the one way to answer.
                rsvp=False,
            ),
        )
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    event.add("transp", "OPAQUE")

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    calendar.add_component(event)
    # A VTIMEZONE for the session's zone (none for UTC, which is written with "Z"), with
    # only the transitions around the session: decades of them would be large and slow.
    calendar.add_missing_timezones(
        first_date=date(session.local_start.year - 1, 1, 1),
        last_date=date(session.local_end.year + 2, 1, 1),
    )
    return ics_bytes(calendar)
