"""A withdrawn vote counts nowhere: every ranking, total, export and audience reads the same
as if the dots had never been entered (docs/portal.md, "Entered for you").

Hal of Globex's paper dots (4 on Ian's idea, which puts it first, and 1 on Gina's card,
which Globex's account owner sees) count while they stand; once withdrawn, everything is
back to what it was before they were entered. tests/test_vote_joins.py checks
that every query joining cards to their votes says which votes count."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from traction.core import clock
from traction.core.testing.cast import Cast
from traction.customers.models import Contact
from traction.loop import audience, drafting, selectors
from traction.portal import behalf
from traction.voting import selectors as ranking
from traction.voting.models import Vote

from . import world as w

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 1, 20, 9, 0, tzinfo=UTC)


def body(answer: Any) -> str:
    assert answer.status_code == 200
    return b"".join(answer.streaming_content).decode()


def figures(
    world: w.World, client_for: Callable[[str], Client], api_client_for: Callable[[str], Client]
) -> dict[str, Any]:
    """Every figure votes make, for a facilitator (all of them) and Globex's account owner
    (his own customers' votes only)."""
    cast = world.cast
    session, program = world.session, cast.program
    assert program is not None
    seen: dict[str, Any] = {}
    for principal in ("facilitator", "account_owner"):
        viewer = cast.viewer(principal)
        found = ranking.results(session, viewer)
        seen[f"{principal} ranking"] = [
            (c.insight_id, c.rank, c.dots, c.voters, c.by_segment, c.by_organisation)
            for c in found.overall
        ]
        seen[f"{principal} kinds"] = [
            (k.kind, [(c.insight_id, c.rank, c.dots) for c in k.cards]) for k in found.kinds
        ]
        seen[f"{principal} turnout"] = (found.participants, found.voted, found.dots_cast)
        web = client_for(principal)
        export = reverse("voting:results_export", args=[cast.acme.slug, session.pk])
        seen[f"{principal} csv"] = body(web.get(export))
        api = api_client_for(principal)
        results = api.get(f"/api/v1/sessions/{session.pk}/voting/results")
        assert results.status_code == 200, results.content
        seen[f"{principal} api ranking"] = results.json()
        seen[f"{principal} api csv"] = body(
            api.get(f"/api/v1/sessions/{session.pk}/voting/results/export?format=csv")
        )
    # The program's priorities (the account owner sees them once asked to approve a status).
    fran = cast.viewer("facilitator")
    seen["priorities"] = [
        (p.pk, p.counted_dots, p.counted_voters)  # type: ignore[attr-defined]
        for p in selectors.ranked_priorities(fran, program)
    ]
    priorities = api_client_for("facilitator").get(f"/api/v1/programs/{program.pk}/priorities")
    assert priorities.status_code == 200, priorities.content
    seen["api priorities"] = priorities.json()
    who = drafting.audience_of(program, audience="program")
    seen["update facts"] = [
        (f.id, f.dots) for f in drafting.facts_for([world.card.pk, world.quiet.pk], who)
    ]
    seen["audience"] = [
        c.contact.name
        for c in audience.audience(program.pk, priority_ids=[world.card.pk, world.quiet.pk])
    ]
    return seen


def paper_dots(world: w.World, cast: Cast) -> list[Vote]:
    """Hal of Globex's dots, entered by Fran from a paper ballot: 4 on Ian's idea, 1 on
    Gina's card."""
    hal = Contact.objects.create(
        workspace=cast.acme,
        customer=cast.customer,
        name="Hal Globex",
        email="hal@globex.test",
        consent_to_contact=True,
    )
    return [
        Vote.objects.create(
            workspace=cast.acme,
            session=world.session,
            insight=card,
            contact=hal,
            dots=dots,
            channel="paper",
            recorded_by=cast.users["facilitator"],
            behalf_reason="Paper ballot in the session",
        )
        for card, dots in ((world.quiet, 4), (world.card, 1))
    ]


def test_a_withdrawn_vote_changes_no_ranking_total_export_or_audience(
    cast: Cast, client_for: Callable[[str], Client], api_client_for: Callable[[str], Client]
) -> None:
    with clock.frozen(NOW):
        world = w.build(cast)
        before = figures(world, client_for, api_client_for)
        assert before["facilitator ranking"][0][:3] == (world.card.pk, 1, 4)
        votes = paper_dots(world, cast)
        standing = figures(world, client_for, api_client_for)
        # While they stand, Hal's dots count everywhere: Ian's idea leads with 6 dots.
        changed = {k for k in before if standing[k] != before[k]}
        assert changed == set(before), sorted(set(before) - changed)
        assert standing["facilitator ranking"][0][:4] == (world.quiet.pk, 1, 6, 2)
        assert standing["account_owner ranking"][0][:4] == (world.card.pk, 1, 4, 2)
        for vote in votes:
            behalf.withdraw_vote(
                cast.viewer("facilitator"), vote_id=vote.pk, reason="Hal asked us by phone."
            )
        assert [v.withdrawn_at for v in Vote.history.filter(contact__name="Hal Globex")] == [
            NOW,
            NOW,
        ]
        after = figures(world, client_for, api_client_for)
    assert after == before
