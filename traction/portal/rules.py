"""The portal's part of the one policy: what a contact signed in to the portal reaches, and
which members manage contacts' portal links.

A portal principal (``CustomerPrincipal.portal``) is bound to its contact, not to one
invitation. Every portal rule first asks that the principal came through the portal
(``_portal``): an RSVP or voting link's principal reaches nothing here. What a portal visitor
sees, and nothing else:

- ``portal.session``: the sessions they were invited to and accepted (not declined, not
  merely asked);
- ``portal.contribution``: accepted customer input (never internal remarks, never
  unattributed notes, never a candidate or a discarded note) said by them or by another
  contact of their own organisation;
- ``portal.vote``: their own invitations (not declined) to a session whose voting round is
  open;
- ``portal.link.use``: the very link their portal session stands on;
- ``behalf.vote.withdraw`` / ``behalf.insight.withdraw``: what a member entered for them
  (dots of a paper round, words told outside the session), which they may withdraw.

Members: admins and facilitators manage every contact's portal links, account owners those
of their own customers' contacts.
"""

from __future__ import annotations

from django.db.models import Q

from traction.core.permissions import ALL, OWN, CustomerPrincipal, Viewer, rule
from traction.sessions.models import RsvpStatus

NOTHING = Q(pk__in=[])


def _portal(customer: CustomerPrincipal, q: Q) -> Q:
    return q if customer.portal else NOTHING


def _own_sessions(customer: CustomerPrincipal) -> Q:  # on a Session
    return _portal(
        customer,
        Q(invitations__contact_id=customer.contact_id, invitations__rsvp="accepted"),
    )


def customer_input() -> Q:
    """Insights that are a customer's words: accepted (or merged into a card, kept as the
    card's source), said by a known contact, not an internal remark."""
    from traction.insights.models import InsightStatus, written

    return (
        Q(internal=False, speaker_contact__isnull=False, speaker_contact__erased_at__isnull=True)
        & Q(status__in=[InsightStatus.ACCEPTED, InsightStatus.MERGED])
        & written()
    )


def _own_contributions(customer: CustomerPrincipal) -> Q:  # on an Insight
    # Said by them, or by a contact of the organisation they belong to (the speaker's own
    # organisation, not the insight's denormalised one, so a mis-set column leaks nothing).
    return _portal(
        customer,
        customer_input()
        & (
            Q(speaker_contact_id=customer.contact_id)
            | Q(speaker_contact__customer__contacts__pk=customer.contact_id)
        ),
    )


def _own_open_votes(customer: CustomerPrincipal) -> Q:  # on an Invitation
    # Not one they declined: its link cannot vote (voting.services.ballots), so the portal
    # does not offer it.
    return _portal(
        customer,
        Q(
            contact_id=customer.contact_id,
            session__voting__isnull=False,
            session__voting__closed_at__isnull=True,
        )
        & ~Q(rsvp=RsvpStatus.DECLINED),
    )


def _own_link(customer: CustomerPrincipal) -> Q:  # on a PortalLink
    return _portal(customer, Q(pk=customer.portal_link_id, contact_id=customer.contact_id))


def _own_behalf_votes(customer: CustomerPrincipal) -> Q:  # on a Vote
    # Dots a member entered for this contact (a paper round), not those they cast themselves.
    return _portal(customer, Q(contact_id=customer.contact_id, channel="paper"))


def _own_behalf_insights(customer: CustomerPrincipal) -> Q:  # on an Insight
    # Words a member entered for this contact, said outside the session.
    return _portal(customer, Q(speaker_contact_id=customer.contact_id, source="behalf"))


def _my_customers_contact(viewer: Viewer) -> Q:  # on a Contact
    return Q(customer__account_owner_id=viewer.user_id)


def _my_customers_link(viewer: Viewer) -> Q:  # on a PortalLink
    return Q(contact__customer__account_owner_id=viewer.user_id)


RULES = [
    rule(
        "portal.session",
        customer=OWN,
        customer_own=_own_sessions,
        description="In the portal, a contact sees the sessions they were invited to and accepted.",
    ),
    rule(
        "portal.contribution",
        customer=OWN,
        customer_own=_own_contributions,
        description=(
            "In the portal, a contact sees what they and their organisation's contacts told "
            "us (never internal remarks or unattributed notes)."
        ),
    ),
    rule(
        "portal.vote",
        customer=OWN,
        customer_own=_own_open_votes,
        description=(
            "In the portal, a contact reaches their ballot while a session's voting is open."
        ),
    ),
    rule(
        "portal.link.use",
        customer=OWN,
        customer_own=_own_link,
        description="A contact's portal session stands on their own, valid portal link.",
    ),
    rule(
        "behalf.vote.withdraw",
        customer=OWN,
        customer_own=_own_behalf_votes,
        description=(
            "Withdraw dots a member entered for a customer (a paper round): the customer "
            "withdraws their own in the portal; admins and facilitators for them, with why."
        ),
        admin=ALL,
        facilitator=ALL,
    ),
    rule(
        "behalf.insight.withdraw",
        customer=OWN,
        customer_own=_own_behalf_insights,
        description=(
            "Withdraw words a member entered for a customer (told outside the session): the "
            "customer withdraws their own in the portal; admins and facilitators for them."
        ),
        admin=ALL,
        facilitator=ALL,
    ),
    rule(
        "behalf.view",
        own=_my_customers_contact,
        description="See what members entered on a contact's behalf (dots, words), and why.",
        admin=ALL,
        facilitator=ALL,
        account_owner=OWN,
    ),
    rule(
        "portal_link.view",
        own=_my_customers_link,
        description="See a contact's portal links (when sent, by whom, used, expired, revoked).",
        admin=ALL,
        facilitator=ALL,
        account_owner=OWN,
    ),
    rule(
        "portal_link.send",
        own=_my_customers_contact,
        description="Send a contact a link to the customer portal.",
        admin=ALL,
        facilitator=ALL,
        account_owner=OWN,
    ),
    rule(
        "portal_link.revoke",
        own=_my_customers_link,
        description="Revoke a contact's portal link (ending the portal sessions opened with it).",
        admin=ALL,
        facilitator=ALL,
        account_owner=OWN,
    ),
]
