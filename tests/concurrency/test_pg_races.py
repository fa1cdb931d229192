"""Races on PostgreSQL: identical requests at the same moment, on separate connections.

Each test starts real threads (each has its own database connection) that wait at a barrier
and then act at once. Whatever the interleaving, the outcome is the one a person expects:
a workspace keeps an admin, and ten identical requests make one thing, with clear refusals
for the others and never a 500. Run on PostgreSQL only (SQLite serialises every write):

    scripts/pg-throwaway --port 54331 -- .venv/bin/pytest -q tests/concurrency/test_pg_races.py
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from traction.accounts import services as account_services
from traction.accounts.models import MemberInvitation, Membership
from traction.core.errors import DomainError
from traction.core.models import AuditEvent
from traction.core.permissions import Role, Viewer
from traction.core.testing.cast import Cast, build_cast
from traction.sessions import services as session_services
from traction.sessions.models import OutreachRequest

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
        reason="row locks and unique constraints under real concurrency: PostgreSQL only",
    ),
    pytest.mark.django_db(transaction=True),
]

N = 10


def at_once(actions: list[Callable[[], Any]]) -> list[Any]:
    """Run each action in its own thread (own connection), all released together; returns
    each one's result, or the exception it raised."""
    barrier = threading.Barrier(len(actions))
    results: list[Any] = [None] * len(actions)

    def run(i: int, action: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[i] = action()
        except Exception as exc:  # the test inspects what each one got
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.fixture
def world(db: None) -> Cast:
    return build_cast()


def test_two_admins_demoting_each_other_leave_one_admin(world: Cast) -> None:
    alice = world.viewer("admin")
    fran_membership = world.membership("facilitator")
    account_services.change_member_role(alice, membership=fran_membership, role=Role.ADMIN)
    fran = Viewer(user=world.users["facilitator"], workspace_id=world.acme.pk, role=Role.ADMIN)
    alice_membership = world.membership("admin")
    for _ in range(5):  # several rounds: the interleaving differs each time
        results = at_once(
            [
                lambda: account_services.change_member_role(
                    alice, membership=fran_membership, role=Role.FACILITATOR
                ),
                lambda: account_services.change_member_role(
                    fran, membership=alice_membership, role=Role.FACILITATOR
                ),
            ]
        )
        assert all(not isinstance(r, Exception) or isinstance(r, DomainError) for r in results)
        admins = list(
            Membership.objects.filter(workspace=world.acme, role=Role.ADMIN).values_list(
                "user__email", flat=True
            )
        )
        assert len(admins) == 1, (admins, results)
        refused = [r for r in results if isinstance(r, DomainError)]
        assert [r.message for r in refused] == ["role: A workspace needs at least one admin."]
        # Both admins again for the next round.
        Membership.objects.filter(
            workspace=world.acme, user__email__in=["alice@acme.test", "fran@acme.test"]
        ).update(role=Role.ADMIN)


def api_client(world: Cast, principal: str) -> Client:
    _, key = account_services.create_api_token(world.viewers[principal], name="race")
    return Client(headers={"Authorization": f"Bearer {key}"})


def test_ten_identical_outreach_requests_make_one(world: Cast) -> None:
    assert world.contact is not None
    session = session_services.plan_session(
        world.viewer("facilitator"),
        program=world.program,
        title="Onboarding co-design",
        starts_at=datetime(2030, 7, 1, 9, 0),
        ends_at=datetime(2030, 7, 1, 12, 30),
        time_zone="Europe/Berlin",
    )
    clients = [api_client(world, "facilitator") for _ in range(N)]
    body = json.dumps({"contact_id": world.contact.pk})
    url = f"/api/v1/sessions/{session.pk}/outreach-requests"
    responses = at_once(
        [lambda c=c: c.post(url, body, content_type="application/json") for c in clients]
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 1, statuses
    assert all(s in (201, 409, 422) for s in statuses)
    refusals = {
        r.json().get("message") or r.json()["detail"] for r in responses if r.status_code != 201
    }
    assert refusals <= {
        "Gina Globex has already been requested for this session.",  # the constraint decided
        "contact_id: Gina Globex has already been requested for this session "
        "(waiting for the account owner).",  # why_not_requestable saw the winner's request
    }
    assert OutreachRequest.objects.filter(session=session).count() == 1
    assert AuditEvent.objects.filter(action="outreach.requested").count() == 1


def test_ten_parallel_invitations_of_one_address_make_one_link(world: Cast) -> None:
    clients = [api_client(world, "admin") for _ in range(N)]
    body = json.dumps({"email": "new@acme.test", "role": "observer"})
    responses = at_once(
        [
            lambda c=c: c.post("/api/v1/invitations", body, content_type="application/json")
            for c in clients
        ]
    )
    statuses = [r.status_code for r in responses]
    assert all(s in (201, 409) for s in statuses), statuses
    open_ones = MemberInvitation.objects.filter(
        email="new@acme.test", accepted_at__isnull=True, revoked_at__isnull=True
    )
    assert open_ones.count() == 1
    assert statuses.count(201) >= 1


def test_ten_clicks_on_one_invitation_link_join_once(world: Cast) -> None:
    _, link = account_services.invite_member(
        world.viewer("admin"), email="nina@acme.test", role=Role.CORE_TEAM
    )
    secret = link.rstrip("/").rsplit("/", 1)[1]
    results = at_once(
        [
            lambda: account_services.accept_invitation(
                secret=secret, full_name="Nina New", password="correct horse battery staple"
            )
            for _ in range(N)
        ]
    )
    joined = [r for r in results if isinstance(r, Membership)]
    refused = [r for r in results if not isinstance(r, Membership)]
    assert len(joined) == 1
    assert all(isinstance(r, DomainError) for r in refused), refused
    assert {r.message for r in refused} <= {
        "This invitation link is not valid any more. Ask for a new one.",
    }
    assert Membership.objects.filter(user__email="nina@acme.test").count() == 1
    assert AuditEvent.objects.filter(action="invitation.accepted").count() == 1


def _recommendation(world: Cast) -> Any:
    from traction.debrief.services import recommendations as recs
    from traction.debrief.tests.room_world import build_world

    room = build_world(world)
    return recs.draft_recommendation(
        world.viewer("core_team"),
        room.debrief,
        title="Invoice on day one",
        evidence=[room.card("mot").pk],
        customer_summary="We send the first invoice on day one.",
    )


def test_two_policy_makers_deciding_from_one_version_one_wins_one_gets_409(
    world: Cast,
) -> None:
    from traction.debrief.models import Decision

    rec = _recommendation(world)
    url = f"/api/v1/recommendations/{rec.pk}/decide"
    clients = {who: api_client(world, who) for who in ("sponsor", "admin")}

    def decide(who: str, outcome: str) -> Any:
        return clients[who].post(
            url,
            {"outcome": outcome, "reason": f"{who} says so", "version": rec.version},
            content_type="application/json",
        )

    results = at_once([lambda: decide("sponsor", "approved"), lambda: decide("admin", "rejected")])
    assert sorted(r.status_code for r in results) == [200, 409], [r.content for r in results]
    winner = next(r.json() for r in results if r.status_code == 200)
    loser = next(r.json() for r in results if r.status_code == 409)
    # Nothing is lost: one decision, the winner's; the loser is shown the current record.
    assert list(Decision.objects.filter(recommendation=rec).values_list("outcome", flat=True)) == [
        winner["outcome"]
    ]
    assert json.dumps(loser).count(winner["outcome"]) >= 1
    rec.refresh_from_db()
    assert (rec.outcome, rec.version) == (winner["outcome"], winner["version"])


def test_two_editors_patching_from_one_version_one_wins_one_gets_409(world: Cast) -> None:
    rec = _recommendation(world)
    url = f"/api/v1/recommendations/{rec.pk}"
    clients = [api_client(world, "core_team"), api_client(world, "sponsor")]

    def patch(n: int) -> Any:
        return clients[n].patch(
            url, {"title": f"Title {n}", "version": rec.version}, content_type="application/json"
        )

    before = rec.version
    results = at_once([lambda: patch(0), lambda: patch(1)])
    assert sorted(r.status_code for r in results) == [200, 409], [r.content for r in results]
    winner = next(r.json() for r in results if r.status_code == 200)
    rec.refresh_from_db()
    assert (rec.title, rec.version) == (winner["title"], before + 1)
