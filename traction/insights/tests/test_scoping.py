"""One rule for "which customers may I see" (``customer.identify``), read by insights and
sessions alike; no unscoped read by default; the rows of an import still being written are
neither read nor voted on."""

from __future__ import annotations

import pytest

from traction.core.errors import NotFound, ValidationFailed
from traction.core.testing.cast import Cast
from traction.customers import rules as customer_rules
from traction.insights import search, selectors
from traction.insights.models import ImportBatch, Insight
from traction.sessions import selectors as session_selectors
from traction.sessions import services as session_services
from traction.voting import selectors as ranking
from traction.voting import services as voting
from traction.voting.models import Vote
from traction.voting.tests.test_voting import Room, add, api_client, build_room, call, web

pytestmark = pytest.mark.django_db


@pytest.fixture
def opened(cast: Cast) -> Room:
    room = build_room(cast)
    voting.open_voting(cast.viewer("facilitator"), session=room.session)
    return room


def owen_owns_globex_only(cast: Cast) -> None:
    from traction.customers import services as customer_services

    customer_services.update_customer(
        cast.viewer("facilitator"),
        customer=cast.other_customer,
        changes={"account_owner_id": cast.users["admin"].pk},
    )


# --- one rule: customer.identify ------------------------------------------------------------------


def test_an_account_owner_taking_part_identifies_only_their_customers_everywhere(
    cast: Cast, opened: Room
) -> None:
    """Owen (account owner of Globex) takes part in the session. Insights showed him Globex's
    words only while the session's invitations showed him every organisation's people: the
    two asked two different rules. Both now ask ``customer.identify``."""
    owen_owns_globex_only(cast)
    fran = cast.viewer("facilitator")
    session_services.add_participant(
        fran, session=opened.session, user_id=cast.users["account_owner"].pk, role="observer"
    )
    owen = cast.viewer("account_owner")
    globex = {opened.gina.pk, opened.gus.pk}
    invited = {i.contact_id for i in session_selectors.invitations(opened.session, owen)}
    assert invited == globex
    asked = {r.contact_id for r in session_selectors.session_outreach(opened.session, owen)}
    assert asked == globex
    status, body = call(
        api_client(cast, "account_owner"), "GET", f"/sessions/{opened.session.pk}/invitations"
    )
    assert status == 200
    assert sorted(i["contact_id"] for i in body["items"]) == sorted(globex)
    speakers = {s.contact_id for s in selectors.visible_speakers(owen, opened.session)}
    assert speakers - {None} == globex
    assert {c.pk for c in customer_rules.identified_customers(owen) or []} == {cast.customer.pk}
    # The facilitator identifies everyone.
    assert customer_rules.identified_customers(fran) is None
    assert len(session_selectors.invitations(opened.session, fran)) == 5


# --- no unscoped read by default ------------------------------------------------------------


def test_ranking_and_session_reads_need_a_viewer(cast: Cast, opened: Room) -> None:
    with pytest.raises(TypeError):
        ranking.results(opened.session)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        session_selectors.session_outreach(opened.session)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        session_selectors.invitations(opened.session)  # type: ignore[call-arg]
    add(cast, opened, opened.gina, "mot", 2)
    add(cast, opened, opened.ian, "issue")
    everything = ranking.results_for_system(opened.session)
    assert (everything.participants, everything.voted, everything.dots_cast) == (4, 2, 3)


def test_a_participant_briefing_lists_only_the_customers_the_reader_may_identify(
    cast: Cast, opened: Room
) -> None:
    """The briefing read every outreach request of the session, unscoped."""
    owen_owns_globex_only(cast)
    session_services.add_participant(
        cast.viewer("facilitator"),
        session=opened.session,
        user_id=cast.users["account_owner"].pk,
        role="observer",
    )
    owen = cast.viewer("account_owner")
    found = session_selectors.briefing(owen, opened.session)
    assert sorted(c.contact for c in found.customers) == ["Gina Globex", "Gus Globex"]
    whole = session_selectors.briefing(
        cast.viewer("facilitator"), opened.session, found.participant.pk
    )
    assert len(whole.customers) == 5


