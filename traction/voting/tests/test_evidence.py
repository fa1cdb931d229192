"""Evidence that cannot be rewritten: history is protected from deletes, a closed round is
frozen, cancelling and declining close or clear what they must, merges keep every
contributor, unattributed notes are not customer input, and every read is scoped."""

from __future__ import annotations

import pytest
from django.db.models import ProtectedError
from django.utils import timezone

from traction.core import events
from traction.core.errors import ValidationFailed
from traction.core.models import AuditEvent
from traction.core.testing.cast import Cast
from traction.core.testing.snapshot import built_on
from traction.customers import services as customer_services
from traction.customers.models import Contact
from traction.insights import search, selectors, services
from traction.insights.models import ImportBatch, Insight
from traction.sessions import services as session_services
from traction.sessions.models import Session
from traction.sessions.rsvp import customer_principal
from traction.voting import selectors as ranking
from traction.voting import services as voting
from traction.voting.models import FrozenCard, Vote, VotingRound
from traction.voting.tests.test_voting import Room, add, api_client, build_room, call, web

pytestmark = pytest.mark.django_db


def results_url(room: Room) -> str:
    return f"/sessions/{room.session.pk}/voting/results"


@pytest.fixture
def vroom(cast: Cast) -> Room:
    return built_on(cast, build_room)


@pytest.fixture
def opened(cast: Cast, vroom: Room) -> Room:
    voting.open_voting(cast.viewer("facilitator"), session=vroom.session)
    return vroom


# --- 1. protect, never cascade --------------------------------------------------------------------


def test_deleting_a_session_or_a_voter_never_takes_the_evidence_with_it(
    cast: Cast, opened: Room
) -> None:
    add(cast, opened, opened.gina, "mot", 2)
    with pytest.raises(ProtectedError):
        Session.objects.filter(pk=opened.session.pk).delete()
    with pytest.raises(ProtectedError):
        Contact.objects.filter(pk=opened.gina.pk).delete()
    with pytest.raises(ProtectedError):
        Insight.objects.filter(pk=opened.cards["mot"].pk).delete()
    assert Vote.objects.get(contact=opened.gina).dots == 2
    assert Insight.objects.filter(session=opened.session).count() == 7


def test_a_capture_mistake_is_removed_but_a_merged_card_is_kept(cast: Cast, opened: Room) -> None:
    fran = cast.viewer("facilitator")
    typo = services.capture_insight(
        fran, session=opened.session, kind="issue", text="Typo", speaker=f"c:{opened.gina.pk}"
    )
    services.remove_insight(fran, insight=typo, reason="typed twice")
    assert not Insight.objects.filter(pk=typo.pk).exists()
    services.merge_insights(fran, into=opened.cards["issue"], others=[opened.cards["issue2"].pk])
    for card in ("issue", "issue2"):
        with pytest.raises(ValidationFailed) as exc:
            services.remove_insight(fran, insight=Insight.objects.get(pk=opened.cards[card].pk))
        assert "cannot be removed" in exc.value.errors["__all__"][0]
    kept = [opened.cards["issue"].pk, opened.cards["issue2"].pk]
    assert Insight.objects.filter(pk__in=kept).count() == 2
    assert AuditEvent.objects.filter(action="insight.removed").count() == 1


def test_removing_a_scenario_detaches_its_cards_and_says_how_many(cast: Cast, opened: Room) -> None:
    fran = cast.viewer("facilitator")
    scenario = opened.cards["mot"].scenario
    assert scenario is not None
    services.remove_scenario(fran, scenario=scenario)
    assert Insight.objects.filter(session=opened.session, scenario__isnull=True).count() == 7
    event = AuditEvent.objects.get(action="scenario.removed")
    assert event.changes["insights_detached"] == 6


# --- 2. a closed round is frozen ------------------------------------------------------------------


def figures(found: ranking.Results) -> list[tuple[int, str, str, int, int, list[int], list[int]]]:
    return [
        (c.rank, c.text, c.step_title, c.dots, c.voters, c.segment_cells, c.organisation_cells)
        for c in found.overall
    ]


