"""Slip-radar notices under real concurrency on PostgreSQL: five workers running the notices
at the same moment (cron overlapping a slow run) tell each person of a mark once — the
conditional UPDATE that claims a mark lets one worker through.

    scripts/pg-throwaway --port 54352 -- \
        .venv/bin/pytest -q tests/concurrency/test_pg_risk_notices.py
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime

import pytest
from django.core import mail

from traction.core import clock
from traction.core.models import AuditEvent
from traction.core.testing.cast import build_cast
from traction.debrief.services import actions as action_services
from traction.loop.models import AtRisk, Status
from traction.loop.services import publishing, risk_notices
from traction.loop.tests import world as w
from traction.sessions.models import Participant

from .test_pg_races import at_once

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
        reason="row locks under real concurrency: PostgreSQL only",
    ),
    pytest.mark.django_db(transaction=True),
]

NOW = datetime(2027, 1, 20, 9, 0, tzinfo=UTC)


def test_five_workers_tell_each_person_of_a_mark_once() -> None:
    with clock.frozen(NOW):
        cast = build_cast()
        world = w.build(cast)
        Participant.objects.create(
            workspace=cast.acme, session=world.session, user=cast.users["facilitator"],
            role="facilitator",
        )  # fmt: skip
        rec = w.approved(world)
        action = w.act(world, rec, date(2027, 5, 10))
        proposal = publishing.propose_status(
            cast.viewer("facilitator"), cast.program, priority_id=world.card.pk,
            status=Status.PLANNED, window_kind="quarter", window_start=date(2027, 4, 1),
        )  # fmt: skip
        for approval in proposal.approvals.all():
            publishing.waive(cast.viewer("admin"), approval, reason="Test.")
        action.refresh_from_db()
        action_services.update_action(
            cast.viewer("facilitator"), action=action, changes={"due_on": date(2027, 7, 15)},
            note="Later.",
        )  # fmt: skip
    assert AtRisk.objects.filter(notified_at__isnull=True).count() == 1
    mail.outbox = []

    results = at_once([risk_notices.run] * 5)
    assert all(isinstance(r, dict) for r in results), results
    assert sum(r["notices"] for r in results) == 1
    assert sorted(m.to[0].split("<")[-1].rstrip(">") for m in mail.outbox) == [
        "fran@acme.test",
        "owen@acme.test",
    ]
    assert AuditEvent.objects.filter(action="loop.risk_notified").count() == 1
