"""Fixtures of the schemathesis runs (positive and negative): the admin's bearer token, ids
of real objects to aim generated ids at, and the test connection kept across requests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.core import signals
from django.db import close_old_connections
from django.utils import timezone

from traction.accounts import services as account_services
from traction.core.testing.cast import Cast
from traction.sessions import services as session_services


@pytest.fixture
def keep_the_test_connection() -> Iterator[None]:
    # Django closes a connection inside a transaction at the end of each request; its test
    # Client stops that, and so must we, or PostgreSQL loses the test's transaction.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def admin_headers(cast: Cast) -> dict[str, str]:
    _, key = account_services.create_api_token(cast.viewer("admin"), name="schemathesis")
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def real_ids(cast: Cast) -> dict[str, list[int]]:
    """Ids of objects that exist, per path parameter: Acme's first, then one of Rival's."""
    invitation, _ = account_services.invite_member(
        cast.viewer("admin"), email="fuzzed@acme.test", role="observer"
    )
    rival_invitation, _ = account_services.invite_member(
        cast.viewer("stranger"), email="fuzzed@rival.test", role="observer"
    )
    sessions = _sessions(cast)
    return {
        **sessions,
        "customer_id": [cast.customer.pk, cast.other_customer.pk, cast.rival_customer.pk],
        "contact_id": [cast.contact.pk, cast.other_contact.pk, cast.rival_contact.pk],
        "program_id": [cast.program.pk, cast.other_program.pk, cast.rival_program.pk],
        "membership_id": [
            cast.membership("observer").pk,
            cast.membership("facilitator").pk,
            cast.membership("stranger").pk,
        ],
        "invitation_id": [invitation.pk, rival_invitation.pk],
    }


def _sessions(cast: Cast) -> dict[str, list[int]]:
    """A session of Acme's (with a pending outreach request, an approved one, a participant
    and a question) and one of Rival's."""
    alice, owen, stan = (cast.viewer(p) for p in ("admin", "account_owner", "stranger"))
    start = timezone.now() + timedelta(days=30)
    ids: dict[str, list[int]] = {}
    for viewer, program in [(alice, cast.program), (stan, cast.rival_program)]:
        assert program is not None
        session = session_services.plan_session(
            viewer,
            program=program,
            title="Fuzzed session",
            starts_at=start,
            ends_at=start + timedelta(hours=4),
        )
        participant = session_services.add_participant(
            viewer, session=session, user_id=viewer.user_id, role="facilitator"
        )
        question = session_services.submit_question(viewer, session=session, text="Why?")
        ids.setdefault("session_id", []).append(session.pk)
        ids.setdefault("participant_id", []).append(participant.pk)
        ids.setdefault("question_id", []).append(question.pk)
        if program == cast.program:
            assert cast.contact is not None
            pending = session_services.request_outreach(
                alice, session=session, contact=cast.contact
            )
            other = session_services.plan_session(
                alice,
                program=program,
                title="Another",
                starts_at=start,
                ends_at=start + timedelta(hours=1),
            )
            approved = session_services.decide_outreach(
                owen,
                request=session_services.request_outreach(
                    alice, session=other, contact=cast.contact
                ),
                approve=True,
                conditions="No pricing.",
            )
            ids["session_id"].insert(1, other.pk)
            ids["request_id"] = [pending.pk, approved.pk]
    return ids
