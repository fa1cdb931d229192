"""What members entered on a contact's behalf, in the authorization world (docs/portal.md,
"Entered for you"): in each of Acme's Onboarding session, Rival's session and Acme's hidden
Renewals session, the invited contact has a dot entered for them on paper on a card of
their own (``behalf_vote_id``) and words a facilitator entered for them, told outside the session
(``behalf_insight_id``)."""

from __future__ import annotations

from typing import Any

from traction.core.testing.cast import Cast

KEYS = ("behalf_vote_id", "behalf_insight_id")


def _objects(world: dict[str, Any]) -> dict[str, Any]:
    from traction.insights.models import Insight
    from traction.voting.models import Vote

    card = Insight.objects.get(pk=world["insight_id"])
    contact_id = world["invited_contact_id"]
    words = Insight.objects.create(
        workspace_id=card.workspace_id,
        program_id=card.program_id,
        session_id=card.session_id,
        kind="idea",
        text="Told us on the phone: export the wizard's answers",
        speaker_contact_id=contact_id,
        speaker_name="Hank",
        customer_id=card.customer_id,
        source="behalf",
        behalf_reason="Told me on the phone",
    )
    # Dots on a card of their own: the world's ``insight_id`` stays without dots (it may
    # still be edited and removed).
    ballot_card = Insight.objects.create(
        workspace_id=card.workspace_id,
        program_id=card.program_id,
        session_id=card.session_id,
        kind="issue",
        text="The wizard forgets the second page",
        speaker_contact_id=contact_id,
        speaker_name="Hank",
        customer_id=card.customer_id,
    )
    vote = Vote.objects.create(
        workspace_id=card.workspace_id,
        session_id=card.session_id,
        insight=ballot_card,
        contact_id=contact_id,
        dots=1,  # of a budget of 3: the matrix's paper tally still fits
        channel="paper",
        behalf_reason="Paper ballot in the session",
    )
    return {"behalf_vote_id": vote.pk, "behalf_insight_id": words.pk}


def extend(cast: Cast, world: Any) -> None:
    for found in (world.acme, world.rival, world.hidden):
        found.update(_objects(found))
