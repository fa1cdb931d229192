"""Customers are sensitive: admins and facilitators see all, account owners their own.

Which organisations a member may *identify* (know that a word, a vote, an invitation or a
contact comes from them) is one rule, ``customer.identify``, read through
``identified_customers``: account owners identify their own customers only; every other
role identifies every customer of what it may read (its reads are already limited to the
programs and sessions it belongs to). Insights (the cards, speakers and every count of
the ranking) and sessions (the outreach queue and invitations) all ask it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from traction.core import permissions
from traction.core.permissions import ALL, OWN, Viewer, rule

if TYPE_CHECKING:
    from .models import Customer


def _owned_customer(viewer: Viewer) -> Q:
    return Q(account_owner_id=viewer.user_id)


def _contact_of_owned_customer(viewer: Viewer) -> Q:
    return Q(customer__account_owner_id=viewer.user_id)


def identified_customers(viewer: Viewer, *, in_team: bool = True) -> QuerySet[Customer] | None:
    """The customers whose words, votes and people the viewer may attribute to them: the
    one answer to "which customers may I see" (``customer.identify``). None: every customer
    (no filter needed).

    ``in_team=False`` when the viewer reads something whose team they are not in (a session
    they reach only because it involves a customer they own): then their own customers
    only, whatever their role.
    """
    from .models import Customer

    if in_team and identifies_every_customer(viewer):
        return None
    if not in_team:
        return Customer.objects.filter(workspace_id=viewer.workspace_id).filter(
            _owned_customer(viewer)
        )
    return permissions.scope(viewer, "customer.identify", Customer.objects.all())


def identifies_every_customer(viewer: Viewer) -> bool:
    """True when ``customer.identify`` grants the viewer every customer of the workspace;
    False for account owners (their own only)."""
    return permissions.registry.get("customer.identify").scope_for(viewer.role) is ALL


RULES = [
    rule(
        "customer.identify",
        own=_owned_customer,
        description=(
            "Know which organisation a customer's words, votes, invitations and contacts come "
            "from: account owners their own customers only, other roles every customer of "
            "what they may read."
        ),
        admin=ALL,
        facilitator=ALL,
        core_team=ALL,
        sponsor=ALL,
        account_owner=OWN,
        observer=ALL,
    ),
    rule(
        "customer.view",
        own=_owned_customer,
        description="See customer organisations.",
        admin=ALL,
        facilitator=ALL,
        account_owner=OWN,
    ),
    rule("customer.create", description="Add a customer organisation.", admin=ALL, facilitator=ALL),
    rule(
        "customer.change",
        own=_owned_customer,
        description="Edit a customer organisation.",
        admin=ALL,
        facilitator=ALL,
        account_owner=OWN,
    ),
    rule(
        "customer.reassign_owner",
        description=(
            "Choose or change a customer's account owner, the gatekeeper who decides who may "
            "invite its people: a facilitator's or admin's decision, not the owner's own."
        ),
        admin=ALL,
        facilitator=ALL,
    ),
    rule(
        "customer.archive",
        description="Archive (or restore) a customer and its contacts; nothing is deleted.",
        admin=ALL,
    ),
    rule(
        "contact.view",
        own=_contact_of_owned_customer,
        description="See a customer's contacts.",
        admin=ALL,
        facilitator=ALL,
        account_owner=OWN,
    ),
    rule(
        "contact.change",
        own=_contact_of_owned_customer,
        description="Add or edit a customer's contacts.",
        admin=ALL,
        facilitator=ALL,
        account_owner=OWN,
    ),
    rule(
        "contact.archive",
        description="Archive (or restore) a contact; their history stays.",
        admin=ALL,
        facilitator=ALL,
    ),
    rule(
        "contact.erase",
        description="Erase a contact's identity (name, email, notes) for good, with a reason.",
        admin=ALL,
    ),
]
