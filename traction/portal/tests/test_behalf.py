"""Votes and insights entered on a customer's behalf: who entered them and why, and their
withdrawal, by the contact in the portal or by an admin or facilitator for them (docs/portal.md,
"Entered for you"). Real services, the real policy, the real database (SQLite here; the same
tests run on PostgreSQL with scripts/pg-throwaway)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from traction.accounts import services as account_services
from traction.core import clock
from traction.core.errors import NotFound, PermissionDenied, ValidationFailed
from traction.core.models import AuditEvent
from traction.core.permissions import CustomerPrincipal
from traction.customers.models import Contact
from traction.insights import services as insight_services
from traction.insights.models import Insight, InsightSource, InsightStatus
from traction.loop import audience, credit
from traction.portal import behalf, selectors
from traction.portal.models import PortalLink
from traction.sessions import rsvp
from traction.voting import selectors as ranking
from traction.voting import services as voting
from traction.voting.models import FrozenCard, Vote

from .conftest import PortalWorld, link_for

pytestmark = pytest.mark.django_db

Capture = Callable[..., Any]
PAPER = "Paper ballot in the session"


def principal(world: PortalWorld, contact_id: int) -> CustomerPrincipal:
    link = PortalLink.objects.create(
        workspace_id=world.session.workspace_id,
        contact_id=contact_id,
        token_hash=f"{contact_id:032d}{PortalLink.objects.count():032d}",
        expires_at=clock.now() + timedelta(days=1),
    )
    return CustomerPrincipal(
        contact_id=contact_id, workspace_id=world.session.workspace_id, portal_link_id=link.pk
    )


def paper_round(world: PortalWorld) -> dict[str, Vote]:
    """Voting open (3 dots each); on paper Fran enters Hank 2 dots on Gail's card and Gail 1
    on Hank's; Ian votes himself, through his own link, 1 dot on Hank's card."""
    fran = world.cast.viewer("facilitator")
    voting.open_voting(fran, session=world.session, budget=3)
    c = world.cards
    voting.record_paper_tally(
        fran,
        session=world.session,
        entries=[
            voting.TallyEntry(c["gail"].pk, world.hank.contact_id, 2),
            voting.TallyEntry(c["hank"].pk, world.gail.contact_id, 1),
        ],
        reason=PAPER,
    )
    voting.vote_by_link(
        rsvp.customer_principal(world.ian.pk, world.ian.contact_id), dots={c["hank"].pk: 1}
    )
    return {
        "hank": Vote.objects.get(contact_id=world.hank.contact_id),
        "gail": Vote.objects.get(contact_id=world.gail.contact_id),
        "ian": Vote.objects.get(contact_id=world.ian.contact_id),
    }


def card_figures(world: PortalWorld, insight: Insight) -> tuple[int, int]:
    found = ranking.results(world.session, world.cast.viewer("admin"))
    card = next(c for c in found.overall if c.insight_id == insight.pk)
    return card.dots, card.voters


def voters_of(world: PortalWorld, insight: Insight) -> dict[str, list[str]]:
    return {
        c.contact.name: c.reasons
        for c in audience.audience(world.session.program_id, priority_ids=[insight.pk])
    }


# --- who and why ----------------------------------------------------------------------------


def test_a_paper_round_keeps_who_entered_the_dots_and_why(world: PortalWorld) -> None:
    votes = paper_round(world)
    hank = votes["hank"]
    assert (hank.channel, hank.recorded_by_id, hank.behalf_reason) == (
        "paper",
        world.cast.users["facilitator"].pk,
        PAPER,
    )
    assert votes["ian"].behalf_reason == ""
    assert votes["ian"].recorded_by_id is None
    event = AuditEvent.objects.get(action="votes.tallied")
    assert event.reason == PAPER


def test_a_paper_round_needs_a_reason(world: PortalWorld) -> None:
    fran = world.cast.viewer("facilitator")
    voting.open_voting(fran, session=world.session, budget=3)
    entry = voting.TallyEntry(world.cards["gail"].pk, world.hank.contact_id, 1)
    with pytest.raises(ValidationFailed) as exc:
        voting.record_paper_tally(fran, session=world.session, entries=[entry], reason="  ")
    assert list(exc.value.errors) == ["reason"]
    assert not Vote.history.exists()


def test_the_portal_lists_what_was_entered_for_the_contact_only(world: PortalWorld) -> None:
    paper_round(world)
    [entry] = behalf.for_contact(principal(world, world.hank.contact_id))
    assert (entry.kind, entry.dots, entry.text, entry.reason) == (
        "vote",
        2,
        world.cards["gail"].text,
        PAPER,
    )
    assert entry.entered_by == str(world.cast.users["facilitator"])
    assert entry.frozen_on is None
    # Ian cast his own dots: nothing was entered for him.
    assert behalf.for_contact(principal(world, world.ian.contact_id)) == []


# --- withdrawing a vote ---------------------------------------------------------------------


def test_the_contact_withdraws_their_paper_dots_from_an_open_round(world: PortalWorld) -> None:
    votes = paper_round(world)
    gail_card = world.cards["gail"]
    assert card_figures(world, gail_card) == (2, 1)
    assert voters_of(world, gail_card)["Hank Globex"] == ["voter"]
    hank = principal(world, world.hank.contact_id)

    outcome = behalf.withdraw_vote(hank, vote_id=votes["hank"].pk, reason="I never voted")

    assert outcome.changed
    assert outcome.message == "Withdrawn: these dots no longer count."
    row = Vote.history.get(pk=votes["hank"].pk)  # kept, dated, with who and why
    assert row.withdrawn_at is not None
    assert row.withdrawn_by_id is None
    assert row.withdraw_reason == "I never voted"
    assert card_figures(world, gail_card) == (0, 0)
    assert "Hank Globex" not in voters_of(world, gail_card)
    assert voting.spent(world.session, world.hank.contact_id) == 0
    assert behalf.for_contact(hank) == []
    event = AuditEvent.objects.get(action="vote.withdrawn")
    assert event.actor_label == f"customer contact #{world.hank.contact_id}"
    assert event.changes["dots"] == 2
    assert event.reason == "I never voted"
    # Other votes are untouched; the freed dots can be spent again.
    assert Vote.objects.filter(contact_id=world.ian.contact_id).count() == 1
    voting.vote_by_link(
        rsvp.customer_principal(world.hank.pk, world.hank.contact_id),
        dots={gail_card.pk: 3},
    )
    assert card_figures(world, gail_card) == (3, 1)


def test_withdrawing_twice_changes_nothing_and_says_so(world: PortalWorld) -> None:
    votes = paper_round(world)
    hank = principal(world, world.hank.contact_id)
    behalf.withdraw_vote(hank, vote_id=votes["hank"].pk)
    again = behalf.withdraw_vote(hank, vote_id=votes["hank"].pk)
    assert not again.changed
    assert again.message.startswith("This was already withdrawn on ")
    assert again.message.endswith("(by the customer); nothing changed.")
    assert AuditEvent.objects.filter(action="vote.withdrawn").count() == 1


def test_a_closed_rounds_frozen_ranking_keeps_withdrawn_dots(world: PortalWorld) -> None:
    votes = paper_round(world)
    fran = world.cast.viewer("facilitator")
    voting.close_voting(fran, session=world.session)
    gail_card = world.cards["gail"]
    frozen = list(FrozenCard.objects.values_list("insight_id", "dots", "voters"))
    [entry] = behalf.for_contact(principal(world, world.hank.contact_id))
    assert entry.frozen_on is not None

    outcome = behalf.withdraw_vote(
        principal(world, world.hank.contact_id), vote_id=votes["hank"].pk
    )

    assert outcome.message == (
        f"Withdrawn. The ranking frozen on {entry.frozen_on:%-d %B %Y}, when voting closed, "
        "still counts these dots."
    )
    assert list(FrozenCard.objects.values_list("insight_id", "dots", "voters")) == frozen
    assert card_figures(world, gail_card) == (2, 1)  # the frozen ranking, unchanged
    # ... but Hank is no longer one of the card's voters for what we tell customers.
    assert "Hank Globex" not in voters_of(world, gail_card)


def test_a_contact_withdraws_only_their_own_paper_dots(world: PortalWorld) -> None:
    votes = paper_round(world)
    hank = principal(world, world.hank.contact_id)
    for other in (votes["gail"], votes["ian"]):  # a colleague's; another customer's own click
        with pytest.raises(NotFound):
            behalf.withdraw_vote(hank, vote_id=other.pk)
    ian = principal(world, world.ian.contact_id)
    with pytest.raises(NotFound):  # his own dots, but cast by him: nothing to withdraw
        behalf.withdraw_vote(ian, vote_id=votes["ian"].pk)
    # A voting link's principal (not the portal) reaches nothing here.
    link_principal = rsvp.customer_principal(world.hank.pk, world.hank.contact_id)
    with pytest.raises(NotFound):
        behalf.withdraw_vote(link_principal, vote_id=votes["hank"].pk)
    assert not Vote.history.filter(withdrawn_at__isnull=False).exists()


def test_members_withdraw_for_the_contact_with_a_reason(world: PortalWorld) -> None:
    votes = paper_round(world)
    fran = world.cast.viewer("facilitator")
    with pytest.raises(ValidationFailed) as exc:
        behalf.withdraw_vote(fran, vote_id=votes["hank"].pk, reason="")
    assert list(exc.value.errors) == ["reason"]
    for role in ("account_owner", "core_team", "observer"):
        with pytest.raises(PermissionDenied):
            behalf.withdraw_vote(world.cast.viewer(role), vote_id=votes["hank"].pk, reason="x")
    with pytest.raises(NotFound):  # another workspace's admin
        behalf.withdraw_vote(world.cast.viewer("stranger"), vote_id=votes["hank"].pk, reason="x")
    outcome = behalf.withdraw_vote(fran, vote_id=votes["hank"].pk, reason="He asked us by phone")
    assert outcome.changed
    assert outcome.entry.withdrawn_by == str(world.cast.users["facilitator"])
    contact = Contact.objects.get(pk=world.hank.contact_id)
    [listed] = behalf.of_contact(world.cast.viewer("account_owner"), contact)
    assert listed.withdrawn
    assert listed.withdraw_reason == "He asked us by phone"
    with pytest.raises(PermissionDenied):
        behalf.of_contact(world.cast.viewer("observer"), contact)


# --- insights entered on a contact's behalf -------------------------------------------------


def told_on_the_phone(world: PortalWorld) -> Insight:
    return insight_services.capture_insight(
        world.cast.viewer("facilitator"),
        session=world.session,
        kind="idea",
        text="Hank: let us export the wizard's answers",
        speaker=f"c:{world.hank.contact_id}",
        behalf_reason="He told me on the phone on 3 March",
    )


def test_an_insight_told_outside_the_session_keeps_who_and_why(world: PortalWorld) -> None:
    words = told_on_the_phone(world)
    assert (words.source, words.behalf_reason, words.captured_by_id) == (
        InsightSource.BEHALF,
        "He told me on the phone on 3 March",
        world.cast.users["facilitator"].pk,
    )
    with pytest.raises(ValidationFailed) as exc:  # only a customer's words, for a customer
        insight_services.capture_insight(
            world.cast.viewer("facilitator"),
            session=world.session,
            kind="idea",
            text="Nobody said this",
            speaker="",
            behalf_reason="Told me at lunch",
        )
    assert list(exc.value.errors) == ["speaker"]
    [entry] = behalf.for_contact(principal(world, world.hank.contact_id))
    assert (entry.kind, entry.text, entry.reason) == (
        "insight",
        words.text,
        "He told me on the phone on 3 March",
    )


def test_a_withdrawn_insight_is_nobodys_input(world: PortalWorld) -> None:
    fran = world.cast.viewer("facilitator")
    words = told_on_the_phone(world)
    voting.open_voting(fran, session=world.session, budget=3)
    voting.vote_by_link(
        rsvp.customer_principal(world.ian.pk, world.ian.contact_id), dots={words.pk: 2}
    )
    hank = principal(world, world.hank.contact_id)
    assert words.text in set(selectors.contributions(hank).values_list("text", flat=True))
    assert "Hank Globex" in voters_of(world, words)

    outcome = behalf.withdraw_insight(hank, insight_id=words.pk, reason="Not what I meant")

    assert outcome.changed
    words.refresh_from_db()
    assert words.status == InsightStatus.WITHDRAWN
    assert words.withdrawn_by_id is None
    assert words.text not in set(selectors.contributions(hank).values_list("text", flat=True))
    assert not Insight.objects.votable().filter(pk=words.pk).exists()
    assert voters_of(world, words) == {}  # no raiser, and Ian's dots went with the card
    assert list(credit.customers_of([words.pk])) == []
    assert voting.spent(world.session, world.ian.contact_id) == 0
    ian_vote = Vote.history.get(contact_id=world.ian.contact_id)
    assert ian_vote.withdraw_reason == "The card they were on was withdrawn."
    assert behalf.withdraw_insight(hank, insight_id=words.pk).changed is False
    with pytest.raises(NotFound):  # Gail cannot withdraw her colleague's words
        behalf.withdraw_insight(principal(world, world.gail.contact_id), insight_id=words.pk)


def test_live_captured_words_cannot_be_withdrawn_from_the_portal(world: PortalWorld) -> None:
    hank = principal(world, world.hank.contact_id)
    with pytest.raises(NotFound):
        behalf.withdraw_insight(hank, insight_id=world.cards["hank"].pk)


# --- the API --------------------------------------------------------------------------------


def api(world: PortalWorld, role: str) -> Client:
    _, key = account_services.create_api_token(world.cast.viewer(role), name="t")
    return Client(headers={"Authorization": f"Bearer {key}"})


def call(client: Client, method: str, url: str, body: Any = None) -> tuple[int, Any]:
    response = client.generic(
        method,
        "/api/v1" + url,
        json.dumps(body) if body is not None else "",
        content_type="application/json",
    )
    return response.status_code, response.json()


def test_api_lists_and_withdraws_on_behalf_entries(world: PortalWorld) -> None:
    votes = paper_round(world)
    words = told_on_the_phone(world)
    fran = api(world, "facilitator")
    status, body = call(fran, "GET", f"/contacts/{world.hank.contact_id}/on-behalf")
    assert status == 200
    assert body["count"] == 2
    assert [(e["kind"], e["id"], e["reason"]) for e in body["items"]] == [
        ("insight", words.pk, "He told me on the phone on 3 March"),
        ("vote", votes["hank"].pk, PAPER),
    ]
    status, body = call(fran, "POST", f"/on-behalf/votes/{votes['hank'].pk}/withdraw", {})
    assert status == 422
    url = f"/on-behalf/votes/{votes['hank'].pk}/withdraw"
    status, body = call(fran, "POST", url, {"reason": "He asked us"})
    assert status == 200
    assert body["changed"] is True
    assert body["entry"]["withdrawn_by_id"] == world.cast.users["facilitator"].pk
    status, body = call(fran, "POST", url, {"reason": "He asked us"})
    assert status == 200
    assert body["changed"] is False
    url = f"/on-behalf/insights/{words.pk}/withdraw"
    status, body = call(fran, "POST", url, {"reason": "He asked us"})
    assert status == 200
    assert body["entry"]["withdrawn_at"]
    status, body = call(fran, "GET", f"/insights/{words.pk}")
    assert (body["status"], body["source"], body["withdraw_reason"]) == (
        "withdrawn",
        "behalf",
        "He asked us",
    )
    status, body = call(api(world, "account_owner"), "POST", url, {"reason": "x"})
    assert status == 403


def test_api_paper_tally_needs_a_reason(world: PortalWorld) -> None:
    voting.open_voting(world.cast.viewer("facilitator"), session=world.session, budget=3)
    body = {"entries": [{"insight_id": world.cards["gail"].pk, "contact_id": 1, "dots": 1}]}
    status, answer = call(
        api(world, "facilitator"), "PUT", f"/sessions/{world.session.pk}/voting/paper", body
    )
    assert status == 422
    assert "reason" in json.dumps(answer)


# --- the portal's pages ---------------------------------------------------------------------


def signed_in(world: PortalWorld, capture: Capture, contact_id: int) -> Client:
    token = link_for(
        Contact.objects.get(pk=contact_id), capture, world.cast.viewer("account_owner")
    )
    client = Client()
    assert client.get(f"/portal/in/{token}/").status_code == 302
    return client


def test_portal_home_shows_entered_for_you_and_withdraws_after_confirming(
    world: PortalWorld, django_capture_on_commit_callbacks: Capture
) -> None:
    votes = paper_round(world)
    client = signed_in(world, django_capture_on_commit_callbacks, world.hank.contact_id)
    home = client.get("/portal/").content.decode()
    assert "Entered for you" in home
    assert PAPER in home
    url = f"/portal/entered/votes/{votes['hank'].pk}/withdraw/"
    assert url in home
    page = client.get(url).content.decode()
    assert "Withdraw this?" in page
    assert "Yes, withdraw it" in page
    assert Vote.objects.filter(pk=votes["hank"].pk).exists()  # a GET changes nothing
    response = client.post(url, {"reason": ""})
    assert response.status_code == 302
    assert response["Location"] == url + "?done=1"
    done = client.get(url + "?done=1").content.decode()
    assert "these dots no longer count" in done
    assert (
        f"/portal/entered/votes/{votes['hank'].pk}/" not in client.get("/portal/").content.decode()
    )
    again = client.post(url, {"reason": ""})
    assert again["Location"] == url + "?again=1"
    assert "already withdrawn" in client.get(url + "?again=1").content.decode()


def test_portal_refuses_another_contacts_entry_and_audits_it(
    world: PortalWorld, django_capture_on_commit_callbacks: Capture
) -> None:
    votes = paper_round(world)
    client = signed_in(world, django_capture_on_commit_callbacks, world.hank.contact_id)
    for url in (
        f"/portal/entered/votes/{votes['gail'].pk}/withdraw/",  # a colleague's
        f"/portal/entered/votes/{votes['ian'].pk}/withdraw/",  # another customer's
        f"/portal/entered/insights/{world.cards['hank'].pk}/withdraw/",  # captured live
        f"/portal/entered/insights/{world.cards['ian'].pk}/withdraw/",  # another customer's
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"reason": ""}).status_code == 404, url
    assert Vote.objects.count() == 3
    denied = AuditEvent.objects.filter(action="portal.denied", reason__startswith="withdraw")
    assert denied.count() == 8


def test_the_contact_page_lists_and_withdraws_for_the_contact(
    world: PortalWorld, client_for: Any
) -> None:
    votes = paper_round(world)
    slug = world.cast.acme.slug
    client = client_for("facilitator")
    page = client.get(f"/w/{slug}/customers/contacts/{world.hank.contact_id}/edit/")
    assert "Entered on their behalf" in page.content.decode()
    url = f"/w/{slug}/portal/on-behalf/votes/{votes['hank'].pk}/withdraw/"
    assert url in page.content.decode()
    response = client.post(url, {"reason": "He asked us"})
    assert response.status_code == 302
    assert Vote.history.get(pk=votes["hank"].pk).withdraw_reason == "He asked us"


# --- what else keeps its hands off withdrawn rows -------------------------------------------


def test_a_withdrawn_insight_is_not_merged(world: PortalWorld) -> None:
    words = told_on_the_phone(world)
    behalf.withdraw_insight(principal(world, world.hank.contact_id), insight_id=words.pk)
    admin = world.cast.viewer("admin")
    with pytest.raises(ValidationFailed) as exc:
        insight_services.merge_insights(admin, into=world.cards["hank"], others=[words.pk])
    assert exc.value.errors == {
        "others": ["Merged, discarded or withdrawn insights cannot be merged."]
    }


def test_erasing_the_contact_takes_their_name_out_of_the_reasons(world: PortalWorld) -> None:
    from traction.customers import services as customer_services

    votes = paper_round(world)
    words = insight_services.capture_insight(
        world.cast.viewer("facilitator"),
        session=world.session,
        kind="idea",
        text="Export the answers",
        speaker=f"c:{world.hank.contact_id}",
        behalf_reason="Hank Globex told me on the phone",
    )
    behalf.withdraw_vote(
        world.cast.viewer("facilitator"), vote_id=votes["hank"].pk, reason="Hank Globex asked"
    )
    contact = Contact.objects.get(pk=world.hank.contact_id)
    customer_services.erase_contact(world.cast.viewer("admin"), contact=contact, reason="GDPR")
    words.refresh_from_db()
    vote = Vote.history.get(pk=votes["hank"].pk)
    assert "Hank" not in words.behalf_reason
    assert "Hank" not in vote.withdraw_reason
    assert words.behalf_reason.endswith("told me on the phone")


def test_an_account_owner_reads_no_other_customers_card_among_the_dots_entered(
    world: PortalWorld, client_for: Any, api_client_for: Any
) -> None:
    """Attacker's review: the contact page's "Entered on their behalf" listed the text of each
    card the contact's paper dots are on, so Globex's account owner (who reads only their
    own customers' words) read Initech's card through their contact's dots. The card's text
    is shown to those who may read the card; others read that the dots are on a card they
    may not see."""
    fran = world.cast.viewer("facilitator")
    voting.open_voting(fran, session=world.session, budget=3)
    voting.record_paper_tally(
        fran,
        session=world.session,
        entries=[
            voting.TallyEntry(world.cards["ian"].pk, world.hank.contact_id, 2),
            voting.TallyEntry(world.cards["gail"].pk, world.hank.contact_id, 1),
        ],
        reason=PAPER,
    )
    slug = world.cast.acme.slug
    contact_page = f"/w/{slug}/customers/contacts/{world.hank.contact_id}/edit/"
    owen = client_for("account_owner").get(contact_page).content.decode()
    assert "Entered on their behalf" in owen
    assert "Gail: invoices arrive too late" in owen  # Globex's words: Owen's customer
    assert "Initech needs single sign-on" not in owen
    assert "2 dots on a card you may not see" in owen
    api = api_client_for("account_owner").get(f"/api/v1/contacts/{world.hank.contact_id}/on-behalf")
    assert api.status_code == 200
    assert "Initech" not in api.content.decode()
    facilitator = client_for("facilitator").get(contact_page).content.decode()
    assert "Initech needs single sign-on" in facilitator
