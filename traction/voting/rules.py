"""Who runs the voting and what a customer's ballot reaches.

Only admins and facilitators run the voting (open, close, record votes in the room and paper
tallies, email the links). Customers vote through their own signed link, which needs no
account (see ``links.py``): the link makes them a customer principal of the same policy, and
``ballot.view`` / ``ballot.cast`` say what it reaches — their own invitation's ballot, and
their own session's round while it is open. Which cards and votes a reader sees in a ranking
is the insights rule (``insights.rules.visible_insights``, ``visible_customer_ids``).
"""

from __future__ import annotations

from django.db.models import Q

from traction.core.permissions import ALL, OWN, CustomerPrincipal, rule


def _own_ballot(customer: CustomerPrincipal) -> Q:  # on an Invitation
    return Q(
        pk=customer.invitation_id,
        contact_id=customer.contact_id,
        session_id=customer.session_id,
    )


def _own_open_round(customer: CustomerPrincipal) -> Q:  # on a VotingRound
    return Q(session_id=customer.session_id, closed_at__isnull=True)


RULES = [
    rule(
        "ballot.view",
        customer=OWN,
        customer_own=_own_ballot,
        description="A customer sees their own ballot: their session's cards, their dots.",
    ),
    rule(
        "ballot.cast",
        customer=OWN,
        customer_own=_own_open_round,
        description="A customer spends their dots in their own session's round while it is open.",
    ),
    rule(
        "voting.run",
        description="Open and close customer voting, record votes in the room and paper tallies.",
        admin=ALL,
        facilitator=ALL,
    ),
    rule(
        "voting.reveal",
        description="Hide the running totals on the room's screen, and reveal them.",
        admin=ALL,
        facilitator=ALL,
    ),
]
