"""Review 19, findings 1 and 7: a voting link is not emailed to a contact who unsubscribed
from all mail (the skipped list says why), and the email speaks for the workspace: its sender
name and reply-to, an HTML part headed by its name, and words that fit an invitee before the
session (no "thank you for taking part")."""

from __future__ import annotations

from collections.abc import Callable
from email.utils import parseaddr
from typing import Any

import pytest
from django.core import mail

from traction.accounts import services as account_services
from traction.core.testing.cast import Cast
from traction.core.testing.snapshot import built_on
from traction.loop.services import subscriptions
from traction.voting.services import link_mail, rounds

from .test_voting import Room, build_room

pytestmark = pytest.mark.django_db

Capture = Callable[..., Any]


@pytest.fixture
def opened(cast: Cast) -> Room:
    room = built_on(cast, build_room)
    rounds.open_voting(cast.viewer("facilitator"), session=room.session)
    return room


def test_an_unsubscribed_contact_is_skipped_with_the_reason(
    cast: Cast, opened: Room, django_capture_on_commit_callbacks: Capture
) -> None:
    subscriptions.record_unsubscribe(
        cast.viewer("admin"), contact=opened.gina, scope="all", why="asked"
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        mailing = link_mail.email_voting_links(cast.viewer("facilitator"), session=opened.session)
    skipped = {c.name: why for c, why in mailing.skipped}
    assert skipped["Gina Globex"].startswith("unsubscribed from all mail on ")
    assert skipped["Dora Declined"] == "declined the invitation"
    sent_to = {parseaddr(m.to[0])[1] for m in mail.outbox}
    assert opened.gina.email not in sent_to
    assert opened.gus.email in sent_to


def test_the_voting_email_speaks_for_the_workspace(
    cast: Cast, opened: Room, django_capture_on_commit_callbacks: Capture
) -> None:
    account_services.update_workspace(
        cast.viewer("admin"),
        name="Acme",
        time_zone="UTC",
        sender_name="Acme Customer Team",
        reply_to="team@acme.test",
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        link_mail.email_voting_links(
            cast.viewer("facilitator"), session=opened.session, contact_ids=[opened.gus.pk]
        )
    [message] = mail.outbox
    assert parseaddr(message.from_email)[0] == "Acme Customer Team"
    assert [parseaddr(a)[1] for a in message.reply_to] == ["team@acme.test"]
    # Before the session, to an invitee who has not answered: no thanks for taking part.
    assert "thank you for taking part" not in message.body.lower()
    assert "invited you to" in message.body
    html = str(message.alternatives[0][0])  # type: ignore[attr-defined]
    assert "<b>Acme</b>" in html
    assert "/vote/" in html


def test_the_voting_page_says_who_is_not_emailed(cast: Cast, opened: Room, client_for: Any) -> None:
    subscriptions.record_unsubscribe(
        cast.viewer("admin"), contact=opened.gina, scope="all", why="asked"
    )
    page = client_for("facilitator").get(
        f"/w/{cast.acme.slug}/insights/sessions/{opened.session.pk}/voting/"
    )
    assert page.status_code == 200
    body = page.content.decode()
    assert "Not emailed: unsubscribed from all mail on " in body
    assert 'aria-label="Email Gina Globex their link"' not in body
    assert 'aria-label="Email Gus Globex their link"' in body
