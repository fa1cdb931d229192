"""Voting moved from insights to its own app without moving a row: a database populated before
the split (through the historical models of the time) reads the same rankings after it,
through the voting app's models and its selectors.

Runs on SQLite and PostgreSQL alike (the suite runs both). A migration test changes the
schema history, so it runs outside the test's transaction (``transaction=True``), starts
from the test database emptied and walked forwards to just before the split (``fresh_at``),
walks it forwards to the latest migrations, and puts it back there whatever happens.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Sum

from traction.core.testing.migrations import back_to_latest, fresh_at
from traction.sessions.models import Session
from traction.voting import selectors
from traction.voting.models import FrozenCard, FrozenVote, LinkDelivery, Vote, VotingRound

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE_SPLIT = ("insights", "0008_session_indexes")  # the last insights migration before it
MOVED = ("votinground", "vote", "frozencard", "frozenvote", "linkdelivery")
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _latest(executor: MigrationExecutor) -> list[tuple[str, str]]:
    executor.loader.build_graph()
    return executor.loader.graph.leaf_nodes()


@pytest.fixture
def before_split() -> Iterator[Any]:
    """The database at the last migration before the split, emptied and walked forwards to
    it from nothing (``fresh_at``): insights at 0008 (and what it depends on), every app that
    depends on neither insights nor voting at its latest migration, voting not at all; the
    historical apps of then."""
    graph = MigrationExecutor(connection).loader.graph
    nodes = [
        n
        for n in graph.leaf_nodes()
        if not any(app in ("insights", "voting") for app, _ in graph.forwards_plan(n))
    ]
    targets = [*nodes, BEFORE_SPLIT]
    try:
        yield fresh_at(targets).loader.project_state(targets).apps
    finally:
        back_to_latest()


def _populate(apps: Any) -> dict[str, int]:
    """Two sessions of one workspace: one with an open round (votes from three organisations,
    a link delivery), one closed with its frozen ranking; plus an audit event about a round."""
    get = apps.get_model
    ws = get("accounts", "Workspace").objects.create(name="Split", slug="split")
    program = get("programs", "Program").objects.create(workspace=ws, name="P", goal="G")
    customer = get("customers", "Customer").objects
    globex = customer.create(workspace=ws, name="Globex", segment="enterprise")
    initech = customer.create(workspace=ws, name="Initech", segment="mid_market")
    umbrella = customer.create(workspace=ws, name="Umbrella", segment="enterprise")
    contact = get("customers", "Contact").objects
    gina = contact.create(workspace=ws, customer=globex, name="Gina", email="g@globex.test")
    gus = contact.create(workspace=ws, customer=globex, name="Gus", email="gus@globex.test")
    ian = contact.create(workspace=ws, customer=initech, name="Ian", email="i@initech.test")
    uma = contact.create(workspace=ws, customer=umbrella, name="Uma", email="u@umbrella.test")
    session = get("cosessions", "Session").objects
    live = session.create(
        workspace=ws,
        program=program,
        title="Live",
        starts_at=T0,
        ends_at=T0 + dt.timedelta(hours=2),
    )
    closed = session.create(
        workspace=ws,
        program=program,
        title="Closed",
        starts_at=T0,
        ends_at=T0 + dt.timedelta(hours=2),
    )
    Insight = get("insights", "Insight")

    def card(s: Any, kind: str, text: str, who: Any, n: int) -> Any:
        return Insight.objects.create(
            workspace=ws,
            program=program,
            session=s,
            kind=kind,
            text=text,
            speaker_contact=who,
            speaker_name=who.name,
            customer_id=who.customer_id,
            created_at=T0 + dt.timedelta(minutes=n),
        )

    mot = card(live, "moment_of_truth", "First invoice", gina, 1)
    issue = card(live, "issue", "Exports time out", ian, 2)
    idea = card(live, "idea", "A status page", uma, 3)
    card(live, "issue", "Nobody voted for this", gus, 4)
    VotingRound = get("insights", "VotingRound")
    live_round = VotingRound.objects.create(workspace=ws, session=live, budget=5, opened_at=T0)
    Vote = get("insights", "Vote")
    for insight, voter, dots in [
        (mot, gina, 2),
        (mot, ian, 1),
        (issue, gus, 3),
        (issue, uma, 2),
        (issue, ian, 1),
        (idea, uma, 3),
        (idea, gina, 1),
    ]:
        Vote.objects.create(
            workspace=ws, session=live, insight=insight, contact=voter, dots=dots, channel="room"
        )
    outreach = get("cosessions", "OutreachRequest").objects.create(
        workspace=ws, session=live, contact=gina
    )
    invitation = get("cosessions", "Invitation").objects.create(
        workspace=ws, session=live, outreach=outreach, contact=gina
    )
    get("insights", "LinkDelivery").objects.create(
        workspace=ws,
        round=live_round,
        invitation=invitation,
        status="failed",
        error="550 g@globex.test: mailbox unavailable",
        attempts=1,
    )
    # The closed round: frozen at its first closing, figures as they stood then.
    old = card(closed, "issue", "Slow reports", gus, 5)
    new = card(closed, "idea", "Scheduled reports", ian, 6)
    closed_round = VotingRound.objects.create(
        workspace=ws,
        session=closed,
        budget=3,
        opened_at=T0,
        closed_at=T0 + dt.timedelta(hours=1),
        closings=1,
        participants_at_close=3,
        participants_by_customer={str(globex.pk): 2, str(initech.pk): 1},
    )
    FrozenCard = get("insights", "FrozenCard")
    FrozenVote = get("insights", "FrozenVote")
    for position, (insight, votes) in enumerate(
        [(old, [(gina, globex, 2), (ian, initech, 1)]), (new, [(gus, globex, 3)])], start=1
    ):
        organisation = Insight.objects.get(pk=insight.pk).customer.name
        frozen = FrozenCard.objects.create(
            round=closed_round,
            closing=1,
            insight=insight,
            position=position,
            kind=insight.kind,
            text=insight.text,
            speaker_name=insight.speaker_name,
            customer_id=insight.customer_id,
            organisation=organisation,
            contributors=[
                {
                    "insight_id": insight.pk,
                    "speaker_name": insight.speaker_name,
                    "customer_id": insight.customer_id,
                    "organisation": organisation,
                    "internal": False,
                    "text": insight.text,
                }
            ],
            dots=sum(n for _, _, n in votes),
            voters=len(votes),
        )
        for voter, org, dots in votes:
            FrozenVote.objects.create(
                card=frozen,
                contact=voter,
                customer=org,
                organisation=org.name,
                segment=org.segment,
                dots=dots,
            )
    get("core", "AuditEvent").objects.create(
        workspace=ws,
        actor_label="system",
        action="voting.closed",
        object_type="insights.votinground",
        object_id=str(closed_round.pk),
    )
    return {
        "live": live.pk,
        "closed": closed.pk,
        "closed_round": closed_round.pk,
        "globex": globex.pk,
        "initech": initech.pk,
        "umbrella": umbrella.pk,
    }


def _figures(vote: Any, frozen_card: Any, frozen_vote: Any, ids: dict[str, int]) -> dict[str, Any]:
    """The ranking figures, by SQL aggregates: the live round's dots per card, per segment
    and per organisation, ranked; the closed round's frozen cards and their breakdowns."""
    live = vote.objects.filter(session_id=ids["live"])
    per_card = live.values("insight_id").annotate(n=Sum("dots")).order_by("-n", "insight_id")
    frozen = frozen_card.objects.filter(round_id=ids["closed_round"], closing=1)
    frozen_votes = frozen_vote.objects.filter(card__round_id=ids["closed_round"])
    return {
        "live_ranking": [(r["insight_id"], r["n"]) for r in per_card],
        "live_by_segment": sorted(
            live.values_list("insight_id", "contact__customer__segment")
            .annotate(n=Sum("dots"))
            .values_list("insight_id", "contact__customer__segment", "n")
        ),
        "live_by_organisation": sorted(
            live.values_list("insight_id", "contact__customer_id")
            .annotate(n=Sum("dots"))
            .values_list("insight_id", "contact__customer_id", "n")
        ),
        "frozen_ranking": list(
            frozen.order_by("-dots", "-voters", "position").values_list(
                "insight_id", "text", "dots", "voters"
            )
        ),
        "frozen_by_segment": sorted(
            frozen_votes.values_list("card__insight_id", "segment")
            .annotate(n=Sum("dots"))
            .values_list("card__insight_id", "segment", "n")
        ),
        "frozen_by_organisation": sorted(
            frozen_votes.values_list("card__insight_id", "customer_id")
            .annotate(n=Sum("dots"))
            .values_list("card__insight_id", "customer_id", "n")
        ),
    }


