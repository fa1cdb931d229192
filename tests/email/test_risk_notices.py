"""Slip-radar notices through a real SMTP server: when the radar marks priorities at risk,
the program's facilitators and the affected customers' account owners each get one digest
per run (every priority at risk, what changed, the window customers were told, a link to the
change-of-plan draft); nobody is told twice of the same mark; members who left are not told.
Also through ``traction remind`` (the periodic job ``loop.radar``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from django.conf import settings

from traction.accounts import services as accounts
from traction.accounts.models import Membership
from traction.cli.main import cli
from traction.core import clock
from traction.core.models import AuditEvent
from traction.core.testing.cast import Cast
from traction.debrief.models import ActionItem
from traction.debrief.services import actions as action_services
from traction.insights.models import Insight
from traction.loop.models import AtRisk, Status
from traction.loop.services import publishing, radar
from traction.loop.tests import world as w
from traction.sessions.models import Participant

from .conftest import SmtpServer

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 1, 20, 9, 0, tzinfo=UTC)


class Refusing:
    """Makes the loopback server refuse ``refused`` at RCPT (550) and accept the rest."""

    def __init__(self) -> None:
        self.refused: set[str] = set()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.refused:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def refusing(smtp_server: SmtpServer) -> Refusing:
    found = Refusing()
    # aiosmtpd looks the hooks up on the handler for each new connection.
    smtp_server.handler.handle_RCPT = found.handle_RCPT  # type: ignore[attr-defined]
    return found


@pytest.fixture
def world(cast: Cast) -> Iterator[w.World]:
    with clock.frozen(NOW):
        found = w.build(cast)
        Participant.objects.create(
            workspace=cast.acme, session=found.session, user=cast.users["facilitator"],
            role="facilitator",
        )  # fmt: skip
        yield found


def publish_planned(world: w.World, card: Insight, title: str) -> ActionItem:
    cast = world.cast
    rec = w.approved(world, card, title)
    action = w.act(world, rec, date(2027, 5, 10), title=f"Build {title}")
    proposal = publishing.propose_status(
        cast.viewer("facilitator"),
        cast.program,
        priority_id=card.pk,
        status=Status.PLANNED,
        window_kind="quarter",
        window_start=date(2027, 4, 1),
    )
    for approval in proposal.approvals.all():
        publishing.waive(cast.viewer("admin"), approval, reason="Test.")
    return action


def later(world: w.World, action: ActionItem) -> None:
    action.refresh_from_db()
    action_services.update_action(
        world.cast.viewer("facilitator"), action=action, changes={"due_on": date(2027, 7, 15)},
        note="Later.",
    )  # fmt: skip


def test_one_digest_per_person_with_every_priority_and_never_twice(
    smtp_server: SmtpServer, world: w.World
) -> None:
    first = publish_planned(world, world.card, "One-page approval")
    second = publish_planned(world, world.quiet, "Phone approvals")
    later(world, first)  # the debrief's change marks it at once; nobody is told yet
    later(world, second)
    assert AtRisk.objects.filter(cleared_at__isnull=True).count() == 2
    assert smtp_server.messages == []

    counts = radar.run_and_notify()
    assert counts["notices"] == 2
    assert counts["digests"] == 2  # Fran (facilitator) and Owen (Globex's owner)
    fran = smtp_server.to("fran@acme.test")
    owen = smtp_server.to("owen@acme.test")
    assert len(fran) == 1
    assert len(owen) == 1
    assert len(smtp_server.messages) == 2

    # Fran facilitates: both priorities, in one message.
    message = fran[0]
    assert message.subject == "At risk: 2 customer priorities need a change of plan"
    body = message.body
    assert "Invoice approval takes three weeks" in body
    assert "Let us approve invoices from the phone" in body
    assert (
        "The action item “Build One-page approval” is now due 15 July 2027, after the window "
        "shown to customers (Q2 2027)." in body
    )
    assert "Customers were told: Planned, Q2 2027" in body
    site = settings.TRACTION_SITE_URL.rstrip("/")
    links = re.findall(re.escape(site) + r"/\S+", body)
    priorities = f"{site}/w/acme/loop/programs/{world.cast.program.pk}/priorities/"
    assert f"{priorities}#priority-{world.card.pk}" in links
    assert f"{priorities}#priority-{world.quiet.pk}" in links
    html = message.message.get_body(preferencelist=("html",))
    assert html is not None
    assert "Open the change-of-plan draft" in str(html.get_content())

    # Owen owns Globex, which raised and voted on the first card only (Initech, with no
    # owner, voted on both): he hears of the first.
    assert owen[0].subject == "At risk: “Invoice approval takes three weeks” needs a change of plan"
    assert "Invoice approval takes three weeks" in owen[0].body
    assert "Let us approve invoices from the phone" not in owen[0].body

    marks = {r.priority_id: r for r in AtRisk.objects.all()}
    fran_id, owen_id = world.cast.users["facilitator"].pk, world.cast.users["account_owner"].pk
    assert marks[world.card.pk].notified_at == NOW
    assert marks[world.card.pk].notified_to == sorted([fran_id, owen_id])
    assert marks[world.quiet.pk].notified_to == [fran_id]
    assert AuditEvent.objects.filter(action="loop.risk_notified").count() == 2

    # The next run (the radar checks again, nothing changed): nobody is told again.
    assert radar.run_and_notify()["digests"] == 0
    assert len(smtp_server.messages) == 2


def test_members_who_left_are_not_told_and_a_failed_digest_is_retried(
    smtp_server: SmtpServer, refusing: Refusing, world: w.World
) -> None:
    action = publish_planned(world, world.card, "One-page approval")
    later(world, action)
    owen = Membership.objects.get(user=world.cast.users["account_owner"])
    accounts.remove_member(world.cast.viewer("admin"), membership=owen, reason="Left.")
    refusing.refused = {"fran@acme.test"}
    counts = radar.run_and_notify()
    assert counts == {**counts, "digests": 0, "failed": 1, "notices": 0}
    risk = AtRisk.objects.get()
    assert risk.notified_at is None  # nobody heard: the next run tries again
    assert smtp_server.to("owen@acme.test") == []
    refusing.refused = set()
    counts = radar.run_and_notify()
    assert counts["digests"] == 1
    assert len(smtp_server.to("fran@acme.test")) == 1
    assert smtp_server.to("owen@acme.test") == []
    risk.refresh_from_db()
    assert risk.notified_to == [world.cast.users["facilitator"].pk]


def test_traction_remind_runs_the_notices(smtp_server: SmtpServer, world: w.World) -> None:
    publish_planned(world, world.card, "One-page approval")
    # The window passes unfinished: only the periodic check can notice it.
    with clock.frozen(NOW + timedelta(days=170)):
        result = CliRunner().invoke(cli, ["remind"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert AtRisk.objects.get().notified_at is not None
    # (other periodic jobs may write to them too: the debrief's and the plan's reminders)
    fran = [m for m in smtp_server.to("fran@acme.test") if m.subject.startswith("At risk")]
    owen = [m for m in smtp_server.to("owen@acme.test") if m.subject.startswith("At risk")]
    assert len(fran) == 1
    assert len(owen) == 1
    assert "Customers were told: Planned, Q2 2027" in owen[0].body
