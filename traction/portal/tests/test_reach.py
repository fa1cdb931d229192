"""Review 19, findings 1 and 7: a member's "Send a portal link" is refused for a contact who
unsubscribed from all mail (saying why, on the contact's page too), and the link's email comes
from the workspace's sender with its reply-to address."""

from __future__ import annotations

from collections.abc import Callable
from email.utils import parseaddr
from typing import Any

import pytest
from django.core import mail

from traction.accounts import services as account_services
from traction.core.errors import ValidationFailed
from traction.loop.services import subscriptions
from traction.portal import services
from traction.portal.models import PortalLink

pytestmark = pytest.mark.django_db

Capture = Callable[..., Any]


def test_a_portal_link_is_not_sent_to_an_unsubscribed_contact(cast: Any) -> None:
    subscriptions.record_unsubscribe(
        cast.viewer("admin"), contact=cast.contact, scope="all", why="asked"
    )
    with pytest.raises(ValidationFailed) as refused:
        services.send_link(cast.viewer("admin"), contact=cast.contact)
    [message] = refused.value.errors["contact"]
    assert message.startswith("No link is emailed to Gina Globex: unsubscribed from all mail on ")
    assert not PortalLink.objects.exists()


def test_the_contact_page_says_why_no_portal_link_can_be_sent(cast: Any, client_for: Any) -> None:
    subscriptions.record_unsubscribe(
        cast.viewer("admin"), contact=cast.contact, scope="all", why="asked"
    )
    page = (
        client_for("admin")
        .get(f"/w/{cast.acme.slug}/customers/contacts/{cast.contact.pk}/edit/")
        .content.decode()
    )
    assert "unsubscribed from all mail on" in page


def test_the_portal_link_email_speaks_for_the_workspace(
    cast: Any, django_capture_on_commit_callbacks: Capture
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
        services.send_link(cast.viewer("admin"), contact=cast.contact)
    [message] = mail.outbox
    assert parseaddr(message.from_email)[0] == "Acme Customer Team"
    assert [parseaddr(a)[1] for a in message.reply_to] == ["team@acme.test"]
    assert message.to == [cast.contact.email]
