"""Erasing a contact reaches the loop's records: Gina of Globex raised and voted on a card,
received a sent update whose drafted body names her, replied and answered "did it work for
you?" (comments naming her and quoting her address), followed a priority, unsubscribed, was
listed in an approval's snapshot, and her mail provider reported a bounce quoting her address.
After her erasure no text or JSON column of any loop model holds her name or address; every
row is kept; the counts are audited without the erased values; and no later send reaches
her."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.apps import apps
from django.core import mail
from django.db import models
from django.test import Client
from django.urls import reverse

from traction.core import clock
from traction.core.models import AuditEvent
from traction.customers import services as customer_services
from traction.customers.models import Contact
from traction.loop import bounce_parsers, erasure, mailer
from traction.loop.models import (
    Approval,
    Feedback,
    Follow,
    MailBounce,
    MessageState,
    PriorityStatus,
    Reply,
    Unsubscribe,
    Update,
    UpdateRecipient,
    UpdateState,
)
from traction.loop.services import bounces, responses, subscriptions, updates

from . import world as w

NOW = datetime(2027, 1, 20, 9, 0, tzinfo=UTC)
ERASED_VALUES = ("gina", "globex.test")  # her name (any part) and her address's domain

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast: object) -> Iterator[w.World]:
    with clock.frozen(NOW):
        yield w.build(cast)  # type: ignore[arg-type]


def loop_texts() -> list[tuple[str, int, str, str]]:
    """(model, pk, column, value) of every text and JSON column of every loop model, every
    row (choices included: the scan trusts nothing)."""
    found = []
    for model in apps.get_app_config("loop").get_models():
        fields = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        for row in model._base_manager.values("pk", *fields):
            for f in fields:
                value = row[f]
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                found.append((model._meta.label, row["pk"], f, text))
    return found


def traces(values: tuple[str, ...] = ERASED_VALUES) -> list[tuple[str, int, str, str]]:
    return [t for t in loop_texts() if any(v in t[3].lower() for v in values)]


def row_counts() -> dict[str, int]:
    return {
        m._meta.label: m._base_manager.count() for m in apps.get_app_config("loop").get_models()
    }


def globex_update(world: w.World) -> Update:
    cast = world.cast
    return updates.compose(
        cast.viewer("facilitator"), cast.program, audience="customer", customer_id=cast.customer.pk
    )


def sent_to_gina(world: w.World) -> Update:
    """A customer update drafted from the data (it names her), approved by Owen, sent, and
    its message to Gina delivered (locmem)."""
    cast = world.cast
    fran, owen = cast.viewer("facilitator"), cast.viewer("account_owner")
    update = globex_update(world)
    assert "Gina Globex told us" in update.body
    updates.edit(
        fran,
        update,
        subject="What came of Gina Globex's input",
        body=update.body + "\nQuestions? Gina Globex can write to us from gina@globex.test.\n",
    )
    updates.submit(fran, update)
    [approval] = Approval.objects.filter(update=update, superseded_at__isnull=True)
    updates.approve(owen, approval)
    update.refresh_from_db()
    updates.send(fran, update)
    [row] = UpdateRecipient.objects.filter(update=update)
    assert mailer.send_one(row.pk) == MessageState.SENT
    return update


def gina_everywhere(world: w.World) -> dict[str, Any]:
    cast = world.cast
    fran, owen = cast.viewer("facilitator"), cast.viewer("account_owner")
    gina = cast.contact
    PriorityStatus.objects.create(
        workspace=cast.acme, program=cast.program, priority=world.card, status="delivered",
        customer_reason="Delivered after Gina Globex's session.",
        proposed_by=cast.users["facilitator"], published_at=clock.now(),
        published_by=cast.users["facilitator"],
    )  # fmt: skip
    sent = sent_to_gina(world)
    row = UpdateRecipient.objects.get(update=sent, contact=gina)
    assert (row.name, row.email) == ("Gina Globex", "gina@globex.test")
    as_gina = responses.principal_of(row)
    responses.reply(as_gina, row, "Gina Globex here: thanks! Write to gina@globex.test.")
    responses.give_feedback(
        as_gina, row, priority_id=world.card.pk, answer="partly",
        comment="Partly, says Gina Globex (gina@globex.test).",
    )  # fmt: skip
    subscriptions.add_follower(
        fran, contact=gina, priority_id=world.quiet.pk, why="Gina Globex asked on the phone."
    )
    # A second update waits for Owen: its snapshot lists her, its text names her.
    waiting = globex_update(world)
    updates.submit(fran, waiting)
    [asked] = Approval.objects.filter(update=waiting, superseded_at__isnull=True)
    assert [r["email"] for r in asked.snapshot["recipients"]] == ["gina@globex.test"]
    assert "Gina Globex" in asked.snapshot["body"]
    # A draft names her too.
    draft = globex_update(world)
    subscriptions.record_unsubscribe(
        owen, contact=gina, scope="priority", priority_id=world.card.pk,
        why="Gina Globex asked us to stop.",
    )  # fmt: skip
    # Her mail provider's bounce, through the workspace's bounce URL's service: it quotes her
    # address in the message's error, the bounce record and why she is unreachable.
    box, _secret = bounces.rotate(cast.viewer("admin"))
    row.refresh_from_db()
    report = bounce_parsers.Report(
        bounce_parsers.PERMANENT,
        "gina@globex.test",
        row.message_id,
        "550 5.1.1 <gina@globex.test>: mailbox full",
    )
    assert bounces.receive(box, "postmark", bounce_parsers.Parsed(reports=[report])).flagged
    return {"sent": sent, "waiting": waiting, "asked": asked, "draft": draft}


def test_erasing_a_contact_leaves_no_trace_in_the_loop_and_keeps_every_row(
    world: w.World,
) -> None:
    cast = world.cast
    with clock.frozen(NOW):
        made = gina_everywhere(world)
    before = row_counts()
    assert before["loop.Reply"] == before["loop.Feedback"] == 1
    assert before["loop.Follow"] == before["loop.Unsubscribe"] == 1
    assert traces(), "the scenario puts her name and address in loop rows"
    draft_version = made["draft"].version
    waiting_version = made["waiting"].version
    with clock.frozen(NOW + timedelta(days=1)):
        erased = customer_services.erase_contact(
            cast.viewer("admin"), contact=cast.contact, reason="Gina Globex asked us to."
        )
    tombstone, address = erased.name, erased.email
    assert traces() == []
    assert row_counts() == before  # history is evidence: nothing deleted
    # The sent update stays sent, rewritten only where it named her.
    sent = Update.objects.get(pk=made["sent"].pk)
    assert sent.state == UpdateState.SENT
    assert f"{tombstone} told us" in sent.body
    assert f"{tombstone} can write to us from {address}." in sent.body
    assert sent.subject == f"What came of {tombstone}'s input"
    row = UpdateRecipient.objects.get(update=sent)
    assert (row.name, row.email, row.state) == (tombstone, address, MessageState.BOUNCED)
    # Her replies and comments stay, with her name and address replaced.
    assert Reply.objects.get().text == f"{tombstone} here: thanks! Write to {address}."
    assert Feedback.objects.get().comment == f"Partly, says {tombstone} ({address})."
    assert Follow.objects.get().why == f"{tombstone} asked on the phone."
    assert Unsubscribe.objects.get().contact_id == cast.contact.pk
    # The approval waiting for Owen lists the tombstone, and still counts for its version.
    asked = Approval.objects.get(pk=made["asked"].pk)
    assert asked.snapshot["recipients"][0]["name"] == tombstone
    assert asked.snapshot["recipients"][0]["email"] == address
    assert Update.objects.get(pk=made["waiting"].pk).version == waiting_version == asked.version
    # A draft moves to its next version: an edit form opened before cannot put her back.
    assert Update.objects.get(pk=made["draft"].pk).version == draft_version + 1
    assert Contact.objects.get(pk=cast.contact.pk).unreachable_reason == (
        f"Bounced (postmark): 550 5.1.1 <{address}>: mailbox full"
    )
    assert row.last_error == f"Bounced: 550 5.1.1 <{address}>: mailbox full"
    assert MailBounce.objects.get().contact_id == cast.contact.pk  # the report stays
    # Audited once, with the loop's counts and none of the erased values.
    [event] = AuditEvent.objects.filter(action="insights.contact_erased")
    assert event.changes["loop.messages_renamed"] == 1  # the sent message
    assert event.changes["loop.update"] == 3
    assert event.changes["loop.reply"] == event.changes["loop.feedback"] == 1
    assert event.changes["loop.unreachable_reasons"] == 1
    everything = AuditEvent.objects.filter(workspace=cast.acme)
    for e in everything.values("object_repr", "changes", "reason"):
        assert not any(v in json.dumps(e).lower() for v in ("gina globex", "gina@globex")), e


def test_no_later_send_reaches_an_erased_contact(world: w.World) -> None:
    cast = world.cast
    fran, owen = cast.viewer("facilitator"), cast.viewer("account_owner")
    with clock.frozen(NOW):
        w.approved(world)
        PriorityStatus.objects.create(
            workspace=cast.acme, program=cast.program, priority=world.card, status="delivered",
            proposed_by=cast.users["facilitator"], published_at=clock.now(),
            published_by=cast.users["facilitator"],
        )  # fmt: skip
        # Approved and sent, its message still queued when she is erased.
        queued = globex_update(world)
        updates.submit(fran, queued)
        updates.approve(owen, Approval.objects.get(update=queued))
        queued.refresh_from_db()
        updates.send(fran, queued)
        # Waiting for approval when she is erased.
        waiting = globex_update(world)
        updates.submit(fran, waiting)
        customer_services.erase_contact(cast.viewer("admin"), contact=cast.contact, reason="Asked.")
        mail.outbox.clear()
        row = UpdateRecipient.objects.get(update=queued)
        assert (row.state, row.last_error) == (MessageState.SKIPPED, erasure.STOPPED)
        assert mailer.send_one(row.pk) == ""  # nothing to claim
        # The owner approves the list after the erasure: the message is skipped, not sent.
        updates.approve(owen, Approval.objects.get(update=waiting))
        waiting.refresh_from_db()
        updates.send(fran, waiting)
        [late] = UpdateRecipient.objects.filter(update=waiting)
        assert late.email.endswith("@erased.invalid")
        assert mailer.send_one(late.pk) == MessageState.SKIPPED
        assert mail.outbox == []
        # A new update leaves her out, saying why.
        found = {c.contact.pk: c.excluded for c in updates.candidates(globex_update(world))}
        assert found[cast.contact.pk] == "Erased"


def test_every_loop_model_is_reached_by_the_erasure() -> None:
    """A loop model with text the erasure cannot place in a workspace would keep a name."""
    for model in apps.get_app_config("loop").get_models():
        if erasure.texts_of(model):
            assert erasure.in_workspace(model, 1) is not None, model
    assert "name" in erasure.texts_of(UpdateRecipient)
    assert "email" in erasure.texts_of(UpdateRecipient)
    assert "state" not in erasure.texts_of(UpdateRecipient)
    assert {"subject", "body", "sources"} <= set(erasure.texts_of(Update))


def test_the_erasure_costs_the_same_queries_whatever_the_rows_not_naming_them(
    world: w.World,
) -> None:
    """The loop's step asks the database for the rows that mention the contact and writes
    only those: with 1 or 30 sent updates that do not name her it costs the same queries."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from traction.customers.models import tombstone
    from traction.insights.erasure import Erasing

    from . import mail_world as mw

    cast = world.cast
    gina = Contact.objects.get(pk=cast.contact.pk)
    name, email = tombstone(gina.pk)
    free = {gina.name: name, gina.email: email}
    gina.name, gina.email = name, email  # as the customers app leaves it before the step
    mw.sent_update(world, [cast.contact], body="Gina Globex told us. Write to gina@globex.test.")

    class Undo(Exception):
        pass

    def queries_of_the_step() -> int:
        try:
            with transaction.atomic():
                with CaptureQueriesContext(connection) as queries:
                    counts = erasure.erase(Erasing(gina, cast.acme.pk, set(), free, set(), name))
                assert counts["loop.update"] == 1
                assert traces() == []
                raise Undo
        except Undo:
            pass
        return len(queries)

    mw.sent_update(world, [cast.other_contact], body="Ian Initech told us.")
    few = queries_of_the_step()
    assert traces()  # undone: her name is back for the second measure
    for i in range(29):
        mw.sent_update(world, [cast.other_contact], subject=f"Update {i}", body="Ian told us.")
    assert queries_of_the_step() == few


