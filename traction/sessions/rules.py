"""Who may plan sessions, ask and decide outreach, invite, brief and ask top questions.

Gatekeeping: an outreach request is decided by the contact's account owner only (whatever
their workspace role, except observers, who never approve); admins may waive, with a reason.
"""

from django.db.models import Q

from traction.core.permissions import ALL, OWN, CustomerPrincipal, Viewer, everyone, rule


def taking_part(user_id: int | None, prefix: str = "") -> Q:
    """Sessions (at ``prefix``, e.g. "session__") the user takes part in NOW. An ended
    participation (removed, or the member left the workspace) is history and grants nothing:
    both conditions sit in one Q so they apply to the same participation row."""
    return Q(**{f"{prefix}participants__user_id": user_id, f"{prefix}participants__left_at": None})


def in_program_team(user_id: int | None, prefix: str = "") -> Q:
    """Programs (at ``prefix``, e.g. "program__") whose team the user belongs to NOW: the
    core team, observers and the program's named policy makers."""
    return Q(**{f"{prefix}members__user_id": user_id, f"{prefix}members__left_at": None}) | Q(
        **{f"{prefix}policy_makers__user_id": user_id, f"{prefix}policy_makers__left_at": None}
    )


def _session_of_mine(viewer: Viewer) -> Q:
    """Sessions of programs they belong to now, sessions they take part in now, and sessions
    that involve the customers they own now (or where an approval waits for them). Ended
    memberships, participations and ownerships are history: they grant nothing."""
    return (
        Q(program__executive_sponsor_id=viewer.user_id)
        | in_program_team(viewer.user_id, "program__")
        | taking_part(viewer.user_id)
        | Q(outreach_requests__contact__customer__account_owner_id=viewer.user_id)
        | Q(outreach_requests__account_owner_id=viewer.user_id, outreach_requests__status="pending")
    )


def _in_session_team(viewer: Viewer) -> Q:
    """The session's team: its program's sponsor and team, and its participants (now)."""
    return (
        Q(program__executive_sponsor_id=viewer.user_id)
        | in_program_team(viewer.user_id, "program__")
        | taking_part(viewer.user_id)
    )


def _taking_part(viewer: Viewer) -> Q:
    return taking_part(viewer.user_id)


def _my_customers_contact(viewer: Viewer) -> Q:  # on a Contact
    return Q(customer__account_owner_id=viewer.user_id)


def _owned_request(viewer: Viewer) -> Q:  # on an OutreachRequest
    return Q(account_owner_id=viewer.user_id)


def _visible_request(viewer: Viewer) -> Q:
    # The owner of the contact's customer NOW (a former owner's decided requests are history,
    # not access), whoever must decide it, and whoever asked.
    return (
        Q(contact__customer__account_owner_id=viewer.user_id)
        | Q(account_owner_id=viewer.user_id, status="pending")
        | Q(requested_by_id=viewer.user_id)
    )


def _own_participation(viewer: Viewer) -> Q:  # on a Participant
    return Q(user_id=viewer.user_id)


def _own_invitation(customer: CustomerPrincipal) -> Q:  # on an Invitation
    return Q(
        pk=customer.invitation_id,
        contact_id=customer.contact_id,
        session_id=customer.session_id,
    )


RULES = [
    rule(
        "invitation.answer",
        customer=OWN,
        customer_own=_own_invitation,
        description="A customer answers their own invitation (RSVP) through their link.",
    ),
    rule(
        "invitation.open",
        customer=OWN,
        customer_own=_own_invitation,
        description=(
            "A customer opens their own invitation through their link: its calendar file and "
            "the inviting workspace's logo."
        ),
    ),
    rule(
        "session.view",
        own=_session_of_mine,
        description="See a session, its agenda, invitations, participants and readiness.",
        admin=ALL,
        facilitator=ALL,
        core_team=OWN,
        sponsor=OWN,
        account_owner=OWN,
        observer=OWN,
    ),
    rule(
        "session.customers",
        own=_in_session_team,
        description=(
            "See every customer contact asked or invited to a session (its team does); "
            "others see only the contacts of customers they own."
        ),
        admin=ALL,
        facilitator=ALL,
        core_team=OWN,
        sponsor=OWN,
        account_owner=OWN,
        observer=OWN,
    ),
    rule(
        "session.plan",
        description="Plan, change or cancel a session and its agenda.",
        admin=ALL,
        facilitator=ALL,
    ),
    rule(
        "outreach.view",
        own=_visible_request,
        description="See outreach requests.",
        admin=ALL,
        facilitator=ALL,
        core_team=OWN,
        sponsor=OWN,
        account_owner=OWN,
    ),
    rule(
        "outreach.request",
        own=_my_customers_contact,
        description="Ask a contact's account owner for permission to invite the contact.",
        admin=ALL,
        facilitator=ALL,
        account_owner=OWN,
    ),
    rule(
        "outreach.decide",
        own=_owned_request,
        description="Approve (with conditions) or decline outreach to one's own customers.",
        admin=OWN,
        facilitator=OWN,
        core_team=OWN,
        sponsor=OWN,
        account_owner=OWN,
    ),
    rule(
        "outreach.inbox",
        description=(
            "Keep Approvals in the navigation when nothing waits: deciding outreach is this "
            "role's main duty (other roles see it while a request waits for them)."
        ),
        account_owner=ALL,
    ),
    rule("outreach.waive", description="Waive the approval, with a reason.", admin=ALL),
    rule(
        "invitation.send",
        description="Send invitations to approved contacts.",
        admin=ALL,
        facilitator=ALL,
    ),
    rule(
        "participant.manage",
        description="Give internal participants a session role.",
        admin=ALL,
        facilitator=ALL,
    ),
    rule(
        "briefing.view",
        own=_own_participation,
        description="Read a participant's briefing packet.",
        admin=ALL,
        facilitator=ALL,
        core_team=OWN,
        sponsor=OWN,
        account_owner=OWN,
        observer=OWN,
    ),
    rule(
        "briefing.acknowledge",
        own=_own_participation,
        description="Acknowledge one's own briefing.",
        admin=OWN,
        facilitator=OWN,
        core_team=OWN,
        sponsor=OWN,
        account_owner=OWN,
        observer=OWN,
    ),
    rule(
        "practice.record",
        description="Record attendance at the practice session.",
        admin=ALL,
        facilitator=ALL,
    ),
    rule(
        "question.ask",
        own=_taking_part,
        description="Submit and upvote top questions for the end of a session.",
        admin=ALL,
        facilitator=ALL,
        core_team=OWN,
        sponsor=OWN,
        account_owner=OWN,
        observer=OWN,
    ),
    rule(
        "question.pick",
        description="Order and pick the top questions asked.",
        admin=ALL,
        facilitator=ALL,
    ),
    everyone(
        "rsvp_emails.choose",
        description="Choose how one hears by email about RSVPs to the sessions one facilitates.",
    ),
]
