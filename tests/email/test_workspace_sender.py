"""The workspace's sender, read from the headers of messages a real SMTP server received:
customer mail (updates, invitations) goes out as ``"<sender name>" <our address>`` with the
workspace's Reply-To when an admin set one; by default the workspace's name signs it."""

from __future__ import annotations

from email.utils import getaddresses, parseaddr

import pytest

from traction.accounts import services as accounts
from traction.core.testing.cast import Cast
from traction.loop import mailer
from traction.loop.tests import mail_world as mw
from traction.sessions import tasks
from traction.sessions.models import Invitation

from .conftest import SmtpServer

pytestmark = pytest.mark.django_db


def set_sender(cast: Cast, sender_name: str, reply_to: str) -> None:
    accounts.update_workspace(
        cast.viewer("admin"), name=cast.acme.name, time_zone=cast.acme.time_zone,
        sender_name=sender_name, reply_to=reply_to,
    )  # fmt: skip


def test_an_update_goes_out_as_the_workspaces_sender_with_its_reply_to(
    cast: Cast, smtp_server: SmtpServer
) -> None:
    world = mw.build(cast)
    set_sender(cast, "Acme Customer Success", "success@acme.test")
    mailer.deliver_update.call(world.update.pk)
    [received] = smtp_server.to("gina@globex.test")
    message = received.message
    assert parseaddr(str(message["From"])) == ("Acme Customer Success", "traction@localhost")
    assert received.mail_from == "traction@localhost"  # the envelope stays ours
    assert getaddresses([str(message["Reply-To"])]) == [
        ("Acme Customer Success", "success@acme.test")
    ]


def test_by_default_the_workspaces_name_signs_and_there_is_no_reply_to(
    cast: Cast, smtp_server: SmtpServer
) -> None:
    world = mw.build(cast)
    mailer.deliver_update.call(world.update.pk)
    [received] = smtp_server.to("gina@globex.test")
    assert parseaddr(str(received.message["From"])) == ("Acme", "traction@localhost")
    assert received.message["Reply-To"] is None


def test_an_invitation_uses_the_sender_and_its_reply_to_before_the_organiser(
    cast: Cast, smtp_server: SmtpServer, invitation: Invitation
) -> None:
    tasks.deliver_invitation.enqueue(invitation.pk, "invite")
    [first] = smtp_server.to("gina@globex.test")
    assert parseaddr(str(first.message["From"])) == ("Acme", "traction@localhost")
    assert "fran@acme.test" in str(first.message["Reply-To"])  # the organiser, by default
    smtp_server.clear()
    set_sender(cast, "Acme Research", "research@acme.test")
    tasks.deliver_invitation.enqueue(invitation.pk, "invite")  # a resend
    [second] = smtp_server.to("gina@globex.test")
    assert parseaddr(str(second.message["From"])) == ("Acme Research", "traction@localhost")
    assert getaddresses([str(second.message["Reply-To"])]) == [
        ("Acme Research", "research@acme.test")
    ]
