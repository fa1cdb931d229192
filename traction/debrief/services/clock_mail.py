"""The debrief clock's emails: the booked slot's calendar invitation, update and cancellation,
and its removal when the debrief closed before the slot ended ("closed") (.ics with the
debrief's one UID and its SEQUENCE, like the sessions' calendars; no calendar reply asked
for), and the reminders to the facilitator and the core team.

Tasks take ids and strings only and send what is true when they run: an update a person
already holds (``Attendee.calendar_sequence_sent``) is not sent twice; a cancellation goes
only to someone who was sent the event.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import UTC, date
from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django_tasks import task
from icalendar import Calendar, Event, vCalAddress

from traction.core import audit, clock, dates, mail
from traction.core.tasks import send_email_on_commit
from traction.debrief.models import Attendee, Debrief, DebriefStatus
from traction.sessions.calendar import Method, calendar_time, ics_bytes
from traction.sessions.emails import absolute, calendar_part, organizer
from traction.sessions.tasks import explain_failure, retry_at

logger = logging.getLogger(__name__)

PRODID = "-//Traction//Debrief//EN"
KINDS = ("invite", "update", "cancel", "closed")
SUBJECT = {
    "invite": "Debrief invitation",
    "update": "Debrief moved",
    "cancel": "Debrief cancelled",
    "closed": "Debrief held",  # closed before its slot: the slot leaves the calendar
}
# The kinds that take the event out of the calendar (METHOD:CANCEL).
REMOVING = ("cancel", "closed")


def event_uid(debrief: Debrief) -> str:
    return f"{debrief.calendar_uid}@traction"


def title(debrief: Debrief) -> str:
    return f"Debrief: {debrief.session.title}"


def when(debrief: Debrief) -> str:
    tz = debrief.session.tz
    start, end = debrief.starts_at.astimezone(tz), debrief.ends_at.astimezone(tz)
    return f"{start:%A %-d %B %Y, %H:%M}–{end:%H:%M} ({debrief.session.time_zone})"


def room_link(debrief: Debrief) -> str:
    """The debrief's page: its room, or its booking page where the room is not built."""
    slug = debrief.session.workspace.slug
    try:
        return reverse("debrief:room", args=[slug, debrief.pk])
    except NoReverseMatch:
        return reverse("debrief:booking", args=[slug, debrief.pk])


def place(debrief: Debrief) -> str:
    """Where the debrief meets: its own place, else where its session took place."""
    return debrief.location or debrief.session.location


def video(debrief: Debrief) -> str:
    return debrief.video_link or debrief.session.video_link


def build_ics(debrief: Debrief, *, method: Method, attendees: list[Attendee]) -> bytes:
    """The booked slot as an iCalendar event: METHOD REQUEST (invite, update) or CANCEL to
    ``attendees``, or PUBLISH (no attendee: the file of someone it does not invite), in the
    session's time zone with its VTIMEZONE. A cancelled or closed debrief's event is
    CANCELLED whatever the method."""
    if method == "PUBLISH" and attendees:
        raise ValueError("A published calendar file names no attendee.")
    session = debrief.session
    organizer_name, organizer_email = organizer(session)
    tz = session.tz
    start, end = debrief.starts_at.astimezone(tz), debrief.ends_at.astimezone(tz)
    event = Event()
    event.add("uid", event_uid(debrief))
    event.add("sequence", debrief.calendar_sequence)
    event.add("dtstamp", clock.now().astimezone(UTC))
    event.add("dtstart", calendar_time(start))
    event.add("dtend", calendar_time(end))
    event.add("summary", title(debrief))
    respond_link = absolute(reverse("debrief:respond", args=[session.workspace.slug, debrief.pk]))
    if debrief.status == DebriefStatus.CLOSED and debrief.closed_at is not None:
        held = debrief.closed_at.astimezone(tz)
        lines = [
            f"The debrief of “{session.title}” ({session.program.name}) was held and closed "
            f"on {held:%a} {dates.short(held)}, {held:%H:%M} ({session.time_zone}): this booked "
            "slot is no "
            "longer needed.",
            "",
            f"The debrief and its pack: {absolute(room_link(debrief))}",
        ]
    else:
        lines = [
            f"The debrief of “{session.title}” ({session.program.name}): within 24 hours of the "
            "session, the core team and the policy makers decide what to do about what customers "
            "said.",
            "",
            f"Answer in Traction: {respond_link}",
            "An answer given in your calendar does not reach Traction: please use this link.",
        ]
        if video(debrief):
            lines += ["", f"Join online: {video(debrief)}"]
        if place(debrief):
            lines += ["", f"Where: {place(debrief)}"]
    event.add("description", "\n".join(lines))
    where = place(debrief) or video(debrief)
    if where:
        event.add("location", where)
    if video(debrief):
        event.add("url", video(debrief))
    event.add("organizer", vCalAddress.new(organizer_email, cn=organizer_name or None))
    partstat = {"accepted": "ACCEPTED", "declined": "DECLINED", "tentative": "TENTATIVE"}
    for attendee in attendees:
        event.add(
            "attendee",
            vCalAddress.new(
                attendee.user.email,
                cn=attendee.user.full_name or None,
                role="REQ-PARTICIPANT",
                partstat=partstat.get(attendee.response, "NEEDS-ACTION"),
                # No reply is asked for: a calendar's Accept would go to the organiser's
                # inbox, which Traction never reads; the respond link is the one way to
                # answer (as for customers' invitations, traction/sessions/calendar.py).
                rsvp=False,
            ),
        )
    over = debrief.status in (DebriefStatus.CANCELLED, DebriefStatus.CLOSED)
    event.add("status", "CANCELLED" if method == "CANCEL" or over else "CONFIRMED")
    event.add("transp", "OPAQUE")
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    calendar.add_component(event)
    calendar.add_missing_timezones(
        first_date=date(start.year - 1, 1, 1), last_date=date(end.year + 2, 1, 1)
    )
    return ics_bytes(calendar)


