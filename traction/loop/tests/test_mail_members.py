"""The members' side of delivery and subscriptions: the update page's "Delivery" section
(each message's outcome, "Retry failed now", resending an unknown one), the contact page's
"What they hear" section and its actions (unsubscribe and follow on their behalf, with why;
unreachable and reachable again; a fixed email clears unreachable), bounces reported
through the API, and who may do each."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.template.loader import render_to_string
from django.test import Client, RequestFactory

from traction.core import clock, sections
from traction.core.models import AuditEvent
from traction.core.testing.cast import Cast
from traction.customers import services as customer_services
from traction.customers.models import Contact
from traction.loop import audience, mailer
from traction.loop.models import Follow, MessageState, Unsubscribe, UpdateRecipient

from . import mail_world as mw

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast: Cast) -> mw.MailWorld:
    return mw.build(cast)


def contact_page(cast: Cast, contact_id: int) -> str:
    return f"/w/{cast.acme.slug}/customers/contacts/{contact_id}/edit/"


def test_the_delivery_section_lists_outcomes_and_retries_failed_now(
    world: mw.MailWorld,
    client_for: Callable[[str], Client],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    cast = world.cast
    mailer.deliver(world.update.pk)  # the locmem backend takes both
    UpdateRecipient.objects.filter(pk=world.ian.pk).update(
        state=MessageState.FAILED,
        last_error="Not delivered yet: the mail server answered 451 try later.",
        next_attempt_at=clock.now() + timedelta(hours=1),
    )
    fran = cast.viewer("facilitator")
    [section] = [
        s for s in sections.for_page("loop-update", fran, world.update) if s["key"] == "delivery"
    ]
    request = RequestFactory().get("/somewhere/")
    request.workspace = cast.acme  # type: ignore[attr-defined]
    html = render_to_string(
        section["template"], {"section": section["context"], "request": request}
    )
    assert "Accepted by the mail server" in html
    assert "451 try later" in html
    assert "Retry failed now" in html
    # The observer is not in the program's team: no delivery section.
    seen = sections.for_page("loop-update", cast.viewer("observer"), world.update)
    assert "delivery" not in [s["key"] for s in seen]

    mail.outbox.clear()
    retry = f"/w/{cast.acme.slug}/loop/updates/{world.update.pk}/mail/retry/"
    assert client_for("observer").post(retry).status_code in (403, 404)
    with django_capture_on_commit_callbacks(execute=True):
        done = client_for("facilitator").post(retry, {"next": "/elsewhere/"})
    assert done.status_code == 302
    assert [m.to for m in mail.outbox] == [["Ian Initech <ian@initech.test>"]]
    assert UpdateRecipient.objects.get(pk=world.ian.pk).state == MessageState.SENT
    assert AuditEvent.objects.filter(action="loop.messages_retried").count() == 1
    # An off-site "next" is ignored.
    evil = client_for("facilitator").post(retry, {"next": "https://evil.test/"})
    assert evil["Location"] == retry


def test_the_contact_section_shows_why_they_hear_and_records_changes(
    world: mw.MailWorld, client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    owen = client_for("account_owner")  # Globex's account owner
    page = owen.get(contact_page(cast, cast.contact.pk)).content.decode()
    assert "What they hear" in page
    assert "Invoice approval takes three weeks" in page
    assert "Their words are in it" in page
    assert "They voted on it" in page

    base = f"/w/{cast.acme.slug}/loop/contacts/{cast.contact.pk}"
    # Why is required.
    owen.post(f"{base}/unsubscribe/", {"scope": "all", "why": ""})
    assert not Unsubscribe.objects.exists()
    owen.post(
        f"{base}/unsubscribe/",
        {"scope": "priority", "priority": world.base.card.pk, "why": "Asked on the phone"},
    )
    stop = Unsubscribe.objects.get()
    assert (stop.scope, stop.priority_id, stop.recorded_by_id) == (
        "priority",
        world.base.card.pk,
        cast.users["account_owner"].pk,
    )
    event = AuditEvent.objects.get(action="loop.unsubscribed")
    assert event.reason == "Asked on the phone"
    found = {
        c.contact.name: c
        for c in audience.audience(cast.program.pk, priority_ids=[world.base.card.pk])
    }
    assert found["Gina Globex"].excluded.startswith("Unsubscribed from these priorities")
    page = owen.get(contact_page(cast, cast.contact.pk)).content.decode()
    assert "recorded by" in page

    # A follow on their behalf, made after the unsubscribe, brings that priority back.
    owen.post(f"{base}/follow/", {"priority": world.base.card.pk, "why": "Asked in the QBR"})
    follow = Follow.objects.get()
    assert (follow.added_by_id, follow.why) == (cast.users["account_owner"].pk, "Asked in the QBR")
    found = {
        c.contact.name: c
        for c in audience.audience(cast.program.pk, priority_ids=[world.base.card.pk])
    }
    assert found["Gina Globex"].included

    # Unreachable, then reachable again.
    owen.post(f"{base}/unreachable/", {"reason": "Mailbox full for weeks"})
    gina = Contact.objects.get(pk=cast.contact.pk)
    assert gina.unreachable_reason == "Mailbox full for weeks"
    owen.post(f"{base}/reachable/")
    assert Contact.objects.get(pk=cast.contact.pk).unreachable_at is None
    assert AuditEvent.objects.filter(action="contact.reachable").count() == 1

    # Ian is not Owen's customer's contact: nothing of his, nothing changes.
    other = f"/w/{cast.acme.slug}/loop/contacts/{cast.other_contact.pk}"
    assert owen.post(f"{other}/unreachable/", {"reason": "x"}).status_code in (403, 404)
    assert Contact.objects.get(pk=cast.other_contact.pk).unreachable_at is None


def test_fixing_the_email_clears_unreachable(world: mw.MailWorld) -> None:
    cast = world.cast
    mailer.flag_unreachable(None, cast.contact.pk, "Mail refused")
    gina = Contact.objects.get(pk=cast.contact.pk)
    customer_services.update_contact(
        cast.viewer("facilitator"), contact=gina, changes={"name": "Gina G."}
    )
    assert Contact.objects.get(pk=cast.contact.pk).unreachable_at is not None  # same address
    gina.refresh_from_db()
    customer_services.update_contact(
        cast.viewer("facilitator"), contact=gina, changes={"email": "gina.new@globex.test"}
    )
    assert Contact.objects.get(pk=cast.contact.pk).unreachable_at is None


def test_a_bounce_reported_through_the_api_flags_the_contact(
    world: mw.MailWorld, api_client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    mailer.deliver(world.update.pk)
    gina = UpdateRecipient.objects.get(pk=world.gina.pk)
    assert gina.message_id
    api = api_client_for("facilitator")
    refused = api_client_for("core_team").post(
        "/api/v1/mail/bounces",
        {"message_id": gina.message_id, "reason": "550 user unknown"},
        content_type="application/json",
    )
    assert refused.status_code == 403
    answer = api.post(
        "/api/v1/mail/bounces",
        {"message_id": gina.message_id, "reason": "550 user unknown"},
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content
    assert answer.json() == {"messages": [gina.pk], "flagged_contact_ids": [cast.contact.pk]}
    gina.refresh_from_db()
    assert gina.state == MessageState.BOUNCED
    assert Contact.objects.get(pk=cast.contact.pk).unreachable_at is not None
    nothing = api.post(
        "/api/v1/mail/bounces",
        {"email": "nobody@nowhere.test", "reason": "550"},
        content_type="application/json",
    )
    assert nothing.status_code == 404
    missing = api.post("/api/v1/mail/bounces", {"reason": "550"}, content_type="application/json")
    assert missing.status_code == 422
    # The messages list says so.
    rows = api.get(f"/api/v1/updates/{world.update.pk}/messages").json()
    assert {r["name"]: r["state"] for r in rows} == {
        "Gina Globex": "bounced",
        "Ian Initech": "sent",
    }


def test_subscriptions_through_the_api(
    world: mw.MailWorld, api_client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    api = api_client_for("account_owner")
    base = f"/api/v1/contacts/{cast.contact.pk}"
    got = api.get(f"{base}/subscriptions").json()
    [sub] = got["subscriptions"]
    assert sub["priority_id"] == world.base.card.pk
    assert [w["reason"] for w in sub["whys"]] == ["raiser", "voter"]
    made = api.post(
        f"{base}/unsubscribes",
        {"scope": "program", "program_id": cast.program.pk, "why": "Asked by email"},
        content_type="application/json",
    )
    assert made.status_code == 201
    assert made.json()[0]["scope"] == "program"
    bad = api.post(
        f"{base}/unsubscribes", {"scope": "all", "why": ""}, content_type="application/json"
    )
    assert bad.status_code == 422
    # Her own card she hears about as its raiser: a follow of it is refused (422).
    refused = api.post(
        f"{base}/follows",
        {"priority_id": world.base.card.pk, "why": "Steering meeting"},
        content_type="application/json",
    )
    assert refused.status_code == 422
    assert "they raised it" in refused.json()["detail"][0]["msg"]
    # Ian's idea, on her ballot in the session: she may follow it (Fran sees Initech's card).
    followed = api_client_for("facilitator").post(
        f"{base}/follows",
        {"priority_id": world.base.quiet.pk, "why": "Steering meeting"},
        content_type="application/json",
    )
    assert followed.status_code == 201
    assert api.delete(f"{base}/follows/{world.base.quiet.pk}").status_code == 204
    assert Follow.objects.get().ended_at is not None
    assert (
        api.post(
            f"{base}/unreachable", {"reason": "Bounced"}, content_type="application/json"
        ).json()["unreachable_reason"]
        == "Bounced"
    )
    assert api.post(f"{base}/reachable").json()["unreachable_at"] is None
    # Another customer's contact: not Owen's.
    assert api.get(f"/api/v1/contacts/{cast.other_contact.pk}/subscriptions").status_code in (
        403,
        404,
    )


def test_traction_remind_sends_what_is_due(world: mw.MailWorld) -> None:
    from traction.core import periodic

    assert "loop.updates_mail" in {p.name for p in periodic.jobs()}
    mail.outbox.clear()
    done = periodic.run_all()["loop.updates_mail"]
    assert done["sent"] == 2
    assert len(mail.outbox) == 2
    assert periodic.run_all()["loop.updates_mail"]["sent"] == 0  # idempotent
    assert len(mail.outbox) == 2


def test_each_action_on_a_contact_says_what_it_did_or_why_not(
    world: mw.MailWorld, client_for: Callable[[str], Client]
) -> None:
    """The contact page's actions share one helper: each goes back to the contact's page
    with its own message; a form's error or a service's refusal is shown as a message."""
    from django.contrib.messages import get_messages

    cast = world.cast
    owen = client_for("account_owner")
    base = f"/w/{cast.acme.slug}/loop/contacts/{cast.contact.pk}"
    back = contact_page(cast, cast.contact.pk)

    def said(path: str, data: dict[str, object] | None = None) -> list[str]:
        response = owen.post(f"{base}/{path}/", data or {})
        assert response.status_code == 302
        assert response["Location"] == back
        shown = owen.get(back)  # the contact's page shows (and uses up) the messages
        return [str(m) for m in get_messages(shown.wsgi_request)]

    card = world.base.card.pk
    assert said("unsubscribe", {"scope": "all", "why": ""}) == ["Why: This field is required."]
    assert said("unsubscribe", {"scope": "priority", "priority": card, "why": "Phone"}) == [
        "Recorded: Gina Globex hears no more of it."
    ]
    assert said("unsubscribe", {"scope": "priority", "priority": card, "why": "Phone"}) == [
        "That unsubscribe was recorded already."
    ]
    assert said("follow", {"priority": card, "why": "QBR"}) == [
        "Gina Globex now follows that priority."
    ]
    assert said(f"unfollow/{card}") == ["Gina Globex no longer follows that priority."]
    assert said("unreachable", {"reason": ""}) == ["Reason: This field is required."]
    assert said("unreachable", {"reason": "Mailbox full"}) == [
        "Gina Globex is marked unreachable: no mail goes to them."
    ]
    assert said("reachable") == ["Gina Globex is reachable again."]


def test_a_member_makes_a_contact_follow_only_cards_they_could_see(
    world: mw.MailWorld, api_client_for: Callable[[str], Client]
) -> None:
    """Following shows the card in the contact's portal and puts them in its audience: only a
    card they or their organisation raised, they voted on, or of a session they took part
    in. Initech's card of a session nobody of Globex was in is refused, by name of the
    field."""
    from traction.core.errors import ValidationFailed
    from traction.loop.services import subscriptions

    from . import world as w

    cast = world.cast
    far = w.elsewhere(world.base)
    fran = cast.viewer("facilitator")
    with pytest.raises(ValidationFailed) as refused:
        subscriptions.add_follower(fran, contact=cast.contact, priority_id=far.pk, why="Asked")
    [message] = refused.value.errors["priority_id"]
    assert "Gina Globex has not seen this priority" in message
    assert not Follow.objects.exists()
    api = api_client_for("facilitator")
    answer = api.post(
        f"/api/v1/contacts/{cast.contact.pk}/follows",
        {"priority_id": far.pk, "why": "Asked"},
        content_type="application/json",
    )
    assert answer.status_code == 422
    [problem] = answer.json()["detail"]
    assert problem["loc"][-1] == "priority_id"
    assert "has not seen this priority" in problem["msg"]
    assert not Follow.objects.exists()
    # Ian's idea in the session Gina voted in: she saw it on her ballot.
    subscriptions.add_follower(
        fran, contact=cast.contact, priority_id=world.base.quiet.pk, why="Asked"
    )
    # Ian raised the far card himself: he hears about it already, so no follow is stored.
    with pytest.raises(ValidationFailed) as raised:
        subscriptions.add_follower(
            fran, contact=cast.other_contact, priority_id=far.pk, why="Asked"
        )
    assert raised.value.errors == {
        "priority_id": ["Ian Initech hears about this already: they raised it."]
    }
    assert sorted(Follow.objects.values_list("contact_id", "priority_id")) == [
        (cast.contact.pk, world.base.quiet.pk)
    ]


def test_an_unsubscribe_names_only_what_the_member_may_see(
    world: mw.MailWorld,
    client_for: Callable[[str], Client],
    api_client_for: Callable[[str], Client],
) -> None:
    """Attacker's review: an account owner recorded an unsubscribe of their contact from any
    card number or program of the workspace, and the contact page then printed that card's
    text (another customer's words, an internal remark) or that program's name. Now the card
    and the program must be ones the member may see; one recorded by someone else that they
    may not see is listed without its text or name."""
    from traction.loop.services import subscriptions

    from . import world as w

    cast = world.cast
    far = w.elsewhere(world.base, text="Initech audits every approval trail")
    base = f"/api/v1/contacts/{cast.contact.pk}/unsubscribes"
    api = api_client_for("account_owner")
    for body, field in [
        ({"scope": "priority", "priority_id": far.pk}, "priority"),
        ({"scope": "program", "program_id": cast.other_program.pk}, "program"),
    ]:
        answer = api.post(base, {**body, "why": "Asked"}, content_type="application/json")
        assert answer.status_code == 422, answer.content
        assert answer.json()["detail"][0]["loc"][-1] == field
    owen = client_for("account_owner")
    form = f"/w/{cast.acme.slug}/loop/contacts/{cast.contact.pk}/unsubscribe/"
    owen.post(form, {"scope": "priority", "priority": far.pk, "why": "Asked"})
    owen.post(form, {"scope": "program", "program": cast.other_program.pk, "why": "Asked"})
    assert not Unsubscribe.objects.exists()
    # Recorded by an admin, who sees both: Owen's page lists them without text or name.
    alice = cast.viewer("admin")
    subscriptions.record_unsubscribe(
        alice, contact=cast.contact, scope="priority", priority_id=far.pk, why="Asked"
    )
    subscriptions.record_unsubscribe(
        alice, contact=cast.contact, scope="program", program_id=cast.other_program.pk, why="Asked"
    )
    page = owen.get(contact_page(cast, cast.contact.pk)).content.decode()
    assert "Initech audits" not in page
    assert cast.other_program.name not in page
    assert page.count("one you may not see") == 2
    admin_page = client_for("admin").get(contact_page(cast, cast.contact.pk)).content.decode()
    assert "Initech audits" in admin_page
    assert cast.other_program.name in admin_page
