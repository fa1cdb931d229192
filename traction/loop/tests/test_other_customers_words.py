"""A contact's note merged into another organisation's card: the card keeps that
organisation's words, so it never shows in the contact's portal, their email's
"did it work for you?" or their follows — only cards whose words are theirs or no
customer's do."""

from __future__ import annotations

import pytest
from django.test import Client

from traction.core.testing.cast import Cast
from traction.insights.models import Insight
from traction.insights.services.review import merge_insights
from traction.loop import mailer
from traction.loop.services import responses

from . import mail_world as mw

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast: Cast) -> mw.MailWorld:
    return mw.build(cast)


def _merge_ginas_note_into(world: mw.MailWorld, card: Insight) -> Insight:
    cast = world.cast
    note = Insight.objects.create(
        workspace=cast.acme, program=cast.program, session=world.base.session, kind="issue",
        text="We chase approvals by phone", speaker_contact=cast.contact,
        customer=cast.customer, status="accepted",
    )  # fmt: skip
    merge_insights(cast.viewer("facilitator"), into=card, others=[note.pk])
    return note


def _portal(contact) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    assert client.get("/" + mw.portal_client_token(contact)).status_code == 302
    return client


def test_a_card_her_note_was_merged_into_does_not_show_another_customers_words(
    world: mw.MailWorld,
) -> None:
    base = world.base
    _merge_ginas_note_into(world, base.quiet)
    mw.publish(base, base.quiet, "under_consideration")
    client = _portal(world.cast.contact)
    home = client.get("/portal/").content.decode()
    assert base.quiet.text not in home
    assert client.post(f"/portal/priorities/{base.quiet.pk}/follow/").status_code == 404
    # Ian, whose organisation's words they are, still sees it.
    assert base.quiet.text in _portal(world.cast.other_contact).get("/portal/").content.decode()


def test_a_team_card_her_note_was_merged_into_still_shows(world: mw.MailWorld) -> None:
    """A card with no customer's words (written by the team) shows her merged priority."""
    cast = world.cast
    base = world.base
    team_card = Insight.objects.create(
        workspace=cast.acme, program=cast.program, session=base.session, kind="issue",
        text="Approvals need a mobile path", status="accepted",
    )  # fmt: skip
    _merge_ginas_note_into(world, team_card)
    mw.publish(base, team_card, "under_consideration")
    assert "Approvals need a mobile path" in _portal(cast.contact).get("/portal/").content.decode()


def test_the_email_does_not_ask_about_another_customers_card_her_note_was_merged_into(
    world: mw.MailWorld,
) -> None:
    cast = world.cast
    base = world.base
    _merge_ginas_note_into(world, base.quiet)
    mw.publish(base, base.quiet, "delivered")
    _update, (gina, ian) = mw.sent_update(
        base, [cast.contact, cast.other_contact], priorities=[base.quiet.pk]
    )
    assert responses.feedback_priorities(gina) == []
    assert base.quiet.text not in mailer.render(gina).text
    assert base.quiet.text not in mailer.render(gina).html
    assert [p.pk for p in responses.feedback_priorities(ian)] == [base.quiet.pk]