def test_after_erasure_through_the_api_pages_and_the_api_show_only_the_tombstone(
    world: w.World,
    client_for: Callable[[str], Client],
    api_client_for: Callable[[str], Client],
) -> None:
    cast = world.cast
    with clock.frozen(NOW):
        made = gina_everywhere(world)
    admin = api_client_for("admin")
    with clock.frozen(NOW + timedelta(days=1)):
        erased = admin.post(
            f"/api/v1/contacts/{cast.contact.pk}/erase",
            {"reason": "Gina Globex asked us to."},
            content_type="application/json",
        )
    assert erased.status_code == 200, erased.content
    tombstone = erased.json()["name"]
    fran, owen = client_for("facilitator"), client_for("account_owner")
    api = api_client_for("facilitator")
    shown = []
    for key in ("sent", "waiting", "draft"):
        update_id = made[key].pk
        page = reverse(
            "loop:update", kwargs={"workspace_slug": cast.acme.slug, "update_id": update_id}
        )
        # Owen sees what was asked of him or sent, not a draft.
        for client in (fran, owen) if key != "draft" else (fran,):
            response = client.get(page)
            assert response.status_code == 200
            shown.append(response.content.decode())
        shown.append(api.get(f"/api/v1/updates/{update_id}").content.decode())
    shown.append(api.get(f"/api/v1/updates/{made['sent'].pk}/messages").content.decode())
    for text in shown:
        # A page's random CSRF token may spell "gina" by chance: it is no one's words.
        words = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", text).lower()
        assert not any(v in words for v in ERASED_VALUES), text[:3000]
    assert tombstone in shown[0]  # the sent update's page: "Erased contact N told us"
    assert tombstone in shown[-1]  # its message's recipient
