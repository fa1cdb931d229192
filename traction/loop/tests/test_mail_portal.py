"""The customer's side of updates: the portal's "Updates to you" and "Your priorities"
panels, the update page (read, reply → insight, "did it work for you?" → feedback against the
customer metric), following, the email's feedback link, and isolation as a hostile customer
would try it: other contacts' updates, other organisations' priorities, other workspaces,
unsent updates, expired and revoked links — nothing leaks, attempts are audited."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client

from traction.accounts.models import Notice
from traction.core import clock
from traction.core.models import AuditEvent
from traction.core.permissions import CustomerPrincipal
from traction.core.testing.cast import Cast
from traction.customers.models import Contact
from traction.insights.models import Insight
from traction.loop import audience, mail_links
from traction.loop.models import Feedback, Follow, Reply, Update, UpdateRecipient
from traction.loop.services import responses
from traction.portal.models import PortalLink

from . import mail_world as mw

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast: Cast) -> mw.MailWorld:
    w = mw.build(cast)
    mw.publish(w.base, w.base.card, "planned", "We are working out the details with you.")
    mw.publish(w.base, w.base.card, "delivered")
    return w


def signed_in(contact: Contact) -> Client:
    client = Client()
    opened = client.get("/" + mw.portal_client_token(contact))
    assert opened.status_code == 302
    return client


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode()


def test_home_shows_updates_to_you_and_your_priorities(world: mw.MailWorld) -> None:
    cast = world.cast
    # A proposal nobody approved yet is never shown.
    from traction.loop.models import PriorityStatus

    PriorityStatus.objects.create(
        workspace=cast.acme, program=cast.program, priority=world.base.quiet, status="planned",
        window_kind="quarter", window_start=clock.now().date() + timedelta(days=120),
    )  # fmt: skip
    page = _text(signed_in(cast.contact).get("/portal/"))
    assert "Updates to you" in page
    assert "What came of your input" in page
    assert "New" in page
    assert "Your priorities" in page
    assert "Invoice approval takes three weeks" in page
    assert "Delivered" in page
    assert "We are working out the details with you." in page  # dated history
    # Initech's idea is not Gina's organisation's, and has nothing published anyway.
    assert "Let us approve invoices from the phone" not in page


def test_empty_panels_say_what_will_appear(cast: Cast) -> None:
    page = _text(signed_in(cast.contact).get("/portal/"))
    assert "No updates yet." in page
    assert "Nothing to show yet." in page


def test_opening_an_update_marks_it_read_and_shows_only_its_text(world: mw.MailWorld) -> None:
    client = signed_in(world.cast.contact)
    page = client.get(f"/portal/updates/{world.update.pk}/")
    assert page.status_code == 200
    body = _text(page)
    assert "&lt;fast&gt; &amp; simple" in body
    assert "Ian Initech" not in body  # no other recipient is named
    assert UpdateRecipient.objects.get(pk=world.gina.pk).read_in_portal_at is not None
    assert UpdateRecipient.objects.get(pk=world.ian.pk).read_in_portal_at is None
    assert (
        "New" not in _text(client.get("/portal/")).split("Updates to you")[1].split("</section>")[0]
    )


def test_a_reply_becomes_an_insight_waiting_for_review(world: mw.MailWorld) -> None:
    client = signed_in(world.cast.contact)
    empty = client.post(f"/portal/updates/{world.update.pk}/reply/", {"text": "  "})
    assert empty.status_code == 422
    assert re.search(r"field-invalid[^>]*>.*Write your reply first", _text(empty), re.S)
    sent = client.post(
        f"/portal/updates/{world.update.pk}/reply/", {"text": "Great, but the phone app?"}
    )
    assert sent.status_code == 302
    assert "Thank you: your reply went to the team." in _text(client.get(sent["Location"]))
    reply = Reply.objects.get()
    insight = Insight.objects.get(pk=reply.insight_id)
    assert insight.text == "Great, but the phone app?"
    assert insight.speaker_contact_id == world.cast.contact.pk
    assert insight.customer_id == world.cast.customer.pk
    assert insight.program_id == world.cast.program.pk
    assert insight.session_id == world.base.session.pk
    assert (insight.status, insight.source, insight.kind) == ("candidate", "portal", "quote")
    assert AuditEvent.objects.filter(action="loop.replied").count() == 1
    # Whoever sent (and drafted) the update is told in the app, with the way to the words.
    told = list(Notice.objects.filter(text__contains="replied to"))
    update = world.update
    assert {n.user_id for n in told} == {update.sent_by_id, update.created_by_id} - {None}
    assert told[0].text.startswith(
        f"{world.cast.contact.name} ({world.cast.customer.name}) replied to “{update.subject}”"
    )
    assert told[0].link == f"/w/acme/insights/sessions/{world.base.session.pk}/review/"


def test_did_it_work_records_against_the_customer_metric_and_the_comment_is_an_insight(
    world: mw.MailWorld,
) -> None:
    cast = world.cast
    metric = Insight.objects.create(
        workspace=cast.acme, program=cast.program, session=world.base.session,
        kind="customer_metric", text="Days from invoice to approval",
        speaker_contact=cast.contact, customer=cast.customer,
    )  # fmt: skip
    metric.measures.add(world.base.card)
    client = signed_in(cast.contact)
    page = _text(client.get(f"/portal/updates/{world.update.pk}/"))
    assert "Did it work for you?" in page
    posted = client.post(
        f"/portal/updates/{world.update.pk}/feedback/",
        {"priority": world.base.card.pk, "answer": "partly", "comment": "Faster, still 4 days"},
    )
    assert posted.status_code == 302
    found = Feedback.objects.get()
    assert (found.answer, found.metric_id, found.priority_id) == (
        "partly",
        metric.pk,
        world.base.card.pk,
    )
    comment = Insight.objects.get(pk=found.insight_id)
    assert comment.text == "Faster, still 4 days"
    assert comment.status == "candidate"
    assert Notice.objects.filter(
        text__contains="answered “did it work for you?” (partly) on"
    ).exists()
    # Answering again changes the answer (one per message and priority).
    client.post(
        f"/portal/updates/{world.update.pk}/feedback/",
        {"priority": world.base.card.pk, "answer": "yes"},
    )
    assert Feedback.objects.get().answer == "yes"
    # A priority the update does not ask about: 404, nothing recorded.
    other = client.post(
        f"/portal/updates/{world.update.pk}/feedback/",
        {"priority": world.base.quiet.pk, "answer": "no"},
    )
    assert other.status_code == 404
    assert Feedback.objects.count() == 1
    bad = client.post(
        f"/portal/updates/{world.update.pk}/feedback/",
        {"priority": world.base.card.pk, "answer": "maybe"},
    )
    assert bad.status_code == 422


def test_the_email_feedback_link_records_on_post_only(world: mw.MailWorld) -> None:
    token = mail_links.feedback_token(world.gina.pk, world.base.card.pk)
    client = Client()
    page = client.get(f"/mail/feedback/{token}/?answer=no")
    assert page.status_code == 200
    assert not Feedback.objects.exists()
    done = client.post(f"/mail/feedback/{token}/", {"answer": "no", "comment": ""})
    assert done.status_code == 200
    assert "your answer is recorded" in _text(done)
    assert Feedback.objects.get().answer == "no"
    # The same link for a priority the update does not ask about opens nothing.
    stray = mail_links.feedback_token(world.gina.pk, world.base.quiet.pk)
    assert client.get(f"/mail/feedback/{stray}/").status_code == 404


def test_following_and_unfollowing_in_the_portal(world: mw.MailWorld) -> None:
    # Ian voted on Gina's card (he did not raise it: one never follows what one raised).
    client = signed_in(world.cast.other_contact)
    card = world.base.card
    assert client.post(f"/portal/priorities/{card.pk}/follow/").status_code == 302
    follow = Follow.objects.get()
    assert (follow.contact_id, follow.priority_id, follow.added_by_id) == (
        world.cast.other_contact.pk,
        card.pk,
        None,
    )
    whys = audience.subscribers([card.pk])[world.cast.other_contact.pk]
    assert "follower" in {w.reason for w in whys}
    assert "Stop following" in _text(client.get("/portal/"))
    assert client.post(f"/portal/priorities/{card.pk}/unfollow/").status_code == 302
    assert Follow.objects.get().ended_at is not None


def test_a_hostile_customer_reaches_nothing_else(world: mw.MailWorld) -> None:
    cast = world.cast
    # An update sent to Ian only; an update to Gina that is not sent yet; a rival workspace's.
    only_ian, _ = mw.sent_update(world.base, [cast.other_contact], subject="For Initech only")
    draft, _ = mw.sent_update(world.base, [cast.contact], subject="Not sent yet")
    Update.objects.filter(pk=draft.pk).update(state="approved", sent_at=None)
    mw.publish(world.base, world.base.quiet, "under_consideration")
    client = signed_in(cast.contact)
    home = _text(client.get("/portal/"))
    assert "For Initech only" not in home
    assert "Not sent yet" not in home
    assert "Let us approve invoices from the phone" not in home  # Initech's, not voted by Gina
    attempts = [
        ("get", f"/portal/updates/{only_ian.pk}/", {}),
        ("get", f"/portal/updates/{draft.pk}/", {}),
        ("get", "/portal/updates/999999/", {}),
        ("post", f"/portal/updates/{only_ian.pk}/reply/", {"text": "hi"}),
        (
            "post",
            f"/portal/updates/{only_ian.pk}/feedback/",
            {"priority": world.base.card.pk, "answer": "no"},
        ),
        ("post", f"/portal/priorities/{world.base.quiet.pk}/follow/", {}),
        ("post", "/portal/priorities/999999/follow/", {}),
    ]
    before = AuditEvent.objects.filter(action="portal.denied").count()
    for method, url, data in attempts:
        response = getattr(client, method)(url, data)
        assert response.status_code == 404, url
        assert "For Initech only" not in _text(response)
    assert AuditEvent.objects.filter(action="portal.denied").count() == before + len(attempts)
    assert not Reply.objects.exists()
    assert not Follow.objects.exists()
    assert not Feedback.objects.exists()

    # An email link's principal (no portal sign-in) reaches nothing through the portal rules.
    from traction.loop import mail_selectors

    link_principal = CustomerPrincipal(contact_id=cast.contact.pk, workspace_id=cast.acme.pk)
    assert not mail_selectors.portal_messages(link_principal).exists()
    # ... and may only answer for the very message its link names.
    from traction.core.errors import NotFound

    ian_row = UpdateRecipient.objects.get(update=only_ian)
    with pytest.raises(NotFound):
        responses.give_feedback(
            link_principal, ian_row, priority_id=world.base.card.pk, answer="no"
        )


def test_expired_or_revoked_links_end_the_portal_on_update_pages(world: mw.MailWorld) -> None:
    client = signed_in(world.cast.contact)
    assert client.get(f"/portal/updates/{world.update.pk}/").status_code == 200
    PortalLink.objects.update(expires_at=clock.now() - timedelta(minutes=1))
    assert client.get(f"/portal/updates/{world.update.pk}/").status_code == 410
    # The session ended with it: the next try is sent to sign in.
    again = client.post(f"/portal/updates/{world.update.pk}/reply/", {"text": "x"})
    assert again.status_code == 302
    assert again["Location"] == "/portal/sign-in/"
    client2 = signed_in(world.cast.contact)
    PortalLink.objects.update(revoked_at=clock.now())
    assert client2.post(f"/portal/priorities/{world.base.card.pk}/follow/").status_code == 410
    assert not Reply.objects.exists()
    assert not Follow.objects.exists()
    # Never signed in: the sign-in page.
    assert Client().get(f"/portal/updates/{world.update.pk}/").status_code == 302


def test_another_customers_card_shows_only_to_who_voted_on_it(world: mw.MailWorld) -> None:
    """Gina voted on Initech's idea: she saw it on her ballot and sees its status; her
    colleague at Globex did not, and sees only the card their own organisation raised."""
    from traction.customers import services as customer_services
    from traction.voting.models import Vote

    cast = world.cast
    Vote.objects.create(
        workspace=cast.acme, session=world.base.session, insight=world.base.quiet,
        contact=cast.contact, dots=1, channel="room",
    )  # fmt: skip
    mw.publish(world.base, world.base.quiet, "under_consideration")
    colleague = customer_services.add_contact(
        cast.viewer("facilitator"), customer=cast.customer, name="Gus Globex",
        email="gus@globex.test", consent_to_contact=True,
    )  # fmt: skip
    gina_home = _text(signed_in(cast.contact).get("/portal/"))
    assert "Let us approve invoices from the phone" in gina_home
    gus_home = _text(signed_in(colleague).get("/portal/"))
    assert "Invoice approval takes three weeks" in gus_home  # his organisation's words
    assert "Let us approve invoices from the phone" not in gus_home
    follow = signed_in(colleague).post(f"/portal/priorities/{world.base.quiet.pk}/follow/")
    assert follow.status_code == 404


def test_did_it_work_is_asked_only_of_those_who_had_a_part_in_the_priority(
    world: mw.MailWorld,
) -> None:
    """A program update about a delivered card goes to someone who neither raised, voted on
    nor follows it: the card's words are not shown to them and not asked about."""
    cast = world.cast
    mw.publish(world.base, world.base.quiet, "delivered")
    update, (gina, _ian) = mw.sent_update(
        world.base, [cast.contact, cast.other_contact], priorities=[world.base.quiet.pk]
    )
    assert responses.feedback_priorities(gina) == []
    page = _text(signed_in(cast.contact).get(f"/portal/updates/{update.pk}/"))
    assert "Let us approve invoices from the phone" not in page
    assert "Did it work for you?" not in page
    ian = UpdateRecipient.objects.get(update=update, contact=cast.other_contact)
    assert [p.pk for p in responses.feedback_priorities(ian)] == [world.base.quiet.pk]


def test_a_follow_of_a_card_they_never_saw_shows_nothing_in_the_portal(
    world: mw.MailWorld,
) -> None:
    """A follow row on another customer's card of a session Gina was not in (as one could be
    made before follows were limited) neither shows the card's words nor lets her act on it."""
    from . import world as w

    cast = world.cast
    far = w.elsewhere(world.base)
    mw.publish(world.base, far, "under_consideration")
    Follow.objects.create(
        workspace=cast.acme, program=cast.program, contact=cast.contact, priority=far,
        since=clock.now(), why="made before the limit",
    )  # fmt: skip
    client = signed_in(cast.contact)
    assert "Our auditors ask for every approval trail" not in _text(client.get("/portal/"))
    assert client.post(f"/portal/priorities/{far.pk}/unfollow/").status_code == 404
    assert client.post(f"/portal/priorities/{far.pk}/follow/").status_code == 404
    # Ian's own card shows in his portal.
    assert "Our auditors ask for every approval trail" in _text(
        signed_in(cast.other_contact).get("/portal/")
    )
