"""Dot voting through services and the API: the budget across channels, who votes on what,
opening and closing, the paper tally, the customer's own link, and the ranked results."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from traction.accounts import services as account_services
from traction.core.errors import NotFound, PermissionDenied, ValidationFailed
from traction.core.models import AuditEvent
from traction.core.testing.cast import Cast
from traction.core.testing.snapshot import built_on
from traction.customers import services as customer_services
from traction.customers.models import Contact
from traction.insights import services as insight_services
from traction.insights.models import Insight, InsightStatus
from traction.sessions import services as session_services
from traction.sessions.models import Invitation, Session
from traction.sessions.rsvp import customer_principal
from traction.voting import links
from traction.voting import selectors as ranking
from traction.voting import services as voting
from traction.voting.models import Vote, VotingRound
from traction.voting.services import TallyEntry

pytestmark = pytest.mark.django_db


@dataclass
class Room:
    """A session with four customer participants, a declined invitee and cards of every sort.

    Gina and Gus are at Globex (mid-market), Ian and Iris at Initech (enterprise); Dora
    (Initech) declined; Fay (Globex) was never invited. Cards, in capture order: ``mot``
    (Gina), ``issue`` (Ian), ``idea`` (Gus), ``issue2`` (Iris); not votable: ``internal``
    (Cora's own issue), ``quote`` (Gina), ``candidate`` (from an import, not reviewed).
    """

    session: Session
    gina: Contact
    gus: Contact
    ian: Contact
    iris: Contact
    dora: Contact
    fay: Contact
    invitations: dict[str, Invitation]
    cards: dict[str, Insight]


def _invite(cast: Cast, session: Session, contact: Contact) -> Invitation:
    fran = cast.viewer("facilitator")
    request = session_services.request_outreach(fran, session=session, contact=contact)
    request = session_services.decide_outreach(
        cast.viewer("account_owner"), request=request, approve=True
    )
    return session_services.send_invitation(fran, request=request)


def build_room(cast: Cast) -> Room:
    fran = cast.viewer("facilitator")
    start = timezone.now() + timedelta(days=7)
    session = session_services.plan_session(
        fran, program=cast.program, title="Voting session", starts_at=start,
        ends_at=start + timedelta(hours=4),
    )  # fmt: skip
    session_services.add_participant(
        fran, session=session, user_id=cast.users["core_team"].pk, role="note_taker"
    )
    assert cast.other_customer is not None
    assert cast.customer is not None
    customer_services.update_customer(
        fran,
        customer=cast.other_customer,
        changes={"account_owner_id": cast.users["account_owner"].pk},
    )

    def contact(customer: Any, name: str) -> Contact:
        email = name.split()[0].lower() + "@example.test"
        return customer_services.add_contact(
            fran, customer=customer, name=name, email=email, consent_to_contact=True
        )

    assert cast.contact is not None
    gina = cast.contact
    gus = contact(cast.customer, "Gus Globex")
    ian = cast.other_contact
    assert ian is not None
    customer_services.update_contact(fran, contact=ian, changes={"consent_to_contact": True})
    iris = contact(cast.other_customer, "Iris Initech")
    dora = contact(cast.other_customer, "Dora Declined")
    fay = contact(cast.customer, "Fay Fresh")
    invitations = {
        name: _invite(cast, session, c)
        for name, c in [("gina", gina), ("gus", gus), ("ian", ian), ("iris", iris), ("dora", dora)]
    }
    session_services.respond_rsvp(customer_principal(invitations["dora"].pk, dora.pk), accept=False)
    scenario = insight_services.create_scenario(
        fran, session=session, title="Team Blue", steps=["Sign up", "First invoice"]
    )
    step = scenario.steps.order_by("position").first()
    assert step is not None

    def card(kind: str, text: str, speaker: str) -> Insight:
        return insight_services.capture_insight(
            fran, session=session, kind=kind, text=text, speaker=speaker, step_id=step.pk
        )

    cards = {
        "mot": card("moment_of_truth", "The first invoice arrives", f"c:{gina.pk}"),
        "issue": card("issue", "Approval takes three weeks", f"c:{ian.pk}"),
        "idea": card("idea", "Let us pay by card", f"c:{gus.pk}"),
        "issue2": card("issue", "Nobody answers the phone", f"c:{iris.pk}"),
        "internal": card("issue", "Our tool is slow", f"u:{cast.users['core_team'].pk}"),
        "quote": card("quote", "We print every invoice", f"c:{gina.pk}"),
    }
    cards["candidate"] = Insight.objects.create(
        workspace_id=session.workspace_id,
        program_id=session.program_id,
        session=session,
        kind="issue",
        text="Imported, not reviewed",
        status=InsightStatus.CANDIDATE,
        source="import",
    )
    return Room(session, gina, gus, ian, iris, dora, fay, invitations, cards)


@pytest.fixture
def room(cast: Cast) -> Room:
    # Built through the services once per process, its rows inserted again for each test.
    return built_on(cast, build_room)


@pytest.fixture
def opened(cast: Cast, room: Room) -> Room:
    voting.open_voting(cast.viewer("facilitator"), session=room.session)
    return room


def dots(room: Room) -> dict[tuple[str, str], int]:
    """{(card name, contact first name): dots} of every vote row of the session."""
    card_names = {c.pk: n for n, c in room.cards.items()}
    return {
        (card_names[v.insight_id], v.contact.name.split()[0].lower()): v.dots
        for v in Vote.objects.filter(session=room.session).select_related("contact")
    }


def add(cast: Cast, room: Room, contact: Contact, card: str, times: int = 1) -> None:
    for _ in range(times):
        voting.add_dot(
            cast.viewer("facilitator"),
            session=room.session,
            contact_id=contact.pk,
            insight_id=room.cards[card].pk,
        )


def round_actions(session: Session) -> list[str]:
    found = VotingRound.objects.get(session=session)
    return list(
        AuditEvent.objects.filter(object_type="voting.votinground", object_id=str(found.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def refused(exc: ValidationFailed) -> dict[str, list[str]]:
    return exc.errors


# --- opening, closing, budget ---------------------------------------------------------------------


def test_open_voting_with_the_default_budget_and_refuse_opening_twice(
    cast: Cast, room: Room
) -> None:
    found = voting.open_voting(cast.viewer("facilitator"), session=room.session)
    assert (found.budget, found.is_open, found.opened_by_id) == (
        3,
        True,
        cast.users["facilitator"].pk,
    )
    with pytest.raises(ValidationFailed) as exc:
        voting.open_voting(cast.viewer("facilitator"), session=room.session, budget=5)
    assert exc.value.errors == {"__all__": ["Voting is already open for this session."]}
    assert VotingRound.objects.get(session=room.session).budget == 3
    assert round_actions(room.session) == ["voting.opened"]


@pytest.mark.parametrize("budget", [0, 51, -1])
def test_a_budget_outside_1_to_50_is_refused(cast: Cast, room: Room, budget: int) -> None:
    with pytest.raises(ValidationFailed) as exc:
        voting.open_voting(cast.viewer("facilitator"), session=room.session, budget=budget)
    assert exc.value.errors == {"budget": ["Each customer gets between 1 and 50 votes."]}
    assert not VotingRound.objects.filter(session=room.session).exists()


@pytest.mark.parametrize("principal", ["core_team", "sponsor", "account_owner", "observer"])
def test_only_admins_and_facilitators_run_voting(cast: Cast, room: Room, principal: str) -> None:
    with pytest.raises(PermissionDenied):
        voting.open_voting(cast.viewer(principal), session=room.session)
    assert not VotingRound.objects.filter(session=room.session).exists()


def test_another_workspace_cannot_open_voting(cast: Cast, room: Room) -> None:
    with pytest.raises(NotFound):
        voting.open_voting(cast.viewer("stranger"), session=room.session)


def test_close_then_reopen_keeps_the_dots_and_refuses_a_budget_below_them(
    cast: Cast, opened: Room
) -> None:
    fran = cast.viewer("facilitator")
    add(cast, opened, opened.gina, "mot", 3)
    closed = voting.close_voting(fran, session=opened.session)
    assert closed.closed_at is not None
    assert not closed.is_open
    with pytest.raises(ValidationFailed) as exc:
        voting.close_voting(fran, session=opened.session)
    assert exc.value.errors == {"__all__": ["Voting for this session is already closed."]}
    with pytest.raises(ValidationFailed) as exc:
        add(cast, opened, opened.gus, "idea")
    assert exc.value.errors == {
        "__all__": ["Voting for this session is closed; no more votes can be cast."]
    }
    with pytest.raises(ValidationFailed) as exc:
        voting.open_voting(fran, session=opened.session, budget=4)
    assert exc.value.errors == {
        "__all__": [
            "Voting for this session was closed and its ranking is final; to take more votes, "
            "reopen it explicitly, saying why."
        ]
    }
    with pytest.raises(ValidationFailed) as exc:
        voting.reopen_voting(fran, session=opened.session, reason="  ", budget=4)
    assert exc.value.errors == {"reason": ["Say why (it is kept in the audit trail)."]}
    with pytest.raises(ValidationFailed) as exc:
        voting.reopen_voting(fran, session=opened.session, reason="Ivy came late", budget=2)
    assert exc.value.errors == {
        "budget": [
            "Gina Globex has already spent 3 votes; the budget cannot go below 3 unless their "
            "votes are removed first."
        ]
    }
    again = voting.reopen_voting(fran, session=opened.session, reason="Ivy came late", budget=4)
    assert (again.budget, again.is_open) == (4, True)
    assert dots(opened) == {("mot", "gina"): 3}
    assert round_actions(opened.session) == [
        "voting.opened",
        "vote.added",
        "vote.added",
        "vote.added",
        "voting.closed",
        "voting.reopened",
    ]


def test_change_budget_never_below_what_someone_spent(cast: Cast, opened: Room) -> None:
    fran = cast.viewer("facilitator")
    add(cast, opened, opened.ian, "issue", 2)
    with pytest.raises(ValidationFailed) as exc:
        voting.change_budget(fran, session=opened.session, budget=1)
    assert exc.value.errors["budget"][0].startswith("Ian Initech has already spent 2 votes")
    assert VotingRound.objects.get(session=opened.session).budget == 3
    assert voting.change_budget(fran, session=opened.session, budget=2).budget == 2
    event = AuditEvent.objects.filter(action="voting.budget_changed").get()
    assert event.changes == {"budget": [3, 2]}


def test_change_budget_before_opening_is_refused(cast: Cast, room: Room) -> None:
    with pytest.raises(ValidationFailed) as exc:
        voting.change_budget(cast.viewer("facilitator"), session=room.session, budget=5)
    assert exc.value.errors == {"__all__": ["Voting has not been opened for this session yet."]}


# --- the budget, in the room ----------------------------------------------------------------------


def test_exactly_at_budget_is_fine_and_one_over_is_refused(cast: Cast, opened: Room) -> None:
    add(cast, opened, opened.gina, "mot", 2)  # several dots on one card
    add(cast, opened, opened.gina, "issue")
    with pytest.raises(ValidationFailed) as exc:
        add(cast, opened, opened.gina, "idea")
    assert exc.value.errors == {
        "contact_id": ["Gina Globex has used all 3 votes; remove a dot first."]
    }
    assert dots(opened) == {("mot", "gina"): 2, ("issue", "gina"): 1}
    assert voting.spent(opened.session, opened.gina.pk) == 3


def test_remove_a_dot_frees_it(cast: Cast, opened: Room) -> None:
    fran = cast.viewer("facilitator")
    add(cast, opened, opened.gus, "idea", 2)
    left = voting.remove_dot(
        fran, session=opened.session, contact_id=opened.gus.pk, insight_id=opened.cards["idea"].pk
    )
    assert left == 1
    voting.remove_dot(
        fran, session=opened.session, contact_id=opened.gus.pk, insight_id=opened.cards["idea"].pk
    )
    assert dots(opened) == {}
    with pytest.raises(ValidationFailed) as exc:
        voting.remove_dot(
            fran,
            session=opened.session,
            contact_id=opened.gus.pk,
            insight_id=opened.cards["idea"].pk,
        )
    assert exc.value.errors == {"insight_id": ["Gus Globex has no dot on this card to remove."]}


@pytest.mark.parametrize(
    ("card", "message"),
    [
        (
            "internal",
            "This card is an internal participant's remark; only customers' input is voted on.",
        ),
        ("candidate", "This card is not on the map (it is not an accepted insight)."),
        ("quote", "Customers vote on moments of truth, issues and ideas only."),
    ],
)
def test_cards_that_are_not_votable_are_refused(
    cast: Cast, opened: Room, card: str, message: str
) -> None:
    with pytest.raises(ValidationFailed) as exc:
        add(cast, opened, opened.gina, card)
    assert exc.value.errors == {"insight_id": [message]}
    assert dots(opened) == {}


def test_a_card_of_another_session_is_refused(cast: Cast, opened: Room) -> None:
    other = build_other_session(cast)
    with pytest.raises(ValidationFailed) as exc:
        voting.add_dot(
            cast.viewer("facilitator"),
            session=opened.session,
            contact_id=opened.gina.pk,
            insight_id=other.pk,
        )
    assert exc.value.errors == {"insight_id": ["This card is not one of this session's cards."]}
    assert Vote.objects.count() == 0


def build_other_session(cast: Cast) -> Insight:
    fran = cast.viewer("facilitator")
    start = timezone.now() + timedelta(days=9)
    session = session_services.plan_session(
        fran, program=cast.program, title="Other", starts_at=start,
        ends_at=start + timedelta(hours=2),
    )  # fmt: skip
    return insight_services.capture_insight(
        fran, session=session, kind="issue", text="Someone else's issue"
    )


@pytest.mark.parametrize("who", ["dora", "fay", "rival"])
def test_only_customer_participants_vote(cast: Cast, opened: Room, who: str) -> None:
    contact = {
        "dora": opened.dora,  # declined
        "fay": opened.fay,  # never invited
        "rival": cast.rival_contact,  # another workspace
    }[who]
    assert contact is not None
    with pytest.raises(ValidationFailed) as exc:
        add(cast, opened, contact, "mot")
    assert exc.value.errors == {
        "contact_id": [
            "Only customers taking part in this session can vote (invited and not declined)."
        ]
    }
    assert dots(opened) == {}


# --- the budget across channels -------------------------------------------------------------------


def test_the_budget_counts_every_channel(cast: Cast, opened: Room) -> None:
    fran, c = cast.viewer("facilitator"), opened.cards
    voting.record_paper_tally(
        fran,
        reason="Paper ballot in the session",
        session=opened.session,
        entries=[TallyEntry(opened.cards["issue"].pk, opened.iris.pk, 2)],
    )
    add(cast, opened, opened.iris, "issue2")
    with pytest.raises(ValidationFailed):
        voting.vote_by_link(
            customer_principal(opened.invitations["iris"].pk, opened.iris.pk),
            dots={c["issue"].pk: 2, c["issue2"].pk: 1, c["mot"].pk: 1},
        )
    with pytest.raises(ValidationFailed) as exc:
        add(cast, opened, opened.iris, "mot")
    assert exc.value.errors["contact_id"] == [
        "Iris Initech has used all 3 votes; remove a dot first."
    ]
    assert dots(opened) == {("issue", "iris"): 2, ("issue2", "iris"): 1}
    channels = dict(
        Vote.objects.filter(contact=opened.iris).values_list("insight__text", "channel")
    )
    assert channels == {"Approval takes three weeks": "paper", "Nobody answers the phone": "room"}


# --- paper ----------------------------------------------------------------------------------------


def test_paper_tally_is_saved_whole_and_audited_once(cast: Cast, opened: Room) -> None:
    add(cast, opened, opened.gina, "idea")
    c = opened.cards
    changes = voting.record_paper_tally(
        cast.viewer("facilitator"),
        reason="Paper ballot in the session",
        session=opened.session,
        entries=[
            TallyEntry(c["mot"].pk, opened.gina.pk, 2),
            TallyEntry(c["idea"].pk, opened.gina.pk, 0),  # removes the room dot
            TallyEntry(c["issue"].pk, opened.ian.pk, 3),
            TallyEntry(c["issue2"].pk, opened.gus.pk, 0),  # nothing there: no change
        ],
    )
    assert changes == {
        f"{c['mot'].pk}/{opened.gina.pk}": [0, 2],
        f"{c['idea'].pk}/{opened.gina.pk}": [1, 0],
        f"{c['issue'].pk}/{opened.ian.pk}": [0, 3],
    }
    assert dots(opened) == {("mot", "gina"): 2, ("issue", "ian"): 3}
    event = AuditEvent.objects.get(action="votes.tallied")
    assert event.changes == changes
    assert event.actor_id == cast.users["facilitator"].pk


def test_paper_tally_over_budget_is_refused_whole(cast: Cast, opened: Room) -> None:
    add(cast, opened, opened.gus, "idea", 2)
    c = opened.cards
    with pytest.raises(ValidationFailed) as exc:
        voting.record_paper_tally(
            cast.viewer("facilitator"),
            reason="Paper ballot in the session",
            session=opened.session,
            entries=[
                TallyEntry(c["mot"].pk, opened.gina.pk, 1),
                TallyEntry(c["issue"].pk, opened.gus.pk, 2),  # 2 kept on "idea" + 2 = 4
            ],
        )
    assert exc.value.errors == {
        f"contact_{opened.gus.pk}": ["Gus Globex would have 4 votes; the budget is 3."]
    }
    assert dots(opened) == {("idea", "gus"): 2}
    assert not AuditEvent.objects.filter(action="votes.tallied").exists()


def test_paper_tally_refuses_strangers_and_unvotable_cards_naming_each(
    cast: Cast, opened: Room
) -> None:
    c = opened.cards
    with pytest.raises(ValidationFailed) as exc:
        voting.record_paper_tally(
            cast.viewer("facilitator"),
            reason="Paper ballot in the session",
            session=opened.session,
            entries=[
                TallyEntry(c["mot"].pk, opened.fay.pk, 1),
                TallyEntry(c["internal"].pk, opened.gina.pk, 1),
                TallyEntry(c["issue"].pk, opened.gina.pk, -1),
            ],
        )
    assert exc.value.errors == {
        f"cell_{c['issue'].pk}_{opened.gina.pk}": ["Enter a whole number of dots, 0 or more."]
    }
    with pytest.raises(ValidationFailed) as exc:
        voting.record_paper_tally(
            cast.viewer("facilitator"),
            reason="Paper ballot in the session",
            session=opened.session,
            entries=[
                TallyEntry(c["mot"].pk, opened.fay.pk, 1),
                TallyEntry(c["internal"].pk, opened.gina.pk, 1),
            ],
        )
    assert exc.value.errors == {
        f"contact_{opened.fay.pk}": [
            "Only customers taking part in this session can vote (invited and not declined)."
        ],
        f"card_{c['internal'].pk}": [
            "This card is an internal participant's remark; only customers' input is voted on."
        ],
    }
    assert dots(opened) == {}


# --- the customer's own link ----------------------------------------------------------------------


def test_a_customer_votes_through_their_link_replacing_their_ballot(
    cast: Cast, opened: Room
) -> None:
    c = opened.cards
    add(cast, opened, opened.ian, "mot")
    ballot = voting.vote_by_link(
        customer_principal(opened.invitations["ian"].pk, opened.ian.pk),
        dots={c["issue"].pk: 2, c["idea"].pk: 1},
    )
    assert (ballot.spent, ballot.left, ballot.budget) == (3, 0, 3)
    assert [(card.text, card.my_dots) for card in ballot.cards] == [  # type: ignore[attr-defined]
        ("The first invoice arrives", 0),
        ("Approval takes three weeks", 2),
        ("Let us pay by card", 1),
        ("Nobody answers the phone", 0),
    ]
    assert dots(opened) == {("issue", "ian"): 2, ("idea", "ian"): 1}
    event = AuditEvent.objects.get(action="votes.submitted")
    assert (event.actor_id, event.changes) == (
        None,
        {
            "contact": opened.ian.pk,
            f"{c['issue'].pk}/{opened.ian.pk}": [0, 2],
            f"{c['idea'].pk}/{opened.ian.pk}": [0, 1],
            f"{c['mot'].pk}/{opened.ian.pk}": [1, 0],
        },
    )


def test_a_link_ballot_over_budget_or_on_foreign_cards_is_refused(cast: Cast, opened: Room) -> None:
    c = opened.cards
    inv = opened.invitations["gus"]
    with pytest.raises(ValidationFailed) as exc:
        voting.vote_by_link(
            customer_principal(inv.pk, opened.gus.pk), dots={c["mot"].pk: 3, c["idea"].pk: 1}
        )
    assert exc.value.errors == {"__all__": ["You have 3 dots to spend and chose 4; take some off."]}
    for foreign in (c["internal"].pk, c["quote"].pk, build_other_session(cast).pk):
        with pytest.raises(ValidationFailed) as exc:
            voting.vote_by_link(customer_principal(inv.pk, opened.gus.pk), dots={foreign: 1})
        assert exc.value.errors == {
            f"card_{foreign}": ["This card is not one of this session's cards to vote on."]
        }
    assert dots(opened) == {}


def test_a_link_cannot_vote_once_closed_nor_for_a_declined_invitee(
    cast: Cast, opened: Room
) -> None:
    voting.close_voting(cast.viewer("facilitator"), session=opened.session)
    with pytest.raises(ValidationFailed) as exc:
        voting.vote_by_link(
            customer_principal(opened.invitations["gina"].pk, opened.gina.pk),
            dots={opened.cards["mot"].pk: 1},
        )
    assert exc.value.errors == {
        "__all__": ["Voting for this session is closed; no more votes can be cast."]
    }
    with pytest.raises(NotFound) as nf:
        voting.ballot_for_link(customer_principal(opened.invitations["dora"].pk, opened.dora.pk))
    assert nf.value.message.startswith("You declined the invitation to this session")
    with pytest.raises(NotFound):  # one customer's invitation with another's contact id
        voting.ballot_for_link(customer_principal(opened.invitations["gina"].pk, opened.gus.pk))


def test_tampered_tokens_are_refused() -> None:
    token = links.make_token(1, 2)
    assert links.read_token(token) == (1, 2)
    with pytest.raises(NotFound):
        links.read_token(token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1])


@pytest.mark.skipif(connection.vendor == "sqlite", reason="row locks: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_phones_voting_at_once_cannot_overspend(cast: Cast) -> None:
    room = build_room(cast)
    fran = cast.viewer("facilitator")
    voting.open_voting(fran, session=room.session)
    add(cast, room, room.gina, "mot", 2)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def phone(card: str) -> None:
        from django.db import connections

        barrier.wait()
        try:
            add(cast, room, room.gina, card)
            outcomes.append("ok")
        except ValidationFailed:
            outcomes.append("refused")
        finally:
            connections.close_all()

    # Both read "2 of 3 spent" at once unless the round's row lock serialises them.
    threads = [threading.Thread(target=phone, args=(n,)) for n in ("issue", "idea")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok", "refused"]
    assert voting.spent(room.session, room.gina.pk) == 3


# --- results --------------------------------------------------------------------------------------


def test_results_rank_by_dots_then_voters_then_capture_order(cast: Cast, opened: Room) -> None:
    # mot: Gina 2 + Ian 1 = 3 dots, 2 voters; issue: Gus 3 = 3 dots, 1 voter;
    # idea: Iris 1 + Gina 1 = 2 dots, 2 voters; issue2: Ian 2 = 2 dots, 1 voter.
    add(cast, opened, opened.gina, "mot", 2)
    add(cast, opened, opened.ian, "mot")
    add(cast, opened, opened.gus, "issue", 3)
    add(cast, opened, opened.iris, "idea")
    add(cast, opened, opened.gina, "idea")
    add(cast, opened, opened.ian, "issue2", 2)
    found = ranking.results(opened.session, cast.viewer("facilitator"))
    assert [(r.rank, r.text, r.dots, r.voters) for r in found.overall] == [
        (1, "The first invoice arrives", 3, 2),
        (2, "Approval takes three weeks", 3, 1),
        (3, "Let us pay by card", 2, 2),
        (4, "Nobody answers the phone", 2, 1),
    ]
    assert [(k.label, [(r.rank, r.text) for r in k.cards]) for k in found.kinds] == [
        ("Moments of truth", [(1, "The first invoice arrives")]),
        ("Issues", [(1, "Approval takes three weeks"), (2, "Nobody answers the phone")]),
        ("Ideas", [(1, "Let us pay by card")]),
    ]
    assert found.segments == [("enterprise", "Enterprise"), ("mid_market", "Mid-market")]
    assert found.organisations == [
        (cast.customer.pk, "Globex"),  # type: ignore[union-attr]
        (cast.other_customer.pk, "Initech"),  # type: ignore[union-attr]
    ]
    assert [(r.segment_cells, r.organisation_cells) for r in found.overall] == [
        ([1, 2], [2, 1]),
        ([0, 3], [3, 0]),
        ([1, 1], [1, 1]),
        ([2, 0], [0, 2]),
    ]
    assert (found.participants, found.voted, found.dots_cast, found.budget) == (4, 4, 10, 3)


def test_results_tie_on_dots_and_voters_keeps_capture_order(cast: Cast, opened: Room) -> None:
    add(cast, opened, opened.gina, "issue2")
    add(cast, opened, opened.gus, "issue")
    found = ranking.results(opened.session, cast.viewer("facilitator"))
    assert [r.text for r in found.overall[:2]] == [
        "Approval takes three weeks",
        "Nobody answers the phone",
    ]
    assert [r.dots for r in found.overall] == [1, 1, 0, 0]


def test_internal_remarks_are_never_ranked(cast: Cast, opened: Room) -> None:
    found = ranking.results(opened.session, cast.viewer("facilitator"))
    texts = {r.text for r in found.overall}
    assert texts == {
        "The first invoice arrives",
        "Approval takes three weeks",
        "Let us pay by card",
        "Nobody answers the phone",
    }


def test_ballots_list_each_participant_with_spent_and_left(cast: Cast, opened: Room) -> None:
    add(cast, opened, opened.iris, "idea", 2)
    rows = ranking.ballots(opened.session)
    assert [(r.contact.name, r.spent, r.left) for r in rows] == [
        ("Gina Globex", 0, 3),
        ("Gus Globex", 0, 3),
        ("Ian Initech", 0, 3),
        ("Iris Initech", 2, 1),
    ]
    assert links.read_token(rows[3].link.rstrip("/").rsplit("/", 1)[-1]) == (
        opened.invitations["iris"].pk,
        opened.iris.pk,
    )


# --- the API --------------------------------------------------------------------------------------


def api_client(cast: Cast, principal: str) -> Client:
    _, key = account_services.create_api_token(cast.viewer(principal), name="t")
    return Client(headers={"Authorization": f"Bearer {key}"})


def call(client: Client, method: str, url: str, body: Any = None) -> tuple[int, Any]:
    response = client.generic(
        method, "/api/v1" + url, json.dumps(body) if body is not None else "",
        content_type="application/json",
    )  # fmt: skip
    return response.status_code, response.json()


def test_api_runs_a_round(cast: Cast, room: Room) -> None:
    fran = api_client(cast, "facilitator")
    sid, c = room.session.pk, room.cards
    status, body = call(fran, "POST", f"/sessions/{sid}/voting/open", {"budget": 2})
    assert (status, body["state"], body["budget"]) == (200, "open", 2)
    assert [(b["name"], b["spent"], b["left"]) for b in body["ballots"]] == [
        ("Gina Globex", 0, 2),
        ("Gus Globex", 0, 2),
        ("Ian Initech", 0, 2),
        ("Iris Initech", 0, 2),
    ]
    status, body = call(fran, "POST", f"/sessions/{sid}/voting/open", {"budget": 2})
    assert (status, body["message"]) == (422, "Voting is already open for this session.")
    room_vote = {"contact_id": room.gina.pk, "insight_id": c["mot"].pk, "change": "add"}
    assert call(fran, "POST", f"/sessions/{sid}/voting/dots", room_vote)[1]["spent"] == 1
    assert call(fran, "POST", f"/sessions/{sid}/voting/dots", room_vote)[1]["left"] == 0
    status, body = call(fran, "POST", f"/sessions/{sid}/voting/dots", room_vote)
    assert (status, body["message"]) == (
        422,
        "contact_id: Gina Globex has used all 2 votes; remove a dot first.",
    )
    status, body = call(
        fran,
        "POST",
        f"/sessions/{sid}/voting/dots",
        {"contact_id": room.gina.pk, "insight_id": c["internal"].pk, "change": "add"},
    )
    assert status == 422
    assert body["detail"][0]["loc"] == ["body", "insight_id"]
    tally = {
        "entries": [
            {"insight_id": c["issue"].pk, "contact_id": room.ian.pk, "dots": 2},
            {"insight_id": c["idea"].pk, "contact_id": room.gus.pk, "dots": 3},
        ],
        "reason": "Paper ballot in the session",
    }
    status, body = call(fran, "PUT", f"/sessions/{sid}/voting/paper", tally)
    assert (status, body["message"]) == (
        422,
        f"contact_{room.gus.pk}: Gus Globex would have 3 votes; the budget is 2.",
    )
    tally["entries"][1]["dots"] = 1
    status, body = call(fran, "PUT", f"/sessions/{sid}/voting/paper", tally)
    assert status == 200
    assert {b["name"]: b["spent"] for b in body["ballots"]} == {
        "Gina Globex": 2,
        "Gus Globex": 1,
        "Ian Initech": 2,
        "Iris Initech": 0,
    }
    status, body = call(fran, "PATCH", f"/sessions/{sid}/voting", {"budget": 1})
    assert (status, body["message"]) == (
        422,
        "budget: Gina Globex has already spent 2 votes; the budget cannot go below 2 unless "
        "their votes are removed first.",
    )
    status, body = call(fran, "POST", f"/sessions/{sid}/voting/close")
    assert (status, body["state"]) == (200, "closed")
    status, body = call(fran, "POST", f"/sessions/{sid}/voting/dots", room_vote)
    assert status == 422


def test_api_results_for_readers_not_for_strangers(cast: Cast, opened: Room) -> None:
    add(cast, opened, opened.gina, "mot", 2)
    add(cast, opened, opened.ian, "issue")
    url = f"/sessions/{opened.session.pk}/voting/results"
    status, body = call(api_client(cast, "observer"), "GET", url)
    assert status == 200
    assert [(r["rank"], r["text"], r["dots"], r["voters"]) for r in body["overall"]] == [
        (1, "The first invoice arrives", 2, 1),
        (2, "Approval takes three weeks", 1, 1),
        (3, "Let us pay by card", 0, 0),
        (4, "Nobody answers the phone", 0, 0),
    ]
    assert body["overall"][0]["by_segment"] == [
        {"segment": "enterprise", "label": "Enterprise", "dots": 0},
        {"segment": "mid_market", "label": "Mid-market", "dots": 2},
    ]
    assert body["overall"][1]["by_organisation"] == [
        {"customer_id": cast.customer.pk, "name": "Globex", "dots": 0},  # type: ignore[union-attr]
        {"customer_id": cast.other_customer.pk, "name": "Initech", "dots": 1},  # type: ignore[union-attr]
    ]
    assert [k["kind"] for k in body["kinds"]] == ["moment_of_truth", "issue", "idea"]
    assert (body["state"], body["budget"], body["voted"], body["participants"]) == (
        "open",
        3,
        2,
        4,
    )
    assert call(api_client(cast, "stranger"), "GET", url)[0] == 404
    status, _ = call(
        api_client(cast, "observer"), "POST", f"/sessions/{opened.session.pk}/voting/close"
    )
    assert status == 403


# --- the web pages --------------------------------------------------------------------------------


def web(cast: Cast, principal: str = "facilitator") -> Client:
    client = Client()
    client.force_login(cast.users[principal])
    return client


def page(cast: Cast, room: Room, name: str) -> str:
    return f"/w/{cast.acme.slug}/insights/sessions/{room.session.pk}/{name}"


def ballot_url(room: Room, who: str) -> str:
    contact = getattr(room, who)
    return f"/vote/{links.make_token(room.invitations[who].pk, contact.pk)}/"


def test_facilitator_opens_voting_and_sees_each_customers_link(cast: Cast, room: Room) -> None:
    client = web(cast)
    body = client.get(page(cast, room, "voting/")).content.decode()
    assert "Open voting" in body
    assert "4 cards can be voted on and 4 customers may vote (those invited who" in body
    response = client.post(page(cast, room, "voting/open/"), {"budget": "2"})
    assert response.status_code == 302
    assert VotingRound.objects.get(session=room.session).budget == 2
    body = client.get(page(cast, room, "voting/")).content.decode()
    assert "Voting is open" in body
    assert body.count("/vote/") == 4
    assert "Dora Declined" not in body
    again = client.post(page(cast, room, "voting/open/"), {"budget": "3"})
    assert "Voting is already open for this session." in again.content.decode()


def test_room_screen_adds_a_dot_with_htmx(cast: Cast, opened: Room) -> None:
    client = web(cast)
    body = client.get(page(cast, opened, f"voting/room/?voter={opened.gina.pk}")).content.decode()
    assert "Approval takes three weeks" in body
    assert "Our tool is slow" not in body  # internal remarks are not on the ballot
    data = {"contact_id": opened.gina.pk, "insight_id": opened.cards["mot"].pk, "change": "add"}
    for _ in range(3):
        response = client.post(page(cast, opened, "voting/room/dot/"), data, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="room-board">')  # the partial only
    assert 'id="dots-left">0</strong> of 3' in body
    response = client.post(page(cast, opened, "voting/room/dot/"), data, HTTP_HX_REQUEST="true")
    assert "Gina Globex has used all 3 votes; remove a dot first." in response.content.decode()
    assert dots(opened) == {("mot", "gina"): 3}


def test_paper_tally_over_budget_shows_the_error_beside_the_customer(
    cast: Cast, opened: Room
) -> None:
    c = opened.cards
    data = {
        f"cell_{c['mot'].pk}_{opened.gus.pk}": "2",
        f"cell_{c['idea'].pk}_{opened.gus.pk}": "2",
        f"cell_{c['issue'].pk}_{opened.ian.pk}": "1",
        "reason": "Paper ballot in the session",
    }
    response = web(cast).post(page(cast, opened, "voting/paper/"), data)
    body = response.content.decode()
    assert response.status_code == 200
    assert f'<th scope="col" id="col-{opened.gus.pk}" class="invalid">' in body
    assert "Gus Globex would have 4 votes; the budget is 3." in body
    assert dots(opened) == {}
    data[f"cell_{c['idea'].pk}_{opened.gus.pk}"] = "1"
    assert web(cast).post(page(cast, opened, "voting/paper/"), data).status_code == 302
    assert dots(opened) == {("mot", "gus"): 2, ("idea", "gus"): 1, ("issue", "ian"): 1}


def test_a_customer_votes_on_their_phone_seeing_no_one_elses_identity(
    cast: Cast, opened: Room
) -> None:
    client = Client()
    url = ballot_url(opened, "ian")
    body = client.get(url).content.decode()
    for card in ("The first invoice arrives", "Approval takes three weeks", "Let us pay by card"):
        assert card in body
    for hidden in ("Gina", "Gus", "Iris", "Globex", "Our tool is slow", "We print every invoice"):
        assert hidden not in body
    assert 'Dots left: <strong id="dots-left">3</strong> of 3' in body
    c = opened.cards
    over = client.post(url, {f"card_{c['mot'].pk}": "3", f"card_{c['idea'].pk}": "1"})
    assert "You have 3 dots to spend and chose 4; take some off." in over.content.decode()
    assert dots(opened) == {}
    done = client.post(url, {f"card_{c['mot'].pk}": "2", f"card_{c['idea'].pk}": "1"})
    assert "Thank you, your votes are saved." in done.content.decode()
    assert dots(opened) == {("mot", "ian"): 2, ("idea", "ian"): 1}
    voting.close_voting(cast.viewer("facilitator"), session=opened.session)
    closed = client.get(url).content.decode()
    assert "Voting is closed." in closed
    assert "<strong>2 dots</strong>" in closed
    assert "Save my votes" not in closed
    ignored = client.post(url, {f"card_{c['mot'].pk}": "0"})
    assert ignored.status_code == 200
    assert dots(opened) == {("mot", "ian"): 2, ("idea", "ian"): 1}


def test_a_tampered_or_declined_link_answers_404_with_a_clear_page(opened: Room) -> None:
    url = ballot_url(opened, "ian")
    response = Client().get(url[:-3] + ("x" if url[-3] != "x" else "y") + url[-2:])
    assert response.status_code == 404
    assert "This voting link does not work" in response.content.decode()
    declined = Client().get(ballot_url(opened, "dora"))
    assert declined.status_code == 404
    assert "You declined the invitation to this session" in declined.content.decode()


def test_results_page_ranks_with_breakdowns_for_readers(cast: Cast, opened: Room) -> None:
    add(cast, opened, opened.gina, "issue", 2)
    add(cast, opened, opened.ian, "mot")
    response = web(cast, "observer").get(page(cast, opened, "results/"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "2 of 4 customer participants voted, 3 dots in all (3 each)." in body
    assert body.index("Approval takes three weeks") < body.index("The first invoice arrives")
    assert ">By segment</th>" in body
    assert ">By organisation</th>" in body
    assert "Our tool is slow" not in body
    assert web(cast, "core_team").get(page(cast, opened, "voting/")).status_code == 403


def test_results_page_before_voting_explains_what_comes(cast: Cast, room: Room) -> None:
    body = web(cast).get(page(cast, room, "results/")).content.decode()
    assert "Voting has not been opened for this session." in body


def test_paper_tally_does_not_overwrite_dots_cast_meanwhile(cast: Cast, opened: Room) -> None:
    c = opened.cards
    shown = web(cast).get(page(cast, opened, "voting/paper/")).content.decode()
    cell = f"cell_{c['mot'].pk}_{opened.ian.pk}"
    assert f'name="was_{cell}" value="0"' in shown
    voting.vote_by_link(
        customer_principal(opened.invitations["ian"].pk, opened.ian.pk), dots={c["mot"].pk: 2}
    )
    # The page was loaded before Ian voted: his box still says 0, untouched.
    data = {
        cell: "0",
        f"was_{cell}": "0",
        f"cell_{c['idea'].pk}_{opened.gus.pk}": "1",
        "reason": "Paper ballot in the session",
    }
    assert web(cast).post(page(cast, opened, "voting/paper/"), data).status_code == 302
    assert dots(opened) == {("mot", "ian"): 2, ("idea", "gus"): 1}


@pytest.mark.parametrize("was", ["²", "9" * 5000, "-1", "x", ""])
def test_paper_tally_takes_a_mangled_shown_value_like_a_missing_one(
    cast: Cast, opened: Room, was: str
) -> None:
    c = opened.cards
    cell = f"cell_{c['mot'].pk}_{opened.ian.pk}"
    # "²" passes str.isdigit but is no number: like any value the page never drew, it counts
    # as no shown value at all, so the box is compared with what is recorded now.
    data = {
        cell: "2",
        f"was_{cell}": was,
        f"cell_{c['idea'].pk}_{opened.gus.pk}": "1",
        "reason": "Paper ballot in the session",
    }
    assert web(cast).post(page(cast, opened, "voting/paper/"), data).status_code == 302
    assert dots(opened) == {("mot", "ian"): 2, ("idea", "gus"): 1}
