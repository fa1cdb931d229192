"""What a review of "closing the loop" found, each pinned by a test that fails without its
fix, numbered as the review's findings (docs/loop.md, docs/portal.md say what each rule is).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from traction.core import clock
from traction.core.errors import NotFound
from traction.core.testing.cast import Cast
from traction.customers import services as customers
from traction.customers.models import Contact
from traction.loop import answered, update_selectors
from traction.loop.models import Approval, Update
from traction.loop.services import updates
from traction.programs import services as programs
from traction.sessions.models import Session

from . import world as w

NOW = w.NOW  # the shared world fixture (conftest.py) freezes the clock there

pytestmark = pytest.mark.django_db


def _url(cast: Cast, name: str, **kw: object) -> str:
    return reverse(f"loop:{name}", kwargs={"workspace_slug": cast.acme.slug, **kw})


def _approved_and_sent(cast: Cast, update: Update, owner: str = "account_owner") -> Update:
    fran = cast.viewer("facilitator")
    found = updates.submit(fran, update)
    for a in Approval.objects.filter(update=found, superseded_at__isnull=True):
        updates.approve(cast.viewer(owner), a)
    return updates.send(fran, Update.objects.get(pk=found.pk))


def _initech_update_owen_approved(world: w.World) -> Update:
    """Owen owned Initech too when its update was asked of him and he approved it."""
    cast = world.cast
    alice = cast.viewer("admin")
    Contact.objects.filter(pk=cast.other_contact.pk).update(consent_to_contact=True)
    customers.update_customer(
        alice,
        customer=cast.other_customer,
        changes={"account_owner_id": cast.users["account_owner"].pk},
    )
    with clock.frozen(NOW):
        made = updates.compose(
            cast.viewer("facilitator"),
            cast.program,
            audience="customer",
            customer_id=cast.other_customer.pk,
        )
        made = updates.edit(cast.viewer("facilitator"), made, body="Thank you, Initech team.")
        return _approved_and_sent(cast, made)


def test_an_owner_no_longer_reads_an_update_of_a_customer_they_lost(
    world: w.World,
    client_for: Callable[[str], Client],
    api_client_for: Callable[[str], Client],
) -> None:
    cast = world.cast
    initech = _initech_update_owen_approved(world)
    owen = cast.viewer("account_owner")
    assert update_selectors.update(owen, initech.pk) == initech  # his customer then
    customers.update_customer(
        cast.viewer("admin"), customer=cast.other_customer, changes={"account_owner_id": None}
    )
    # His approval still names him, yet Initech is no longer his: the update is not either.
    assert Approval.objects.filter(update=initech, account_owner=cast.users["account_owner"])
    with pytest.raises(NotFound):
        update_selectors.update(owen, initech.pk)
    assert initech not in update_selectors.updates(owen, cast.program)
    assert update_selectors.counts(owen, cast.program)["sent"] == 0
    assert updates.turnaround(cast.program.pk, viewer=owen).decided == 0
    assert updates.turnaround(cast.program.pk, viewer=cast.viewer("facilitator")).decided == 1
    web = client_for("account_owner")
    assert web.get(_url(cast, "update", update_id=initech.pk)).status_code == 404
    listing = web.get(_url(cast, "updates", program_id=cast.program.pk)).content.decode()
    assert "Initech" not in listing
    assert initech.subject not in listing
    api = api_client_for("account_owner")
    assert api.get(f"/api/v1/updates/{initech.pk}").status_code == 404
    assert api.get(f"/api/v1/updates/{initech.pk}/candidates").status_code == 404
    assert api.get(f"/api/v1/updates/{initech.pk}/approvals").status_code == 404
    rows = api.get(f"/api/v1/programs/{cast.program.pk}/updates").json()
    assert rows["count"] == 0
    turnaround = api.get(f"/api/v1/programs/{cast.program.pk}/update-turnaround").json()
    assert turnaround["decided"] == 0
    # The program page's "recently answered" does not carry its subject either.
    assert all(a.label != initech.subject for a in answered.recently(owen, cast.program))


def test_an_owner_in_the_programs_team_reads_only_updates_addressed_to_their_customers(
    world: w.World, api_client_for: Callable[[str], Client]
) -> None:
    """Belonging to the program (an observer here) does not widen what an account owner may
    identify: another organisation's update, and a program-wide draft (its text not checked
    yet, it may still name anyone), stay hidden; his own customer's update shows."""
    cast = world.cast
    fran = cast.viewer("facilitator")
    programs.set_core_team(
        fran,
        program=cast.program,
        user_ids=[cast.users["observer"].pk, cast.users["account_owner"].pk],
        kind="observer",
    )
    Contact.objects.filter(pk=cast.other_contact.pk).update(consent_to_contact=True)
    with clock.frozen(NOW):
        globex = updates.compose(
            fran, cast.program, audience="customer", customer_id=cast.customer.pk
        )
        initech = updates.compose(
            fran, cast.program, audience="customer", customer_id=cast.other_customer.pk
        )
        everyone = updates.compose(fran, cast.program, audience="program")
        everyone = updates.edit(fran, everyone, body="Ian Initech told us so. Thank you.")
    owen = cast.viewer("account_owner")
    assert set(update_selectors.updates(owen, cast.program)) == {globex}
    assert update_selectors.counts(owen, cast.program)["draft"] == 1
    for hidden in (initech, everyone):
        with pytest.raises(NotFound):
            update_selectors.update(owen, hidden.pk)
        assert (
            api_client_for("account_owner").get(f"/api/v1/updates/{hidden.pk}").status_code == 404
        )
    # Every other role identifies every customer of what it reads: the observer sees all three.
    olive = cast.viewer("observer")
    assert set(update_selectors.updates(olive, cast.program)) == {globex, initech, everyone}