def vote_some(cast: Cast, room: Room) -> None:
    add(cast, room, room.gina, "mot", 2)
    add(cast, room, room.ian, "mot")
    add(cast, room, room.gus, "issue", 3)
    add(cast, room, room.iris, "issue2", 2)
    add(cast, room, room.gina, "idea")


FROZEN = [
    (1, "The first invoice arrives", "Sign up", 3, 2, [1, 2], [2, 1]),
    (2, "Approval takes three weeks", "Sign up", 3, 1, [0, 3], [3, 0]),
    (3, "Nobody answers the phone", "Sign up", 2, 1, [2, 0], [0, 2]),
    (4, "Let us pay by card", "Sign up", 1, 1, [0, 1], [1, 0]),
]


def test_a_closed_round_keeps_its_ranking_whatever_happens_later(cast: Cast, opened: Room) -> None:
    fran = cast.viewer("facilitator")
    vote_some(cast, opened)
    voting.close_voting(fran, session=opened.session)
    admin = cast.viewer("admin")
    before = ranking.results(opened.session, admin)
    assert before.frozen
    assert figures(before) == FROZEN
    assert (before.participants, before.voted, before.dots_cast) == (4, 4, 9)
    # Later: an edit, a merge, a step renamed, a decline.
    services.update_insight(
        fran, insight=opened.cards["mot"], changes={"text": "Rewritten afterwards"}
    )
    services.merge_insights(fran, into=opened.cards["issue"], others=[opened.cards["issue2"].pk])
    step = opened.cards["mot"].step
    assert step is not None
    services.rename_step(fran, step=step, title="Renamed later")
    session_services.respond_rsvp(
        customer_principal(opened.invitations["gus"].pk, opened.gus.pk), accept=False
    )
    events.publish("participant.declined", fran, session=opened.session, contact=opened.gus)
    customer_services.archive_contact(fran, contact=opened.ian, reason="Left Initech")
    after = ranking.results(opened.session, admin)
    assert figures(after) == FROZEN
    assert (after.participants, after.voted, after.dots_cast) == (4, 4, 9)
    # The API and the room screen read the same frozen figures.
    status, body = call(api_client(cast, "facilitator"), "GET", results_url(opened))
    assert status == 200
    assert body["frozen"] is True
    assert [(c["rank"], c["text"], c["dots"], c["voters"]) for c in body["overall"]] == [
        (r[0], r[1], r[3], r[4]) for r in FROZEN
    ]
    # Each card keeps the step it was on at close, by id and by its title then.
    steps = {c["text"]: (c["step_id"], c["step_title"]) for c in body["overall"]}
    assert steps["The first invoice arrives"] == (step.pk, FROZEN[0][2])
    board = ranking.room_board(opened.session, opened.gina.pk, admin)
    assert [(c.text, c.total_dots, c.voter_dots) for g in board for c in g.cards] == [
        ("The first invoice arrives", 3, 2),
        ("Approval takes three weeks", 3, 0),
        ("Nobody answers the phone", 2, 0),
        ("Let us pay by card", 1, 1),
    ]


def test_a_closed_round_is_reopened_only_explicitly_with_a_reason(cast: Cast, opened: Room) -> None:
    fran = cast.viewer("facilitator")
    voting.close_voting(fran, session=opened.session)
    with pytest.raises(ValidationFailed):
        voting.open_voting(fran, session=opened.session)
    with pytest.raises(ValidationFailed) as exc:
        voting.change_budget(fran, session=opened.session, budget=5)
    assert exc.value.errors == {
        "budget": ["Voting is closed; its budget is part of the final result."]
    }
    status, body = call(
        api_client(cast, "facilitator"),
        "POST",
        f"/sessions/{opened.session.pk}/voting/reopen",
        {"reason": "Two customers joined late"},
    )
    assert (status, body["state"]) == (200, "open")
    event = AuditEvent.objects.get(action="voting.reopened")
    assert event.reason == "Two customers joined late"
    assert event.changes["closing_kept"] == 1


# --- 3. cancelling a session closes its voting ----------------------------------------------------


