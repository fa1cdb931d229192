"""A real SMTP server for email tests (aiosmtpd on 127.0.0.1 with Django's SMTP backend),
and a session with an invitation made directly as rows, for delivery tests.

``smtp_server`` starts the server on a free port, points EMAIL_BACKEND/HOST/PORT at it for
the test, and collects every message it receives (envelope and parsed content);
``smtp_server.down()`` points EMAIL_PORT at a port nobody listens on (the mail server is
down) until ``smtp_server.up()``. ``loop_world`` is the loop's world (a held session with
two voted cards, traction/loop/tests/world.py) built at ``LOOP_NOW``, for the approval
emails' tests.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from icalendar import Calendar

from traction.core import clock
from traction.core.testing.cast import Cast
from traction.loop import bounce_signatures
from traction.loop.tests import world as w
from traction.loop.tests.signing import CertServer, SnsSigner
from traction.sessions import rsvp
from traction.sessions.models import (
    AgendaItem,
    Invitation,
    OutreachRequest,
    OutreachStatus,
    Session,
)


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage = field(init=False)

    def __post_init__(self) -> None:
        parsed = message_from_bytes(self.raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.message = parsed

    @property
    def subject(self) -> str:
        # Django (compat32) folds a long encoded subject onto its own line, which leaves a
        # leading space after unfolding; mail clients drop it, and so do we.
        return str(self.message["Subject"]).strip()

    @property
    def body(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        assert part is not None, "no text/plain body"
        return str(part.get_content())

    def calendar_parts(self) -> list[EmailMessage]:
        return [p for p in self.message.walk() if p.get_content_type() == "text/calendar"]

    @property
    def calendar(self) -> Calendar:
        """The attached .ics, parsed with icalendar (exactly one is expected)."""
        parts = self.calendar_parts()
        assert len(parts) == 1, f"expected one text/calendar part, found {len(parts)}"
        payload = parts[0].get_payload(decode=True)
        assert isinstance(payload, bytes)
        return Calendar.from_ical(payload)


class CollectingHandler:
    def __init__(self) -> None:
        self.messages: list[Received] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            Received(
                mail_from=envelope.mail_from,
                rcpt_tos=list(envelope.rcpt_tos),
                raw=envelope.original_content or envelope.content,
            )
        )
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: CollectingHandler
    settings: Any

    def down(self) -> None:
        """From now on sending fails: nothing listens on the port the settings name."""
        self.settings.EMAIL_PORT = _free_port(self.host)  # closed again: nobody listens there

    def up(self) -> None:
        """The server answers again."""
        self.settings.EMAIL_PORT = self.port

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages

    def to(self, address: str) -> list[Received]:
        """Messages whose envelope includes ``address``."""
        return [m for m in self.messages if address in m.rcpt_tos]

    def clear(self) -> None:
        self.handler.messages.clear()


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def cert_server(settings: Any) -> Iterator[CertServer]:
    """A real HTTP server on loopback serving signing certificates, allowed (for this test
    only) as a place Amazon SNS certificates come from; the certificate cache starts empty."""
    server = CertServer()
    settings.TRACTION_SNS_CERT_TEST_ORIGINS = [server.origin]
    bounce_signatures.forget_certificates()
    yield server
    bounce_signatures.forget_certificates()
    server.close()


@pytest.fixture
def sns_signer(cert_server: CertServer) -> SnsSigner:
    """Signs SNS messages with a fresh RSA key whose certificate ``cert_server`` serves."""
    return SnsSigner(cert_server)


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SmtpServer]:
    host = "127.0.0.1"
    handler = CollectingHandler()
    controller = None
    for _attempt in range(5):  # another process may take the port between probe and bind
        port = _free_port(host)
        candidate = Controller(handler, hostname=host, port=port)
        try:
            candidate.start()
        except (OSError, RuntimeError):
            continue
        controller = candidate
        break
    assert controller is not None, "could not start the SMTP server on a free port"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = host
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    try:
        yield SmtpServer(host=host, port=port, handler=handler, settings=settings)
    finally:
        controller.stop()


# --- the loop's world, for the approval emails ------------------------------------------

LOOP_NOW = datetime(2027, 1, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
def loop_world(cast: Cast) -> w.World:
    with clock.frozen(LOOP_NOW):
        return w.build(cast)


# --- rows made directly (no services), for delivery tests ------------------------------

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def session(cast: Cast) -> Session:
    session = Session.objects.create(
        workspace=cast.acme,
        program=cast.program,
        title="Onboarding co-design",
        starts_at=datetime(2027, 3, 26, 9, 0, tzinfo=BERLIN),
        ends_at=datetime(2027, 3, 26, 12, 30, tzinfo=BERLIN),
        time_zone="Europe/Berlin",
        location="Acme Berlin, Friedrichstraße 1, Room Spree",
        video_link="https://meet.example.test/onb-1",
        created_by=cast.users["facilitator"],
    )
    AgendaItem.objects.create(session=session, position=1, title="Welcome", minutes=15)
    AgendaItem.objects.create(
        session=session, position=2, title="Issues & vision discussion", minutes=45
    )
    return session


@pytest.fixture
def invitation(cast: Cast, session: Session) -> Invitation:
    assert cast.contact is not None
    outreach = OutreachRequest.objects.create(
        workspace=cast.acme,
        session=session,
        contact=cast.contact,
        account_owner=cast.users["account_owner"],
        requested_by=cast.users["facilitator"],
        status=OutreachStatus.APPROVED,
        decided_by=cast.users["account_owner"],
    )
    return Invitation.objects.create(
        workspace=cast.acme, session=session, outreach=outreach, contact=cast.contact
    )


def rsvp_of(received: Received) -> tuple[int, int]:
    """The (invitation id, contact id) the personal RSVP link in the email stands for."""
    prefix = settings.TRACTION_SITE_URL.rstrip("/") + "/rsvp/"
    links = re.findall(re.escape(prefix) + r"(\S+?)/?(?:\s|$)", received.body)
    assert len(links) == 1, received.body
    return rsvp.read_token(links[0])
