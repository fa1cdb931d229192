"""Write use-cases for planning and preparing sessions (docs/method.md, steps 1–2).

Every rule of the gatekeeping is here: no invitation without an allowing outreach request,
decisions only by the contact's account owner, waivers only by admins with a reason, all
audited. Emails leave only after the transaction commits.

The package: ``sessions`` (plan, change, cancel, agenda, practice link), ``gatekeeping``
(outreach requests, who may be requested (``why_not_requestable``), decisions one by one or
together, waivers), ``invitations`` (`OutreachRequired`, invitations, RSVP), ``rsvps`` (what
facilitators hear of RSVPs, unanswered invitations, asking again after a new time),
``participants`` (participants, briefings, practice attendance), ``questions`` (top
questions); ``common`` holds the private helpers they share. Callers use
``services.<name>`` as before: every use-case is re-exported here.
"""

from __future__ import annotations

from .gatekeeping import (
    OutreachDecision,
    decide_outreach,
    decide_outreach_requests,
    request_outreach,
    request_outreach_for_contacts,
    requested_statuses,
    waive_outreach,
    why_not_requestable,
)
from .history import remove_participant, withdraw_approval
from .invitations import (
    OutreachRequired,
    resend_invitation,
    respond_rsvp,
    send_invitation,
    send_invitations,
)
from .opening import set_invitation_opening
from .participants import (
    acknowledge_briefing,
    add_participant,
    record_practice_attendance,
)
from .questions import pick_questions, submit_question, upvote_question
from .rsvps import choose_rsvp_emails, flag_unanswered
from .sessions import (
    CALENDAR_FIELDS,
    SESSION_FIELDS,
    cancel_session,
    link_practice,
    mark_session_held,
    past_warning,
    plan_session,
    set_agenda,
    update_session,
)

__all__ = [
    "CALENDAR_FIELDS",
    "SESSION_FIELDS",
    "OutreachDecision",
    "OutreachRequired",
    "acknowledge_briefing",
    "add_participant",
    "cancel_session",
    "choose_rsvp_emails",
    "decide_outreach",
    "decide_outreach_requests",
    "flag_unanswered",
    "link_practice",
    "mark_session_held",
    "past_warning",
    "pick_questions",
    "plan_session",
    "record_practice_attendance",
    "remove_participant",
    "request_outreach",
    "request_outreach_for_contacts",
    "requested_statuses",
    "resend_invitation",
    "respond_rsvp",
    "send_invitation",
    "send_invitations",
    "set_agenda",
    "set_invitation_opening",
    "submit_question",
    "update_session",
    "upvote_question",
    "waive_outreach",
    "why_not_requestable",
    "withdraw_approval",
]