def test_cancelling_the_session_closes_voting_as_a_system_close(cast: Cast, opened: Room) -> None:
    fran = cast.viewer("facilitator")
    add(cast, opened, opened.gina, "mot", 2)
    session_services.cancel_session(fran, session=opened.session, reason="The venue flooded")
    opened.session.refresh_from_db()
    found = VotingRound.objects.get(session=opened.session)
    assert not found.is_open
    assert (found.closed_by_id, found.close_reason) == (
        None,
        "The session was cancelled; voting closed itself.",
    )
    event = AuditEvent.objects.get(action="voting.closed")
    assert (event.actor_id, event.via, event.reason) == (
        None,
        "system",
        "The session was cancelled; voting closed itself.",
    )
    # Neither the room nor a customer's link records any more.
    with pytest.raises(ValidationFailed):
        add(cast, opened, opened.ian, "issue")
    with pytest.raises(ValidationFailed):
        voting.vote_by_link(
            customer_principal(opened.invitations["gus"].pk, opened.gus.pk),
            dots={opened.cards["idea"].pk: 1},
        )
    with pytest.raises(ValidationFailed):
        voting.reopen_voting(fran, session=opened.session, reason="oops")
    assert Vote.objects.filter(session=opened.session).count() == 1
    assert figures(ranking.results(opened.session, cast.viewer("admin")))[0][3] == 2


def test_a_cancelled_session_refuses_votes_even_before_the_round_is_closed(
    cast: Cast, opened: Room
) -> None:
    Session.objects.filter(pk=opened.session.pk).update(status="cancelled")
    with pytest.raises(ValidationFailed) as exc:
        add(cast, opened, opened.ian, "issue")
    assert exc.value.errors == {
        "__all__": ["This session is cancelled; no more votes can be cast."]
    }


# --- 4. declining, and removing a participant's dots ----------------------------------------------


def test_a_contact_who_declines_keeps_no_dots_in_an_open_round(cast: Cast, opened: Room) -> None:
    add(cast, opened, opened.gus, "issue", 2)
    add(cast, opened, opened.gina, "mot")
    session_services.respond_rsvp(
        customer_principal(opened.invitations["gus"].pk, opened.gus.pk), accept=False
    )
    assert list(Vote.objects.filter(session=opened.session).values_list("contact_id", "dots")) == [
        (opened.gina.pk, 1)
    ]
    event = AuditEvent.objects.get(action="votes.removed")
    assert event.changes == {
        "contact": opened.gus.pk,
        "removed": {str(opened.cards["issue"].pk): 2},
    }
    assert event.via == "system"
    found = ranking.results(opened.session, cast.viewer("admin"))
    assert (found.dots_cast, found.voted) == (1, 1)


def test_a_facilitator_removes_a_participants_dots_with_a_reason(cast: Cast, opened: Room) -> None:
    add(cast, opened, opened.ian, "issue", 2)
    add(cast, opened, opened.ian, "mot")
    client = api_client(cast, "facilitator")
    url = f"/sessions/{opened.session.pk}/voting/remove-dots"
    status, body = call(client, "POST", url, {"contact_id": opened.ian.pk, "reason": ""})
    assert status == 422
    assert Vote.objects.filter(contact=opened.ian).count() == 2
    status, body = call(
        client, "POST", url, {"contact_id": opened.ian.pk, "reason": "Voted for a colleague"}
    )
    assert status == 200
    assert body == {
        "contact_id": opened.ian.pk,
        "removed": {str(opened.cards["mot"].pk): 1, str(opened.cards["issue"].pk): 2},
    }
    assert not Vote.objects.filter(contact=opened.ian).exists()
    assert AuditEvent.objects.get(action="votes.removed").reason == "Voted for a colleague"
    status, _ = call(
        api_client(cast, "core_team"), "POST", url, {"contact_id": opened.ian.pk, "reason": "x"}
    )
    assert status in (403, 404)