def test_a_program_update_shows_to_an_owner_once_checked_and_asked_of_their_customer(
    world: w.World,
) -> None:
    """An update for several organisations names none and quotes nobody once the checker
    passed it (submitting checks it): the owner reads what their customer reads."""
    cast = world.cast
    fran = cast.viewer("facilitator")
    with clock.frozen(NOW):
        everyone = updates.compose(fran, cast.program, audience="program")
        everyone = updates.edit(fran, everyone, body="Thank you for your time.")
    owen = cast.viewer("account_owner")
    with pytest.raises(NotFound):
        update_selectors.update(owen, everyone.pk)
    with clock.frozen(NOW):
        sent = _approved_and_sent(cast, everyone)
    assert update_selectors.update(owen, sent.pk) == sent
    # Globex (his) was among its recipients; once Globex is not his, it is not his to read.
    customers.update_customer(
        cast.viewer("admin"), customer=cast.customer, changes={"account_owner_id": None}
    )
    with pytest.raises(NotFound):
        update_selectors.update(owen, sent.pk)
    assert json.dumps(update_selectors.counts(owen, cast.program)) == json.dumps(
        dict.fromkeys(update_selectors.counts(owen, cast.program), 0)
    )


# --- 2. a delivery is recorded once it happened ------------------------------------------------


