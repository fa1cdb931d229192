"""The communication plan's computations: who tells whom, last heard, the promise counting
down, next due, overdue and silence; the plan's changes and their refusals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from traction.core import clock
from traction.core.errors import ValidationFailed
from traction.core.permissions import PermissionDenied
from traction.customers.models import Contact, Customer
from traction.insights.models import Insight
from traction.loop import plan
from traction.loop.models import (
    CommsOwner,
    MessageState,
    Update,
    UpdateRecipient,
    UpdateState,
)
from traction.loop.services import plan as plan_services
from traction.sessions.models import Session

from . import world as w

pytestmark = pytest.mark.django_db

ENDED_DAY = w.ENDED.date()  # 14 January 2027 (Berlin), 16:00 UTC


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=UTC)


def send(
    world: w.World,
    contact: Contact,
    on: datetime,
    state: str = MessageState.SENT,
    **extra: object,
) -> UpdateRecipient:
    """A sent update of the program to one contact (as the outbox leaves it)."""
    cast = world.cast
    update = Update.objects.create(
        workspace=cast.acme,
        program=cast.program,
        audience="customer",
        customer=contact.customer,
        subject="What we did",
        body="Thank you.",
        state=UpdateState.SENT,
        sent_at=on,
    )
    return UpdateRecipient.objects.create(
        workspace=cast.acme,
        update=update,
        contact=contact,
        customer=contact.customer,
        name=contact.name,
        email=contact.email,
        state=state,
        sent_at=on if state == MessageState.SENT else None,
        **extra,
    )


def rows_on(world: w.World, day: date) -> dict[str, plan.PlanRow]:
    with clock.frozen(at(day)):
        found = plan.compute(world.cast.program, today=day)
    return {r.customer.name: r for r in found}


def promise(world: w.World, by: date | None) -> None:
    Session.objects.filter(pk=world.session.pk).update(hear_back_by=by)


def test_organisations_of_the_program_and_their_tellers(world: w.World) -> None:
    cast = world.cast
    found = rows_on(world, date(2027, 1, 20))
    assert sorted(found) == ["Globex", "Initech"]
    # The default teller is the customer's account owner; Initech has none.
    assert found["Globex"].teller == cast.users["account_owner"]
    assert found["Globex"].teller_is_default
    assert found["Initech"].teller is None
    CommsOwner.objects.create(
        program=cast.program, customer=cast.other_customer, teller=cast.users["core_team"]
    )
    found = rows_on(world, date(2027, 1, 20))
    assert found["Initech"].teller == cast.users["core_team"]
    assert not found["Initech"].teller_is_default
    # Another program's customers are not this program's.
    assert plan.compute(cast.other_program) == []


def test_no_session_held_yet_nothing_is_due_and_nobody_is_silent(world: w.World) -> None:
    Session.objects.filter(pk=world.session.pk).update(
        starts_at=at(date(2027, 3, 1)),
        ends_at=at(date(2027, 3, 1), 12),
        actual_ends_at=None,
        held_at=None,
    )
    row = rows_on(world, date(2027, 2, 1))["Globex"]
    assert row.next_due is None
    assert row.due_because == ""
    assert not row.overdue
    assert not row.due_soon
    assert row.silent_days is None
    assert not row.silent
    assert row.promise is None


def test_cadence_after_the_session_then_overdue(world: w.World) -> None:
    row = rows_on(world, date(2027, 1, 20))["Globex"]
    assert row.last_session is not None
    assert row.last_heard is None
    assert row.next_due == ENDED_DAY + timedelta(days=42)
    assert row.due_because == plan.Due.AFTER_SESSION
    assert row.days_to_due == 36
    assert not row.due_soon
    assert not row.overdue
    row = rows_on(world, ENDED_DAY + timedelta(days=40))["Globex"]
    assert row.due_soon
    assert row.days_to_due == 2
    row = rows_on(world, ENDED_DAY + timedelta(days=45))["Globex"]
    assert row.overdue
    assert row.overdue_days == 3


def test_the_promise_counts_down_and_passes(world: w.World) -> None:
    promise(world, ENDED_DAY + timedelta(days=14))
    row = rows_on(world, ENDED_DAY + timedelta(days=5))["Globex"]
    assert row.promise is not None
    assert row.promise.session_id == world.session.pk
    assert row.next_due == ENDED_DAY + timedelta(days=14)
    assert row.due_because == plan.Due.PROMISE
    assert row.promise.days_left(row.today) == 9
    row = rows_on(world, ENDED_DAY + timedelta(days=17))["Globex"]
    assert row.overdue_days == 3


def test_an_update_after_the_session_answers_the_promise(world: w.World) -> None:
    cast = world.cast
    promise(world, ENDED_DAY + timedelta(days=14))
    sent = at(ENDED_DAY + timedelta(days=10))
    send(world, cast.contact, sent)
    found = rows_on(world, ENDED_DAY + timedelta(days=20))
    globex, initech = found["Globex"], found["Initech"]
    assert globex.promise is None
    assert globex.last_heard == sent
    assert globex.next_due == sent.date() + timedelta(days=42)
    assert globex.due_because == plan.Due.AFTER_UPDATE
    # Initech heard nothing: its promise still stands, and passed.
    assert initech.promise is not None
    assert initech.overdue_days == 6


def test_an_update_before_the_session_does_not_answer_it(world: w.World) -> None:
    promise(world, ENDED_DAY + timedelta(days=14))
    send(world, world.cast.contact, at(ENDED_DAY - timedelta(days=3)))
    row = rows_on(world, ENDED_DAY + timedelta(days=2))["Globex"]
    assert row.promise is not None
    assert row.due_because == plan.Due.PROMISE


@pytest.mark.parametrize(
    "state", [MessageState.BOUNCED, MessageState.UNDELIVERABLE, MessageState.FAILED]
)
def test_a_message_that_did_not_arrive_is_silence(world: w.World, state: str) -> None:
    promise(world, ENDED_DAY + timedelta(days=14))
    send(world, world.cast.contact, at(ENDED_DAY + timedelta(days=3)), state=state)
    row = rows_on(world, ENDED_DAY + timedelta(days=5))["Globex"]
    assert row.last_heard is None
    assert row.promise is not None


def test_a_sent_message_that_bounced_later_or_an_unreachable_contact_is_silence(
    world: w.World,
) -> None:
    cast = world.cast
    sent = at(ENDED_DAY + timedelta(days=3))
    send(world, cast.contact, sent, bounced_at=sent + timedelta(hours=1))
    assert rows_on(world, ENDED_DAY + timedelta(days=5))["Globex"].last_heard is None
    UpdateRecipient.objects.update(bounced_at=None)
    assert rows_on(world, ENDED_DAY + timedelta(days=5))["Globex"].last_heard == sent
    Contact.objects.filter(pk=cast.contact.pk).update(unreachable_at=sent + timedelta(days=1))
    assert rows_on(world, ENDED_DAY + timedelta(days=5))["Globex"].last_heard is None


def test_silence_counts_from_the_last_update_or_the_first_session(world: w.World) -> None:
    cast = world.cast
    row = rows_on(world, ENDED_DAY + timedelta(days=89))["Globex"]
    assert row.silent_days == 89
    assert not row.silent
    row = rows_on(world, ENDED_DAY + timedelta(days=90))["Globex"]
    assert row.silent
    send(world, cast.contact, at(ENDED_DAY + timedelta(days=60)))
    row = rows_on(world, ENDED_DAY + timedelta(days=100))["Globex"]
    assert row.silent_days == 40
    assert not row.silent


def test_changing_the_cadence_and_silence_moves_the_dates(world: w.World) -> None:
    cast = world.cast
    plan_services.save_plan(
        cast.viewer("facilitator"), cast.program, cadence_days=28, silence_days=60
    )
    row = rows_on(world, ENDED_DAY + timedelta(days=61))["Globex"]
    assert row.next_due == ENDED_DAY + timedelta(days=28)
    assert row.overdue_days == 33
    assert row.silent


def test_a_cancelled_or_practice_session_makes_no_promise(world: w.World) -> None:
    promise(world, ENDED_DAY + timedelta(days=14))
    Session.objects.filter(pk=world.session.pk).update(status="cancelled")
    row = rows_on(world, ENDED_DAY + timedelta(days=20))["Globex"]
    assert row.promise is None
    assert row.next_due is None


def test_archived_customers_are_left_out(world: w.World) -> None:
    Customer.objects.filter(pk=world.cast.other_customer.pk).update(
        archived_at=at(date(2027, 1, 19))
    )
    assert list(rows_on(world, date(2027, 1, 20))) == ["Globex"]


def test_most_urgent_first(world: w.World) -> None:
    cast = world.cast
    send(world, cast.other_contact, at(ENDED_DAY + timedelta(days=3)))
    found = plan.compute(cast.program, today=ENDED_DAY + timedelta(days=44))
    assert [r.customer.name for r in found] == ["Globex", "Initech"]
    assert found[0].overdue
    assert not found[1].overdue


def test_the_session_page_promises(world: w.World) -> None:
    cast = world.cast
    promise(world, ENDED_DAY + timedelta(days=14))
    send(world, cast.contact, at(ENDED_DAY + timedelta(days=2)))
    world.session.refresh_from_db()
    found = {
        p["customer"].name: p
        for p in plan.session_promises(world.session, today=ENDED_DAY + timedelta(days=5))
    }
    assert found["Globex"]["answered_at"] is not None
    assert found["Initech"]["answered_at"] is None
    assert found["Initech"]["days_left"] == 9
    assert plan.suggested_promise(world.session) == ENDED_DAY + timedelta(days=14)


# --- changing the plan -----------------------------------------------------------------


def test_save_plan_checks_ranges_and_says_which_field(world: w.World) -> None:
    fran = world.cast.viewer("facilitator")
    with pytest.raises(ValidationFailed) as refused:
        plan_services.save_plan(fran, world.cast.program, cadence_days=2, silence_days=3)
    assert "between 7 and 365" in refused.value.errors["cadence_days"][0]
    assert "between 14 and 730" in refused.value.errors["silence_days"][0]
    with pytest.raises(ValidationFailed) as refused:
        plan_services.save_plan(fran, world.cast.program, cadence_days=60, silence_days=30)
    assert "longer than the cadence" in refused.value.errors["silence_days"][0]


def test_tellers_are_members_and_customers_of_the_program(world: w.World) -> None:
    cast = world.cast
    fran = cast.viewer("facilitator")
    with pytest.raises(ValidationFailed) as refused:
        plan_services.save_plan(fran, cast.program, tellers={cast.rival_customer.pk: None})
    assert "took part in this program" in refused.value.errors["tellers"][0]
    with pytest.raises(ValidationFailed) as refused:
        plan_services.save_plan(
            fran, cast.program, tellers={cast.customer.pk: cast.users["stranger"].pk}
        )
    assert "member of this workspace" in refused.value.errors["tellers"][0]
    plan_services.save_plan(
        fran, cast.program, tellers={cast.customer.pk: cast.users["core_team"].pk}
    )
    assert CommsOwner.objects.get(customer=cast.customer).teller == cast.users["core_team"]
    plan_services.save_plan(fran, cast.program, tellers={cast.customer.pk: None})
    row = rows_on(world, date(2027, 1, 20))["Globex"]
    assert row.teller == cast.users["account_owner"]
    assert row.teller_is_default


def test_who_may_change_the_plan(world: w.World) -> None:
    cast = world.cast
    for principal in ("sponsor", "core_team", "admin"):
        plan_services.save_plan(cast.viewer(principal), cast.program, notes=principal)
    for principal in ("account_owner", "observer"):
        with pytest.raises(PermissionDenied):
            plan_services.save_plan(cast.viewer(principal), cast.program, notes="no")
    with pytest.raises(PermissionDenied):  # not on the team of the other program
        plan_services.save_plan(cast.viewer("core_team"), cast.other_program, notes="no")


def _new_organisation(world: w.World, name: str) -> Contact:
    cast = world.cast
    customer = Customer.objects.create(workspace=cast.acme, name=name)
    return Contact.objects.create(
        workspace=cast.acme, customer=customer, name=f"Zed of {name}", email="zed@huge.test"
    )


def _names(world: w.World) -> dict[str, set[str]]:
    """The organisations each reader of the plan lists."""
    cast = world.cast
    with clock.frozen(at(date(2027, 1, 20))):
        rows = plan.plan_rows(cast.viewer("admin"), cast.program)
        return {
            "compute": {r.customer.name for r in plan.compute(cast.program)},
            "rows": {c.name for c in rows},
            "taking_part": set(
                Customer.objects.filter(
                    pk__in=plan.taking_part(cast.program.pk, cast.acme.pk)
                ).values_list("name", flat=True)
            ),
            "edit": {c.name for c in plan.customers_taking_part(cast.program)},
        }


def test_only_insights_on_the_map_make_a_customer_take_part(world: w.World) -> None:
    """A candidate waiting for review, a discarded or withdrawn row is nobody's input: it puts
    no organisation on the plan; an accepted card, or a note merged into one, does."""
    zed = _new_organisation(world, "Huge Notes Co")
    note = w.said(world, "I was never invited", contact=zed)
    for status in ("candidate", "discarded", "withdrawn"):
        Insight.objects.filter(pk=note.pk).update(status=status)
        for reader, names in _names(world).items():
            assert "Huge Notes Co" not in names, (status, reader)
    with pytest.raises(ValidationFailed):  # nor may it be given a teller
        plan_services.save_plan(
            world.cast.viewer("admin"),
            world.cast.program,
            tellers={zed.customer_id: world.cast.users["core_team"].pk},
        )
    # Merged into a card that is on the map: its words are in it.
    Insight.objects.filter(pk=note.pk).update(status="merged", merged_into=world.card)
    for reader, names in _names(world).items():
        assert "Huge Notes Co" in names, reader
    # Merged into a card discarded since: nobody's input any more.
    Insight.objects.filter(pk=world.card.pk).update(status="discarded")
    assert "Huge Notes Co" not in _names(world)["rows"]
    Insight.objects.filter(pk=note.pk).update(status="accepted", merged_into=None)
    for reader, names in _names(world).items():
        assert "Huge Notes Co" in names, reader
    row = {r.customer.name: r for r in plan.compute(world.cast.program, today=date(2027, 1, 20))}
    assert row["Huge Notes Co"].due_because == plan.Due.AFTER_SESSION


def test_the_plan_reads_the_same_queries_however_many_candidates_wait(world: w.World) -> None:
    """A large import waiting for review changes neither who is on the plan nor how many
    queries reading it takes."""
    cast = world.cast
    zed = _new_organisation(world, "Huge Notes Co")

    def read() -> tuple[set[str], int]:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with clock.frozen(at(date(2027, 1, 20))), CaptureQueriesContext(connection) as q:
            names = {r.customer.name for r in plan.compute(cast.program)}
            rows = plan.plan_rows(cast.viewer("admin"), cast.program)
            names |= {c.name for c in rows}
            plan.summary(rows, 90)
        return names, len(q.captured_queries)

    before, queries = read()
    Insight.objects.bulk_create(
        Insight(
            workspace=cast.acme,
            program=cast.program,
            session=world.session,
            kind="idea",
            text=f"note {i}",
            speaker_contact=zed,
            customer=zed.customer,
            status="candidate",
            source="import",
        )
        for i in range(500)
    )
    after, again = read()
    assert after == before == {"Globex", "Initech"}
    assert again == queries