def test_the_voting_page_removes_dots_through_its_form(cast: Cast, opened: Room) -> None:
    add(cast, opened, opened.iris, "issue2", 2)
    client = web(cast)
    slug = cast.acme.slug
    url = f"/w/{slug}/insights/sessions/{opened.session.pk}/voting/"
    page = client.get(url).content.decode()
    assert "Remove their dots" in page
    response = client.post(
        url + "remove-dots/", {"contact_id": opened.iris.pk, "reason": "Left before the end"}
    )
    assert response.status_code == 302
    assert not Vote.objects.filter(contact=opened.iris).exists()
    response = client.post(url + "remove-dots/", {"contact_id": "²", "reason": "x"})
    assert response.status_code == 422


# --- 5. attribution survives merging -------------------------------------------------------------


def test_a_merged_card_keeps_every_contributor_with_their_own_organisation(
    cast: Cast, opened: Room
) -> None:
    fran = cast.viewer("facilitator")
    issue, idea = opened.cards["issue"], opened.cards["idea"]  # Ian (Initech), Gus (Globex)
    services.merge_insights(fran, into=issue, others=[idea.pk])
    issue.refresh_from_db()
    assert (issue.text, issue.speaker_name, issue.customer_id) == (
        "Approval takes three weeks",
        "Ian Initech",
        cast.other_customer.pk,  # type: ignore[union-attr]
    )
    status, body = call(api_client(cast, "facilitator"), "GET", f"/insights/{issue.pk}")
    assert status == 200
    assert [(c["speaker_name"], c["organisation"], c["text"]) for c in body["contributors"]] == [
        ("Ian Initech", "Initech", "Approval takes three weeks"),
        ("Gus Globex", "Globex", "Let us pay by card"),
    ]
    card = next(
        c for c in ranking.results(opened.session, cast.viewer("admin")).overall
        if c.insight_id == issue.pk
    )  # fmt: skip
    assert [(c.speaker_name, c.organisation) for c in card.contributors] == [
        ("Ian Initech", "Initech"),
        ("Gus Globex", "Globex"),
    ]
    board = web(cast).get(f"/w/{cast.acme.slug}/insights/sessions/{opened.session.pk}/map/")
    assert "“Let us pay by card” — Gus Globex, Globex" in board.content.decode()


def test_an_internal_remark_never_merges_into_a_customer_card(cast: Cast, opened: Room) -> None:
    fran = cast.viewer("facilitator")
    internal, mot = opened.cards["internal"], opened.cards["mot"]
    for into, other in ((mot, internal), (internal, mot)):
        with pytest.raises(ValidationFailed) as exc:
            services.merge_insights(fran, into=into, others=[other.pk])
        assert "never merges with a customer's words" in exc.value.errors["others"][0]
    assert Insight.objects.filter(status="merged").count() == 0
    mot.refresh_from_db()
    assert mot.text == "The first invoice arrives"


def test_merging_never_moves_dots_onto_a_card_that_cannot_be_voted_on(
    cast: Cast, opened: Room
) -> None:
    fran = cast.viewer("facilitator")
    add(cast, opened, opened.gina, "mot", 2)
    quote = opened.cards["quote"]  # Gina's quote: not votable
    with pytest.raises(ValidationFailed) as exc:
        services.merge_insights(fran, into=quote, others=[opened.cards["mot"].pk])
    assert "their dots would be spent on nothing" in exc.value.errors["into"][0]
    assert Vote.objects.get(contact=opened.gina).insight_id == opened.cards["mot"].pk
    # A merge onto a votable card moves the dots; what Gina spent is what the ranking shows.
    services.merge_insights(fran, into=opened.cards["idea"], others=[opened.cards["mot"].pk])
    found = ranking.results(opened.session, cast.viewer("admin"))
    spent = {b.contact.pk: b.spent for b in ranking.ballots(opened.session)}
    assert spent[opened.gina.pk] == 2
    assert found.dots_cast == sum(spent.values()) == 2


# --- 6. unattributed notes are not customer input -------------------------------------------------