def _ranked(session_id: int) -> list[tuple[str, int, int, dict[str, int], dict[int, int]]]:
    """The ranking the voting app's selectors read (every card, every voter)."""
    found = selectors.results_for_system(Session.objects.get(pk=session_id))
    return [(c.text, c.dots, c.voters, c.by_segment, c.by_organisation) for c in found.overall]


def test_the_split_keeps_every_row_and_every_ranking(before_split: Any) -> None:
    apps = before_split
    ids = _populate(apps)
    get = apps.get_model
    before = _figures(
        get("insights", "Vote"), get("insights", "FrozenCard"), get("insights", "FrozenVote"), ids
    )
    counts = {m: get("insights", m).objects.count() for m in MOVED}

    executor = MigrationExecutor(connection)
    executor.migrate(_latest(executor))

    after = _figures(Vote, FrozenCard, FrozenVote, ids)
    assert after == before
    assert (
        {
            "votinground": VotingRound.objects.count(),
            "vote": Vote.objects.count(),
            "frozencard": FrozenCard.objects.count(),
            "frozenvote": FrozenVote.objects.count(),
            "linkdelivery": LinkDelivery.objects.count(),
        }
        == counts
        == {"votinground": 2, "vote": 7, "frozencard": 2, "frozenvote": 3, "linkdelivery": 1}
    )
    # The figures themselves, so that "the same" cannot mean "both empty".
    g, i, u = ids["globex"], ids["initech"], ids["umbrella"]
    assert [n for _, n in after["live_ranking"]] == [6, 4, 3]
    assert [(t, d, v) for _, t, d, v in after["frozen_ranking"]] == [
        ("Slow reports", 3, 2),
        ("Scheduled reports", 3, 1),
    ]
    # Read through the voting app: the live round recomputed, the closed one from its snapshot.
    assert _ranked(ids["live"]) == [
        ("Exports time out", 6, 3, {"enterprise": 5, "mid_market": 1}, {g: 3, u: 2, i: 1}),
        ("A status page", 4, 2, {"enterprise": 4}, {u: 3, g: 1}),
        ("First invoice", 3, 2, {"enterprise": 2, "mid_market": 1}, {g: 2, i: 1}),
        ("Nobody voted for this", 0, 0, {}, {}),
    ]
    assert _ranked(ids["closed"]) == [
        ("Slow reports", 3, 2, {"enterprise": 2, "mid_market": 1}, {g: 2, i: 1}),
        ("Scheduled reports", 3, 1, {"enterprise": 3}, {g: 3}),
    ]
    delivery = LinkDelivery.objects.get()
    assert (delivery.status, delivery.error, delivery.round.session_id) == (
        "failed",
        "550 g@globex.test: mailbox unavailable",
        ids["live"],
    )
    # The round's history reads under its new name.
    from traction.core.models import AuditEvent

    assert list(
        AuditEvent.objects.filter(object_id=str(ids["closed_round"])).values_list(
            "object_type", flat=True
        )
    ) == ["voting.votinground"]
