"""Fixtures of the schemathesis runs (positive and negative): the admin's bearer token, ids
of real objects to aim generated ids at, and the test connection kept across requests.

The token and the objects behind the ids are built through the services once per test
process and restored for each operation on its fresh cast (``built_on``,
traction/core/testing/snapshot.py), like the cast itself: each operation still starts from
the same rows, whatever the previous one's requests wrote."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from _pytest.mark.expression import Expression
from django.core import signals
from django.db import close_old_connections
from django.utils import timezone

from traction.accounts import services as account_services
from traction.core.testing.cast import Cast
from traction.core.testing.snapshot import built_on
from traction.sessions import services as session_services

# The two fuzzing modules build their tests from the served OpenAPI document as they are
# imported (about twelve seconds of each xdist worker's collection). Every test in them is
# marked ``contract`` and ``django_db`` (their ``pytestmark``, nothing else): a run whose
# ``-m`` leaves such tests out (make test's SQLite and e2e steps) does not import them.
FUZZING_MODULES = ("test_schemathesis.py", "test_schemathesis_negative.py")
FUZZING_MARKS = frozenset({"contract", "django_db"})


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    markexpr = config.option.markexpr
    if collection_path.name not in FUZZING_MODULES or not markexpr:
        return None
    selected = Expression.compile(markexpr).evaluate(
        lambda name, /, **kwargs: name in FUZZING_MARKS and not kwargs
    )
    return True if not selected else None


@pytest.fixture
def keep_the_test_connection() -> Iterator[None]:
    # Django closes a connection inside a transaction at the end of each request; its test
    # Client stops that, and so must we, or PostgreSQL loses the test's transaction.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@dataclass
class Aims:
    """What the fuzzed requests carry and aim at: the admin's bearer token and, per path
    parameter, ids of objects that exist (Acme's first, then one of Rival's)."""

    headers: dict[str, str]
    ids: dict[str, list[int]]


def build_aims(cast: Cast) -> Aims:
    _, key = account_services.create_api_token(cast.viewer("admin"), name="schemathesis")
    invitation, _ = account_services.invite_member(
        cast.viewer("admin"), email="fuzzed@acme.test", role="observer"
    )
    rival_invitation, _ = account_services.invite_member(
        cast.viewer("stranger"), email="fuzzed@rival.test", role="observer"
    )
    sessions = _sessions(cast)
    ids = {
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
    return Aims(headers={"Authorization": f"Bearer {key}"}, ids=ids)


@pytest.fixture
def aims(cast: Cast) -> Aims:
    return built_on(cast, build_aims)


@pytest.fixture
def admin_headers(aims: Aims) -> dict[str, str]:
    return aims.headers


@pytest.fixture
def real_ids(aims: Aims) -> dict[str, list[int]]:
    """Ids of objects that exist, per path parameter: Acme's first, then one of Rival's."""
    return aims.ids


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