def test_an_unattributed_note_is_not_voted_on_until_someone_says_who_said_it(
    cast: Cast, opened: Room
) -> None:
    fran = cast.viewer("facilitator")
    step = opened.cards["mot"].step
    assert step is not None
    note = services.capture_insight(
        fran, session=opened.session, kind="issue", text="Someone said it is slow",
        step_id=step.pk,
    )  # fmt: skip
    named = Insight.objects.create(
        workspace_id=opened.session.workspace_id, program_id=opened.session.program_id,
        session=opened.session, kind="idea", text="Hank wants a portal",
        speaker_name="Hank Newman", source="import",
    )  # fmt: skip
    assert not note.is_votable
    assert not named.is_votable
    votable = set(voting.votable_cards(opened.session).values_list("pk", flat=True))
    assert note.pk not in votable
    assert named.pk not in votable
    assert set(Insight.objects.votable().filter(session=opened.session)) == {
        opened.cards[n] for n in ("mot", "issue", "idea", "issue2")
    }
    with pytest.raises(ValidationFailed) as exc:
        voting.add_dot(fran, session=opened.session, contact_id=opened.gina.pk, insight_id=note.pk)
    assert "unattributed" in exc.value.errors["insight_id"][0]
    assert note.pk not in {c.insight_id for c in ranking.results(opened.session, fran).overall}
    page = web(cast).get(f"/w/{cast.acme.slug}/insights/sessions/{opened.session.pk}/map/")
    assert "Unattributed — who said this?" in page.content.decode()
    services.update_insight(fran, insight=note, changes={"speaker": f"c:{opened.ian.pk}"})
    assert voting.votable_cards(opened.session).filter(pk=note.pk).exists()
    add(cast, opened, opened.ian, "mot")
    voting.add_dot(fran, session=opened.session, contact_id=opened.ian.pk, insight_id=note.pk)
    note.refresh_from_db()
    with pytest.raises(ValidationFailed):
        services.update_insight(fran, insight=note, changes={"speaker": ""})


# --- 7. every read is scoped by the same rule -----------------------------------------------------


def owen_owns_globex_only(cast: Cast) -> None:
    customer_services.update_customer(
        cast.viewer("facilitator"),
        customer=cast.other_customer,
        changes={"account_owner_id": cast.users["admin"].pk},
    )


