"""What a customer's invitation email says, in text and HTML: one rendering for sending and
for the facilitator's preview.

The email speaks for the workspace (its name and logo), opens with the session's own
opening words when the facilitator wrote some (``Session.invitation_opening``), and
carries no internal words: only what the customer needs (what, when, where, how to answer).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from django.template.loader import render_to_string
from django.utils import dateformat
from django.utils.safestring import mark_safe

from traction.accounts import selectors as accounts_selectors
from traction.core.errors import ValidationFailed
from traction.core.text import require_length

from .models import Session

# "reconfirm": an update to a customer who had accepted, asking them to confirm the new time.
Kind = Literal["invite", "update", "cancel", "reconfirm"]

MAX_OPENING = 1000
MAX_OPENING_LINES = 15


@dataclass(frozen=True)
class Recipient:
    """Whom the email is for: a contact, or the preview's sample person."""

    name: str
    email: str


SAMPLE = Recipient(name="Alex Sample", email="alex.sample@example.com")


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str  # the whole HTML document the email carries
    html_body: str  # its body alone, as the preview page shows it


def when(session: Session) -> str:
    """The session's time in its own zone, e.g. "Tue 14 Apr 2026, 09:00–12:30 (Europe/Berlin)"."""
    start, end = session.local_start, session.local_end
    day = dateformat.format(start, "D j M Y")
    if end.date() == start.date():
        span = f"{day}, {start:%H:%M}–{end:%H:%M}"
    else:
        span = f"{day}, {start:%H:%M} – {dateformat.format(end, 'D j M Y')}, {end:%H:%M}"
    return f"{span} ({session.time_zone})"


def when_end(session: Session) -> str:
    """When the session and its RSVP link end: "12:30 on Fri 26 Mar 2027 (Europe/Berlin)"."""
    end = session.local_end
    return f"{end:%H:%M} on {dateformat.format(end, 'D j M Y')} ({session.time_zone})"


def standard_opening(session: Session, organizer_name: str) -> str:
    """The opening an invitation has when the facilitator wrote none."""
    return (
        f"{organizer_name} of {session.workspace.name} invites you to a "
        f"{session.get_kind_display().lower()}: “{session.title}”.\n\n"
        "We would like to hear, in your own words, how things should work for you. Your time "
        "and experience shape what we decide and do next, and we will tell you what came of it."
    )


def clean_opening(text: str) -> str:
    """The opening as stored: trimmed, line endings made plain; ValidationFailed (on the
    ``opening`` field) when it is too long or holds characters an email cannot show."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    lines = [line.rstrip() for line in text.split("\n")]
    text = "\n".join(lines)
    require_length("opening", text, MAX_OPENING)
    if len(lines) > MAX_OPENING_LINES:
        raise ValidationFailed.field(
            "opening", f"The opening has {len(lines)} lines; keep it to {MAX_OPENING_LINES}."
        )
    if any(ord(c) < 32 and c not in "\n\t" for c in text) or "\x7f" in text:
        raise ValidationFailed.field(
            "opening", "The opening holds control characters; type it as plain text."
        )
    return text


def paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs (for the HTML part)."""
    return [p.strip() for p in text.split("\n\n") if p.strip()]


SUBJECT_PREFIX: dict[Kind, str] = {
    "invite": "Invitation",
    "update": "Updated",
    "cancel": "Cancelled",
    "reconfirm": "New time, please confirm",
}


def render(
    session: Session,
    *,
    kind: Kind,
    recipient: Recipient,
    organizer_name: str,
    organizer_email: str,
    rsvp_link: str,
    logo_url: str,
) -> Rendered:
    """The email's subject, text and HTML for ``recipient``. ``logo_url`` is where the HTML
    finds the workspace's logo ("" when it has none)."""
    opening = ""
    if kind == "invite":
        opening = session.invitation_opening.strip() or standard_opening(session, organizer_name)
    context: dict[str, Any] = {
        "session": session,
        "program": session.program,
        "workspace_name": session.workspace.name,
        "logo_url": logo_url,
        "when": when(session),
        "ends": when_end(session),
        "agenda": list(session.agenda.all()),
        "kind": kind,
        "contact": recipient,
        "organizer_name": organizer_name,
        "organizer_email": organizer_email,
        "rsvp_link": "" if kind == "cancel" else rsvp_link,
        "opening": opening,
        "opening_paragraphs": paragraphs(opening),
    }
    body = render_to_string("sessions/email/invitation_body.html", context)
    text = "invitation_reconfirm.txt" if kind == "reconfirm" else "invitation.txt"
    return Rendered(
        subject=f"{SUBJECT_PREFIX[kind]}: {session.title} — {when(session)}",
        text=render_to_string(f"sessions/email/{text}", context).strip() + "\n",
        html=render_to_string(
            "sessions/email/invitation.html",
            {**context, "body": mark_safe(body)},  # noqa: S308 - our own rendering, escaped
        ),
        html_body=body,
    )


def logo_digest(session: Session) -> str:
    """The digest of the session's workspace's logo, "" when it has none (the session was
    reached through the policy by whoever renders its email)."""
    return accounts_selectors.has_logo(session.workspace_id)
