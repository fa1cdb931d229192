"""Web views for planning and preparing sessions: parse, call one service or selector, render.

Every page asks the permission layer through a selector or service; buttons a viewer may not
use are hidden, but the services decide.

One module per area: sessions (the list, planning, the session's page, the agenda),
gatekeeping (outreach requests and approvals), invitations, participants and briefings, top
questions, and the customer's RSVP; ``common`` holds the helpers they share. Each module but
the RSVP holds its own ``urlpatterns``; the RSVP page is routed from ``traction/urls.py`` as
``views.rsvp``, re-exported here.
"""

from .customer_rsvp import rsvp, rsvp_calendar, rsvp_logo

__all__ = ["rsvp", "rsvp_calendar", "rsvp_logo"]
