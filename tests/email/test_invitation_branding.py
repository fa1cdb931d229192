"""The invitation email speaks for the workspace: its name and logo, the session's own
opening in both the text and the HTML part, and no internal words. Through a real SMTP
server on loopback, parsed with the stdlib ``email`` package."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.conf import settings
from django.test import Client

from traction.accounts import services as account_services
from traction.core.testing import images
from traction.core.testing.cast import Cast
from traction.sessions.models import AgendaItem, Invitation, Session, SessionStatus

from .conftest import Received, SmtpServer
from .test_invitation_delivery import deliver, only_message_to

INTERNAL_WORDS = [
    "internal",
    "gatekeeper",
    "account owner",
    "candidate",
    "insight",
    "outreach",
    "Traction",
]


def html_part(received: Received) -> str:
    part = received.message.get_body(preferencelist=("html",))
    assert part is not None, "no text/html part"
    return str(part.get_content())


def words(markup: str) -> str:
    return re.sub(r"<[^>]+>", " ", markup)


def test_the_invitation_carries_the_workspaces_name_logo_and_opening_in_both_parts(
    smtp_server: SmtpServer, cast: Cast, invitation: Invitation, session: Session
) -> None:
    account_services.set_workspace_logo(cast.viewer("admin"), data=images.png())
    Session.objects.filter(pk=session.pk).update(
        invitation_opening="Dear Gina,\n\nyour team's feedback on onboarding matters to us."
    )
    deliver(invitation, "invite")
    received = only_message_to(smtp_server, "gina@globex.test")
    # multipart/mixed: the text and HTML alternatives, then the calendar file.
    assert received.message.get_content_type() == "multipart/mixed"
    kinds = [p.get_content_type() for p in received.message.walk()]
    assert kinds[1:4] == ["multipart/alternative", "text/plain", "text/html"]
    assert len(received.calendar_parts()) == 1

    text = received.body.replace("\r\n", "\n")
    assert text.startswith(
        "Hello Gina Globex,\n\nDear Gina,\n\nyour team's feedback on onboarding matters to us.\n"
    )
    assert text.rstrip().endswith("Fran Facilitator\nAcme")
    html = html_part(received)
    assert "<b>Acme</b>" in html
    assert '<p class="email-opening">Dear Gina,</p>' in html
    assert (
        '<p class="email-opening">your team&#x27;s feedback on onboarding matters to us.</p>'
        in html
    )
    # The logo is an absolute link behind the customer's own RSVP link: it serves the logo.
    (logo,) = re.findall(r'<img src="([^"]+)"', html)
    site = settings.TRACTION_SITE_URL.rstrip("/")
    assert logo.startswith(site + "/rsvp/")
    served = Client().get(urlsplit(logo).path + "?" + urlsplit(logo).query)
    assert served.status_code == 200
    assert served.content == images.png()
    # The answer button is the same personal link as in the text.
    (link,) = re.findall(r'<a href="([^"]+)" class="email-button"', html)
    assert link in text


def test_without_a_logo_or_opening_the_standard_words_and_the_name_alone(
    smtp_server: SmtpServer, cast: Cast, invitation: Invitation, session: Session
) -> None:
    deliver(invitation, "invite")
    received = only_message_to(smtp_server, "gina@globex.test")
    assert (
        "Fran Facilitator of Acme invites you to a co-design session: “Onboarding co-design”."
        in (received.body)
    )
    html = html_part(received)
    assert "<img" not in html
    assert "Fran Facilitator of Acme invites you" in html


def test_the_customers_email_has_no_internal_words(
    smtp_server: SmtpServer, cast: Cast, invitation: Invitation, session: Session
) -> None:
    AgendaItem.objects.create(
        session=session, position=3, title="Questions from our team", minutes=20
    )
    deliver(invitation, "invite")
    session.calendar_sequence += 1
    session.save()
    deliver(invitation, "update")
    session.status = SessionStatus.CANCELLED
    session.calendar_sequence += 1
    session.save()
    deliver(invitation, "cancel")
    assert len(smtp_server.messages) == 3
    for received in smtp_server.messages:
        for part in (received.subject, received.body, words(html_part(received))):
            for word in INTERNAL_WORDS:
                assert word.lower() not in part.lower(), (word, received.subject)
