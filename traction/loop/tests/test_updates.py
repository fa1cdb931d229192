""" "You said, we did" updates, through the services: drafting from the data (own words,
dated and credited; program updates name nobody), the checker (promise words, dates and
windows, other customers), approval per organisation of the exact text and recipients
(supersede on edit, what changed, waiver), sending (immutable after), the signed approve
link (tampered, expired, superseded, moved, reused), reminders and escalation (idempotent),
the delivery hook (drafts, never notifications) and the status approvals kept apart."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from traction.accounts.models import Notice
from traction.core import clock
from traction.core.errors import NotFound, ValidationFailed
from traction.core.models import AuditEvent
from traction.customers.models import Contact
from traction.debrief.models import Recommendation
from traction.loop import approval_links, selectors
from traction.loop.models import (
    Approval,
    ApprovalState,
    PriorityStatus,
    Update,
    UpdateRecipient,
    UpdateState,
)
from traction.loop.services import deliveries as delivery_services
from traction.loop.services import updates
from traction.loop.services.deliveries import Entry
from traction.loop.update_checker import text_problems, update_problems
from traction.loop.windows import Window

from . import world as w

NOW = datetime(2027, 1, 20, 9, 0, tzinfo=UTC)
TODAY = date(2027, 1, 20)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast: object) -> Iterator[w.World]:
    with clock.frozen(NOW):
        yield w.build(cast)  # type: ignore[arg-type]


def publish(world: w.World, status: str, window: Window | None = None, reason: str = "") -> None:
    """A published status (as the publishing service leaves it; its rules are tested there)."""
    cast = world.cast
    PriorityStatus.objects.create(
        workspace=cast.acme,
        program=cast.program,
        priority=world.card,
        status=status,
        window_kind=window.kind if window else "",
        window_start=window.start if window else None,
        customer_reason=reason,
        proposed_by=cast.users["facilitator"],
        published_at=clock.now(),
        published_by=cast.users["facilitator"],
    )


def consent_for_ian(world: w.World) -> None:
    Contact.objects.filter(pk=world.cast.other_contact.pk).update(consent_to_contact=True)


def globex_update(world: w.World, **kw: object) -> Update:
    cast = world.cast
    return updates.compose(
        cast.viewer("facilitator"),
        cast.program,
        audience="customer",
        customer_id=cast.customer.pk,
        **kw,  # type: ignore[arg-type]
    )


# --- the checker ------------------------------------------------------------------------------

Q2 = Window.of("quarter", date(2027, 4, 1))


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("We ship the new approval page by March.", "by March"),
        ("We start on 3 March.", "3 March"),
        ("It goes live on 3 March 2027.", "3 March 2027"),
        ("We meet again on Tuesday.", "Tuesday"),
        ("It is planned for Q3 2027.", "Q3 2027"),
        ("Work starts in March.", "in March"),
        ("The page is live mid-March.", "mid-March"),
        ("The page is live in early May 2027.", "early May 2027"),  # May 2027 holds Q2's start
        ("It ships at the end of June 2027.", "the end of June 2027"),
        ("We will fix it.", "will"),
        ("We guarantee it.", "guarantee"),
    ],
)
def test_the_checker_flags_what_no_status_backs(text: str, flagged: str) -> None:
    found = text_problems(text, windows=[Q2], today=TODAY)
    assert [p.words for p in found] == [flagged], found


@pytest.mark.parametrize(
    "text",
    [
        "The approval page is planned for Q2 2027.",
        "The approval page is planned for the first half of 2027.",  # holds Q2 2027
        "It is planned for H1 2027, and we will tell you when it is live in Q2 2027.",
        "On 12 January 2027 you told us: “Invoice approval takes three weeks”.",
        "In December 2026 we delivered the export.",  # the past is a recap
        "We may change the plan.",  # "may" the verb
    ],
)
def test_the_checker_lets_backed_windows_and_the_past_through(text: str) -> None:
    assert text_problems(text, windows=[Q2], today=TODAY) == []


def test_a_month_window_is_backed_only_by_a_status_inside_it() -> None:
    may = Window.of("month", date(2027, 5, 1))
    assert text_problems("Planned for May 2027.", windows=[may], today=TODAY) == []
    # The status says Q2 2027: "May 2027" would claim more than it backs.
    assert [p.words for p in text_problems("Planned for May 2027.", windows=[Q2], today=TODAY)] == [
        "May 2027"
    ]


def test_a_customers_own_words_are_quoted_not_promised() -> None:
    quote = "We will leave if this takes another quarter"
    text = f"On 12 January 2027 you told us: “{quote}”."
    assert text_problems(text, quoted=[quote], today=TODAY) == []
    # The same words not quoting an insight are ours: flagged.
    assert [p.words for p in text_problems(text, today=TODAY)] == ["will"]


def test_the_checker_flags_quotes_of_other_organisations_words() -> None:
    cards = [(7, "We lose a week on every invoice because approvers travel"), (8, "Too slow")]
    text = (
        "You said “we LOSE a week on   every invoice”. "
        'Someone said "too slow". We lose a week on every invoice too, unquoted. '
        "“A week on every”"
    )
    found = text_problems(text, others_words=cards, today=TODAY)
    assert [p.words for p in found] == ["“we LOSE a week on   every invoice”", '"too slow"']
    assert "card #7" in found[0].message
    assert "card #8: “Too slow”" in found[1].message


# Years: a year alone (or part of one) is a window like the others. TODAY is 20 January 2027;
# Q2 (April to June 2027) is the only published window.


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("The new page goes live in 2028.", "in 2028"),
        ("It comes later in 2028.", "later in 2028"),
        ("Next year, the page goes live.", "Next year"),
        ("It goes live early 2028.", "early 2028"),
        ("It goes live in late 2027.", "late 2027"),  # July to December: Q2 is not in it
        ("It goes live at the end of the year.", "the end of the year"),
        ("From 2028 on, invoices are approved on one page.", "From 2028"),
        ("It is planned for Q3 next year.", "Q3 next year"),
        ("It is planned for March next year.", "March next year"),
        ("It is planned for Q3.", "Q3"),  # which year? never backed, like "in March"
        ("It is planned for H2.", "H2"),
        ("It is planned for Q2.", "Q2"),  # even the backed quarter, without its year
        ("We ship it by Q1 this year.", "by Q1 this year"),  # Q2 ends after Q1's end
    ],
)
def test_the_checker_flags_years_no_status_backs(text: str, flagged: str) -> None:
    found = text_problems(text, windows=[Q2], today=TODAY)
    assert [p.words for p in found] == [flagged], found


@pytest.mark.parametrize(
    "text",
    [
        "The new page goes live in 2027.",  # Q2 2027 lies in 2027
        "It comes later in 2027.",
        "It comes later this year.",
        "This year, invoices are approved on one page.",
        "It is planned for the first half of the year.",
        "It is planned for Q2 this year.",
        "It is done by 2028.",  # Q2 2027 ends before the end of 2028
        "It is done before 2028.",
        "It is done by the end of the year.",
        "It is done by year-end.",
        "It is done by next year.",
        "We will ship it in 2027.",  # a promise in a sentence with a backed window
    ],
)
def test_a_year_is_backed_by_a_window_in_it_or_ending_by_it(text: str) -> None:
    assert text_problems(text, windows=[Q2], today=TODAY) == []


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("The new page goes live in 2027.", ["in 2027"]),
        ("It is done by 2028.", ["by 2028"]),
        ("It is done by year-end.", ["by year-end"]),
        ("It is done by the end of the year.", ["by the end of the year"]),
        ("This year, invoices are approved on one page.", ["This year"]),
        ("We will ship it in 2027.", ["in 2027", "will"]),
    ],
)
def test_without_a_published_window_a_year_is_flagged(text: str, flagged: list[str]) -> None:
    assert [p.words for p in text_problems(text, today=TODAY)] == flagged


def test_a_year_deadline_needs_a_window_ending_by_it() -> None:
    h2_2028 = Window.of("half", date(2028, 7, 1))
    found = text_problems("It is done by 2028.", windows=[h2_2028], today=TODAY)
    assert found == []
    found = text_problems("It is done before 2028.", windows=[h2_2028], today=TODAY)
    assert [p.words for p in found] == ["before 2028"]
    assert "a window ending by the end of 2027" in found[0].message
    found = text_problems("It goes live in 2027.", windows=[h2_2028], today=TODAY)
    assert "shows a window in 2027. Publish the status first" in found[0].message


# Deadlines of a month, a quarter or a half-year: "by March" is every day until the end of
# March (the next March when it names no year); a published window ending by then backs it.

MARCH = Window.of("month", date(2027, 3, 1))


@pytest.mark.parametrize(
    ("text", "windows"),
    [
        ("The one-page approval is live by March.", [MARCH]),
        ("It is live by the end of March.", [MARCH]),
        ("It is live by March 2027.", [MARCH]),
        ("It is live by the end of March 2027.", [MARCH]),
        ("It is live by Mar. 2027.", [MARCH]),
        ("It is live no later than March.", [MARCH]),
        ("It is live before April.", [MARCH]),  # the end of March
        ("It is live by March.", [Window.of("quarter", date(2027, 1, 1))]),  # Q1 ends with March
        ("It is live by Q1 2027.", [MARCH]),
        ("It is live by H1 2027.", [MARCH]),
        ("It is live by Q3 this year.", [Q2]),
        ("It is live by July.", [Q2]),  # July 2027: Q2 ends before it
        ("It is live before Q3.", [Q2]),
        ("It is live by the end of June 2027.", [Q2]),
        ("We will ship it by March.", [MARCH]),  # a promise in a sentence with a backed deadline
    ],
)
def test_a_deadline_is_backed_by_a_window_ending_by_it(text: str, windows: list[Window]) -> None:
    assert text_problems(text, windows=windows, today=TODAY) == []


@pytest.mark.parametrize(
    ("text", "windows", "flagged"),
    [
        ("It is live by March.", [], ["by March"]),
        ("It is live by March.", [Q2], ["by March"]),  # Q2 ends after March
        ("It is live by the end of March 2027.", [Q2], ["by the end of March 2027"]),
        ("It is live before March.", [MARCH], ["before March"]),  # the end of February
        ("It is live by May 2027.", [Q2], ["by May 2027"]),  # Q2 runs to June
        ("It is live by Q1 2027.", [Q2], ["by Q1 2027"]),
        ("We will ship it by March.", [], ["by March", "will"]),
        ("It is live by March 3.", [MARCH], ["by March 3"]),  # a day: never backed
        ("It is live by 15 January.", [MARCH], ["by 15 January"]),  # quoted whole, not "by 1"
        ("It is live by 15/01.", [MARCH], ["by 15/01"]),
        ("It is live by the 15th.", [MARCH], ["by the 15th"]),
        ("Approvals are faster by 20% in March 2027.", [MARCH], []),  # "by 20%" is no date
        ("It is live by mid-March.", [MARCH], ["by mid-March"]),
        ("It is live by early March 2027.", [MARCH], ["by early March 2027"]),
        ("It is live by next month.", [MARCH], ["by next month"]),
    ],
)
def test_a_deadline_without_a_window_ending_by_it_is_flagged(
    text: str, windows: list[Window], flagged: list[str]
) -> None:
    assert [p.words for p in text_problems(text, windows=windows, today=TODAY)] == flagged


def test_a_deadline_without_its_year_is_the_next_one_to_come() -> None:
    # On 20 January 2027 "by March" is March 2027; on 20 April 2027 it is March 2028.
    found = text_problems("It is live by March.", today=TODAY)
    assert "a window ending by the end of March 2027" in found[0].message
    april = date(2027, 4, 20)
    assert "March 2028" in text_problems("It is live by March.", today=april)[0].message
    assert text_problems("It is live by March.", windows=[MARCH], today=april) == []
    # "before March" in the middle of March: the end of February 2028.
    found = text_problems("It is live before March.", today=date(2027, 3, 10))
    assert "a window ending before March 2028" in found[0].message
    # With its year, a deadline over is history, like "by 2026".
    assert text_problems("By March 2026 the export was done.", today=TODAY) == []


@pytest.mark.parametrize(
    "text",
    [
        "Since 2019 you have approved invoices by hand.",
        "In 2024 you told us approvals take three weeks.",  # a year over: history
        "In 2026 we delivered the export.",
        "Earlier this year you told us approvals take three weeks.",
        "Earlier in 2027 you told us so.",
        "So far this year, two releases touched your priorities.",
        "Last year you asked for one page.",
        "After 2026 the old page was retired.",
        "By 2026 the export was done.",
    ],
)
def test_past_years_are_history_not_promises(text: str) -> None:
    assert text_problems(text, today=TODAY) == []


def test_the_checker_flags_other_customers_whole_words_any_case() -> None:
    found = text_problems(
        "Like initech, you asked for it. Globextra is fine. Ian Initech agreed.",
        other_names=["Initech", "Ian Initech", "Globex"],
        today=TODAY,
    )
    assert sorted(p.words for p in found) == ["Ian Initech", "initech"]
    assert all("another customer" in p.message for p in found)


# --- drafting ---------------------------------------------------------------------------------


def test_a_customer_update_quotes_their_own_words_dated_and_credited(world: w.World) -> None:
    rec = w.approved(world)
    Recommendation.objects.filter(pk=rec.pk).update(
        customer_summary="Approve an invoice on one page."
    )
    publish(world, "planned", Q2)
    with clock.frozen(NOW):
        update = globex_update(world)
    assert update.state == UpdateState.DRAFT
    assert update.body.startswith("Dear Globex team,")
    assert "On 14 January 2027 Gina Globex told us: “Invoice approval takes three weeks”" in (
        update.body
    )
    # Told once, in the part its status puts it: with the customer summary of the decision,
    # never the internal title or outcome.
    assert "What we decided" not in update.body
    assert (
        "What is next, and when\n- “Invoice approval takes three weeks”: planned for Q2 2027. "
        "We decided: Approve an invoice on one page.\n"
    ) in update.body
    assert update.body.count("Approve an invoice on one page") == 1
    assert "One-page approval" not in update.body
    assert "(approved)" not in update.body
    # Only Globex's priorities: Initech's idea (Ian's words) is not theirs.
    assert "approve invoices from the phone" not in update.body
    assert "Initech" not in update.body
    assert "Ian" not in update.body
    assert update.sources["priorities"] == [world.card.pk]
    assert update.sources["quotes"] == [world.card.pk]
    # As drafted, it passes its own checker.
    assert update_problems(update) == []
    assert AuditEvent.objects.filter(
        action="loop.update_drafted", object_id=str(update.pk)
    ).exists()


def test_a_program_update_quotes_nobody_and_says_what_it_heard_in_counts(
    world: w.World,
) -> None:
    """A program's customers are several organisations: Initech never reads Globex's words
    (nor Globex Initech's). What was heard is counted; a priority is named only by a
    recommendation's summary for customers, and one without is left out, with a note."""
    publish(world, "not_planned", reason="It conflicts with our security policy.")
    fran = world.cast.viewer("facilitator")
    with clock.frozen(NOW):
        update = updates.compose(fran, world.cast.program, audience="program")
    body = update.body
    assert "Invoice approval takes three weeks" not in body
    assert "approve invoices from the phone" not in body
    assert "Gina" not in body
    assert "Globex" not in body
    assert (
        "What you told us\n- In “Onboarding co-design” on 14 January 2027, 2 people from 2 "
        "organisations raised 2 points; you put your dots on 2 cards.\n"
    ) in body
    assert "What we are not doing" not in body
    assert any(
        "Left out “Invoice approval takes three weeks”" in note for note in update.sources["notes"]
    )
    assert update_problems(update) == []
    rec = w.decide(world, w.recommend(world, title="Replace the approval engine"), "rejected")
    Recommendation.objects.filter(pk=rec.pk).update(
        customer_summary="Approving invoices in one step"
    )
    with clock.frozen(NOW):
        update = updates.compose(fran, world.cast.program, audience="program")
    assert "What we decided" not in update.body  # told once, where its status puts it
    assert (
        "What we are not doing, and why\n- Approving invoices in one step: not planned. "
        "It conflicts with our security policy."
    ) in update.body
    assert "Replace the approval engine" not in update.body
    assert "rejected" not in update.body
    assert "Invoice approval takes three weeks" not in update.body
    assert update_problems(update) == []


def test_what_we_decided_leaves_out_what_customers_cannot_read(world: w.World) -> None:
    """A decided recommendation without a summary for customers, or whose priority has no
    published status, is not told: the facilitator's notes say so."""
    rec = w.approved(world)
    with clock.frozen(NOW):
        update = globex_update(world)
    assert "What we decided" not in update.body
    assert "One-page approval" not in update.body
    [note] = [n for n in update.sources["notes"] if "What we decided" in n]
    assert "“One-page approval” (approved) has no summary for customers" in note
    Recommendation.objects.filter(pk=rec.pk).update(customer_summary="One page to approve")
    with clock.frozen(NOW):
        update = globex_update(world)
    assert "What we decided" not in update.body
    [note] = [n for n in update.sources["notes"] if "What we decided" in n]
    assert "has no published status yet" in note


def test_a_quote_of_another_organisations_words_is_flagged_naming_the_card(
    world: w.World,
) -> None:
    fran = world.cast.viewer("facilitator")
    with clock.frozen(NOW):
        update = globex_update(world)
        body = update.body + "\nOthers said: “let us  APPROVE invoices from the phone, please”.\n"
        updates.edit(fran, update, body=body)
        update.refresh_from_db()
        [problem] = update_problems(update)
    assert problem.words == "“let us  APPROVE invoices from the phone, please”"
    assert f"card #{world.quiet.pk}: “Let us approve invoices from the phone”" in problem.message
    assert "only to their own organisation" in problem.message
    # Globex's own words quoted to Globex are fine; the same words to the program are not.
    with clock.frozen(NOW):
        program = updates.compose(fran, world.cast.program, audience="program")
        text = program.body + "\nOne of you said “Invoice approval takes three weeks”.\n"
        updates.edit(fran, program, body=text)
        program.refresh_from_db()
        assert [p.words for p in update_problems(program)] == [
            "“Invoice approval takes three weeks”"
        ]


def test_nothing_next_is_drafted_without_a_published_status(world: w.World) -> None:
    with clock.frozen(NOW):
        update = globex_update(world)
    assert "What is next" not in update.body
    assert "planned for" not in update.body


def test_compose_refuses_what_it_cannot_draft(world: w.World) -> None:
    cast = world.cast
    fran = cast.viewer("facilitator")
    with pytest.raises(ValidationFailed) as refused:
        updates.compose(fran, cast.program, audience="customer", customer_id=cast.rival_customer.pk)
    assert "customer" in refused.value.errors
    with pytest.raises(ValidationFailed) as refused:
        updates.compose(fran, cast.program, audience="program", kind="change_of_plan")
    assert "at risk" in refused.value.errors["priority"][0]
    with pytest.raises(ValidationFailed) as refused:
        updates.compose(fran, cast.program, audience="program", kind="re_engagement")
    assert "one customer organisation" in refused.value.errors["audience"][0]
    with pytest.raises(ValidationFailed):
        updates.compose(fran, cast.program, audience="session", session_id=999999)
    assert not Update.objects.exists()


@pytest.mark.parametrize("principal", ["observer", "account_owner"])
def test_only_the_program_team_composes(world: w.World, principal: str) -> None:
    from traction.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        updates.compose(world.cast.viewer(principal), world.cast.program, audience="program")


def test_a_re_engagement_apologises_and_credits_deliveries_since(world: w.World) -> None:
    cast = world.cast
    with clock.frozen(NOW):
        delivery_services.record_delivery(
            cast.viewer("facilitator"),
            cast.program,
            Entry(on=date(2027, 1, 18), title="Approval in one page", priorities=(world.card.pk,)),
            source="manual",
        )
        update = globex_update(world, kind="re_engagement")
    assert "We owe you an apology: you have not heard from us for a long time" in update.body
    assert "Delivered since we last wrote\n- Approval in one page (18 January 2027)" in update.body
    assert update_problems(update) == []


# --- submit, approve, send ------------------------------------------------------------------


def test_submitting_is_refused_while_the_checker_flags_anything(world: w.World) -> None:
    fran = world.cast.viewer("facilitator")
    with clock.frozen(NOW):
        update = globex_update(world)
        updates.edit(fran, update, body=update.body + "\nThe new page is live by March.\n")
        update.refresh_from_db()
        with pytest.raises(ValidationFailed) as refused:
            updates.submit(fran, update)
    messages = refused.value.errors["body"]
    assert any("“by March”" in m for m in messages)
    update.refresh_from_db()
    assert update.state == UpdateState.DRAFT
    assert not Approval.objects.filter(update=update).exists()


def test_a_backing_status_lets_the_window_through(world: w.World) -> None:
    fran = world.cast.viewer("facilitator")
    with clock.frozen(NOW):
        update = globex_update(world)
        updates.edit(fran, update, body=update.body + "\nThe new page is planned for Q2 2027.\n")
        update.refresh_from_db()
        assert [p.words for p in update_problems(update)] == ["Q2 2027"]
        publish(world, "planned", Q2)
        assert update_problems(update) == []


def test_a_backing_status_lets_a_year_through(world: w.World) -> None:
    fran = world.cast.viewer("facilitator")
    with clock.frozen(NOW):
        update = globex_update(world)
        body = update.body + "\nThe new page is planned for later this year, by year-end.\n"
        updates.edit(fran, update, body=body)
        update.refresh_from_db()
        assert sorted(p.words for p in update_problems(update)) == [
            "by year-end",
            "later this year",
        ]
        publish(world, "planned", Q2)
        assert update_problems(update) == []


def test_only_the_updates_own_priorities_back_its_windows(world: w.World) -> None:
    """Globex's update is about Globex's card: Initech's idea planned for Q3 2027 does not
    back "Q3 2027" in it. An update that names no priority falls back on the program's."""
    cast = world.cast
    fran = cast.viewer("facilitator")
    PriorityStatus.objects.create(
        workspace=cast.acme, program=cast.program, priority=world.quiet, status="planned",
        window_kind="quarter", window_start=date(2027, 7, 1),
        proposed_by=cast.users["facilitator"], published_at=NOW,
        published_by=cast.users["facilitator"],
    )  # fmt: skip
    with clock.frozen(NOW):
        update = globex_update(world)
        assert update.sources["priorities"] == [world.card.pk]
        body = update.body + "\nWe will ship single sign-on in Q3 2027.\n"
        updates.edit(fran, update, body=body)
        update.refresh_from_db()
        assert [p.words for p in update_problems(update)] == ["Q3 2027", "will"]
        Update.objects.filter(pk=update.pk).update(sources={"priorities": []})
        update.refresh_from_db()
        assert update_problems(update) == []


def submitted(world: w.World) -> Update:
    consent_for_ian(world)
    with clock.frozen(NOW):
        update = updates.compose(
            world.cast.viewer("facilitator"), world.cast.program, audience="program"
        )
        return updates.submit(world.cast.viewer("facilitator"), update)


def test_each_organisation_approves_its_own_recipients(world: w.World) -> None:
    cast = world.cast
    update = submitted(world)
    assert update.state == UpdateState.AWAITING
    asked = {a.customer.name: a for a in Approval.objects.filter(update=update)}
    assert set(asked) == {"Globex", "Initech"}
    globex, initech = asked["Globex"], asked["Initech"]
    assert globex.account_owner == cast.users["account_owner"]
    assert initech.account_owner is None  # nobody owns Initech: only an admin's waiver
    assert [r["name"] for r in globex.snapshot["recipients"]] == ["Gina Globex"]
    assert [r["name"] for r in initech.snapshot["recipients"]] == ["Ian Initech"]
    assert globex.snapshot["body"] == update.body
    assert globex.version == update.version
    # Owen is told in the app, and by email (on commit).
    assert Notice.objects.filter(user=cast.users["account_owner"], resolved_at=None).count() == 1
    with clock.frozen(NOW + timedelta(hours=5)):
        updates.approve(
            cast.viewer("account_owner"), updates.approval(cast.viewer("account_owner"), globex.pk)
        )
    update.refresh_from_db()
    assert update.state == UpdateState.AWAITING  # Initech's is still missing
    assert not UpdateRecipient.objects.exists()
    with pytest.raises(ValidationFailed) as refused:
        updates.send(cast.viewer("facilitator"), update)
    assert "still waiting for the approval for Initech" in str(refused.value.errors)
    alice = cast.viewer("admin")
    with pytest.raises(ValidationFailed):
        updates.waive(alice, updates.approval(alice, initech.pk, "loop.waive"), reason="  ")
    with clock.frozen(NOW + timedelta(days=2)):
        updates.waive(alice, updates.approval(alice, initech.pk, "loop.waive"), reason="Away.")
    update.refresh_from_db()
    assert update.state == UpdateState.APPROVED
    queued = list(UpdateRecipient.objects.filter(update=update).values_list("name", "state"))
    assert sorted(queued) == [("Gina Globex", "queued"), ("Ian Initech", "queued")]
    assert Notice.objects.filter(user=cast.users["account_owner"], resolved_at=None).count() == 0
    found = updates.turnaround(cast.program.pk)
    # Owen's answer only: the admin's waiver is not an account owner's turnaround.
    assert (found.decided, found.median, found.slowest) == (
        1,
        timedelta(hours=5),
        timedelta(hours=5),
    )


def test_only_the_owner_approves_and_only_admins_waive(world: w.World) -> None:
    cast = world.cast
    update = submitted(world)
    globex = Approval.objects.get(update=update, customer=cast.customer)
    for principal in ("facilitator", "core_team", "sponsor", "observer"):
        with pytest.raises(NotFound):
            updates.approval(cast.viewer(principal), globex.pk)
    from traction.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        updates.approval(cast.viewer("facilitator"), globex.pk, "loop.waive")


def test_an_edit_supersedes_approvals_asks_again_and_shows_what_changed(world: w.World) -> None:
    cast = world.cast
    fran, owen = cast.viewer("facilitator"), cast.viewer("account_owner")
    update = submitted(world)
    first = Approval.objects.get(update=update, customer=cast.customer)
    updates.approve(owen, updates.approval(owen, first.pk))
    with clock.frozen(NOW + timedelta(days=1)):
        update.refresh_from_db()
        updates.edit(
            fran,
            update,
            subject="What came of your time with us",
            left_out=[cast.other_contact.pk],
            expected_version=update.version,
        )
    update.refresh_from_db()
    assert update.version == 2
    assert update.state == UpdateState.AWAITING
    first.refresh_from_db()
    assert first.superseded_at is not None
    current = Approval.objects.filter(update=update, superseded_at=None)
    # Ian was left out: Initech has nobody left, so only Globex is asked.
    assert [a.customer.name for a in current] == ["Globex"]
    again = current.get()
    assert again.version == 2
    assert again.state == ApprovalState.PENDING
    changes = updates.changes_since_approved(again)
    assert changes is not None
    assert changes.since_version == 1
    assert "-Subject: You said, we did: Effortless onboarding" in changes.text
    assert "+Subject: What came of your time with us" in changes.text
    # A stale edit is refused (someone saved version 2 meanwhile).
    from traction.core.errors import Conflict

    with pytest.raises(Conflict):
        updates.edit(fran, update, body="Stale.", expected_version=1)
    # The superseded approval can no longer be given.
    with pytest.raises(ValidationFailed) as refused:
        updates.approve(owen, first)
    assert "changed since this approval was asked" in str(refused.value.errors)


def approved_update(world: w.World) -> Update:
    cast = world.cast
    with clock.frozen(NOW):
        update = globex_update(world)
        updates.submit(cast.viewer("facilitator"), update)
        [a] = Approval.objects.filter(update=update)
        updates.approve(cast.viewer("account_owner"), a)
    update.refresh_from_db()
    return update


def test_a_sent_update_is_immutable(world: w.World) -> None:
    cast = world.cast
    fran = cast.viewer("facilitator")
    update = approved_update(world)
    with clock.frozen(NOW + timedelta(hours=1)):
        updates.send(fran, update)
    update.refresh_from_db()
    assert update.state == UpdateState.SENT
    assert update.sent_at == NOW + timedelta(hours=1)
    assert update.sent_by == cast.users["facilitator"]
    assert AuditEvent.objects.filter(action="loop.update_sent", object_id=str(update.pk)).exists()
    before = (update.subject, update.body, update.version)
    for attempt in (
        lambda: updates.edit(fran, update, body="Changed."),
        lambda: updates.submit(fran, update),
        lambda: updates.send(fran, update),
        lambda: updates.discard(fran, update),
    ):
        with pytest.raises(ValidationFailed) as refused:
            attempt()
        assert "a sent update cannot be changed" in str(refused.value.errors)
    update.refresh_from_db()
    assert (update.subject, update.body, update.version) == before
    assert update.state == UpdateState.SENT


def test_a_sent_update_gives_its_date_as_people_read_it(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    """The list, the update's page and the refusal write "20 Jan 2027" (as every other
    page does), never the ISO "2027-01-20"."""
    cast = world.cast
    fran = cast.viewer("facilitator")
    update = approved_update(world)
    with clock.frozen(NOW + timedelta(hours=1)):
        updates.send(fran, update)
    update.refresh_from_db()
    client = client_for("facilitator")
    listed = client.get(
        reverse("loop:updates", args=[cast.acme.slug, cast.program.pk])
    ).content.decode()
    assert "sent 20 Jan 2027" in listed
    page = client.get(reverse("loop:update", args=[cast.acme.slug, update.pk])).content.decode()
    assert "sent 20 Jan 2027, 10:00 (UTC)" in page
    for html in (listed, page):
        assert "2027-01-20" not in html.replace('datetime="2027-01-20', "")
    with pytest.raises(ValidationFailed) as refused:
        updates.edit(fran, update, body="Changed.")
    assert "This update was sent on 20 Jan 2027;" in str(refused.value.errors)


def test_discarding_withdraws_the_approvals(world: w.World) -> None:
    cast = world.cast
    update = submitted(world)
    updates.discard(cast.viewer("facilitator"), update)
    update.refresh_from_db()
    assert update.state == UpdateState.DISCARDED
    assert not Approval.objects.filter(update=update, superseded_at=None).exists()
    with pytest.raises(ValidationFailed) as refused:
        updates.submit(cast.viewer("facilitator"), update)
    assert "discarded" in str(refused.value.errors)


def test_nobody_to_receive_it_is_refused(world: w.World) -> None:
    cast = world.cast
    fran = cast.viewer("facilitator")
    with clock.frozen(NOW):
        update = globex_update(world)
        updates.edit(fran, update, left_out=[cast.contact.pk])
        update.refresh_from_db()
        with pytest.raises(ValidationFailed) as refused:
            updates.submit(fran, update)
    assert "Nobody would receive this update" in str(refused.value.errors)


# --- the signed approve link ----------------------------------------------------------------


def owens(world: w.World) -> tuple[Update, Approval]:
    with clock.frozen(NOW):
        update = globex_update(world)
        updates.submit(world.cast.viewer("facilitator"), update)
    return update, Approval.objects.get(update=update)


def test_the_link_approves_once(world: w.World) -> None:
    update, approval = owens(world)
    with clock.frozen(NOW):
        token = approval_links.make_token(approval)
    with clock.frozen(NOW + timedelta(days=13)):
        updates.approve_by_link(token)
    approval.refresh_from_db()
    assert approval.state == ApprovalState.APPROVED
    assert approval.by == world.cast.users["account_owner"]
    update.refresh_from_db()
    assert update.state == UpdateState.APPROVED
    with pytest.raises(ValidationFailed) as refused:
        updates.approve_by_link(token)
    assert "already given" in str(refused.value.errors)


def test_a_tampered_link_is_refused(world: w.World) -> None:
    _, approval = owens(world)
    token = approval_links.make_token(approval)
    with pytest.raises(NotFound):
        updates.approve_by_link(token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
    approval.refresh_from_db()
    assert approval.state == ApprovalState.PENDING


def test_an_expired_link_is_refused(world: w.World) -> None:
    _, approval = owens(world)
    with clock.frozen(NOW):
        token = approval_links.make_token(approval)
    with (
        clock.frozen(NOW + timedelta(days=14, minutes=1)),
        pytest.raises(ValidationFailed) as refused,
    ):
        updates.approve_by_link(token)
    assert "expired" in str(refused.value.errors)


def test_a_superseded_link_is_refused(world: w.World) -> None:
    update, approval = owens(world)
    token = approval_links.make_token(approval)
    with clock.frozen(NOW):
        updates.edit(world.cast.viewer("facilitator"), update, subject="Another subject")
    with pytest.raises(ValidationFailed) as refused:
        updates.approve_by_link(token)
    assert "use the link in the newest email" in str(refused.value.errors)


def test_a_link_of_an_approval_moved_to_another_owner_is_refused(world: w.World) -> None:
    from traction.customers import services as customer_services

    cast = world.cast
    _, approval = owens(world)
    token = approval_links.make_token(approval)
    customer_services.update_customer(
        cast.viewer("admin"),
        customer=cast.customer,
        changes={"account_owner_id": cast.users["admin"].pk},
    )
    approval.refresh_from_db()
    assert approval.account_owner == cast.users["admin"]
    with pytest.raises(ValidationFailed) as refused:
        updates.approve_by_link(token)
    assert "moved to another account owner" in str(refused.value.errors)


# --- reminders and escalation ---------------------------------------------------------------


def test_reminders_then_escalation_each_once(
    world: w.World, django_capture_on_commit_callbacks: Any
) -> None:
    cast = world.cast
    with django_capture_on_commit_callbacks(execute=True):
        _, approval = owens(world)
    assert [m.subject for m in mail.outbox] == [
        "Approve the update to Globex: You said, we did: Effortless onboarding"
    ]
    assert mail.outbox[0].to == ["owen@acme.test"]
    mail.outbox.clear()
    with clock.frozen(NOW + timedelta(days=2)):
        assert updates.remind() == {"reminded": 0, "escalated": 0}
    with clock.frozen(NOW + timedelta(days=3)), django_capture_on_commit_callbacks(execute=True):
        assert updates.remind() == {"reminded": 1, "escalated": 0}
        assert updates.remind() == {"reminded": 0, "escalated": 0}
    approval.refresh_from_db()
    assert approval.reminders_sent == 1
    assert approval.last_reminded_at == NOW + timedelta(days=3)
    with clock.frozen(NOW + timedelta(days=7)), django_capture_on_commit_callbacks(execute=True):
        assert updates.remind() == {"reminded": 1, "escalated": 1}
        assert updates.remind() == {"reminded": 0, "escalated": 0}
    approval.refresh_from_db()
    assert approval.escalated_at == NOW + timedelta(days=7)
    assert (
        Notice.objects.filter(
            user=cast.users["admin"], action=f"loop.update-escalated:{approval.pk}"
        ).count()
        == 1
    )
    subjects = [m.subject for m in mail.outbox]
    assert sum(s.startswith("Reminder: approve the update to Globex") for s in subjects) == 2
    assert sum("has waited 7 days for approval" in s for s in subjects) == 1
    escalation = next(m for m in mail.outbox if "has waited" in m.subject)
    assert escalation.to == ["alice@acme.test"]


def test_the_reminder_job_is_registered_for_traction_remind() -> None:
    from traction.core import periodic

    assert "loop.update_approvals" in {p.name for p in periodic.jobs()}


# --- deliveries draft updates, never notifications ---------------------------------------------


def test_recording_a_delivery_drafts_one_update_per_credited_organisation(world: w.World) -> None:
    cast = world.cast
    mail.outbox.clear()
    with clock.frozen(NOW):
        entry = Entry(on=date(2026, 11, 2), title="One-page approval", priorities=(world.card.pk,))
        delivery_services.record_delivery(
            cast.viewer("facilitator"), cast.program, entry, source="manual"
        )
        # Recorded again (a re-import): nothing duplicated.
        delivery_services.record_delivery(
            cast.viewer("facilitator"), cast.program, entry, source="csv"
        )
    drafts = Update.objects.filter(kind="delivery").order_by("customer__name")
    assert [(u.customer.name, u.state) for u in drafts] == [
        ("Globex", "draft"),
        ("Initech", "draft"),
    ]
    globex = drafts[0]
    assert globex.subject == "Done: One-page approval"
    assert "On 2 November 2026 we delivered “One-page approval”." in globex.body
    assert "Gina Globex told us: “Invoice approval takes three weeks”" in globex.body
    assert "Gina" not in drafts[1].body
    # Ian only voted on Globex's card: Initech's draft does not quote Gina's words.
    assert "Invoice approval takes three weeks" not in drafts[1].body
    assert update_problems(drafts[1]) == []
    assert mail.outbox == []  # drafts notify nobody


# --- status approvals stay status approvals -------------------------------------------------------


def test_status_approval_code_ignores_update_approvals(world: w.World) -> None:
    owen = world.cast.viewer("account_owner")
    _, approval = owens(world)
    with pytest.raises(NotFound):
        selectors.approval(owen, approval.pk)
    assert selectors.my_pending_approvals(owen).count() == 0
    assert selectors.my_pending_update_approvals(owen).count() == 1
    assert selectors.my_pending_any(owen).count() == 1


def test_editing_an_approved_update_asks_again_and_unqueues_its_recipients(
    world: w.World,
) -> None:
    update = approved_update(world)
    assert UpdateRecipient.objects.filter(update=update).count() == 1
    with clock.frozen(NOW):
        updates.edit(world.cast.viewer("facilitator"), update, subject="A better subject")
    update.refresh_from_db()
    assert update.state == UpdateState.AWAITING
    assert update.version == 2
    assert not UpdateRecipient.objects.filter(update=update).exists()
    with pytest.raises(ValidationFailed):
        updates.send(world.cast.viewer("facilitator"), update)


def test_a_session_update_goes_to_its_participants_and_names_nobody(world: w.World) -> None:
    from traction.sessions.models import Invitation, OutreachRequest

    cast = world.cast
    Invitation.objects.create(
        workspace=cast.acme,
        session=world.session,
        outreach=OutreachRequest.objects.get(session=world.session, contact=cast.contact),
        contact=cast.contact,
        rsvp="accepted",
        responded_at=NOW,
    )
    with clock.frozen(NOW):
        update = updates.compose(
            cast.viewer("facilitator"),
            cast.program,
            audience="session",
            session_id=world.session.pk,
        )
    assert update.body.startswith("Dear participants of “Onboarding co-design”,")
    assert "Invoice approval takes three weeks" not in update.body
    assert "2 people from 2 organisations raised 2 points" in update.body
    assert "Gina" not in update.body
    found = updates.candidates(update)
    assert [(c.contact.name, c.reasons) for c in found] == [("Gina Globex", ["participant"])]


def test_a_change_of_plan_starts_from_the_radars_draft(world: w.World) -> None:
    from traction.loop.models import AtRisk

    cast = world.cast
    publish(world, "planned", Q2)
    status = PriorityStatus.objects.get(priority=world.card)
    AtRisk.objects.create(
        workspace=cast.acme,
        program=cast.program,
        priority=world.card,
        status=status,
        reasons=["An action item is blocked."],
        draft="An honest update on “Invoice approval takes three weeks”: the plan changed.",
    )
    with clock.frozen(NOW):
        update = globex_update(world, kind="change_of_plan", priority_id=world.card.pk)
    assert update.subject == "A change of plan: Invoice approval takes three weeks"
    assert "An honest update on “Invoice approval takes three weeks”: the plan changed." in (
        update.body
    )
    assert update.sources["risk"] == AtRisk.objects.get().pk


# --- sending re-checks what the update says ------------------------------------------------------


def approved_with_a_plan(world: w.World) -> Update:
    """Globex's update saying “planned for Q2 2027”, backed when asked, then approved."""
    with clock.frozen(NOW - timedelta(days=1)):
        publish(world, "planned", Q2)
    update = approved_update(world)
    assert "planned for Q2 2027" in update.body
    assert update.state == UpdateState.APPROVED
    return update


def test_sending_refuses_an_approved_plan_that_changed_since_and_names_what_changed(
    world: w.World,
) -> None:
    cast = world.cast
    fran = cast.viewer("facilitator")
    update = approved_with_a_plan(world)
    with clock.frozen(NOW + timedelta(days=1)):
        publish(world, "not_planned", reason="It conflicts with our security policy.")
        with pytest.raises(ValidationFailed) as refused:
            updates.send(fran, update)
    said = refused.value.errors["__all__"]
    assert said[0].startswith("This update can no longer be sent as approved")
    assert any("Q2 2027" in line for line in said[1:])  # the checker, against statuses now
    assert "“Invoice approval takes three weeks” is now not planned, published 21 Jan 2027." in said
    update.refresh_from_db()
    assert update.state == UpdateState.APPROVED
    assert not UpdateRecipient.objects.filter(update=update).exclude(state="queued").exists()
    # The facilitator edits (the approvals of the old text no longer count) and asks again.
    with clock.frozen(NOW + timedelta(days=1, hours=1)):
        body = update.body.replace("planned for Q2 2027", "not planned")
        updates.edit(fran, update, body=body)
        update.refresh_from_db()
        assert update.state == UpdateState.AWAITING
        [fresh] = Approval.objects.filter(update=update, superseded_at__isnull=True)
        updates.approve(cast.viewer("account_owner"), fresh)
        update.refresh_from_db()
        updates.send(fran, update)
    update.refresh_from_db()
    assert update.state == UpdateState.SENT


def test_sending_refuses_when_the_radar_marked_a_priority_at_risk_since(world: w.World) -> None:
    from traction.loop.models import AtRisk

    cast = world.cast
    update = approved_with_a_plan(world)
    with clock.frozen(NOW + timedelta(days=2)):
        AtRisk.objects.create(
            workspace=cast.acme,
            program=cast.program,
            priority=world.card,
            status=PriorityStatus.objects.get(priority=world.card),
            reasons=["An action item is due after the window customers were shown."],
        )
        assert update_problems(update) == []  # the status still reads "planned"
        with pytest.raises(ValidationFailed) as refused:
            updates.send(cast.viewer("facilitator"), update)
    assert (
        "“Invoice approval takes three weeks” was marked at risk on 22 Jan 2027: An action item "
        "is due after the window customers were shown."
    ) in refused.value.errors["__all__"]


def test_sending_refuses_when_quoted_words_or_a_recipients_reason_were_withdrawn(
    world: w.World,
) -> None:
    """Gina's words are quoted and she is the recipient; since the approval, her words and
    her dots were withdrawn (as the portal's "Entered for you" does): it may not go as is."""
    from traction.insights.models import Insight
    from traction.voting.models import Vote

    cast = world.cast
    update = approved_update(world)
    assert world.card.pk in update.sources["quotes"]
    with clock.frozen(NOW + timedelta(days=1)):
        Insight.objects.filter(pk=world.card.pk).update(
            status="withdrawn", withdrawn_at=clock.now(), withdraw_reason="Not what I meant."
        )
        Vote.history.filter(contact=cast.contact).update(withdrawn_at=clock.now())
        with pytest.raises(ValidationFailed) as refused:
            updates.send(cast.viewer("facilitator"), update)
    said = refused.value.errors["__all__"]
    assert (
        "The words “Invoice approval takes three weeks” it quotes were withdrawn on 21 Jan 2027."
        in said
    )
    assert any(line.startswith("Gina Globex no longer has a reason to hear") for line in said)
    update.refresh_from_db()
    assert update.state == UpdateState.APPROVED


def test_a_change_of_plan_about_a_risk_known_when_asked_is_sent(world: w.World) -> None:
    from traction.loop.models import AtRisk

    cast = world.cast
    with clock.frozen(NOW - timedelta(days=1)):
        publish(world, "planned", Q2)
        AtRisk.objects.create(
            workspace=cast.acme,
            program=cast.program,
            priority=world.card,
            status=PriorityStatus.objects.get(priority=world.card),
            reasons=["An action item is blocked."],
            draft="An honest update: the plan behind the approval page changed.",
        )
    with clock.frozen(NOW):
        update = globex_update(world, kind="change_of_plan", priority_id=world.card.pk)
        updates.submit(cast.viewer("facilitator"), update)
        updates.approve(cast.viewer("account_owner"), Approval.objects.get(update=update))
        update.refresh_from_db()
        updates.send(cast.viewer("facilitator"), update)
    update.refresh_from_db()
    assert update.state == UpdateState.SENT


# --- refused approval links are audited ------------------------------------------------------


def test_a_refused_approval_link_is_audited_on_its_approval(world: w.World) -> None:
    from django.test import Client

    _, approval = owens(world)
    with clock.frozen(NOW):
        token = approval_links.make_token(approval)
    from django.urls import reverse

    path = reverse("loop:update-approval-link", args=[world.cast.acme.slug, token])
    with clock.frozen(NOW + timedelta(days=15)):
        assert Client().get(path).status_code == 410
    [event] = AuditEvent.objects.filter(action="loop.update_approval_link_refused")
    assert (event.workspace_id, event.object_id) == (world.cast.acme.pk, str(approval.pk))
    assert "expired" in event.reason
    # Tampered: it names nothing we trust, so no workspace's trail gets it (it is logged).
    bad = reverse("loop:update-approval-link", args=[world.cast.acme.slug, token[:-2] + "xx"])
    with clock.frozen(NOW):
        assert Client().get(bad).status_code == 404
        # Used by someone else who is signed in: refused and audited.
        other = Client()
        other.force_login(world.cast.users["facilitator"])
        assert other.get(path).status_code == 403
    assert AuditEvent.objects.filter(action="loop.update_approval_link_refused").count() == 2


def test_unknown_left_out_ids_are_named_a_few_then_counted(world: w.World) -> None:
    # Attacker's review: the refusal quoted every unknown id sent, so a 2 MB body of ids came
    # back as a 2 MB message (and into the server's log).
    cast = world.cast
    update = submitted(world)
    with pytest.raises(ValidationFailed) as refused:
        updates.edit(
            cast.viewer("facilitator"),
            update,
            left_out=list(range(10**6, 10**6 + 50_000)),
            expected_version=update.version,
        )
    [message] = refused.value.errors["left_out"]
    assert message.endswith("and 49,990 more.")
    assert len(message) < 200
    update.refresh_from_db()
    assert update.version == 1