def test_a_delivery_dated_after_today_is_refused_on_the_page_in_the_api_and_in_a_file(
    world: w.World, client_for: Callable[[str], Client], api_client_for: Callable[[str], Client]
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from traction.loop.models import Delivery

    cast = world.cast
    refusal = (
        "A delivery is recorded once it happened: the date cannot be after today (20 January 2027)."
    )
    with clock.frozen(NOW):
        page = client_for("facilitator").post(
            _url(cast, "delivery_new", program_id=cast.program.pk),
            {"on": "2027-01-21", "title": "Release 5", "priorities": [world.card.pk]},
        )
        assert page.status_code == 200
        assert page.context["form"].errors["on"] == [refusal]
        path = f"/api/v1/programs/{cast.program.pk}/deliveries"
        body = {"on": "2030-12-01", "title": "Release 5", "priority_ids": [world.card.pk]}
        answer = api_client_for("facilitator").post(path, body, content_type="application/json")
        assert answer.status_code == 422
        [problem] = answer.json()["detail"]
        assert problem["loc"][-1] == "on"
        assert problem["msg"] == refusal
        csv = b"date,title\n2027-01-20,Release 4\n2027-02-01,Release 5\n"
        imported = api_client_for("facilitator").post(
            f"{path}/import", {"file": SimpleUploadedFile("d.csv", csv)}
        )
        assert imported.status_code == 422
        assert f"Line 3: {refusal}" in json.dumps(imported.json())
        assert not Delivery.objects.exists()
        # Today is fine.
        body["on"] = "2027-01-20"
        answer = api_client_for("facilitator").post(path, body, content_type="application/json")
        assert answer.status_code == 201


# --- 3. a quote is dated when its words were said --------------------------------------------


def test_words_imported_days_after_their_session_are_dated_by_the_session(world: w.World) -> None:
    """The world's cards were typed in on 20 January 2027 (the clock of ``build``), six days
    after the session held on 14 January 2027: the update says when Gina said them."""
    from traction.insights.models import Insight
    from traction.loop import drafting

    cast = world.cast
    card = Insight.objects.get(pk=world.card.pk)
    assert card.created_at.date().isoformat() == "2027-01-20"
    assert drafting.said_on(card).isoformat() == "2027-01-14"
    # Captured while the session ran (in its time zone: Berlin, late evening is still then).
    Insight.objects.filter(pk=card.pk).update(created_at=datetime(2027, 1, 14, 15, 30, tzinfo=UTC))
    card.refresh_from_db()
    assert drafting.said_on(card).isoformat() == "2027-01-14"
    with clock.frozen(NOW):
        update = updates.compose(
            cast.viewer("facilitator"),
            cast.program,
            audience="customer",
            customer_id=cast.customer.pk,
        )
    assert "On 14 January 2027 Gina Globex told us: “Invoice approval takes three weeks”" in (
        update.body
    )
    assert "On 20 January 2027" not in update.body


def test_words_captured_before_their_session_are_never_dated_in_the_future(
    world: w.World,
) -> None:
    """Words captured into a session planned for later (a customer said them ahead of it, or
    someone tried the map before the day) were said by the day they were captured: the draft
    never quotes a day to come, which its own checker would refuse."""
    from traction.insights.models import Insight
    from traction.loop import drafting

    cast = world.cast
    Session.objects.filter(pk=world.session.pk).update(
        starts_at=datetime(2027, 2, 1, 9, 0, tzinfo=UTC),
        ends_at=datetime(2027, 2, 1, 12, 0, tzinfo=UTC),
        actual_ends_at=None,
        held_at=None,
    )
    card = Insight.objects.select_related("session").get(pk=world.card.pk)
    assert card.created_at.date().isoformat() == "2027-01-20"  # before the session
    assert drafting.said_on(card).isoformat() == "2027-01-20"
    with clock.frozen(NOW):
        update = updates.compose(
            cast.viewer("facilitator"),
            cast.program,
            audience="customer",
            customer_id=cast.customer.pk,
        )
    assert "On 20 January 2027 Gina Globex told us" in update.body
    assert "1 February 2027" not in update.body


# --- 4. text sent to customers reads right in every case -------------------------------------


@pytest.mark.parametrize(
    ("window", "found", "expected"),
    [
        (
            None,
            [],
            "An honest update on “Export”: since we last wrote to you about it, the plan "
            "behind it changed. We are reviewing",
        ),
        (
            None,
            ["The action item “Build” is blocked."],
            "An honest update on “Export”: since we last wrote to you about it, part of the "
            "work is held up. We are reviewing",
        ),
        (
            "Q2",
            [],
            "An honest update on “Export”: we told you this was planned for Q2 2027. Since "
            "then the plan behind it changed. We are reviewing",
        ),
    ],
)
def test_a_change_of_plan_reads_right_with_or_without_a_window_or_a_cause(
    window: str | None, found: list[str], expected: str
) -> None:
    from datetime import date

    from traction.loop import checker
    from traction.loop.services import statuses
    from traction.loop.windows import Window

    shown = Window.of("quarter", date(2027, 4, 1)) if window else None
    draft = statuses.change_of_plan("Export", shown, found)
    assert draft.startswith(expected)
    assert "when we last wrote" not in draft
    assert checker.problems(draft) == []


@pytest.mark.parametrize("reason", ["", "It conflicts with our security policy."])
@pytest.mark.parametrize(
    ("summaries", "said"),
    [
        (
            ["A named person for your first month with us."],
            "We considered a named person for your first month with us, and decided not to go "
            "ahead with it.",
        ),
        (
            ["SSO for every user", "A named person"],
            "We considered SSO for every user and a named person, and decided not to go ahead with "
            "them.",
        ),
    ],
)
def test_what_we_are_not_doing_never_reads_as_if_we_decided_to_do_it(
    reason: str, summaries: list[str], said: str
) -> None:
    from datetime import date

    from traction.loop import drafting
    from traction.loop.drafting import PriorityFacts
    from traction.loop.models import PriorityStatus

    status = PriorityStatus(status="not_planned", customer_reason=reason)
    quote = drafting.Quote(3, "Someone to call", date(2027, 1, 14), "you told us")
    facts = PriorityFacts(
        1,
        "Someone to call",
        3,
        status,
        summaries=[(7 + i, s) for i, s in enumerate(summaries)],
        quote=quote,
    )
    [line] = dict(drafting.sections([facts]))["What we are not doing, and why"]
    assert "We decided:" not in line
    assert line.endswith(said)
    assert (f"not planned. {reason} " if reason else "not planned. We considered") in line


# --- 5. nobody follows a card they raised --------------------------------------------------


def test_a_contact_never_follows_a_card_they_raised(cast: Cast) -> None:
    from traction.core.errors import ValidationFailed
    from traction.loop.models import Follow
    from traction.loop.services import subscriptions

    from . import mail_world as mw

    world = mw.build(cast)
    base = world.base
    mw.publish(base, base.card, "under_consideration")  # Gina's own words
    client = Client()
    assert client.get("/" + mw.portal_client_token(cast.contact)).status_code == 302
    answer = client.post(f"/portal/priorities/{base.card.pk}/follow/")
    assert answer.status_code == 302
    assert not Follow.objects.filter(contact=cast.contact, priority=base.card).exists()
    home = client.get("/portal/").content.decode()
    assert "You hear about this: you raised it." in home
    assert "Stop following" not in home
    # A member adding her as a follower of it is refused the same way, beside the card.
    with pytest.raises(ValidationFailed) as refused:
        subscriptions.add_follower(
            cast.viewer("facilitator"), contact=cast.contact, priority_id=base.card.pk, why="Asked"
        )
    assert refused.value.errors == {
        "priority_id": ["Gina Globex hears about this already: they raised it."]
    }
    assert not Follow.objects.filter(contact=cast.contact, priority=base.card).exists()


def test_the_status_turnaround_counts_the_statuses_its_reader_may_read(
    world: w.World,
    client_for: Callable[[str], Client],
    api_client_for: Callable[[str], Client],
) -> None:
    """Attacker's review: the status approval turnaround (the priorities page, the API) was
    over every status approval of the program, so an account owner counted how many of other
    customers' statuses were approved and how fast, where the update turnaround counts only
    the updates they may read. It is over the statuses of cards its reader may read."""
    from traction.loop.models import Status
    from traction.loop.services import publishing
    from traction.programs import services as programs

    cast = world.cast
    programs.set_core_team(
        cast.viewer("facilitator"),
        program=cast.program,
        user_ids=[cast.users["observer"].pk, cast.users["account_owner"].pk],
        kind="observer",
    )
    customers.update_customer(
        cast.viewer("admin"),
        customer=cast.other_customer,
        changes={"account_owner_id": cast.users["admin"].pk},
    )
    proposal = publishing.propose_status(
        cast.viewer("facilitator"), cast.program, priority_id=world.quiet.pk, status=Status.HEARD
    )
    [initech] = proposal.approvals.all()
    publishing.approve(cast.viewer("admin"), initech)
    owen = cast.viewer("account_owner")
    assert updates.turnaround(cast.program.pk, kind="status", viewer=owen).decided == 0
    fran = cast.viewer("facilitator")
    assert updates.turnaround(cast.program.pk, kind="status", viewer=fran).decided == 1
    path = f"/api/v1/programs/{cast.program.pk}/status-turnaround"
    assert api_client_for("account_owner").get(path).json()["decided"] == 0
    assert api_client_for("facilitator").get(path).json()["decided"] == 1
    page = client_for("account_owner").get(_url(cast, "priorities", program_id=cast.program.pk))
    assert "no status approval answered yet" in page.content.decode()