def test_an_account_owner_reads_only_their_customers_cards_in_the_ranking(
    cast: Cast, opened: Room
) -> None:
    vote_some(cast, opened)
    owen_owns_globex_only(cast)
    fran = cast.viewer("facilitator")
    # Ian's (Initech) words merged into Gina's (Globex) card: Owen sees the card, not Ian's.
    services.merge_insights(fran, into=opened.cards["mot"], others=[opened.cards["issue2"].pk])
    owen = api_client(cast, "account_owner")
    status, body = call(owen, "GET", results_url(opened))
    assert status == 200
    # Every figure counts Globex's voters only (Gina, Gus; Gus's 3 dots are on Ian's card,
    # which Owen does not see): Ian's and Iris's dots on Gina's card are not Owen's to read.
    cards = [(c["text"], c["dots"], c["voters"], c["hidden_contributors"]) for c in body["overall"]]
    assert cards == [("The first invoice arrives", 2, 1, 1), ("Let us pay by card", 1, 1, 0)]
    assert [c["speaker_name"] for c in body["overall"][0]["contributors"]] == ["Gina Globex"]
    assert {o["name"] for c in body["overall"] for o in c["by_organisation"]} == {"Globex"}
    assert [(s["segment"], s["dots"]) for c in body["overall"] for s in c["by_segment"]] == [
        ("mid_market", 2),
        ("mid_market", 1),
    ]
    assert (body["participants"], body["voted"], body["dots_cast"]) == (2, 1, 3)
    page = web(cast, "account_owner").get(
        f"/w/{cast.acme.slug}/insights/sessions/{opened.session.pk}/results/"
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert "1 of 2 customer participants voted, 3 dots in all" in html
    for hidden in (
        "Approval takes three weeks",
        "Nobody answers the phone",
        "Ian Initech",
        "Initech",
        "Enterprise",
    ):
        assert hidden not in html
    # The facilitator still reads the whole room.
    status, whole = call(api_client(cast, "facilitator"), "GET", results_url(opened))
    assert (whole["participants"], whole["voted"], whole["dots_cast"]) == (4, 4, 9)
    # The same figures after closing: the frozen rows are filtered by the same rule.
    voting.close_voting(fran, session=opened.session)
    status, frozen = call(owen, "GET", results_url(opened))
    assert [(c["text"], c["dots"]) for c in frozen["overall"]] == [
        ("The first invoice arrives", 2),
        ("Let us pay by card", 1),
    ]
    assert (frozen["participants"], frozen["voted"], frozen["dots_cast"]) == (2, 1, 3)
    assert frozen["frozen"] is True
    # Gus (Globex) declines after closing: Globex's frozen participants stay 2.
    gus = opened.invitations["gus"]
    session_services.respond_rsvp(customer_principal(gus.pk, opened.gus.pk), accept=False)
    status, frozen = call(owen, "GET", results_url(opened))
    assert (frozen["participants"], frozen["voted"], frozen["dots_cast"]) == (2, 1, 3)
    status, whole = call(api_client(cast, "facilitator"), "GET", results_url(opened))
    assert (whole["participants"], whole["voted"], whole["dots_cast"]) == (4, 4, 9)


def test_the_room_screen_counts_only_the_dots_of_customers_the_viewer_may_see(
    cast: Cast, opened: Room
) -> None:
    vote_some(cast, opened)
    owen_owns_globex_only(cast)
    fran = cast.viewer("facilitator")
    services.merge_insights(fran, into=opened.cards["mot"], others=[opened.cards["issue2"].pk])
    owen = cast.viewer("account_owner")
    board = ranking.room_board(opened.session, opened.gina.pk, owen)
    assert [(c.text, c.total_dots, c.voter_dots) for g in board for c in g.cards] == [
        ("The first invoice arrives", 2, 2),
        ("Let us pay by card", 1, 1),
    ]
    whole = ranking.room_board(opened.session, opened.gina.pk, fran)
    assert [(c.text, c.total_dots) for g in whole for c in g.cards] == [
        ("The first invoice arrives", 5),
        ("Approval takes three weeks", 3),
        ("Let us pay by card", 1),
    ]


def test_an_observer_made_account_owner_sees_no_insight_of_a_program_they_are_not_in(
    cast: Cast, opened: Room
) -> None:
    fran = cast.viewer("facilitator")
    renewals = session_services.plan_session(
        fran, program=cast.other_program, title="Renewals", starts_at=opened.session.starts_at,
        ends_at=opened.session.ends_at,
    )  # fmt: skip
    owen_owns_globex_only(cast)  # Alice (admin) owns Initech and approves Iris
    request = session_services.request_outreach(fran, session=renewals, contact=opened.iris)
    request = session_services.decide_outreach(cast.viewer("admin"), request=request, approve=True)
    session_services.send_invitation(fran, request=request)
    customer_services.update_customer(
        fran, customer=cast.other_customer, changes={"account_owner_id": cast.users["observer"].pk}
    )
    session_services.add_participant(
        fran, session=renewals, user_id=cast.users["core_team"].pk, role="note_taker"
    )
    said = services.capture_insight(
        fran, session=renewals, kind="issue", text="Renewal quotes arrive late",
        speaker=f"c:{opened.iris.pk}",
    )  # fmt: skip
    olive = cast.viewer("observer")
    seen = set(selectors.insights(olive).values_list("pk", flat=True))
    assert said.pk not in seen
    # …and still every insight of the program she belongs to, whoever's customer spoke.
    assert {opened.cards[n].pk for n in ("mot", "issue", "idea", "issue2", "internal")} <= seen
    # An account owner of Initech sees Initech's words there, and no one else's.
    customer_services.update_customer(
        fran,
        customer=cast.other_customer,
        changes={"account_owner_id": cast.users["account_owner"].pk},
    )
    other = services.capture_insight(
        fran,
        session=renewals,
        kind="idea",
        text="Cora's idea",
        speaker=f"u:{cast.users['core_team'].pk}",
    )
    owen = cast.viewer("account_owner")
    owen_seen = set(selectors.insights(owen).values_list("pk", flat=True))
    # Owen owns Initech now: he sees its words in the session it was invited to (sessions
    # follow the account, as approvals do), and nothing else said there.
    assert said.pk in owen_seen
    assert other.pk not in owen_seen
    assert set(
        selectors.insights(owen, session_id=opened.session.pk).values_list("pk", flat=True)
    ) == {opened.cards[n].pk for n in ("mot", "issue", "idea", "issue2", "quote")}


# --- 8. erasure ---------------------------------------------------------------------------------


def test_erasing_a_contact_takes_their_name_out_of_insights_and_the_search_index(
    cast: Cast, opened: Room
) -> None:
    fran = cast.viewer("facilitator")
    gina = opened.gina
    said = services.capture_insight(
        fran, session=opened.session, kind="issue", speaker=f"c:{gina.pk}",
        text="As Gina Globex put it: write to gina@globex.test and wait",
    )  # fmt: skip
    ian_about_her = services.capture_insight(
        fran, session=opened.session, kind="quote", speaker=f"c:{opened.ian.pk}",
        text="I agree with gina globex on this",
    )  # fmt: skip
    ImportBatch.objects.create(
        workspace_id=opened.session.workspace_id, session=opened.session, format="vtt",
        filename="call.vtt", sha256="0" * 64, mapping={"speakers": {"Gina G.": f"c:{gina.pk}"}},
    )  # fmt: skip
    add(cast, opened, gina, "mot", 2)
    voting.close_voting(fran, session=opened.session)
    admin = cast.viewer("admin")
    assert search.search(admin, "gina").count == 2
    customer_services.erase_contact(admin, contact=gina, reason="She asked us to.")
    tomb = f"Erased contact {gina.pk}"
    said.refresh_from_db()
    ian_about_her.refresh_from_db()
    assert said.speaker_name == tomb
    assert said.text == f"As {tomb} put it: write to contact-{gina.pk}@erased.invalid and wait"
    assert ian_about_her.text == f"I agree with {tomb} on this"
    assert search.search(admin, "gina").count == 0
    assert search.search(admin, "globex").count == 0
    assert search.search(admin, "Erased").count == 2
    frozen = FrozenCard.objects.get(insight=opened.cards["mot"])
    assert frozen.speaker_name == tomb
    assert frozen.contributors[0]["speaker_name"] == tomb
    assert frozen.dots == 2
    batch = ImportBatch.objects.get(filename="call.vtt")
    assert batch.mapping["speakers"] == {tomb: f"c:{gina.pk}"}
    assert Insight.objects.filter(speaker_name__icontains="gina").count() == 0


def test_an_account_owner_lists_only_their_customers_people_as_speakers(
    cast: Cast, opened: Room
) -> None:
    owen_owns_globex_only(cast)
    status, body = call(
        api_client(cast, "account_owner"), "GET", f"/sessions/{opened.session.pk}/speakers"
    )
    assert status == 200
    assert [(p["name"], p["organisation"]) for p in body if not p["internal"]] == [
        ("Gina Globex", "Globex"),
        ("Gus Globex", "Globex"),
    ]
    status, body = call(
        api_client(cast, "facilitator"), "GET", f"/sessions/{opened.session.pk}/speakers"
    )
    assert len([p for p in body if not p["internal"]]) == 4


def test_a_round_closed_before_frozen_rankings_is_frozen_by_the_migration(
    cast: Cast, opened: Room
) -> None:
    import importlib
    from types import SimpleNamespace

    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    # The models as the migration knew them (voting has since moved to its own app).
    node = ("insights", "0005_freeze_closed_rounds")
    apps = MigrationLoader(connection).project_state(node).apps
    vote_some(cast, opened)
    # Closed the old way: a time, no snapshot.
    VotingRound.objects.filter(session=opened.session).update(closed_at=timezone.now())
    migration = importlib.import_module("traction.insights.migrations.0005_freeze_closed_rounds")
    migration.freeze_closed_rounds(apps, SimpleNamespace(connection=connection))
    found = VotingRound.objects.get(session=opened.session)
    assert (found.closings, found.participants_at_close) == (1, 4)
    services.update_insight(
        cast.viewer("facilitator"), insight=opened.cards["mot"], changes={"text": "Later"}
    )
    assert figures(ranking.results(opened.session, cast.viewer("admin"))) == FROZEN
