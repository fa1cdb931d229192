"""Portal links by email, through a real SMTP server on loopback: the link a member sends
arrives, opens the portal (one sign-in starts one portal session: the token leaves the
address bar and the session carries on without it), and stops working once it expires;
the public "email me a link" page sends one only to a contact with portal access."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from tests.email.conftest import SmtpServer
from traction.core import clock
from traction.core.models import AuditEvent
from traction.customers.models import Contact
from traction.portal import services
from traction.portal.models import PortalLink
from traction.portal.tests.conftest import PortalWorld, build_world

pytestmark = pytest.mark.django_db

Capture = Callable[..., Any]
LINK = re.compile(r"(https?://\S+)/portal/in/(\S+?)/")


@pytest.fixture
def world(cast: Any) -> PortalWorld:
    return build_world(cast)


def _token(smtp_server: SmtpServer, address: str) -> str:
    [received] = smtp_server.to(address)
    assert "customer portal" in received.subject
    found = LINK.search(received.body)
    assert found, received.body
    return found.group(2)


def test_a_sent_link_arrives_opens_the_portal_and_expires(
    world: PortalWorld, smtp_server: SmtpServer, django_capture_on_commit_callbacks: Capture
) -> None:
    hank = Contact.objects.get(pk=world.hank.contact_id)
    with django_capture_on_commit_callbacks(execute=True):
        services.send_link(world.cast.viewer("account_owner"), contact=hank)
    [received] = smtp_server.to(hank.email)
    assert received.rcpt_tos == [hank.email]
    assert "Hello Hank Globex" in received.body
    assert "works for 14 days" in received.body
    token = _token(smtp_server, hank.email)

    client = Client()
    opened = client.get(f"/portal/in/{token}/")
    assert opened.status_code == 302
    assert opened["Location"] == "/portal/"  # the token leaves the address bar
    page = client.get("/portal/").content.decode()
    assert "Hank: the setup wizard loses my data" in page
    assert client.get(f"/portal/sessions/{world.session.pk}/").status_code == 200
    assert AuditEvent.objects.filter(action="portal.signed_in").count() == 1  # one sign-in

    PortalLink.objects.update(expires_at=clock.now() - timedelta(minutes=1))
    assert client.get("/portal/").status_code == 410
    expired = Client().get(f"/portal/in/{token}/")
    assert expired.status_code == 410
    assert "The link has expired" in expired.content.decode()


def test_the_request_page_emails_only_contacts_with_portal_access(
    world: PortalWorld, smtp_server: SmtpServer, django_capture_on_commit_callbacks: Capture
) -> None:
    gail = Contact.objects.get(pk=world.gail.contact_id)
    for address in (gail.email, "stranger@example.test", world.cast.other_contact.email):
        with django_capture_on_commit_callbacks(execute=True):
            response = Client().post("/portal/sign-in/", {"email": address})
        assert "If we know this address" in response.content.decode()
    assert [m.rcpt_tos for m in smtp_server.messages] == [[gail.email]]
    token = _token(smtp_server, gail.email)
    client = Client()
    assert client.get(f"/portal/in/{token}/").status_code == 302
    assert "Hello Gail Globex" in client.get("/portal/").content.decode()
