"""The ranking the database computes (dots and voters summed per card, ordered and cut there)
against one computed by hand: ties broken by voters then capture order, segments and
organisations, a merged card, a participant who declined after voting, an account owner's
scoped view, pages of each list, and the same figures read back from the frozen ranking."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from traction.core.testing.cast import Cast
from traction.customers import services as customer_services
from traction.insights import services as insight_services
from traction.insights.models import VOTABLE_KINDS, Insight
from traction.sessions import services as session_services
from traction.sessions.rsvp import customer_principal
from traction.voting import selectors as ranking
from traction.voting import services as voting
from traction.voting.models import Vote
from traction.voting.selectors import Results
from traction.voting.tests.test_voting import Room, add, build_room

pytestmark = pytest.mark.django_db


def capture(cast: Cast, room: Room, kind: str, text: str, speaker: Any) -> Insight:
    mot = room.cards["mot"]
    return insight_services.capture_insight(
        cast.viewer("facilitator"),
        session=room.session,
        kind=kind,
        text=text,
        speaker=f"c:{speaker.pk}",
        step_id=mot.step_id,
    )


@pytest.fixture
def voted(cast: Cast) -> Room:
    """Cards in capture order: mot (Gina, Globex), issue (Ian, Initech), idea (Gus, Globex),
    issue2 (Iris, Initech), idea2 (Iris), mot2 (Ian). Globex is mid-market, Initech
    enterprise; Owen owns Globex only.

    Dots: Gina mot 2, issue2 1; Gus idea 2, issue2 1; Ian mot2 1, issue 3, idea 1; Iris
    idea2 2, issue2 1. Then mot2 is merged into mot (Ian's dot follows the words) and Iris
    declines (her dots go)."""
    room = build_room(cast)
    fran = cast.viewer("facilitator")
    customer_services.update_customer(
        fran, customer=cast.other_customer, changes={"account_owner_id": cast.users["admin"].pk}
    )
    room.cards["idea2"] = capture(cast, room, "idea", "Remind us before the renewal", room.iris)
    room.cards["mot2"] = capture(cast, room, "moment_of_truth", "The invoice is wrong", room.ian)
    voting.open_voting(fran, session=room.session, budget=5)
    for contact, card, n in [
        (room.gina, "mot", 2),
        (room.gina, "issue2", 1),
        (room.gus, "idea", 2),
        (room.gus, "issue2", 1),
        (room.ian, "mot2", 1),
        (room.ian, "issue", 3),
        (room.ian, "idea", 1),
        (room.iris, "idea2", 2),
        (room.iris, "issue2", 1),
    ]:
        add(cast, room, contact, card, n)
    insight_services.merge_insights(fran, into=room.cards["mot"], others=[room.cards["mot2"].pk])
    iris = room.invitations["iris"]
    session_services.respond_rsvp(customer_principal(iris.pk, room.iris.pk), accept=False)
    assert not Vote.objects.filter(contact=room.iris).exists()
    return room


def cards(found: Results) -> list[tuple[Any, ...]]:
    """Rank, words, dots, voters, dots by segment and by organisation (as columned), and the
    contributions: shown (speakers) and hidden."""
    return [
        (
            c.rank,
            c.text,
            c.dots,
            c.voters,
            c.segment_cells,
            c.organisation_cells,
            [p.speaker_name for p in c.contributors],
            c.hidden_contributors,
        )
        for c in found.overall
    ]


MOT = "The first invoice arrives"
ISSUE = "Approval takes three weeks"
IDEA = "Let us pay by card"
ISSUE2 = "Nobody answers the phone"
IDEA2 = "Remind us before the renewal"

# By hand. mot: Gina 2 + Ian 1 (moved with mot2) = 3 dots, 2 voters; idea: Gus 2 + Ian 1 = 3,
# 2 (a tie with mot on both: capture order, mot first); issue: Ian 3 = 3 dots, 1 voter (after
# idea, captured later but chosen by more customers); issue2: Gina 1 + Gus 1 = 2, 2 (Iris's
# dot went with her); idea2: Iris's 2 dots went, 0. Columns: segments Enterprise, Mid-market;
# organisations Globex, Initech.
WHOLE = [
    (1, MOT, 3, 2, [1, 2], [2, 1], ["Gina Globex", "Ian Initech"], 0),
    (2, IDEA, 3, 2, [1, 2], [2, 1], ["Gus Globex"], 0),
    (3, ISSUE, 3, 1, [3, 0], [0, 3], ["Ian Initech"], 0),
    (4, ISSUE2, 2, 2, [0, 2], [2, 0], ["Iris Initech"], 0),
    (5, IDEA2, 0, 0, [0, 0], [0, 0], ["Iris Initech"], 0),
]
# Owen reads Globex's cards (mot, idea) and Globex's voters (Gina, Gus) only: mot 2 dots
# (Gina), 1 voter, Ian's merged words hidden; idea 2 (Gus), 1. A tie: capture order.
OWENS = [
    (1, MOT, 2, 1, [2], [2], ["Gina Globex"], 1),
    (2, IDEA, 2, 1, [2], [2], ["Gus Globex"], 0),
]


def test_the_databases_ranking_is_the_one_computed_by_hand(cast: Cast, voted: Room) -> None:
    fran, owen = cast.viewer("facilitator"), cast.viewer("account_owner")
    for closed in (False, True):
        if closed:  # the frozen ranking reads back the same figures, for each reader
            voting.close_voting(fran, session=voted.session)
        whole = ranking.results(voted.session, fran)
        assert whole.frozen is closed
        assert cards(whole) == WHOLE
        assert whole.segments == [("enterprise", "Enterprise"), ("mid_market", "Mid-market")]
        assert [name for _, name in whole.organisations] == ["Globex", "Initech"]
        assert (whole.participants, whole.voted, whole.dots_cast) == (3, 3, 11)
        assert [(k.kind, [c.text for c in k.cards], k.count) for k in whole.kinds] == [
            ("moment_of_truth", [MOT], 1),
            ("issue", [ISSUE, ISSUE2], 2),
            ("idea", [IDEA, IDEA2], 2),
        ]
        assert [[c.rank for c in k.cards] for k in whole.kinds] == [[1], [1, 2], [1, 2]]
        assert cards(ranking.results_for_system(voted.session)) == WHOLE

        mine = ranking.results(voted.session, owen)
        assert cards(mine) == OWENS
        assert (mine.segments, [n for _, n in mine.organisations]) == (
            [("mid_market", "Mid-market")],
            ["Globex"],
        )
        # Globex's participants (Gina, Gus), both voted, 4 dots on the cards Owen sees.
        assert (mine.participants, mine.voted, mine.dots_cast) == (2, 2, 4)
        assert [(k.kind, [c.text for c in k.cards], k.count) for k in mine.kinds] == [
            ("moment_of_truth", [MOT], 1),
            ("issue", [], 0),
            ("idea", [IDEA], 1),
        ]


@pytest.mark.parametrize("closed", [False, True], ids=["open", "closed"])
def test_each_page_is_its_slice_of_the_whole_ranking(cast: Cast, voted: Room, closed: bool) -> None:
    fran = cast.viewer("facilitator")
    if closed:
        voting.close_voting(fran, session=voted.session)
    pages = [ranking.results(voted.session, fran, limit=2, offset=n) for n in (0, 2, 4, 6)]
    assert [cards(p) for p in pages] == [WHOLE[0:2], WHOLE[2:4], WHOLE[4:], []]
    for p in pages:  # every figure counts all the cards, whichever are shown
        assert (p.overall_count, p.participants, p.voted, p.dots_cast) == (5, 3, 3, 11)
        assert [k.count for k in p.kinds] == [1, 2, 2]
    assert [p.more for p in pages[:3]] == [3, 1, 0]
    # Each kind's list is paged alike: the second page holds no moment of truth, and the
    # issues' second one ranks 2 in its list.
    assert [[(c.rank, c.text) for c in k.cards] for k in pages[0].kinds] == [
        [(1, MOT)],
        [(1, ISSUE), (2, ISSUE2)],
        [(1, IDEA), (2, IDEA2)],
    ]
    assert [k.cards for k in pages[1].kinds] == [[], [], []]
    owens = [
        ranking.results(voted.session, cast.viewer("account_owner"), limit=1, offset=n)
        for n in (0, 1)
    ]
    assert [cards(p) for p in owens] == [OWENS[:1], OWENS[1:]]


def test_the_maps_dots_are_counted_as_the_ranking_counts_them(cast: Cast, voted: Room) -> None:
    """The map's dots and heat go through the same policy as the ranking: an account owner's
    map counts their own customers' votes only (Ian's dot on the first invoice is not
    Owen's to count), everyone else's every vote."""
    from traction.insights import selectors as maps

    scenario = voted.cards["mot"].scenario
    for who, expected in [("facilitator", {MOT: 3, IDEA: 3}), ("account_owner", {MOT: 2, IDEA: 2})]:
        viewer = cast.viewer(who)
        dots = {c.text: c.dot_count for c in maps.session_insights(viewer, voted.session)}
        assert {text: dots[text] for text in expected} == expected, who
        board = maps.board(viewer, voted.session, scenario)
        assert board.grid is not None
        shown = {c.text: c.dot_count for row in board.grid.rows for cell in row.cells for c in cell}
        assert {t: shown[t] for t in expected if t in shown} == {
            t: expected[t] for t in expected if t in shown
        }, who
        assert MOT in shown, who
        ranked = {c.text: c.dots for c in ranking.results(voted.session, viewer).overall}
        assert {text: ranked[text] for text in expected} == expected, who


@pytest.mark.parametrize("closed", [False, True], ids=["open", "closed"])
def test_the_overall_list_alone_is_the_same_list_with_fewer_queries(
    cast: Cast, voted: Room, closed: bool, django_assert_max_num_queries: Any
) -> None:
    """``kinds=False`` (the debrief's top priorities): the same overall list and figures,
    each kind's count given, no kind's list read."""
    fran = cast.viewer("facilitator")
    if closed:
        voting.close_voting(fran, session=voted.session)
    whole = ranking.results(voted.session, fran, limit=2)
    with CaptureQueriesContext(connection) as every:
        ranking.results(voted.session, fran, limit=2)
    with django_assert_max_num_queries(len(every) - len(VOTABLE_KINDS)):
        overall = ranking.results(voted.session, fran, limit=2, kinds=False)
    assert cards(overall) == cards(whole) == WHOLE[0:2]
    assert [c.segment_cells for c in overall.overall] == [c.segment_cells for c in whole.overall]
    assert (overall.overall_count, overall.participants, overall.voted, overall.dots_cast) == (
        5,
        3,
        3,
        11,
    )
    assert [(k.kind, k.cards, k.count) for k in overall.kinds] == [
        ("moment_of_truth", [], 1),
        ("issue", [], 2),
        ("idea", [], 2),
    ]
    # totals=False (the debrief room): the same cards and spread, without the counts of each
    # list and the participants, fewer queries (a closed round kept its participants).
    with django_assert_max_num_queries(len(every) - len(VOTABLE_KINDS) - (1 if closed else 2)):
        cards_only = ranking.results(voted.session, fran, limit=2, kinds=False, totals=False)
    assert cards(cards_only) == WHOLE[0:2]
    assert [c.segment_cells for c in cards_only.overall] == [c.segment_cells for c in whole.overall]
    assert (cards_only.voted, cards_only.dots_cast) == (3, 11)
    assert (cards_only.overall_count, cards_only.participants) == (0, 0)
