"""The account owner's approval email for an update, through a real SMTP server on loopback:
both parts present, the text and the exact recipients in it, and the signed link in it
opens the update and approves it without signing in (once)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from tests.email.conftest import LOOP_NOW as NOW
from tests.email.conftest import SmtpServer
from traction.core import clock
from traction.core.testing.cast import Cast
from traction.loop.models import Approval, Update
from traction.loop.services import updates
from traction.loop.tests import world as w

pytestmark = pytest.mark.django_db

LINK = re.compile(r"(https?://[^\s\"<]+/loop/update-approvals/link/[^\s\"<]+/)")


@pytest.fixture
def update(cast: Cast, loop_world: w.World) -> Update:
    """Fran's draft update to Globex, in the loop's world."""
    with clock.frozen(NOW):
        return updates.compose(
            cast.viewer("facilitator"),
            cast.program,
            audience="customer",
            customer_id=cast.customer.pk,
        )


def test_the_owner_gets_both_parts_and_a_link_that_approves_once(
    cast: Any,
    loop_world: w.World,
    update: Update,
    smtp_server: SmtpServer,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with clock.frozen(NOW), django_capture_on_commit_callbacks(execute=True):
        updates.submit(cast.viewer("facilitator"), update)
    [received] = smtp_server.to("owen@acme.test")
    assert received.subject == (
        "Approve the update to Globex: You said, we did: Effortless onboarding"
    )
    text = received.body
    html_part = received.message.get_body(preferencelist=("html",))
    assert html_part is not None
    html = str(html_part.get_content())
    for body in (text, html):
        assert "Invoice approval takes three weeks" in body
        assert "gina@globex.test" in body
        assert "Ian" not in body  # Initech's contact is no recipient of Globex's update
    assert loop_world.quiet.text not in text
    [link] = LINK.findall(text)
    assert link in html
    path = "/" + link.split("/", 3)[3]
    with clock.frozen(NOW):
        anonymous = Client()
        page = anonymous.get(path)
        assert page.status_code == 200
        assert "Approve this update" in page.content.decode()
        assert anonymous.post(path).status_code == 200
        assert anonymous.post(path).status_code == 409
    approval = Approval.objects.get(update=update)
    assert approval.state == "approved"
    update.refresh_from_db()
    assert update.state == "approved"


# --- with the mail server down: nothing fails silently -------------------------------------------


def test_with_smtp_refusing_asking_answers_shows_the_failure_and_a_retry_sends_it(
    cast: Any,
    update: Update,
    smtp_server: SmtpServer,
    client_for: Callable[[str], Client],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    from django.urls import reverse

    from traction.loop import update_emails
    from traction.loop.models import ApprovalEmail

    fran = client_for("facilitator")
    with clock.frozen(NOW):
        page = reverse("loop:update", args=[cast.acme.slug, update.pk])
        smtp_server.down()
        with django_capture_on_commit_callbacks(execute=True):
            asked = fran.post(
                reverse("loop:update-submit", args=[cast.acme.slug, update.pk]),
                {"version": update.version},
            )
        assert asked.status_code == 302
        update.refresh_from_db()
        assert update.state == "awaiting"  # asked, whatever the mail server does
        [email] = ApprovalEmail.objects.filter(approval__update=update)
        assert (email.kind, email.state, email.attempts) == ("request", "failed", 1)
        html = fran.get(page).content.decode()
    assert "The request to Owen Owner could not be sent: the mail server could not be reached" in (
        html
    )
    assert "Retrying at 20 Jan 2027, 09:01 (UTC)" in html, html
    assert smtp_server.messages == []
    # Not due yet: nothing is tried; then the server is back and the next try sends it.
    with clock.frozen(NOW + timedelta(seconds=30)):
        assert update_emails.run() == {"unknown": 0}
    smtp_server.up()
    with clock.frozen(NOW + timedelta(seconds=61)):
        assert update_emails.run() == {"sent": 1, "unknown": 0}
        html = fran.get(page).content.decode()
    [received] = smtp_server.to("owen@acme.test")
    assert received.subject.startswith("Approve the update to Globex")
    assert LINK.findall(received.body)
    email.refresh_from_db()
    assert (email.state, email.attempts, email.last_error) == ("sent", 2, "")
    assert "could not be sent" not in html
    assert "The request went to Owen Owner by email on 20 Jan 2027, 09:01 (UTC)." in html


def test_a_given_up_request_offers_send_again_and_sends_once(
    cast: Any,
    update: Update,
    smtp_server: SmtpServer,
    client_for: Callable[[str], Client],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    from django.urls import reverse

    from traction.core.models import AuditEvent
    from traction.loop import mailer
    from traction.loop.models import ApprovalEmail

    fran = client_for("facilitator")
    with clock.frozen(NOW):
        smtp_server.down()
        with django_capture_on_commit_callbacks(execute=True):
            updates.submit(cast.viewer("facilitator"), update)
        [email] = ApprovalEmail.objects.all()
        # Its last attempt fails too: Traction gives up and says so, with "Send again".
        ApprovalEmail.objects.filter(pk=email.pk).update(attempts=mailer.MAX_ATTEMPTS - 1)
    with clock.frozen(NOW + timedelta(minutes=2)):
        from traction.loop import update_emails

        assert update_emails.run()["gave_up"] == 1
        html = fran.get(reverse("loop:update", args=[cast.acme.slug, update.pk])).content.decode()
    assert "The request to Owen Owner could not be sent: the mail server could not be reached" in (
        html
    )
    assert "Traction stopped trying." in html
    assert "Send again</button>" in html
    assert AuditEvent.objects.filter(action="loop.update_approval_mail_failed").count() == 1
    # The account owner sees no "Send again" (it is the team's).
    owen = client_for("account_owner")
    owen_html = owen.get(reverse("loop:update", args=[cast.acme.slug, update.pk])).content.decode()
    assert "Send again</button>" not in owen_html
    smtp_server.up()
    approval = Approval.objects.get(update=update)
    again = reverse("loop:update-approval-send-again", args=[cast.acme.slug, approval.pk])
    with clock.frozen(NOW + timedelta(minutes=3)), django_capture_on_commit_callbacks(execute=True):
        assert owen.post(again).status_code == 403
        assert fran.post(again).status_code == 302
        # Sent now: a second press has nothing to send again.
        refused = fran.post(again, follow=True)
    assert "nothing to send again" in refused.content.decode()
    assert len(smtp_server.to("owen@acme.test")) == 1
    assert AuditEvent.objects.filter(action="loop.update_approval_mail_resent").count() == 1


def test_a_failed_reminder_does_not_count_and_the_run_goes_on(
    cast: Any,
    update: Update,
    smtp_server: SmtpServer,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    from traction.core import periodic
    from traction.loop import update_emails
    from traction.loop.models import ApprovalEmail

    with clock.frozen(NOW), django_capture_on_commit_callbacks(execute=True):
        updates.submit(cast.viewer("facilitator"), update)
    approval = Approval.objects.get(update=update)
    smtp_server.down()
    later = NOW + timedelta(days=7)
    with clock.frozen(later), django_capture_on_commit_callbacks(execute=True):
        # Reminder and escalation are due; the mail server is down: no exception escapes.
        done = periodic.run_all()
        assert done["loop.update_approvals"] == {"reminded": 1, "escalated": 1}
        assert updates.remind() == {"reminded": 0, "escalated": 0}  # one is on its way
    approval.refresh_from_db()
    assert approval.reminders_sent == 0  # not sent: not counted
    assert approval.last_reminded_at is None
    assert approval.escalated_at == later  # the admins' notice is there
    states = dict(ApprovalEmail.objects.exclude(kind="request").values_list("kind", "state"))
    assert states == {"reminder": "failed", "escalation": "failed"}
    smtp_server.up()
    with clock.frozen(later + timedelta(minutes=1)):
        assert update_emails.run() == {"sent": 2, "unknown": 0}
    approval.refresh_from_db()
    assert approval.reminders_sent == 1
    assert approval.last_reminded_at == later + timedelta(minutes=1)
    subjects = [m.subject for m in smtp_server.messages]
    assert sum(s.startswith("Reminder: approve the update to Globex") for s in subjects) == 1
    assert sum("has waited 7 days for approval" in s for s in subjects) == 1


def test_the_owner_asks_for_changes_from_the_emailed_link_and_is_asked_again_with_what_they_asked(
    cast: Any,
    update: Update,
    smtp_server: SmtpServer,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    ask = "Say when the new page reaches Globex."
    with clock.frozen(NOW), django_capture_on_commit_callbacks(execute=True):
        updates.submit(cast.viewer("facilitator"), update)
    [received] = smtp_server.to("owen@acme.test")
    assert "Approve it, or ask for changes" in received.body
    [link] = LINK.findall(received.body)
    path = "/" + link.split("/", 3)[3]
    with clock.frozen(NOW):
        anonymous = Client()
        assert "Ask for changes" in anonymous.get(path).content.decode()
        asked = anonymous.post(path, {"decision": "changes", "reason": ask})
        assert asked.status_code == 200
        assert anonymous.post(path, {"decision": "changes", "reason": ask}).status_code == 409
    approval = Approval.objects.get(update=update)
    assert (approval.state, approval.reason) == ("changes_requested", ask)
    update.refresh_from_db()
    with clock.frozen(NOW + timedelta(hours=1)), django_capture_on_commit_callbacks(execute=True):
        updates.edit(cast.viewer("facilitator"), update, subject="The new page", expected_version=1)
    again = smtp_server.to("owen@acme.test")[-1]
    assert "What changed since you asked for changes in version 1:" in again.body
    assert f"You asked: “{ask}”" in again.body
    assert "+Subject: The new page" in again.body
