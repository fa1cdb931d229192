"""Who may see customer priorities, propose their customer-facing statuses, approve them
for their customers, waive an approval, record deliveries and keep reusable reason texts
(docs/roles.md, docs/loop.md).

Statuses and deliveries are asked about on their program (``programs.Program``): ``loop.view``
and ``loop.propose`` take a program. What the priorities page lists is further filtered by
``insight.view`` (an account owner sees only their own customers' cards). An approval is
its account owner's to give (``loop.approve`` on an ``Approval``); only admins waive.
Customers (contacts as principals) are granted nothing here yet.
"""

from __future__ import annotations

from django.db.models import Q

from traction.core.permissions import ALL, OWN, Viewer, rule
from traction.programs.rules import belongs

from . import mail_rules


def program_of_mine(viewer: Viewer) -> Q:  # on a Program
    """Programs the viewer belongs to, or where a customer of theirs is asked to approve."""
    return belongs(viewer) | Q(loop_approvals__account_owner_id=viewer.user_id)


def program_team(viewer: Viewer) -> Q:  # on a Program
    """Programs whose sponsor, core team or policy makers the viewer is now."""
    u = viewer.user_id
    return (
        Q(executive_sponsor_id=u)
        | Q(members__user_id=u, members__kind="core_team", members__left_at=None)
        | Q(policy_makers__user_id=u, policy_makers__left_at=None)
    )


def approval_of_mine(viewer: Viewer) -> Q:  # on an Approval
    """Approvals asked of the viewer: they own the customer it is asked for."""
    return Q(account_owner_id=viewer.user_id)


def plan_of_mine(viewer: Viewer) -> Q:  # on a Program
    """Programs the viewer belongs to or approves for, those where a customer they own took
    part, and those where the plan names them to tell a customer."""
    from traction.loop.models import CommsOwner
    from traction.sessions.models import Invitation, RsvpStatus

    u = viewer.user_id
    owned = Invitation.objects.filter(
        contact__customer__account_owner_id=u, rsvp=RsvpStatus.ACCEPTED
    ).values("session__program_id")
    said = Q(sessions__insights__customer__account_owner_id=u)
    named = CommsOwner.objects.filter(teller_id=u).values("program_id")
    return program_of_mine(viewer) | said | Q(pk__in=owned) | Q(pk__in=named)


RULES = [
    rule(
        "loop.view",
        own=program_of_mine,
        description="See a program's customer priorities, their customer-facing statuses, "
        "approvals, the slip radar's marks and deliveries.",
        admin=ALL,
        facilitator=ALL,
        core_team=OWN,
        sponsor=OWN,
        account_owner=OWN,
        observer=OWN,
    ),
    rule(
        "loop.propose",
        own=program_team,
        description="Propose a customer-facing status for a customer priority (published "
        "once each affected customer's account owner approves).",
        admin=ALL,
        facilitator=ALL,
        core_team=OWN,
        sponsor=OWN,
    ),
    rule(
        "loop.approve",
        own=approval_of_mine,
        description="Approve what your own customers will be told, or ask for changes in it (you "
        "are their account owner).",
        admin=OWN,
        facilitator=OWN,
        core_team=OWN,
        sponsor=OWN,
        account_owner=OWN,
        observer=OWN,
    ),
    rule(
        "loop.waive",
        description="Waive an account owner's approval of a status, with a reason.",
        admin=ALL,
    ),
    rule(
        "loop.deliver",
        own=program_team,
        description="Record deliveries (by hand, CSV or API) and link them to customer priorities.",
        admin=ALL,
        facilitator=ALL,
        core_team=OWN,
        sponsor=OWN,
    ),
    rule(
        "loop.reasons",
        description="Keep the workspace's reusable reason texts for customers.",
        admin=ALL,
        facilitator=ALL,
    ),
    # --- the communication plan (area PLAN) ---
    rule(
        "loop.plan_view",
        own=plan_of_mine,
        description="See a program's communication plan: when each customer organisation "
        "hears from us next and who tells them (an account owner or teller: their customers).",
        admin=ALL,
        facilitator=ALL,
        core_team=OWN,
        sponsor=OWN,
        account_owner=OWN,
        observer=OWN,
    ),
    rule(
        "loop.plan",
        own=program_team,
        description="Change a program's communication plan: how often customers hear from "
        "us, after how long a silence to re-engage them, and who tells each customer.",
        admin=ALL,
        facilitator=ALL,
        core_team=OWN,
        sponsor=OWN,
    ),
    # --- MAIL: delivery, subscriptions, the portal's loop panels (loop/mail_rules.py) ---
    *mail_rules.RULES,
]


# --- "You said, we did" updates (area UPD; docs/loop.md, "Updates") --------------------------


# The states an update's text has passed the update checker in (submitting and every edit
# of a submitted update check it): an update for several organisations names none of them,
# none of their people and quotes nobody.
CHECKED_STATES = ("awaiting", "approved", "sent")


def update_addressed_to_mine(viewer: Viewer) -> Q | None:  # on an Update
    """The updates a viewer who may identify only some customers (``customer.identify``: an
    account owner, their own) may read: None when they identify every customer.

    - for one organisation (audience "customer"): only to an organisation they identify now
      (an update quotes its people by name; losing the customer loses the update);
    - for a session or a whole program (several organisations): only once its text passed
      the checker (``CHECKED_STATES``: it names no organisation and no person, quotes
      nobody) and while it is asked of, or was sent to, an organisation they identify: they
      read what their own customer reads, never a draft another organisation's words may
      still be in.
    """
    from traction.customers import rules as customer_rules
    from traction.loop.models import Approval, UpdateRecipient

    mine = customer_rules.identified_customers(viewer)
    if mine is None:
        return None
    ids = mine.values("pk")
    asked = Approval.objects.filter(
        subject_kind="update", superseded_at__isnull=True, customer__in=ids
    ).values("update_id")
    sent_to = UpdateRecipient.objects.filter(customer__in=ids).values("update_id")
    return Q(audience="customer", customer__in=ids) | (
        Q(audience__in=("session", "program"), state__in=CHECKED_STATES)
        & (Q(pk__in=asked) | Q(pk__in=sent_to))
    )


def update_of_mine(viewer: Viewer) -> Q:  # on an Update
    """Updates of programs the viewer belongs to, or that ask the viewer's approval; for a
    viewer who identifies only some customers, of those only the updates addressed to them
    (``update_addressed_to_mine``)."""
    from traction.programs.models import Program

    found = Q(program__in=Program.objects.filter(belongs(viewer)).values("pk")) | Q(
        approvals__account_owner_id=viewer.user_id
    )
    addressed = update_addressed_to_mine(viewer)
    return found if addressed is None else found & addressed


RULES += [
    rule(
        "loop.updates",
        own=update_of_mine,
        description="Read a program's updates to customers (an account owner: those asking "
        "for their approval, and only those addressed to their own customers), with their "
        "recipients, approvals and what the checker flags.",
        admin=ALL,
        facilitator=ALL,
        core_team=OWN,
        sponsor=OWN,
        account_owner=OWN,
        observer=OWN,
    ),
    rule(
        "loop.compose",
        own=program_team,
        description="Draft, edit, submit for approval, send and discard updates to customers "
        "of a program.",
        admin=ALL,
        facilitator=ALL,
        core_team=OWN,
        sponsor=OWN,
    ),
]
