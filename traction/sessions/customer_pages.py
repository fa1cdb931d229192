"""What every customer-facing page shares (the RSVP page here, the ballot in voting): the
inviting workspace's name and logo, and the session's time in the session's zone and in the
customer's own.

The customer's zone: ``?tz=`` on the link (a current IANA name), else the ``traction_tz``
cookie that ``customer_time.js`` sets from the browser's zone, so the server can show both
times on every page after the first; on the first visit the script fills the second line.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime

from django.http import HttpRequest
from django.urls import reverse
from django.utils import dateformat

from traction.accounts import selectors as accounts_selectors
from traction.core import timezones

from .models import Session

TZ_COOKIE = "traction_tz"


@dataclass(frozen=True)
class Brand:
    name: str
    logo_url: str  # "" when the workspace has no logo


def brand(session: Session, *, logo_url_name: str, token: str) -> Brand:
    """The workspace that invites, for a page reached through the customer's link (the
    caller fetched ``session`` through the policy). The logo's URL carries the same token,
    so it serves only this workspace's logo."""
    digest = accounts_selectors.has_logo(session.workspace_id)
    url = f"{reverse(logo_url_name, args=[token])}?v={digest}" if digest else ""
    return Brand(name=session.workspace.name, logo_url=url)


def span(start: datetime, end: datetime) -> str:
    """ "Friday 26 March 2027, 09:00–12:30", or across days with both dates."""
    day = dateformat.format(start, "l j F Y")
    if start.date() == end.date():
        return f"{day}, {start:%H:%M}–{end:%H:%M}"
    return f"{day}, {start:%H:%M} – {dateformat.format(end, 'l j F Y')}, {end:%H:%M}"


@dataclass(frozen=True)
class Times:
    session_zone: str
    session_span: str
    starts_iso: str
    ends_iso: str
    viewer_zone: str  # "" when unknown or the session's own
    viewer_span: str


def customer_zone(request: HttpRequest) -> str:
    """The customer's zone if the link or the browser said one (current names only)."""
    for raw in (request.GET.get("tz", ""), request.COOKIES.get(TZ_COOKIE, "")):
        if raw and timezones.is_current(raw):
            return raw
    return ""


def times(session: Session, request: HttpRequest) -> Times:
    zone = customer_zone(request)
    if zone == session.time_zone:
        zone = ""
    viewer_span = ""
    if zone:
        tz = zoneinfo.ZoneInfo(zone)
        viewer_span = span(session.starts_at.astimezone(tz), session.ends_at.astimezone(tz))
    return Times(
        session_zone=session.time_zone,
        session_span=span(session.local_start, session.local_end),
        starts_iso=session.starts_at.isoformat(),
        ends_iso=session.ends_at.isoformat(),
        viewer_zone=zone,
        viewer_span=viewer_span,
    )
