"""A status proposal's approvals are asked like an update's, through a real SMTP server on
loopback: the account owner gets an email with what customers would hear and a link to the
priorities page, and a notice; a mail server that is down never fails the proposal and the
failure shows on the priorities page with Send again; reminders and the escalation to admins
happen once; the status approval turnaround counts owners' approvals only."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.email.conftest import LOOP_NOW as NOW
from tests.email.conftest import SmtpServer
from traction.core import clock
from traction.core.models import AuditEvent
from traction.loop.models import Approval, ApprovalEmail, PriorityStatus, Status
from traction.loop.services import publishing, updates
from traction.loop.tests import world as w

pytestmark = pytest.mark.django_db

REASON = "A simpler approval page is what we are building first."
PRIORITIES_LINK = re.compile(r"(https?://[^\s\"<]+/loop/programs/\d+/priorities/#priority-\d+)")


@pytest.fixture
def world(loop_world: w.World) -> w.World:
    """The loop's world with the card's recommendation approved and acted on."""
    with clock.frozen(NOW):
        w.act(loop_world, w.approved(loop_world), date(2027, 5, 10))
    return loop_world


def _propose(cast: Any, world: w.World, status: str = Status.PLANNED) -> PriorityStatus:
    window: dict[str, Any] = (
        {"window_kind": "quarter", "window_start": date(2027, 4, 1)}
        if status == Status.PLANNED
        else {}
    )
    return publishing.propose_status(
        cast.viewer("facilitator"),
        cast.program,
        priority_id=world.card.pk,
        status=status,
        customer_reason=REASON,
        **window,
    )


def test_proposing_asks_the_owner_by_email_with_what_customers_would_hear(
    cast: Any,
    world: w.World,
    smtp_server: SmtpServer,
    client_for: Callable[[str], Client],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    from traction.accounts.models import Notice

    with clock.frozen(NOW), django_capture_on_commit_callbacks(execute=True):
        proposal = _propose(cast, world)
    # Globex's owner is asked; Initech has no owner: no email (an admin may waive it).
    [received] = smtp_server.messages
    assert received.rcpt_tos == ["owen@acme.test"]
    assert received.subject == "Approve what Globex will hear: Planned (Q2 2027)"
    html_part = received.message.get_body(preferencelist=("html",))
    assert html_part is not None
    html = str(html_part.get_content())
    text = received.body
    for body in (text, html):
        assert "Invoice approval takes three weeks" in body
        assert "Planned" in body
        assert "Q2 2027" in body
        assert REASON in body
    lines = text.splitlines()
    assert ["Status: Planned", "Window: Q2 2027", f"Reason: {REASON}"] == lines[
        lines.index("Status: Planned") : lines.index("Status: Planned") + 3
    ]
    [link] = PRIORITIES_LINK.findall(text)
    assert link in html
    assert link.endswith(f"#priority-{world.card.pk}")
    # The link opens the priorities page where Owen approves; his notice points there too.
    owen = client_for("account_owner")
    path = "/" + link.split("/", 3)[3].split("#")[0]
    with clock.frozen(NOW + timedelta(minutes=5)):
        page = owen.get(path).content.decode()
    assert "Approve for Globex</button>" in page
    assert "The request went to Owen Owner by email on 20 Jan 2027, 09:00 (UTC)." in page
    [notice] = Notice.objects.filter(user=cast.users["account_owner"])
    assert notice.text == "A status to Globex waits for your approval."
    assert notice.link == path + f"#priority-{world.card.pk}"
    assert notice.resolved_at is None
    approval = Approval.objects.get(status=proposal, customer=cast.customer)
    with clock.frozen(NOW + timedelta(hours=1)):
        publishing.approve(cast.viewer("account_owner"), approval)
    notice.refresh_from_db()
    assert notice.resolved_at == NOW + timedelta(hours=1)


def test_a_newer_proposal_drops_the_request_of_the_one_it_replaces(
    cast: Any,
    world: w.World,
    smtp_server: SmtpServer,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    from traction.accounts.models import Notice
    from traction.loop import update_emails

    smtp_server.down()
    with clock.frozen(NOW):
        with django_capture_on_commit_callbacks(execute=True):
            first = _propose(cast, world)
        with django_capture_on_commit_callbacks(execute=True):
            second = _propose(cast, world, Status.HEARD)
    smtp_server.up()
    with clock.frozen(NOW + timedelta(minutes=2)):
        assert update_emails.run() == {"dropped": 1, "sent": 1, "unknown": 0}
    [received] = smtp_server.messages
    assert received.subject == "Approve what Globex will hear: Heard"
    states = dict(ApprovalEmail.objects.values_list("approval__status_id", "state"))
    assert states == {first.pk: "dropped", second.pk: "sent"}
    # The replaced proposal's notice is resolved; the newer one's waits.
    open_notices = Notice.objects.filter(resolved_at__isnull=True)
    assert [n.action for n in open_notices] == [
        f"loop.status-approve:{Approval.objects.get(status=second, customer=cast.customer).pk}"
    ]


def test_with_smtp_down_the_proposal_succeeds_and_the_page_shows_the_failure_then_send_again(
    cast: Any,
    world: w.World,
    smtp_server: SmtpServer,
    client_for: Callable[[str], Client],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    from traction.loop import mailer, update_emails

    fran = client_for("facilitator")
    with clock.frozen(NOW):
        page = reverse("loop:priorities", args=[cast.acme.slug, cast.program.pk])
        smtp_server.down()
        with django_capture_on_commit_callbacks(execute=True):
            asked = fran.post(
                reverse("loop:propose", args=[cast.acme.slug, cast.program.pk]),
                {
                    "priority": world.card.pk,
                    "status": "heard",
                    "customer_reason": REASON,
                },
            )
        assert asked.status_code == 302, asked.content.decode()
        proposal = PriorityStatus.objects.get(priority=world.card, archived_at__isnull=True)
        assert proposal.published_at is None  # proposed, whatever the mail server does
        [email] = ApprovalEmail.objects.all()
        assert (email.kind, email.state, email.attempts) == ("request", "failed", 1)
        html = fran.get(page).content.decode()
    assert (
        "The request to Owen Owner could not be sent: the mail server could not be reached" in html
    )
    assert "Retrying at 20 Jan 2027, 09:01 (UTC)" in html
    assert "Send again</button>" not in html  # still being tried
    # The last attempt fails too: Traction gives up and says so, with Send again.
    ApprovalEmail.objects.filter(pk=email.pk).update(attempts=mailer.MAX_ATTEMPTS - 1)
    with clock.frozen(NOW + timedelta(minutes=2)):
        assert update_emails.run()["gave_up"] == 1
        html = fran.get(page).content.decode()
    assert "Traction stopped trying." in html
    assert "Send again</button>" in html
    assert AuditEvent.objects.filter(action="loop.status_approval_mail_failed").count() == 1
    owen = client_for("account_owner")
    owen_html = owen.get(page).content.decode()
    assert "Traction stopped trying." in owen_html  # he sees it; sending again is the team's
    assert "Send again</button>" not in owen_html
    smtp_server.up()
    approval = Approval.objects.get(status=proposal, customer=cast.customer)
    again = reverse("loop:approval-send-again", args=[cast.acme.slug, approval.pk])
    with clock.frozen(NOW + timedelta(minutes=3)), django_capture_on_commit_callbacks(execute=True):
        assert owen.post(again).status_code == 403
        assert fran.post(again).status_code == 302
        refused = fran.post(again, follow=True)  # on its way: nothing to send again
    with clock.frozen(NOW + timedelta(minutes=3)):
        html = fran.get(page).content.decode()
    assert "nothing to send again" in refused.content.decode()
    assert [m.subject for m in smtp_server.to("owen@acme.test")] == [
        "Approve what Globex will hear: Heard"
    ]
    assert "The request went to Owen Owner by email on 20 Jan 2027, 09:03 (UTC)." in html
    assert AuditEvent.objects.filter(action="loop.status_approval_mail_resent").count() == 1


def test_reminders_and_the_escalation_happen_once_and_a_reminder_counts_once_sent(
    cast: Any,
    world: w.World,
    smtp_server: SmtpServer,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    from traction.accounts.models import Notice
    from traction.core import periodic
    from traction.loop import update_emails

    with clock.frozen(NOW), django_capture_on_commit_callbacks(execute=True):
        proposal = _propose(cast, world)
    globex = Approval.objects.get(status=proposal, customer=cast.customer)
    smtp_server.messages.clear()
    with clock.frozen(NOW + timedelta(days=2)):
        assert updates.remind() == {"reminded": 0, "escalated": 0}  # not due yet
    smtp_server.down()
    later = NOW + timedelta(days=7)
    with clock.frozen(later), django_capture_on_commit_callbacks(execute=True):
        # Globex's owner is reminded; both approvals (Initech has no owner) are escalated.
        done = periodic.run_all()
        assert done["loop.update_approvals"] == {"reminded": 1, "escalated": 2}
        assert updates.remind() == {"reminded": 0, "escalated": 0}  # one is on its way
    globex.refresh_from_db()
    assert globex.reminders_sent == 0  # not sent: not counted
    assert globex.escalated_at == later
    smtp_server.up()
    with clock.frozen(later + timedelta(minutes=1)):
        assert update_emails.run() == {"sent": 3, "unknown": 0}
        assert updates.remind() == {"reminded": 0, "escalated": 0}
    globex.refresh_from_db()
    assert globex.reminders_sent == 1
    assert globex.last_reminded_at == later + timedelta(minutes=1)
    subjects = sorted(m.subject for m in smtp_server.messages)
    assert subjects == [
        "A status to Globex has waited 7 days for approval",
        "A status to Initech has waited 7 days for approval",
        "Reminder: approve what Globex will hear: Planned (Q2 2027)",
    ]
    [reminder] = smtp_server.to("owen@acme.test")
    assert reminder.body.count("A reminder: a status of a priority Globex gave us") == 1
    assert REASON in reminder.body
    admin_notices = Notice.objects.filter(
        user=cast.users["admin"], action__startswith="loop.status-escalated:"
    )
    assert sorted(n.text for n in admin_notices) == [
        "A status to Globex has waited 7 days for the approval of its account owner; you may "
        "waive it.",
        "A status to Initech has waited 7 days for the approval of nobody (no account owner); "
        "you may waive it.",
    ]
    assert AuditEvent.objects.filter(action="loop.status_approval_escalated").count() == 2
    assert AuditEvent.objects.filter(action="loop.status_approval_reminded").count() == 1
    # Once published, nothing more is asked.
    with clock.frozen(later + timedelta(hours=1)):
        publishing.approve(cast.viewer("account_owner"), globex)
        initech = Approval.objects.get(status=proposal, customer=cast.other_customer)
        publishing.waive(cast.viewer("admin"), initech, reason="Initech has no owner yet.")
    proposal.refresh_from_db()
    assert proposal.published_at is not None
    with clock.frozen(later + timedelta(days=30)):
        assert updates.remind() == {"reminded": 0, "escalated": 0}


def test_status_turnaround_counts_owners_approvals_only(
    cast: Any,
    world: w.World,
    smtp_server: SmtpServer,
    client_for: Callable[[str], Client],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with clock.frozen(NOW), django_capture_on_commit_callbacks(execute=True):
        proposal = _propose(cast, world)
    page = reverse("loop:priorities", args=[cast.acme.slug, cast.program.pk])
    fran = client_for("facilitator")
    assert "Status approval turnaround in this program: no status approval answered yet." in (
        fran.get(page).content.decode()
    )
    with clock.frozen(NOW + timedelta(hours=2)):
        publishing.approve(
            cast.viewer("account_owner"),
            Approval.objects.get(status=proposal, customer=cast.customer),
        )
    with clock.frozen(NOW + timedelta(days=9)):
        publishing.waive(
            cast.viewer("admin"),
            Approval.objects.get(status=proposal, customer=cast.other_customer),
            reason="Initech has no owner yet.",
        )
    found = updates.turnaround(cast.program.pk, kind="status")
    # Owen's answer only: the admin's waiver (nine days) is not an owner's turnaround.
    assert (found.decided, found.median, found.slowest) == (
        1,
        timedelta(hours=2),
        timedelta(hours=2),
    )
    assert updates.turnaround(cast.program.pk).decided == 0  # updates are counted apart
    html = fran.get(page).content.decode()
    assert (
        "Status approval turnaround in this program: median 2 hours, slowest 2 hours "
        "(1 approval by account owners; waivers are not counted)." in html
    )
