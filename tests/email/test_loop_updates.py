"""Sent updates by email, through a real SMTP server on loopback (issue 13): the received
message is parsed (text and HTML parts, the workspace as sender, Message-ID, the RFC 8058
headers, links that open what they say), an unsubscribe from its link is honoured on the
next send, each message is claimed so nothing is sent twice, passing failures are retried
and refusals flag the contact unreachable."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from django.test import Client

from tests.email.conftest import CollectingHandler, Received, SmtpServer, _free_port
from traction.core import clock
from traction.core.models import AuditEvent
from traction.core.testing.cast import Cast
from traction.customers.models import Contact
from traction.loop import audience, mailer
from traction.loop.models import Feedback, MessageState, Unsubscribe, UpdateRecipient
from traction.loop.tests import mail_world as mw

pytestmark = pytest.mark.django_db

URL = re.compile(r"https?://\S+")


@pytest.fixture
def world(cast: Cast) -> mw.MailWorld:
    return mw.build(cast)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _links(received: Received) -> dict[str, str]:
    text = received.body
    found: dict[str, str] = {}
    for line in text.splitlines():
        m = URL.search(line)
        if not m:
            continue
        label = line[: m.start()].strip().rstrip(":")
        found[label or f"link{len(found)}"] = m.group(0)
    return found


def test_an_update_arrives_as_text_and_html_with_working_links_and_unsubscribe_is_honoured(
    world: mw.MailWorld, smtp_server: SmtpServer
) -> None:
    cast = world.cast
    mw.publish(world.base, world.base.card, "delivered")
    sent = mailer.deliver_update.call(world.update.pk)
    assert sent == 2

    [received] = smtp_server.to("gina@globex.test")
    message = received.message
    assert received.subject == "What came of your input"
    assert parseaddr(str(message["From"]))[0] == cast.acme.name  # the workspace's name
    gina = UpdateRecipient.objects.get(pk=world.gina.pk)
    assert gina.state == MessageState.SENT
    assert gina.attempts == 1
    assert gina.sent_at
    assert str(message["Message-ID"]) == gina.message_id
    # Both parts; the HTML part escapes the text and keeps its paragraphs.
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    assert "We built a one-page approval <fast> & simple." in text.get_content()
    html_body = html.get_content()
    assert "<p>We built a one-page approval &lt;fast&gt; &amp; simple.</p>" in html_body
    assert "<fast>" not in html_body
    # RFC 8058: one click, by POST, with the same signed URL the header names.
    one_click = str(message["List-Unsubscribe"]).strip().strip("<>")
    assert str(message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"

    links = _links(received)
    portal = links["Read this message in your portal"]
    assert _path(portal) == f"/portal/updates/{world.update.pk}/"
    feedback = [u for u in links.values() if "/mail/feedback/" in u]
    assert len(feedback) == 3  # yes, partly, no for the one delivered priority
    stop_all = links[f"Stop all mail from {cast.acme.name}"]
    stop_program = links[f"Stop updates about {cast.program.name}"]
    stop_these = links["Stop updates about the priorities in this message"]
    # Every link in the HTML part is one of the text part's (same targets).
    html_links = set(re.findall(r'href="([^"]+)"', html_body))
    assert {portal, stop_all, stop_program, stop_these, *feedback} == html_links

    # GET never records anything (mail scanners open links).
    browser = Client(enforce_csrf_checks=True)
    for url in (stop_all, stop_program, stop_these):
        page = browser.get(_path(url))
        assert page.status_code == 200
        assert "Nothing has changed yet. Clicking <strong>Unsubscribe</strong> stops" in (
            page.content.decode()
        )
    partly = next(u for u in feedback if u.endswith("answer=partly"))
    page = browser.get(_path(partly))
    assert page.status_code == 200
    assert re.search(r'value="partly"[^>]*checked', page.content.decode())
    assert not Unsubscribe.objects.exists()
    assert not Feedback.objects.exists()

    # One click from the mail client: no cookie, no CSRF token, just the RFC 8058 body.
    clicked = browser.post(_path(one_click), {"List-Unsubscribe": "One-Click"})
    assert clicked.status_code == 200
    [stop] = Unsubscribe.objects.all()
    assert (stop.contact_id, stop.scope, stop.program_id, stop.via_id) == (
        cast.contact.pk,
        "program",
        cast.program.pk,
        gina.pk,
    )
    assert AuditEvent.objects.filter(action="loop.unsubscribed").count() == 1
    # Clicking again records nothing new.
    assert browser.post(_path(one_click), {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert Unsubscribe.objects.count() == 1

    # The next update: the audience leaves Gina out, and a list approved before she
    # unsubscribed is re-checked at sending: no message to her.
    found = {
        c.contact.name: c
        for c in audience.audience(cast.program.pk, priority_ids=[world.base.card.pk])
    }
    assert found["Gina Globex"].excluded.startswith("Unsubscribed from this program")
    smtp_server.clear()
    update2, (gina2, _ian2) = mw.sent_update(
        world.base, [cast.contact, cast.other_contact], subject="Next steps"
    )
    mailer.deliver_update.call(update2.pk)
    assert [m.rcpt_tos for m in smtp_server.messages] == [["ian@initech.test"]]
    gina2.refresh_from_db()
    assert gina2.state == MessageState.SKIPPED
    assert gina2.last_error.startswith("Unsubscribed from this program on ")


def test_the_unsubscribe_page_records_on_post_and_a_tampered_link_opens_nothing(
    world: mw.MailWorld, smtp_server: SmtpServer
) -> None:
    mw.publish(world.base, world.base.card, "delivered")
    mailer.deliver(world.update.pk)
    [received] = smtp_server.to("gina@globex.test")
    stop_all = _links(received)[f"Stop all mail from {world.cast.acme.name}"]
    client = Client()
    page = client.post(_path(stop_all))  # the page's button (CSRF is off in the test client)
    assert page.status_code == 200
    assert "You are unsubscribed" in page.content.decode()
    assert Unsubscribe.objects.get().scope == "all"

    token = _path(stop_all).split("/")[3]
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    bad = client.get(f"/mail/unsubscribe/{tampered}/")
    assert bad.status_code == 404
    assert "This link is not valid" in bad.content.decode()
    # A feedback link is no unsubscribe link (each kind has its own signature).
    feedback = next(u for u in _links(received).values() if "/mail/feedback/" in u)
    ftoken = _path(feedback).split("/")[3]
    assert client.get(f"/mail/unsubscribe/{ftoken}/").status_code == 404
    assert (
        client.post(
            f"/mail/unsubscribe/{ftoken}/one-click/", {"List-Unsubscribe": "One-Click"}
        ).status_code
        == 404
    )
    # ... and that well-signed link used at the wrong door is audited on its message.
    assert AuditEvent.objects.filter(action="loop.link_refused").exists()
    assert Unsubscribe.objects.count() == 1


def test_a_claimed_message_is_never_sent_twice(
    world: mw.MailWorld, smtp_server: SmtpServer
) -> None:
    # Another worker claimed Gina's message and died before recording an outcome.
    assert mailer.claim(world.gina.pk)
    assert not mailer.claim(world.gina.pk)  # a second claim finds it taken
    mailer.deliver(world.update.pk)
    mailer.run()
    assert [m.rcpt_tos for m in smtp_server.messages] == [["ian@initech.test"]]
    # Later it is "unknown: check before resending", and the periodic job never resends it.
    with clock.frozen(clock.now() + mailer.CLAIM_STALE + timedelta(minutes=1)):
        assert mailer.run()["unknown"] == 1
        from traction.loop import mail_selectors

        rows = {r.recipient.pk: r for r in mail_selectors.message_rows(world.update)}
        assert rows[world.gina.pk].label == "Unknown: check before resending"
        assert rows[world.gina.pk].resendable
        # The facilitator checked: it never arrived. Resending sends it once.
        mailer.resend(
            world.cast.viewer("facilitator"), UpdateRecipient.objects.get(pk=world.gina.pk)
        )
        mailer.run()
    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == [
        "gina@globex.test",
        "ian@initech.test",
    ]
    assert UpdateRecipient.objects.get(pk=world.gina.pk).attempts == 2


def test_a_message_of_an_update_not_yet_sent_is_not_claimed(world: mw.MailWorld) -> None:
    world.update.state = "approved"
    world.update.save()
    assert not mailer.claim(world.gina.pk)


def test_an_unreachable_server_is_retried_with_backoff_then_given_up(
    world: mw.MailWorld, smtp_server: SmtpServer, settings: Any
) -> None:
    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = _free_port("127.0.0.1")  # nobody listens there
    start = clock.now()
    with clock.frozen(start):
        counts = mailer.run()
    assert counts["failed"] == 2
    gina = UpdateRecipient.objects.get(pk=world.gina.pk)
    assert gina.state == MessageState.FAILED
    assert gina.attempts == 1
    assert gina.next_attempt_at == start + timedelta(seconds=60)
    assert gina.last_error.startswith("Not delivered yet: the mail server could not be reached")
    with clock.frozen(start + timedelta(seconds=30)):
        assert mailer.run()["failed"] == 0  # not due yet
    settings.EMAIL_PORT = port
    with clock.frozen(start + timedelta(seconds=61)):
        assert mailer.run()["sent"] == 2
    assert len(smtp_server.messages) == 2
    gina.refresh_from_db()
    assert (gina.state, gina.attempts, gina.last_error) == (MessageState.SENT, 2, "")

    # Delays: 1, 5, 30 minutes, then hourly; after MAX_ATTEMPTS it is given up.
    assert [mailer.retry_delay(a) for a in (1, 2, 3, 4)] == [
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=1),
    ]
    assert mailer.retry_delay(mailer.MAX_ATTEMPTS) is None
    settings.EMAIL_PORT = _free_port("127.0.0.1")
    update2, (late,) = mw.sent_update(world.base, [world.cast.contact], subject="Again")
    UpdateRecipient.objects.filter(pk=late.pk).update(attempts=mailer.MAX_ATTEMPTS - 1)
    mailer.deliver(update2.pk)
    late.refresh_from_db()
    assert late.state == MessageState.UNDELIVERABLE
    assert late.last_error.startswith(f"Gave up after {mailer.MAX_ATTEMPTS} attempts")
    assert late.bounced_at is None  # the server was down: the address is not to blame


class RefusingHandler(CollectingHandler):
    def __init__(self, refused: str) -> None:
        super().__init__()
        self.refused = refused

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address == self.refused:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def refusing_server(smtp_server: SmtpServer, settings: Any) -> Iterator[RefusingHandler]:
    handler = RefusingHandler("gina@globex.test")
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port("127.0.0.1"))
    controller.start()
    settings.EMAIL_PORT = controller.port
    try:
        yield handler
    finally:
        controller.stop()


def test_a_refused_address_is_undeliverable_and_flags_the_contact_unreachable(
    world: mw.MailWorld, refusing_server: RefusingHandler
) -> None:
    counts = mailer.deliver(world.update.pk)
    assert counts == {"undeliverable": 1, "sent": 1}
    gina = UpdateRecipient.objects.get(pk=world.gina.pk)
    assert gina.state == MessageState.UNDELIVERABLE
    assert gina.bounced_at is not None
    assert "550 5.1.1" in gina.last_error
    contact = Contact.objects.get(pk=world.cast.contact.pk)
    assert contact.unreachable_at is not None
    assert contact.unreachable_reason.startswith("Mail refused: the mail server refused")
    assert AuditEvent.objects.filter(action="contact.unreachable", object_id=contact.pk).exists()
    # Unreachable: the audience leaves her out, with why; a resend is refused until fixed.
    found = {
        c.contact.name: c
        for c in audience.audience(world.cast.program.pk, priority_ids=[world.base.card.pk])
    }
    assert found["Gina Globex"].excluded.startswith("Unreachable since")
    from traction.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        mailer.resend(world.cast.viewer("facilitator"), gina)