def send_calendar(attendee: Attendee, *, kind: str) -> int:
    debrief = attendee.debrief
    session = debrief.session
    method: Method = "CANCEL" if kind in REMOVING else "REQUEST"
    ics = build_ics(debrief, method=method, attendees=[attendee])
    slug = session.workspace.slug
    organizer_name, _ = organizer(session)
    body = render_to_string(
        "debrief/clock/email/calendar.txt",
        {
            "kind": kind,
            "debrief": debrief,
            "session": session,
            "user": attendee.user,
            "when": when(debrief),
            "place": place(debrief),
            "video": video(debrief),
            "due": debrief.due_at.astimezone(session.tz),
            "policy_maker": attendee.is_policy_maker,
            "organizer_name": organizer_name,
            "respond_link": absolute(reverse("debrief:respond", args=[slug, debrief.pk])),
            "link": absolute(room_link(debrief)),
        },
    ).strip()
    message = EmailMessage(
        subject=f"{SUBJECT[kind]}: {session.title} — {when(debrief)}",
        body=body + "\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[formataddr((attendee.user.full_name, attendee.user.email))],
    )
    message.attach(calendar_part(ics, method))
    return mail.outgoing(message).send()


@task()
def deliver_debrief_calendar(attendee_id: int, kind: str, attempt: int = 1) -> int:
    """Send an invitee the booked slot ("invite"), its update ("update") or its
    cancellation ("cancel"), as the debrief is when the task runs."""
    if kind not in KINDS:
        raise ValueError(f"Unknown calendar email kind {kind!r}; use one of {KINDS}.")
    attendee = (
        Attendee.objects.select_related(
            "user",
            "debrief__session__program",
            "debrief__session__workspace",
            "debrief__session__created_by",
        )
        .filter(pk=attendee_id)
        .first()
    )
    if attendee is None or not attendee.user.email:
        return 0
    debrief = attendee.debrief
    held = attendee.calendar_sequence_sent
    over = debrief.status in (DebriefStatus.CANCELLED, DebriefStatus.CLOSED)
    if kind not in REMOVING and over:
        return 0  # its cancellation (or the closing's removal) replaces it
    if kind in REMOVING and held is None:
        return 0  # never sent the event: nothing to take out of their calendar
    if kind not in REMOVING and held is not None and held >= debrief.calendar_sequence:
        return 0  # they already hold this version
    if kind not in REMOVING and debrief.starts_at <= clock.now():
        return 0  # a slot already past is not worth a calendar entry
    try:
        sent = send_calendar(attendee, kind=kind)
        if not sent:
            raise smtplib.SMTPException("The mail backend accepted no message.")
    except (smtplib.SMTPException, OSError) as exc:
        permanent, reason = explain_failure(exc)
        again = retry_at(permanent, attempt)
        if again is not None:
            deliver_debrief_calendar.using(run_after=again).enqueue(attendee_id, kind, attempt + 1)
        audit.record(
            None,
            action="debrief.calendar_not_delivered",
            obj=debrief,
            changes={"user": attendee.user_id, "kind": kind, "attempt": attempt},
            reason=f"Debrief calendar {kind} not delivered: {reason}",
        )
        logger.warning("Debrief attendee %s: calendar %s not sent: %s", attendee_id, kind, reason)
        return 0
    Attendee.objects.filter(pk=attendee.pk).update(calendar_sequence_sent=debrief.calendar_sequence)
    return sent


REMINDER_SUBJECT = {
    "session_ended": "Debrief due within 24 hours",
    "due_soon": "Debrief due in 4 hours",
    "late": "Debrief late",
    "missed": "Debrief missed",
}


def queue_reminder(debrief: Debrief, stage: str, recipients: list[str]) -> None:
    """The stage's reminder to the facilitator and the core team, sent once the caller's
    transaction commits."""
    session = debrief.session
    body = render_to_string(
        "debrief/clock/email/reminder.txt",
        {
            "stage": stage,
            "debrief": debrief,
            "session": session,
            "due": debrief.due_at.astimezone(session.tz),
            "slot": when(debrief),
            "link": absolute(room_link(debrief)),
            "booking_link": absolute(
                reverse("debrief:booking", args=[debrief.workspace.slug, debrief.pk])
            ),
        },
    ).strip()
    send_email_on_commit(
        f"{REMINDER_SUBJECT[stage]}: {session.title}", body + "\n", sorted(recipients)
    )
