"""Deliveries recorded while an organisation's delivery update is unsent are folded into it:
one message per organisation, not one per delivery (docs/loop.md, "Deliveries"). An
untouched draft is drafted again about every delivery; a text someone edited keeps its words
and gets the new delivery before its closing; an update waiting for approval is asked again
(a new version); a sent or approved one is never changed, and the next delivery starts a new
draft. The "did it work for you?" priorities are those of every delivery."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from django.core import mail
from django.test import Client

from traction.core import clock
from traction.core.models import AuditEvent
from traction.insights.models import Insight
from traction.loop import drafting, mailer
from traction.loop.models import Approval, Delivery, Update, UpdateState
from traction.loop.services import deliveries as delivery_services
from traction.loop.services import updates
from traction.loop.services.deliveries import Entry

from . import world as w

NOW = w.NOW  # the shared ``world`` fixture (conftest.py) freezes the clock here

pytestmark = pytest.mark.django_db


def deliver(world: w.World, title: str, on: date, *cards: Insight) -> None:
    cast = world.cast
    entry = Entry(on=on, title=title, priorities=tuple(c.pk for c in cards or [world.card]))
    with clock.frozen(NOW):
        delivery_services.record_delivery(
            cast.viewer("facilitator"), cast.program, entry, source="manual"
        )


def globex(world: w.World) -> list[Update]:
    return list(Update.objects.filter(kind="delivery", customer=world.cast.customer).order_by("pk"))


def test_a_second_delivery_folds_into_the_untouched_draft(world: w.World) -> None:
    mail.outbox.clear()
    deliver(world, "One-page approval", date(2027, 1, 10))
    deliver(world, "Approval by email", date(2027, 1, 15))
    [draft] = globex(world)
    assert draft.state == UpdateState.DRAFT
    assert draft.subject == "Done: One-page approval and 1 more"
    first = draft.body.index("On 10 January 2027 we delivered “One-page approval”.")
    second = draft.body.index("On 15 January 2027 we delivered “Approval by email”.")
    assert first < second < draft.body.index("It answers what you told us")
    assert draft.body.count("Invoice approval takes three weeks") == 1
    assert sorted(d.title for d in draft.deliveries.all()) == [
        "Approval by email",
        "One-page approval",
    ]
    # Initech (Ian voted on the card) gets one folded draft too; nobody is mailed.
    initech = Update.objects.filter(kind="delivery", customer=world.cast.other_customer)
    assert initech.count() == 1
    assert mail.outbox == []
    assert AuditEvent.objects.filter(
        action="loop.update_delivery_folded", object_id=str(draft.pk)
    ).exists()


def test_an_edited_draft_keeps_its_words_and_takes_the_delivery_before_its_closing(
    world: w.World,
) -> None:
    deliver(world, "One-page approval", date(2027, 1, 10))
    [draft] = globex(world)
    fran = world.cast.viewer("facilitator")
    mine = "Dear Gina,\n\nWe heard you. Here is what changed.\n\n" + drafting.CLOSING
    with clock.frozen(NOW):
        updates.edit(fran, draft, subject="News from us", body=mine)
    quiet = world.quiet  # Initech's idea: not Globex's, never in Globex's update
    deliver(world, "Approval by email", date(2027, 1, 15), world.card, quiet)
    draft.refresh_from_db()
    assert draft.subject == "News from us"
    assert draft.body.startswith("Dear Gina,\n\nWe heard you. Here is what changed.\n\n")
    assert draft.body.index("On 15 January 2027 we delivered “Approval by email”.") < (
        draft.body.index(drafting.CLOSING)
    )
    assert "Invoice approval takes three weeks" in draft.body
    assert quiet.text not in draft.body
    assert draft.version == 3  # drafted, edited, folded


def test_an_update_waiting_for_approval_is_asked_again(world: w.World) -> None:
    deliver(world, "One-page approval", date(2027, 1, 10))
    [draft] = globex(world)
    with clock.frozen(NOW):
        updates.submit(world.cast.viewer("facilitator"), draft)
    [asked] = Approval.objects.filter(update=draft)
    deliver(world, "Approval by email", date(2027, 1, 15))
    draft.refresh_from_db()
    asked.refresh_from_db()
    assert asked.superseded_at is not None
    fresh = Approval.objects.get(update=draft, superseded_at__isnull=True)
    assert fresh.version == draft.version == 2
    assert draft.state == UpdateState.AWAITING
    assert "Approval by email" in fresh.snapshot["body"]


def test_an_approved_or_sent_update_is_never_changed_the_next_delivery_starts_a_draft(
    world: w.World,
) -> None:
    deliver(world, "One-page approval", date(2027, 1, 10))
    [first] = globex(world)
    fran = world.cast.viewer("facilitator")
    with clock.frozen(NOW):
        updates.submit(fran, first)
        [a] = Approval.objects.filter(update=first)
        updates.approve(world.cast.viewer("account_owner"), a)
    first.refresh_from_db()
    before = (first.subject, first.body, first.version, first.state)
    deliver(world, "Approval by email", date(2027, 1, 15))
    first.refresh_from_db()
    assert (first.subject, first.body, first.version, first.state) == before
    old, new = globex(world)
    assert old.pk == first.pk
    assert new.subject == "Done: Approval by email"
    # Recorded again (a re-import): neither update takes it twice.
    deliver(world, "Approval by email", date(2027, 1, 15))
    assert len(globex(world)) == 2


def test_did_it_work_asks_about_every_folded_delivery(world: w.World) -> None:
    other = w.elsewhere(world, "Approvals get lost in email")
    other.customer = world.cast.customer  # Globex raised it too
    other.save(update_fields=["customer"])
    deliver(world, "One-page approval", date(2027, 1, 10))
    deliver(world, "Approval by email", date(2027, 1, 15), other)
    [draft] = globex(world)
    assert set(mailer.delivered_priority_ids(draft)) == {world.card.pk, other.pk}


def test_the_api_lists_every_delivery_of_a_folded_update(
    world: w.World, api_client_for: Callable[[str], Client]
) -> None:
    deliver(world, "One-page approval", date(2027, 1, 10))
    deliver(world, "Approval by email", date(2027, 1, 15))
    [draft] = globex(world)
    body = api_client_for("facilitator").get(f"/api/v1/updates/{draft.pk}").json()
    titles = dict(Delivery.objects.values_list("pk", "title"))
    assert [titles[i] for i in body["delivery_ids"]] == ["One-page approval", "Approval by email"]
    assert titles[body["delivery_id"]] == "One-page approval"