# --- an import still being written --------------------------------------------------------------


def unfinished(opened: Room) -> Insight:
    """Ian's issue, as if an import still being written had accepted it."""
    card = opened.cards["issue"]
    batch = ImportBatch.objects.create(
        workspace_id=opened.session.workspace_id,
        session=opened.session,
        format="csv",
        filename="notes.csv",
        sha256="0" * 64,
        in_progress=True,
    )
    Insight.objects.filter(pk=card.pk).update(batch=batch)
    return card


def test_the_rows_of_an_unfinished_import_are_not_read_ranked_searched_or_voted(
    cast: Cast, opened: Room
) -> None:
    card = unfinished(opened)
    fran = cast.viewer("facilitator")
    slug, sid = cast.acme.slug, opened.session.pk
    # Map, list, one insight.
    page = web(cast).get(f"/w/{slug}/insights/sessions/{sid}/map/").content.decode()
    assert "Approval takes three weeks" not in page
    assert "The first invoice arrives" in page
    status, body = call(api_client(cast, "facilitator"), "GET", f"/sessions/{sid}/insights")
    assert status == 200
    assert card.pk not in {i["id"] for i in body["items"]}
    with pytest.raises(NotFound):
        selectors.insight(fran, card.pk)
    # Search.
    assert [h.insight.pk for h in search.search(fran, "approval").hits] == []
    # Voting: not on the ballot, not in the ranking, refused in the room and on paper.
    assert card.pk not in {c.pk for c in voting.votable_cards(opened.session)}
    assert card.pk not in {c.pk for c in Insight.objects.votable()}
    assert card.pk not in {c.insight_id for c in ranking.results(opened.session, fran).overall}
    with pytest.raises(ValidationFailed) as exc:
        voting.add_dot(fran, session=opened.session, contact_id=opened.gina.pk, insight_id=card.pk)
    assert exc.value.errors == {"insight_id": ["This card is not one of this session's cards."]}
    with pytest.raises(ValidationFailed) as exc:
        voting.record_paper_tally(
            fran,
            reason="Paper ballot in the session",
            session=opened.session,
            entries=[voting.TallyEntry(card.pk, opened.gina.pk, 1)],
        )
    assert f"card_{card.pk}" in exc.value.errors
    assert not Vote.objects.filter(insight=card).exists()
    # Once the import is finished, the card is back everywhere.
    ImportBatch.objects.filter(session=opened.session).update(in_progress=False)
    assert [h.insight.pk for h in search.search(fran, "approval").hits] == [card.pk]
    voting.add_dot(fran, session=opened.session, contact_id=opened.gina.pk, insight_id=card.pk)
    assert Vote.objects.filter(insight=card).count() == 1


# --- contacts fetched through the policy ----------------------------------------------------------


def test_removing_dots_names_only_a_customer_invited_to_the_session(
    cast: Cast, opened: Room
) -> None:
    """The page and the API fetched any contact of the workspace by id, and answered with
    their name ("Fay Fresh has no dots to remove."); now through ``invited_contact``."""
    sid = opened.session.pk
    body = {"contact_id": opened.fay.pk, "reason": "Left before the end"}
    status, answer = call(
        api_client(cast, "facilitator"), "POST", f"/sessions/{sid}/voting/remove-dots", body
    )
    assert (status, answer["detail"]) == (404, "Contact not found.")
    response = web(cast).post(
        f"/w/{cast.acme.slug}/insights/sessions/{sid}/voting/remove-dots/", body
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "Pick a customer taking part in this session." in html
    assert "Fay Fresh" not in html
    with pytest.raises(NotFound):
        selectors.invited_contact(cast.viewer("facilitator"), opened.session, cast.rival_contact.pk)
    # Dora declined: still invited, so found (and told she has no dots).
    assert (
        selectors.invited_contact(cast.viewer("admin"), opened.session, opened.dora.pk)
        == opened.dora
    )
