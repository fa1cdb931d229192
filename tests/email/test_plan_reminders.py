"""The communication plan's reminders through a real SMTP server: one digest per person per
run (the teller and the program's facilitators), idempotent, and a new due date reminds
afresh. Also through ``traction remind`` (the periodic job ``loop.plan``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner

from traction.cli.main import cli
from traction.core import clock
from traction.core.testing.cast import Cast
from traction.loop.models import PlanReminder
from traction.loop.services import plan as plan_services
from traction.loop.tests import world as w
from traction.sessions.models import Participant, Session

from .conftest import SmtpServer

pytestmark = pytest.mark.django_db

DAY = w.ENDED.date()


def on(days: int) -> datetime:
    d = DAY + timedelta(days=days)
    return datetime(d.year, d.month, d.day, 8, 0, tzinfo=UTC)


@pytest.fixture
def world(cast: Cast) -> w.World:
    with clock.frozen(on(-1)):
        found = w.build(cast)
    Session.objects.filter(pk=found.session.pk).update(hear_back_by=DAY + timedelta(days=14))
    Participant.objects.create(
        workspace=cast.acme,
        session=found.session,
        user=cast.users["facilitator"],
        role="facilitator",
    )
    return found


def test_one_digest_per_person_and_never_twice(smtp_server: SmtpServer, world: w.World) -> None:
    with clock.frozen(on(10)):
        counts = plan_services.run()
    assert counts["reminders"] == 2  # Globex's and Initech's promise, near
    assert counts["digests"] == 2
    owen = smtp_server.to("owen@acme.test")
    fran = smtp_server.to("fran@acme.test")
    assert len(owen) == 1
    assert len(fran) == 1
    assert len(smtp_server.messages) == 2
    # Owen tells Globex only; Fran facilitates the program: both customers, one message.
    assert "Globex" in owen[0].body
    assert "Initech" not in owen[0].body
    assert "Globex" in fran[0].body
    assert "Initech" in fran[0].body
    assert "promised to hear back by 28 Jan 2027 (in 4 days)" in fran[0].body
    html = fran[0].message.get_body(preferencelist=("html",))
    assert html is not None
    assert "Open the communication plan" in str(html.get_content())
    assert f"/programs/{world.cast.program.pk}/plan/" in fran[0].body
    assert fran[0].subject == "Customer updates due soon: 2"

    smtp_server.clear()
    with clock.frozen(on(11)):
        again = plan_services.run()
    assert again["reminders"] == 0
    assert again["digests"] == 0
    assert smtp_server.messages == []

    # The promise passed: a reminder of another kind, once.
    with clock.frozen(on(16)):
        plan_services.run()
        plan_services.run()
    assert len(smtp_server.to("fran@acme.test")) == 1
    passed = smtp_server.to("fran@acme.test")[0]
    assert passed.subject == "Customer updates: 2 overdue, 0 due soon"
    assert "passed 2 days ago" in passed.body
    assert PlanReminder.objects.count() == 4


def test_traction_remind_runs_the_plan(smtp_server: SmtpServer, world: w.World) -> None:
    with clock.frozen(on(10)):
        result = CliRunner().invoke(cli, ["remind"], catch_exceptions=False)
    assert "loop.plan: programs 3, reminders 2, digests 2, failed 0" in result.output
    assert len(smtp_server.to("owen@acme.test")) == 1
    assert PlanReminder.objects.filter(kind="promise_near").count() == 2


def test_a_new_due_date_reminds_afresh_and_a_named_teller_hears(
    smtp_server: SmtpServer, world: w.World
) -> None:
    from traction.loop.models import CommsOwner, Update, UpdateRecipient

    cast = world.cast
    CommsOwner.objects.create(
        program=cast.program, customer=cast.other_customer, teller=cast.users["core_team"]
    )
    with clock.frozen(on(10)):
        plan_services.run()
    assert len(smtp_server.to("cora@acme.test")) == 1  # Cora tells Initech now
    assert "Initech" in smtp_server.to("cora@acme.test")[0].body
    # Globex hears from us on day 12: its promise is kept; the cadence's date comes next.
    update = Update.objects.create(
        workspace=cast.acme,
        program=cast.program,
        audience="customer",
        customer=cast.customer,
        subject="What came of it",
        body="Thank you.",
        state="sent",
        sent_at=on(12),
    )
    UpdateRecipient.objects.create(
        workspace=cast.acme,
        update=update,
        contact=cast.contact,
        customer=cast.customer,
        name=cast.contact.name,
        email=cast.contact.email,
        state="sent",
        sent_at=on(12),
    )
    smtp_server.clear()
    with clock.frozen(on(50)):  # due on day 54
        plan_services.run()
    owen = smtp_server.to("owen@acme.test")
    assert len(owen) == 1
    assert "Globex: an update is due 9 Mar 2027 (in 4 days)." in owen[0].body
    assert PlanReminder.objects.filter(customer=cast.customer, kind="due_soon").count() == 1


def test_a_digest_that_could_not_go_is_retried_next_run(
    smtp_server: SmtpServer, world: w.World, settings: Any
) -> None:
    port = smtp_server.port
    settings.EMAIL_PORT = _closed_port()
    with clock.frozen(on(10)):
        failed = plan_services.run()
    assert failed["failed"] == 2
    assert failed["reminders"] == 0
    assert PlanReminder.objects.count() == 0
    settings.EMAIL_PORT = port
    with clock.frozen(on(10)):
        again = plan_services.run()
    assert again["digests"] == 2
    assert len(smtp_server.to("fran@acme.test")) == 1


def _closed_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
